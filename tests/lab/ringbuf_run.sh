#!/bin/sh
# `nvmxd --record`'s ring-buffer drops are reported exactly (issue 16). In the lab's L0, nvmxd
# with the smallest ring buffer (--ringbuf-mib 1) is stopped from its ready until the workload
# has ended (tests/lab/ringbuf_l0.sh), so the workload's events overflow the ring. Checks:
#   1. nvmxd dropped records: its JSON's nvmxd.ringbuf_drops is above 0;
#   2. its final table says so ("N ring-buffer drops");
#   3. its record says so: the LOST lines of record.txt add up to the drops, and the replay of
#      the record reports them as lost events;
#   4. exactly: the events the tracefs capture has and the record lacks are the drops;
#   5. drops cost the record only: nvmxd's counts equal the truth (nvmx compare, exit 0).
#
# usage: ringbuf_run.sh NVMX NVMXD OUT LAB-RUN-ARGS...
set -u
nvmx=$1 nvmxd=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
"$nvmx" lab run "$@" --ship "$nvmxd" --exec "$here/ringbuf_l0.sh $nvmxd" --out "$out" ||
	{ echo "FAILED: nvmx lab run exited $?"; exit 1; }

. "$here/../tally.sh"
e=$out/exec
drops=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["nvmxd"]["ringbuf_drops"])' \
	"$e/nvmxd.json") || drops=""
echo "nvmxd's ring-buffer drops: ${drops:-unreadable}"
check "nvmxd exited 0" test "$(cat "$e/nvmxd.rc" 2>/dev/null)" = 0
check "the 1 MiB ring buffer overflowed: nvmxd.ringbuf_drops above 0" test "${drops:-0}" -gt 0
check "nvmxd's final table says $drops ring-buffer drops" \
	grep -q "^nvmxd: final, .* $drops ring-buffer drops$" "$e/stdout"
lost_lines=$(python3 -c '
import re, sys
print(sum(int(m.group(1)) for m in map(re.compile(r"LOST (\d+) EVENTS").search, open(sys.argv[1])) if m))
' "$e/record.txt") || lost_lines=""
check "the record's LOST lines add up to the drops ($lost_lines)" test "$lost_lines" = "$drops"
"$nvmx" replay "$e/record.txt" --json >"$out/record-replay.json" 2>"$out/record-replay.err"
replay_lost=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["lost_events"])' \
	"$out/record-replay.json") || replay_lost=""
check "the replay of the record reports them as lost events ($replay_lost)" \
	test "$replay_lost" = "$drops"
# the capture's events of the types nvmxd's programs are on, with the nvmx_guest_rcx event nvmxd
# makes of each L2 MSR exit (record_missing.py)
missing=$(python3 "$here/record_missing.py" "$out/trace.txt.xz" "$e/record.txt" "$e/nvmxd.json") ||
	missing=""
echo "events of the capture missing from nvmxd's record: ${missing:-unreadable}"
check "the capture's events missing from the record ($missing) are the drops ($drops)" \
	test -n "$missing" -a "$missing" = "$drops"
check "nvmxd's counts equal the truth: drops cost the record only" \
	"$nvmx" compare "$out/truth.json" "$e/nvmxd.json"
finish
