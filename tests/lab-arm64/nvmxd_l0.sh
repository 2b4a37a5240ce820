#!/bin/sh
# nvmxd_l0.sh TAR NVMXD-ARGS...: the --exec command of the arm64 lab's nvmxd run (run.sh), in L0:
# unpacks the arm64 nvmxd with its libraries and ld.so at / (lab/arm64/nvmxd.sh made TAR; --ship
# copied it), then runs it. A script, as the lab resolves --exec's program on the host.
set -e
tar -xf "$1" -C /
shift
exec /usr/sbin/nvmxd "$@"
