#!/bin/sh
# `nvmx bench run --l1 kvm` end to end (ctest -L bench): one boot of the lab with Linux KVM as L1
# and the runner as L2, nvmxd live in L0. The result records the L1 and compares clean with itself;
# its per-L1-reason metrics are there: the round trips of the reflected CPUID equal the runner's
# truth (every reflected CPUID completes one) and the L2 exits' exact count, an L1 exit reason
# inside them has a nonzero count, and the parts per L1 reason add up to the exit multiplication.
# A minimal-L1 result is refused in one line.
#
# usage: kvm_test.sh NVMX OUTDIR MINIMAL_RESULT.json [BENCH RUN OPTIONS...]
set -u
nvmx=$1 out=$2 minimal=$3
shift 3
rm -rf "$out"
mkdir -p "$out"
. "$(cd "$(dirname "$0")" && pwd)/../tally.sh"
tmp=$out
. "$(cd "$(dirname "$0")" && pwd)/expect.sh"

if ! "$nvmx" bench run --l1 kvm -r 1 -w cpuid,io-out -n 100 --lab-out "$out/lab" \
	-o "$out/kvm.json" "$@" 2>"$out/run.log"; then
	bad "nvmx bench run --l1 kvm (exit $?; its log: $out/run.log):"
	tail -5 "$out/run.log" | sed 's/^/    /'
	finish
fi
ok "nvmx bench run --l1 kvm wrote a result"
check "the result's workload records the L1: kvm" grep -q '"l1": "kvm"' "$out/kvm.json"
check "the result's env names Linux KVM as L1" \
	grep -q '"l1": "Linux KVM (L0.s kernel) under QEMU in L0"' "$out/kvm.json"
expect 0 '^no regression' "the result against itself compares clean" "$out/kvm.json" \
	"$out/kvm.json"
expect 2 '^nvmx bench compare: cannot compare: different L1s: BASE ran the minimal L1, NEW the kvm L1' \
	"a minimal-L1 result against a kvm one: cannot compare" "$minimal" "$out/kvm.json"
check "different L1s: one line" [ "$(wc -l <"$out/out")" = 1 ]

# the per-L1-reason metrics against the runner's truth (L2's CPUID exits handled by L1)
python3 - "$out/kvm.json" "$out/lab/repeat-1/truth.json" >"$out/check" 2>&1 <<'EOF'
import json, sys

res = json.load(open(sys.argv[1]))["metrics"]
truth = json.load(open(sys.argv[2]))
want = sum(e["count"] for e in truth["l2_exits"]
           if e["reason"] == "cpuid" and e.get("handled_by") == "L1")
val = lambda name: res[name]["values"][0]
bad = []
if want != 100:
    bad.append(f"truth: {want} reflected CPUIDs, not the 100 run")
if val("count.l2_exits.svm.cpuid.L1") != want or res["count.l2_exits.svm.cpuid.L1"]["kind"] != "exact":
    bad.append(f"count.l2_exits.svm.cpuid.L1 {res['count.l2_exits.svm.cpuid.L1']} != truth {want}")
if val("count.rt.svm.cpuid.round_trips") != want:
    bad.append(f"count.rt.svm.cpuid.round_trips {val('count.rt.svm.cpuid.round_trips')} != truth {want}")
l1 = {k[len("count.rt_l1.svm.cpuid."):]: val(k) for k in res if k.startswith("count.rt_l1.svm.cpuid.")}
if not l1 or not any(l1.values()):
    bad.append(f"no L1 exit reason with exits in the CPUID round trips: {l1}")
parts = sum(val(f"ratio.mult.svm.cpuid.l1.{r}") for r in l1)
if abs(parts - val("ratio.mult.svm.cpuid")) > 1e-9:
    bad.append(f"per L1 reason {parts} != ratio.mult.svm.cpuid {val('ratio.mult.svm.cpuid')}")
for r, n in l1.items():
    if n and not val(f"time.rt.svm.cpuid.l1.{r}.service_ns") > 0:
        bad.append(f"L1 reason {r}: {n} exits and no service time")
    if abs(val(f"ratio.mult.svm.cpuid.l1.{r}") - n / want) > 1e-9:
        bad.append(f"L1 reason {r}: per round trip {val(f'ratio.mult.svm.cpuid.l1.{r}')} != {n}/{want}")
print("\n".join(bad) if bad else f"cpuid: {want} round trips = truth; L1 reasons {l1}")
sys.exit(1 if bad else 0)
EOF
if [ $? = 0 ]; then
	ok "per-L1-reason metrics: $(cat "$out/check")"
else
	bad "per-L1-reason metrics:"
	sed 's/^/    /' "$out/check"
fi
finish
