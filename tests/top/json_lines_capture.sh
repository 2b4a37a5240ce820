#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# nvmxtop --json on a capture: one JSON object per refresh, the last one's totals equal to the
# ground truth of tests/data/6.12-qemu64-intr-N1000 (ground-truth.txt): injects cpuid, hypercall,
# io 1000 each (reflected), interrupt 999 (synthesised: the VMM's MSI); kvm_nested_vmexit io 1999
# (so 999 handled by L0), msr 1000 and interrupt 46 (L0), npf 1; kvm_exit msr 2002, interrupt
# 125, io 2000, npf 2 (the rest are L1's own exits), clgi 1000, stgi 999, vmrun 3999 = nested
# entries. And the deltas of the refreshes add up to the totals.
#
# usage: json_lines_capture.sh NVMXTOP DATA_DIR
set -u
nvmxtop=$1 data=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$nvmxtop" --json -d 0.2 --replay "$data/6.12-qemu64-intr-N1000/trace.txt.xz" >"$out" || {
	echo "FAILED: nvmxtop exited $?"
	exit 1
}
lines=$(wc -l <"$out")
# the capture spans 3.048 s of trace time (9.014325 to 12.061934): 16 refreshes of 0.2 s
[ "$lines" = 16 ] || { echo "FAILED: $lines refreshes, expected 16"; exit 1; }
failed=0
expect() { # JQ-EXPRESSION-ON-THE-LAST-LINE EXPECTED
	got=$(tail -n 1 "$out" | jq -r "$1")
	if [ "$got" = "$2" ]; then
		echo "ok: $1 = $2"
	else
		echo "FAILED: $1 = $got, expected $2"
		failed=1
	fi
}
# count REASON OUTCOME EXPECTED: the total of one outcome of one exit reason, over every vCPU
count() {
	expect "[.vms[].vcpus[].reasons[] | select(.reason == \"$1\") | .counts.$2.total // 0] | add" "$3"
}
count cpuid l2_exit_reflected_to_l1 1000
count hypercall l2_exit_reflected_to_l1 1000
count io l2_exit_reflected_to_l1 1000
count io l2_exit_handled_by_l0 999
count io l1_exit 1
count msr l2_exit_handled_by_l0 1000
count msr l1_exit 1002
count interrupt synthesized_to_l1 999
count interrupt l2_exit_handled_by_l0 46
count interrupt l1_exit 79
count npf l2_exit_handled_by_l0 1
count clgi l1_exit 1000
count stgi l1_exit 999
count vmrun l1_exit 3999
expect ".all.nested_entry.total" 3999
expect ".all.l2_exit_reflected_to_l1.total" 3000
expect ".all.l2_exit_handled_by_l0.total" 2046
expect ".ended" true
expect ".lost_events" 0
sum=$(jq -s '[.[].all.l2_exit_reflected_to_l1.delta // 0] | add' "$out")
[ "$sum" = 3000 ] && echo "ok: the deltas add up to the total (3000)" ||
	{ echo "FAILED: the deltas of reflected exits add up to $sum, not 3000"; failed=1; }
[ "$failed" = 0 ]
