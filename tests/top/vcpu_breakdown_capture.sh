#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# nvmxtop --replay shows the Turtles breakdown per vCPU thread and reason (issue 17 item 5): on the
# real two-vCPU lab capture (tests/data/svm-6.12-lab-two-vcpus-n100, N = 100 per vCPU), each
# vCPU's reflected cpuid, io, msr and hypercall have 100 complete round trips each, the parts add
# up to the round trips' time, the two vCPUs add up to the VM, and the batch text shows RT us on
# the vCPU rows (nvmxd and --standalone keep the breakdown per VM: '-' there).
#
# usage: vcpu_breakdown_capture.sh NVMXTOP DATA_DIR
set -u
nvmxtop=$1 cap=$2/svm-6.12-lab-two-vcpus-n100/trace.txt.xz
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$nvmxtop" --json -b -d 10 --replay "$cap" >"$out" || {
	echo "vcpu_breakdown: nvmxtop --json exited $?" >&2
	exit 1
}
tail -n 1 "$out" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert len(d["vms"]) == 1, d["vms"]
vm = d["vms"][0]
assert len(vm["vcpus"]) == 2, [c["tid"] for c in vm["vcpus"]]
total = 0
for c in vm["vcpus"]:
    rts = {r["reason"]: r["counts"].get("round_trip") for r in c["reasons"]}
    for reason in ("cpuid", "io", "msr", "hypercall"):
        rt = rts[reason]
        assert rt and rt["total"] == 100, (c["tid"], reason, rt)
        parts = rt["parts_sum_ns"]
        assert parts["round_trip_ns"] == rt["sum_ns"] > 0, (c["tid"], reason, rt)
        assert sum(v for k, v in parts.items() if k != "round_trip_ns") == rt["sum_ns"], parts
    total += c["counts"]["round_trip"]["total"]
assert total == vm["counts"]["round_trip"]["total"] == 800, (total, vm["counts"]["round_trip"])
print("vcpu_breakdown: ok, 100 round trips per reflected reason on each vCPU")
' || exit 1
# the text: a vCPU row has an RT us value, not "-"
"$nvmxtop" -b -d 10 --replay "$cap" | awk '
/^  thread [0-9]+ / { rows++; if ($8 == "-" || $8 + 0 <= 0) bad++ }
END { if (rows != 2 || bad) { print "vcpu_breakdown: vCPU rows " rows ", without RT us " bad; exit 1 } }
' >&2
