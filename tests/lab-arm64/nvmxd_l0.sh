#!/bin/sh
# nvmxd_l0.sh TAR SCRAPE: the --exec command of the arm64 lab's nvmxd run (run.sh), in L0: unpacks
# the arm64 nvmxd with its libraries and ld.so at / (lab/arm64/nvmxd.sh made TAR; --ship copied
# it), then runs it through SCRAPE (tests/consistency/l0_scrape.sh, shipped too: nvmxd serving
# /metrics on L0's loopback, scraped before and after the workload, its JSON and --record). A
# script, as the lab resolves --exec's program on the host.
set -e
tar -xf "$1" -C /
exec sh "$2" /usr/sbin/nvmxd
