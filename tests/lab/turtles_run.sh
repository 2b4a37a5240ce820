#!/bin/sh
# The Turtles breakdown in the lab: nvmxd_run.sh's run and checks (nvmxd equals the truth, its
# vectoring outcomes included, the capture's replay and its own --record's), then:
#   1. exit multiplication: for every reflected reason, the workload's mult=K CPUIDs of L1 per
#      round trip, exactly: l1_exits[cpuid] == K * round_trips, in nvmxd's JSON, in the replay
#      of the tracefs capture and in the replay of nvmxd's --record;
#   2. nvmxd's live breakdown against the replay of its own --record: every count equal, every
#      part's ns within 5%;
#   3. nvmx report reads nvmxd's JSON and the capture and shows the reflected reasons.
#
# usage: turtles_run.sh NVMX NVMXD OUT LAB-RUN-ARGS... (with --workload ...,mult=K,...)
set -u
here=$(dirname "$0")
nvmx=$1 out=$3
"$here/nvmxd_run.sh" "$@" || exit 1
shift 3
k=$(printf '%s\n' "$*" | sed -n 's/.*mult=\([0-9][0-9]*\).*/\1/p')
[ -n "$k" ] || { echo "FAILED: no mult=K in the workload"; exit 1; }

. "$(cd "$(dirname "$0")" && pwd)/../tally.sh"
mult_exact() {
	python3 - "$1" "$k" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = int(sys.argv[2])
bd = d["breakdown"]
assert bd, "no round trips"
for b in bd:
    if b["reason"] in ("interrupt", "npf", "nmi", "vintr"):
        continue  # not the workload's
    n = b["round_trips"]
    l1 = sum(e["exits"] for e in b["l1_exits"] if e["reason"] == "cpuid")
    assert n > 0 and l1 == k * n, "%s: %d L1 cpuid exits in %d round trips, want %d each" % (
        b["reason"], l1, n, k)
    svc = sum(e["service_ns"] for e in b["l1_exits"]) + b["l1_exits_overflow"]["service_ns"]
    assert svc == b["l1_exit_service_ns"], "%s: L1 exits' service %d != l1_exit_service_ns %d" % (
        b["reason"], svc, b["l1_exit_service_ns"])
    parts = sum(b[p] for p in ("l0_exit_ns", "l0_reflect_ns", "l1_handler_ns",
                               "l1_exit_service_ns", "l0_entry_emulation_ns"))
    assert parts == b["round_trip_ns"], "%s: parts %d != round trips %d" % (
        b["reason"], parts, b["round_trip_ns"])
PY
}
check "nvmxd: L1 cpuid exits per round trip = $k, parts and L1 reasons' service add up" mult_exact "$out/exec/nvmxd.json"
check "replay of the capture: L1 cpuid exits per round trip = $k" mult_exact "$out/observed.json"
check "replay of nvmxd --record: L1 cpuid exits per round trip = $k" \
	mult_exact "$out/record-replay.json"
check "nvmxd's breakdown within 5% of its --record's replay, counts equal" python3 - \
	"$out/exec/nvmxd.json" "$out/record-replay.json" <<'PY'
import json, sys
live, rec = (json.load(open(p)) for p in sys.argv[1:3])
def index(d):
    out = {("rt", b["isa"], b["reason"]): b for b in d["breakdown"]}
    out.update({("l0", b["isa"], b["reason"], b["to_vmm"]): b for b in d["l0_handled"]})
    return out
a, b = index(live), index(rec)
assert a.keys() == b.keys(), (sorted(a), sorted(b))
def flat(x):
    # l1_exits: one field per L1 reason, so its exits and service_ns compare as the parts do
    out = {f: v for f, v in x.items() if f not in ("l1_exits", "l1_exits_overflow")}
    for e in x.get("l1_exits", []):
        out["l1_exits %s exits" % e["reason"]] = e["exits"]
        out["l1_exits %s service_ns" % e["reason"]] = e["service_ns"]
    if "l1_exits_overflow" in x:
        out["l1_exits_overflow exits"] = x["l1_exits_overflow"]["exits"]
        out["l1_exits_overflow service_ns"] = x["l1_exits_overflow"]["service_ns"]
    return out
for key in a:
    x, y = flat(a[key]), flat(b[key])
    assert x.keys() == y.keys(), (key, sorted(x), sorted(y))
    for f, v in x.items():
        if f.endswith("_ns"):
            assert abs(v - y[f]) <= 0.05 * max(v, y[f]), (key, f, v, y[f])
        elif f not in ("isa", "reason"):
            assert v == y[f], (key, f, v, y[f])
PY
check "nvmx report shows the reflected cpuid of nvmxd's JSON" \
	sh -c "'$nvmx' report '$out/exec/nvmxd.json' | grep -q '^svm  cpuid  *L1 '"
check "nvmx report --diff of the capture and nvmxd: the same round trips" \
	sh -c "'$nvmx' report --diff '$out/observed.json' '$out/exec/nvmxd.json' | grep -Eq '^svm  cpuid  *L1  *([0-9]+)  *\\1 '"
finish
