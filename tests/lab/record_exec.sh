#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# record_exec.sh NVMX: the --exec command of record_run.sh, in L0 (busybox sh). `nvmx record`
# captures the workload: its COMMAND creates ready (the events are enabled by then) and waits;
# /init's SIGINT at the end of the workload reaches the whole process group and stops both.
cd "$NVMX_LAB_OUT" || exit 1
uname -r >uname.txt
# caught, not ignored: this shell outlives the SIGINT and writes record.rc after nvmx record
trap 'echo got-sigint' INT
"$1" record --output record.txt -- sh -c 'touch ready; while :; do sleep 1; done' \
	2>record.stderr
echo $? >record.rc
# nvmx record removed its tracefs instance (the SIGINT path)
ls /sys/kernel/tracing/instances >instances.txt 2>&1
