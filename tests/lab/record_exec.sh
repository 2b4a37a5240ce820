#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# record_exec.sh NVMX: the --exec command of record_run.sh, in L0 (busybox sh).
#  1. --pid: two copies of the workload at once, each with a truth file of its own; nvmx record
#     --pid follows the first (its vCPU threads start after the filter is set: event-fork) and
#     stops when it exits.
#  2. --buffer-kb 4 with the workload: events lost, LOST lines and exit 1.
#  3. the workload as COMMAND: recorded until it exits.
#  4. --duration 3 with no VM running: the progress line, and a capture of no event.
#  5. nvmx record captures /init's workload: its COMMAND creates ready (the events are enabled by
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
# NAME [RECORD-OPTION]...: nvmx record --pid of workload NAME (started with start_wl) into
# NAME.txt, the workloads started once it records; NAME.rc, NAME-wl.rc: the exit statuses
record_pid() {
	name=$1 wpid=$!
	shift
	"$NVMX" record --pid "$wpid" --output "$name.txt" "$@" 2>"$name.stderr" &
	rp=$!
	while ! grep -q '^nvmx record: recording' "$name.stderr" && kill -0 "$rp" 2>/dev/null; do
		usleep 10000
	done
	touch go
	wait "$wpid"
	echo $? >"$name-wl.rc"
	wait "$rp"
	echo $? >"$name.rc"
	rm -f go
}
NVMX=$1

start_wl other
p2=$!
start_wl pid
record_pid pid
wait "$p2"
echo $? >other-wl.rc

# a ring buffer too small for the workload (--buffer-kb 4): events are lost, and said
start_wl lossy
record_pid lossy --buffer-kb 4

# the workload as nvmx record's COMMAND: the recording ends when it exits
"$NVMX" record --output cmd.txt -- sh -c "eval \"exec \$1\"" sh "$(wl cmd-truth.json)" \
	2>cmd.stderr
echo $? >cmd.rc

# --duration, and the progress line every 2 s (of a capture with no event: no VM runs now)
"$NVMX" record --duration 3 --output idle.txt 2>idle.stderr
echo $? >idle.rc

"$NVMX" record --output record.txt -- sh -c 'touch ready; while :; do sleep 1; done' \
	2>record.stderr
echo $? >record.rc
# nvmx record removed its tracefs instances (at --pid's exit, and on SIGINT)
ls /sys/kernel/tracing/instances >instances.txt 2>&1
