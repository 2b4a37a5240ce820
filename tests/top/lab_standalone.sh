#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvmxtop --standalone in the nested lab's L0 (ctest -L lab): it loads nvmx's BPF programs
# itself and writes JSON lines (--json) until the lab stops it with SIGINT after the workload;
# its last line must equal the workload's truth: the L2 exits reflected to L1 (certain ones by
# reason, summed over the vCPU rows), the nested entries, and the Turtles breakdown with mult=K
# (L1 runs K CPUIDs in each reflected exit's handler): round trips = the reflected exits L1
# resumed from (all but each vCPU's final VMMCALL), L1 exits in them K per trip (+0.1 at most:
# L0's own interrupt exits of L1 are not the workload's), and the parts add up to the trips;
# the vCPU rows and their reason rows carry the breakdown too, adding up to the whole.
#
# usage: lab_standalone.sh NVMX NVMXTOP OUT KERNEL
set -u
nvmx=$1 nvmxtop=$2 out=$3 kernel=$4
mult=3
workload=cpuid,vmmcall,io-out-l1,io-in-l0,mult=$mult

rm -rf "$out"
mkdir -p "$out"
"$nvmx" lab run --kernel "$kernel" --workload "$workload" --iterations 150 --out "$out/lab" \
	--exec "$nvmxtop --standalone --json -d 0.5 --ready \$NVMX_LAB_OUT/ready" \
	>"$out/lab.log" 2>&1
status=$?
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
[ "$status" = 0 ] && ok "nvmx lab run passed (its own replay equals the truth)" ||
	bad "nvmx lab run exited $status (see $out/lab.log)"
lines=$out/lab/exec/stdout truth=$out/lab/truth.json
[ -s "$lines" ] && [ -s "$truth" ] || {
	bad "no nvmxtop output or no truth.json ($(tail -3 "$out/lab/exec/stderr" 2>/dev/null))"
	echo "$passed passed, $failed failed"
	exit 1
}
tail -n 1 "$lines" >"$out/last.json"
if python3 - "$out/last.json" "$truth" "$mult" <<'EOT'; then
import json, sys

last, truth, k = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
diffs = 0
def say(good, what):
    global diffs
    print(f"    {'ok' if good else 'DIFF'}: {what}")
    diffs += not good

shown = {}
for vm in last["vms"]:
    for vc in vm["vcpus"]:
        for r in vc["reasons"]:
            c = r["counts"].get("l2_exit_reflected_to_l1", {}).get("total", 0)
            shown[r["reason"]] = shown.get(r["reason"], 0) + c
for e in truth["l2_exits"]:
    if e["certain"] and e["handled_by"] == "L1":
        say(shown.get(e["reason"]) == e["count"],
            f"{e['reason']} reflected to L1: nvmxtop {shown.get(e['reason'])}, truth {e['count']}")
a = last["all"]
ne = a.get("nested_entry", {}).get("total")
say(ne == truth["nested_entries"], f"nested entries: nvmxtop {ne}, truth {truth['nested_entries']}")
vcpus = sum(e["count"] for e in truth["l1_exits"] if e["reason"] == "io")
want = sum(e["count"] for e in truth["l2_exits"] if e["certain"] and e["handled_by"] == "L1") - vcpus
rt = a.get("round_trip", {})
say(rt.get("total") == want, f"round trips: nvmxtop {rt.get('total')}, truth {want}")
l1 = rt.get("l1_exits", 0)
say(k * want <= l1 <= (k + 0.1) * want, f"L1 exits in the round trips: {l1}, want {k} x {want} (+10% at most)")
p = rt.get("parts_sum_ns", {})
parts = sum(v for n, v in p.items() if n != "round_trip_ns")
say(parts > 0 and parts == p.get("round_trip_ns") == rt.get("sum_ns"),
    f"parts add up: {parts} ns, round trips {p.get('round_trip_ns')} ns, sum {rt.get('sum_ns')}")
vm_rt = sum(vm["counts"].get("round_trip", {}).get("total", 0) for vm in last["vms"])
say(vm_rt == rt.get("total"), f"the VM rows carry the round trips: {vm_rt}")
# the breakdown is per vCPU thread live too (the maps' keys carry the tid): the vCPU rows and
# their reason rows carry the round trips and their L1 exits, and add up to the whole
vc_rt = [vc["counts"].get("round_trip", {}) for vm in last["vms"] for vc in vm["vcpus"]]
say(vc_rt and all(c.get("total", 0) > 0 for c in vc_rt) and
    sum(c.get("total", 0) for c in vc_rt) == rt.get("total") and
    sum(c.get("l1_exits", 0) for c in vc_rt) == l1,
    f"the vCPU rows carry the round trips: {[c.get('total') for c in vc_rt]}, "
    f"L1 exits {[c.get('l1_exits') for c in vc_rt]}")
r_rt = sum(r["counts"].get("round_trip", {}).get("total", 0)
           for vm in last["vms"] for vc in vm["vcpus"] for r in vc["reasons"])
say(r_rt == rt.get("total"), f"the vCPUs' reason rows carry the round trips: {r_rt}")
sys.exit(1 if diffs else 0)
EOT
	ok "nvmxtop --standalone's last refresh equals the truth (exits, entries, round trips x$mult)"
else
	bad "nvmxtop --standalone's last refresh differs from the truth ($lines)"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
