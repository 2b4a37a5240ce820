#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# record_exec.sh NVMX: the --exec command of record_run.sh, in L0 (busybox sh).
#  1. --pid: two copies of the workload at once, each with a truth file of its own; nvmx record
#     --pid follows the first (its vCPU threads start after the filter is set: event-fork) and
#     stops when it exits.
#  2. --buffer-kb 4 with the workload: events lost, LOST lines and exit 1.
#  3. --duration 3 with no VM running: the progress line, and a capture of no event.
#  4. nvmx record captures /init's workload: its COMMAND creates ready (the events are enabled by
#     then) and waits; /init's SIGINT at the end of the workload reaches the whole process group
#     and stops both.
cd "$NVMX_LAB_OUT" || exit 1
uname -r >uname.txt
# caught, not ignored: this shell outlives the SIGINT and writes record.rc after nvmx record
trap 'echo got-sigint' INT

wl() { printf '%s' "$NVMX_LAB_WORKLOAD" | sed "s|--truth [^ ]*|--truth $NVMX_LAB_OUT/$1|"; }
start_wl() { # NAME: a workload that starts when ./go exists
	sh -c 'while [ ! -e go ]; do usleep 10000; done; eval "exec $1"' sh "$(wl "$1-truth.json")" \
		>"$1-wl.stdout" 2>"$1-wl.stderr" &
}
start_wl pid
p1=$!
start_wl other
p2=$!
"$1" record --pid "$p1" --output pid.txt 2>pid.stderr &
rp=$!
while ! grep -q '^nvmx record: recording' pid.stderr && kill -0 "$rp" 2>/dev/null; do
	usleep 10000
done
touch go
wait "$p1"
echo $? >pid-wl.rc
wait "$p2"
echo $? >other-wl.rc
wait "$rp"
echo $? >pid.rc

# a ring buffer too small for the workload (--buffer-kb 4): events are lost, and said
rm -f go
start_wl lossy
p3=$!
"$1" record --pid "$p3" --buffer-kb 4 --output lossy.txt 2>lossy.stderr &
rp=$!
while ! grep -q '^nvmx record: recording' lossy.stderr && kill -0 "$rp" 2>/dev/null; do
	usleep 10000
done
touch go
wait "$p3"
echo $? >lossy-wl.rc
wait "$rp"
echo $? >lossy.rc

# --duration, and the progress line every 2 s (of a capture with no event: no VM runs now)
"$1" record --duration 3 --output idle.txt 2>idle.stderr
echo $? >idle.rc

"$1" record --output record.txt -- sh -c 'touch ready; while :; do sleep 1; done' \
	2>record.stderr
echo $? >record.rc
# nvmx record removed its tracefs instances (at --pid's exit, and on SIGINT)
ls /sys/kernel/tracing/instances >instances.txt 2>&1
