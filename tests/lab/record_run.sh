#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# record_run.sh NVMX OUT LAB-RUN-ARGS...: `nvmx record` in L0 (record_exec.sh) captures a lab
# run; its capture replays to the workload's truth (certain counts) and to the replay of the
# lab's own tracefs capture (every count), lost nothing, its header names L0's kernel, the ISA
# and kvm_amd's parameters, and the tracefs instance is gone afterwards. Before that, in the same
# boot, `nvmx record --pid` of one of two workloads run at once replays to that one's truth.
set -u
nvmx=$1 out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
"$nvmx" lab run "$@" --ship "$nvmx" --exec "$here/record_exec.sh $nvmx" --out "$out" ||
	{ echo "FAILED: nvmx lab run exited $?"; exit 1; }
e=$out/exec
. "$here/../tally.sh"
check "nvmx record exited 0 (a complete capture)" sh -c "[ \"\$(cat '$e/record.rc')\" = 0 ]"
"$nvmx" replay "$e/record.txt" --json >"$out/record-replay.json"
check "nvmx replay of the recording succeeds" [ $? = 0 ]
check "the replay of nvmx record equals the workload's truth (certain counts)" \
	"$nvmx" compare "$out/truth.json" "$out/record-replay.json"
check "the replay of nvmx record equals the replay of the lab's capture (every count)" \
	"$nvmx" compare --all "$out/observed.json" "$out/record-replay.json"
check "no LOST line, the end line says 0 lost" \
	sh -c "! grep -v '^#' '$e/record.txt' | grep -q LOST && grep -q '^# end: [0-9]* events, 0 lost, in [0-9]* ms (stopped by a signal)$' '$e/record.txt'"
check "the end line counts every event line of the capture" \
	sh -c "[ \"\$(sed -n 's/^# end: \\([0-9]*\\) events.*/\\1/p' '$e/record.txt')\" = \"\$(grep -vc '^#' '$e/record.txt')\" ]"
check "the totals on stderr" \
	grep -q '^nvmx record: [0-9]* events, 0 lost into record.txt$' "$e/record.stderr"
check "--buffer-kb 4: the workload exited 0, nvmx record 1 (events lost)" \
	sh -c "[ \"\$(cat '$e/lossy-wl.rc' '$e/lossy.rc')\" = '0
1' ]"
lost=$(sed -n 's/^# end: [0-9]* events, \([0-9]*\) lost.*/\1/p' "$e/lossy.txt")
check "--buffer-kb 4: the end line and stderr say how many were lost (${lost:-none})" \
	sh -c "[ '${lost:-0}' -gt 0 ] &&
		grep -q '^nvmx record: [0-9]* events, $lost lost (raise --buffer-kb) into lossy.txt$' '$e/lossy.stderr'"
check "--buffer-kb 4: the LOST lines add up to the end line's count" \
	sh -c "[ \"\$(grep -v '^#' '$e/lossy.txt' | sed -n 's/^CPU:[0-9]* \\[LOST \\([0-9]*\\) EVENTS\\]$/\\1/p' | awk '{s += \$1} END {print s + 0}')\" = '${lost:-x}' ]"
"$nvmx" replay "$e/lossy.txt" --json >"$out/lossy-replay.json"
check "--buffer-kb 4: replay counts them all (lost_events)" \
	python3 -c 'import json, sys
n = json.load(open(sys.argv[1]))["lost_events"]
sys.exit(0 if str(n) == sys.argv[2] else "lost_events %s, the capture says %s" % (n, sys.argv[2]))' \
	"$out/lossy-replay.json" "${lost:-x}"
"$nvmx" replay "$e/cmd.txt" --json >"$out/cmd-replay.json"
check "-- COMMAND: exit 0, its replay equals its truth (certain counts)" \
	sh -c "[ \"\$(cat '$e/cmd.rc')\" = 0 ] && '$nvmx' compare '$e/cmd-truth.json' '$out/cmd-replay.json'"
check "-- COMMAND: the end line and stderr say it exited (with 0)" \
	sh -c "grep -q '^# end: [0-9]* events, 0 lost, in [0-9]* ms (COMMAND exited)$' '$e/cmd.txt' &&
		grep -qx \"nvmx record: 'sh' exited with 0\" '$e/cmd.stderr'"
check "--duration 3: exit 0, a progress line at 2 s, an end line of 0 events after 3 s" \
	sh -c "[ \"\$(cat '$e/idle.rc')\" = 0 ] &&
		grep -qx 'nvmx record: 2 s, 0 events, 0 LOST lines' '$e/idle.stderr' &&
		grep -q '^# end: 0 events, 0 lost, in 3[0-9][0-9][0-9] ms (--duration)$' '$e/idle.txt'"
check "the header names L0's kernel ($(cat "$e/uname.txt"))" \
	grep -q "^# kernel: $(cat "$e/uname.txt") " "$e/record.txt"
check "the header names the ISA from the loaded module" \
	grep -qx '# isa: svm (kvm_amd loaded)' "$e/record.txt"
check "the header lists kvm_amd's parameters (nested=1)" \
	grep -q '^# param: kvm_amd.nested=1$' "$e/record.txt"
check "the header lists the 11 events, none missing" \
	sh -c "grep -qx '# events: kvm_exit kvm_entry kvm_nested_vmexit kvm_nested_vmexit_inject kvm_nested_vmenter kvm_nested_vmenter_failed kvm_nested_intr_vmexit kvm_userspace_exit kvm_msr kvm_inj_virq kvm_inj_exception' '$e/record.txt' && grep -qx '# events-missing: none' '$e/record.txt'"
check "the capture has no event nvmx does not read (exactly its events)" \
	sh -c "! grep -v '^#' '$e/record.txt' | grep -q -e kvm_pio -e kvm_nested_intercepts"
check "the tracefs instance was removed" sh -c "[ ! -s '$e/instances.txt' ]"
check "the SIGINT reached the --exec script" grep -qx got-sigint "$e/stdout"
check "--pid: both workloads and nvmx record --pid exited 0" \
	sh -c "[ \"\$(cat '$e/pid-wl.rc' '$e/other-wl.rc' '$e/pid.rc')\" = '0
0
0' ]"
"$nvmx" replay "$e/pid.txt" --json >"$out/pid-replay.json"
check "--pid: the replay equals its workload's truth, not both workloads' (certain counts)" \
	"$nvmx" compare "$e/pid-truth.json" "$out/pid-replay.json"
check "--pid: the other workload's truth is the same (a capture of both would be twice it)" \
	"$nvmx" compare "$e/pid-truth.json" "$e/other-truth.json"
check "--pid: the header says which tasks, the end line why it stopped" \
	sh -c "grep -q '^# tasks: pid [0-9]*, its threads and the tasks they start$' '$e/pid.txt' &&
		grep -q '^# end: [0-9]* events, 0 lost, .*(--pid.s process exited)$' '$e/pid.txt'"
finish
