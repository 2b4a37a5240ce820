#!/bin/sh
# Events lost on a preemptible kernel are reported where users look (issue 16). In the lab's L0
# (one CPU, a fully preemptible kernel), nvmxd runs with classic tracepoint programs only, under
# nvmx-lab-mapstorm (BPF map syscalls in a loop, tests/lab/mapstorm.c): each time the storm is
# preempted inside a map syscall, the kernel skips the classic programs of the vCPU thread's
# events. Checks:
#   1. the lab's replay of the tracefs capture equals the truth (tracefs loses nothing);
#   2. nvmxd lost events: its JSON's lost_events is above 0 and is the sum of its programs'
#      recursion misses, its map update failures and its nested-state calls missed (its classic
#      sys_enter/exit_ioctl programs' skipped runs: the vCPU's KVM_RUN ioctls run them), in
#      nvmxd's section and in the summary;
#   3. nvmxd's final table says so in one line ("nvmxd: LOST N events");
#   4. nvmx compare fails on it against the truth, naming the file and the number;
#   5. exactly: the events the capture has and nvmxd's record lacks are nvmxd's lost KVM events
#      (its lost events less the nested-state calls missed, which are ioctls, not in the capture).
#
# usage: loss_run.sh NVMX NVMXD MAPSTORM OUT LAB-RUN-ARGS...
set -u
nvmx=$1 nvmxd=$2 storm=$3 out=$4
shift 4
rm -rf "$out"
"$nvmx" lab run "$@" --ship "$nvmxd" \
	--exec "$storm --after \$NVMX_LAB_OUT/ready --grown \$NVMX_LAB_OUT/record.txt $nvmxd --classic-only --interval 60 --json \$NVMX_LAB_OUT/nvmxd.json --record \$NVMX_LAB_OUT/record.txt --ready \$NVMX_LAB_OUT/ready" \
	--out "$out" || { echo "FAILED: nvmx lab run exited $?"; exit 1; }

. "$(cd "$(dirname "$0")" && pwd)/../tally.sh"
lost=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
n = j["nvmxd"]
misses = sum(p.get("recursion_misses", 0) for p in n["programs"] if p.get("attached"))
tp_btf = [p["program"] for p in n["programs"] if p.get("attached") and "btf" in p["program"]]
assert not tp_btf, "tp_btf programs attached with --classic-only: %s" % tp_btf
assert n["skipped_events"] == misses, (n["skipped_events"], misses)
ns = n["nested_state_skipped"] + n["nested_state_update_failures"]
assert n["nested_state_programs"] == "classic", n["nested_state_programs"]
assert n["lost_events"] == misses + n["map_update_failures"] + ns, n
assert j["lost_events"] == n["lost_events"], (j["lost_events"], n["lost_events"])
print(n["lost_events"], n["lost_events"] - ns)
' "$out/exec/nvmxd.json") || lost=""
lost_kvm=${lost#* }
lost=${lost% *}
echo "nvmxd lost events: ${lost:-unreadable}"
check "nvmxd's lost events are its programs' recursion misses plus its map update failures plus its nested-state calls missed" \
	test -n "$lost"
check "the storm made nvmxd lose events" test "${lost:-0}" -gt 0
check "nvmxd's final table says it lost $lost events" \
	grep -q "^nvmxd: LOST $lost events" "$out/exec/stdout"
"$nvmx" compare "$out/truth.json" "$out/exec/nvmxd.json" >"$out/compare.txt"
rc=$?
check "nvmx compare fails (exit 1) on nvmxd's lost events" test "$rc" = 1
check "nvmx compare names the file and the number" \
	grep -q "nvmxd.json: $lost events lost: its counts are short" "$out/compare.txt"
# The record is the capture's events minus those skipped (record_missing.py aligns them).
missing=$(python3 "$(dirname "$0")/record_missing.py" "$out/trace.txt.xz" "$out/exec/record.txt") ||
	missing=""
echo "events of the capture missing from nvmxd's record: ${missing:-unreadable}"
check "the capture's events missing from nvmxd's record ($missing) are nvmxd's lost KVM events ($lost_kvm)" \
	test -n "$missing" -a "$missing" = "$lost_kvm"
finish
