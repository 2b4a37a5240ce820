#!/bin/sh
# A lab run with nvmxd live in L0, then three checks on what it reported:
#   1. nvmxd's counts equal the workload's truth (every certain count),
#   2. nvmxd's counts equal the replay of the tracefs capture of the same run (every count),
#   3. the replay of nvmxd's own --record equals nvmxd's live counts (every count), and its
#      L1 exits by L1 reason in the round trips with their service time, to the nanosecond.
# `nvmx lab run` itself checks the replay against the truth (its exit status).
#
# With NVMXD_RUN_WRAPPER=SCRIPT in the environment, L0 runs `SCRIPT NVMXD ARGS...` instead of
# `NVMXD ARGS...` (nvmxd is then shipped): a script that runs nvmxd writing the same files and
# more, e.g. tests/consistency/l0_scrape.sh, whose /metrics scrapes the consistency test of a
# real-L1 run reads from this run's output (tests/lab-l1/CMakeLists.txt).
#
# usage: nvmxd_run.sh NVMX NVMXD OUT LAB-RUN-ARGS...
set -u
nvmx=$1 nvmxd=$2 out=$3
shift 3
wrap=
[ -n "${NVMXD_RUN_WRAPPER:-}" ] && { wrap="$NVMXD_RUN_WRAPPER "; set -- "$@" --ship "$nvmxd"; }
rm -rf "$out"
"$nvmx" lab run "$@" \
	--exec "$wrap$nvmxd --interval 60 --json \$NVMX_LAB_OUT/nvmxd.json --record \$NVMX_LAB_OUT/record.txt --ready \$NVMX_LAB_OUT/ready" \
	--out "$out" || { echo "FAILED: nvmx lab run exited $?"; exit 1; }

. "$(cd "$(dirname "$0")" && pwd)/../tally.sh"
check "nvmxd equals the workload's truth (certain counts)" \
	"$nvmx" compare "$out/truth.json" "$out/exec/nvmxd.json"
check "nvmxd equals the replay of the tracefs capture (every count)" \
	"$nvmx" compare --all "$out/observed.json" "$out/exec/nvmxd.json"
check "the replay of nvmxd --record is complete (no lost events)" \
	sh -c "! grep -q 'LOST' '$out/exec/record.txt'"
"$nvmx" replay "$out/exec/record.txt" --json >"$out/record-replay.json"
check "the replay of nvmxd --record equals nvmxd live (every count)" \
	"$nvmx" compare --all "$out/record-replay.json" "$out/exec/nvmxd.json"
# the same events with the same timestamps: L0's service time of L1's exits in the round trips,
# per reflected reason and L1 exit reason, is equal to the nanosecond
check "the replay of nvmxd --record: L1 exits by L1 reason and their service_ns equal nvmxd's" \
	python3 -c 'import json, sys
def l1(p):
    return {(b["isa"], b["reason"], e["reason"]): (e["exits"], e["service_ns"])
            for b in json.load(open(p))["breakdown"]
            for e in b["l1_exits"] + [dict(b["l1_exits_overflow"], reason="(overflow)")]}
a, b = l1(sys.argv[1]), l1(sys.argv[2])
sys.exit(0 if a == b else "%s != %s" % (a, b))' "$out/exec/nvmxd.json" "$out/record-replay.json"
finish
