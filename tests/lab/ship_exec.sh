#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ship_exec.sh DATAFILE: the --exec command of ship_test.sh, in L0 (busybox sh). It checks that the
# program shipped with --ship runs, runs the workload itself once with $NVMX_LAB_WORKLOAD, as a
# benchmark would, then lets /init run it and waits for SIGINT.
cd "$NVMX_LAB_OUT" || exit 1
printf '%s\n' "$NVMX_LAB_WORKLOAD" >workload.cmd
/usr/bin/env --version >env.out 2>&1
echo $? >env.rc
cat "$1" >data.txt 2>&1
# No kvm tracepoint is enabled before ready: the benchmark's baseline runs without one.
grep -l '^1' /sys/kernel/tracing/events/kvm/*/enable >events-enabled.txt 2>&1
sh -c "$NVMX_LAB_WORKLOAD" >workload.stdout 2>workload.stderr
echo $? >workload.rc
trap 'echo got-sigint; exit 0' INT
touch ready
while :; do sleep 1; done
