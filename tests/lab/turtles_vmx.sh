#!/bin/sh
# The Turtles breakdown of nested VMX with and without shadow VMCS, in one Bochs boot of two
# configurations of the same workload (cpuid,vectoring,mult=K):
#   - nvmx lab exits 0: each configuration's observed.json equals its truth (vectoring included);
#   - every reflected reason's round trips have exactly K L1 CPUID exits each;
#   - shadow VMCS on: no VMREAD exit inside any round trip;
#   - shadow VMCS off: every round trip has exactly the VMREADs L1's handler makes (truth: VMREAD
#     L1 exits / exits L1 handled, VMLAUNCH + VMRESUME) and the same number of VMWRITEs, more than 0;
#   - the multiplication costs time: the mean round trip with shadowing off is over 1.2 times
#     the one with it on (the same emulated clock, one boot).
#
# usage: turtles_vmx.sh NVMX OUT K LAB-RUN-ARGS...
set -u
nvmx=$1 out=$2 k=$3
shift 3
spec="cpuid,vectoring,mult=$k"
rm -rf "$out"
"$nvmx" lab run --isa vmx --out "$out" "$@" --config "$spec;kvm_intel.enable_shadow_vmcs=1" \
	--config "$spec;kvm_intel.enable_shadow_vmcs=0" ||
	{ echo "FAILED: nvmx lab run exited $?"; exit 1; }
python3 - "$out" "$k" <<'PY'
import json, sys
out, k = sys.argv[1], int(sys.argv[2])
def load(c, f):
    return json.load(open("%s/config-%d/%s" % (out, c, f)))
def l1(d, reason):
    return sum(e["count"] for e in d["l1_exits"] if e["reason"] == reason)
means = {}
for c, shadow in ((1, True), (2, False)):
    obs, truth = load(c, "observed.json"), load(c, "truth.json")
    handled = l1(truth, "VMLAUNCH") + l1(truth, "VMRESUME")
    reads = l1(truth, "VMREAD")
    assert reads % handled == 0, (reads, handled)
    per_read = reads // handled
    rts = [b for b in obs["breakdown"] if b["reason"] in ("CPUID", "EXCEPTION_NMI")]
    assert len(rts) == 2, obs["breakdown"]
    writes = set()
    for b in rts:
        n, x = b["round_trips"], {e["reason"]: e["exits"] for e in b["l1_exits"]}
        assert n > 0 and x.get("CPUID", 0) == k * n, (c, b["reason"], n, x)
        if shadow:
            assert x.get("VMREAD", 0) == 0, (c, b["reason"], x)
        else:
            assert per_read > 0 and x.get("VMREAD", 0) == per_read * n, (c, b["reason"], x)
            assert x.get("VMWRITE", 0) % n == 0 and x["VMWRITE"] > 0, (c, b["reason"], x)
            writes.add(x["VMWRITE"] // n)
        print("ok: config-%d %s: %d round trips, L1 exits %s" % (c, b["reason"], n, x))
    assert len(writes) <= 1, writes
    means[shadow] = sum(b["round_trip_ns"] for b in rts) / sum(b["round_trips"] for b in rts)
print("ok: mean round trip %.0f ns with shadow VMCS, %.0f ns without" % (means[True], means[False]))
assert means[False] > 1.2 * means[True], means
print("PASS")
PY
