#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# nvmxtop -b on a capture: the 6.1 SVM capture (tests/data/6.1-qemu64-N1000) stepped through in
# 0.5 s intervals of trace time, checked line for line.
#
# Where the expected numbers come from (not from nvmxtop):
# - the final totals are the capture's ground truth (tests/data/6.1-qemu64-N1000/ground-truth.txt):
#   inject cpuid/hypercall/io 1000 each (reflected to L1); kvm_nested_vmexit msr 1000, interrupt
#   30, npf 5 (handled by L0); kvm_exit interrupt 50 = 30 L2 + 20 L1, npf 11 = 5 + 6, io 1001 and
#   msr 1001 = 1000 + 1 L1 exit each (the io one is the run's last exit, which went out to the
#   VMM: an L1 exit at the end of the capture), vmrun 3000 L1 exits = 3000 nested entries.
# - the per-interval counts and mean costs were computed by a separate awk walk over the trace
#   (exit → inject of the same reason: reflected, shown as its round trip below; exit → kvm_entry after
#   kvm_nested_vmexit: handled by L0, cost = entry - exit; windows of 0.5 s from the first event
#   by the deciding event's time), e.g. window 0: cpuid 439 at 45.8 us, msr 438 at 68.8 us,
#   interrupt 11 at 132.8 us, npf 5 at 299.4 us; window 1: 449/450 more; L1 exits in window 0:
#   interrupt 11, msr 1, npf 6, vmrun 1315.
# - round trips (the Turtles breakdown: a reflected exit's kvm_exit until the kvm_entry after
#   L1's VMRUN exit and kvm_nested_vmenter), by the same awk walk: window 0 cpuid 438 at 246.0
#   us, hypercall 438 at 244.0, io 438 at 250.2 (all 1314 at 246.7), with 11 L1 exits inside
#   their handlers (0.01 a trip); window 1 cpuid 450 at 253.5 (cumulative (438 * 246.0 + 450 *
#   253.5) / 888 = 249.8); window 2 cpuid 112 at 223.3. Complete round trips, cumulative:
#   1314, 1314 + 1349 = 2663, 2663 + 336 = 2999 (the header's "round trips").
# - rows: by total L2 exits, then by name; rates: the interval's L2 exits / 0.5 s (1769 / 0.5 = 3538); means are cumulative (total
#   layout): msr at refresh 2 = (438 * 68.8 + 450 * 72.9) / 888 = 70.8.
#
# usage: batch_text_capture.sh NVMXTOP DATA_DIR
set -u
nvmxtop=$1 data=$2
out=$(mktemp) exp=$(mktemp)
trap 'rm -f "$out" "$exp"' EXIT
cat >"$exp" <<'END'
nvmxtop  refresh 1  at 0.500 s  interval 0.500 s  replay of 6.1-qemu64-N1000/trace.txt.xz
L2 exits 3538/s (total 1769)  to L1 74.3%  round trip 246.7 us  mult 0.01
VMs 1  vCPUs 1  nested entries 1315  round trips 1314  unattributed 0  lost 0 (+0)  nvmx overhead -
VM / vCPU / reason              L2->L0    L2->L1   L1%      L2/s   L0 us   RT us   mult  L1 own   synth
trace.txt.xz                       454      1315  74.3      3538    72.9   246.7   0.01    1333       0
  thread 142                       454      1315  74.3      3538    72.9   246.7   0.01    1333       0
    svm cpuid                        0       439 100.0     878.0       -   246.0   0.01       0       0
    svm hypercall                    0       438 100.0     876.0       -   244.0   0.01       0       0
    svm io                           0       438 100.0     876.0       -   250.2   0.01       0       0
    svm msr                        438         0   0.0     876.0    68.8       -      -       1       0
    svm interrupt                   11         0   0.0      22.0   132.8       -      -      11       0
    svm npf                          5         0   0.0      10.0   299.4       -      -       6       0
    svm vmrun                        0         0     -       0.0       -       -      -    1315       0

nvmxtop  refresh 2  at 1.000 s  interval 0.500 s  replay of 6.1-qemu64-N1000/trace.txt.xz
L2 exits 3628/s (total 3583)  to L1 74.4%  round trip 251.4 us  mult 0.01
VMs 1  vCPUs 1  nested entries 2665  round trips 2663  unattributed 0  lost 0 (+0)  nvmx overhead -
VM / vCPU / reason              L2->L0    L2->L1   L1%      L2/s   L0 us   RT us   mult  L1 own   synth
trace.txt.xz                       919      2664  74.4      3628    72.3   251.4   0.01    2692       0
  thread 142                       919      2664  74.4      3628    72.3   251.4   0.01    2692       0
    svm cpuid                        0       888 100.0     898.0       -   249.8   0.01       0       0
    svm hypercall                    0       888 100.0     900.0       -   248.4   0.01       0       0
    svm io                           0       888 100.0     900.0       -   255.9   0.01       0       0
    svm msr                        888         0   0.0     900.0    70.8       -      -       1       0
    svm interrupt                   26         0   0.0      30.0    79.2       -      -      20       0
    svm npf                          5         0   0.0       0.0   299.4       -      -       6       0
    svm vmrun                        0         0     -       0.0       -       -      -    2665       0

nvmxtop  END  refresh 3  at 1.500 s  interval 0.500 s  replay of 6.1-qemu64-N1000/trace.txt.xz
L2 exits 904.0/s (total 4035)  to L1 74.3%  round trip 249.5 us  mult 0.01
VMs 1  vCPUs 1  nested entries 3000  round trips 2999  unattributed 0  lost 0 (+0)  nvmx overhead -
VM / vCPU / reason              L2->L0    L2->L1   L1%      L2/s   L0 us   RT us   mult  L1 own   synth
trace.txt.xz                      1035      3000  74.3     904.0    71.5   249.5   0.01    3028       0
  thread 142                      1035      3000  74.3     904.0    71.5   249.5   0.01    3028       0
    svm cpuid                        0      1000 100.0     224.0       -   246.9   0.01       0       0
    svm hypercall                    0      1000 100.0     224.0       -   247.0   0.01       0       0
    svm io                           0      1000 100.0     224.0       -   254.5   0.01       1       0
    svm msr                       1000         0   0.0     224.0    70.2       -      -       1       0
    svm interrupt                   30         0   0.0       8.0    73.8       -      -      20       0
    svm npf                          5         0   0.0       0.0   299.4       -      -       6       0
    svm vmrun                        0         0     -       0.0       -       -      -    3000       0

END
# relative path: the header names the capture as given
(cd "$data" && "$nvmxtop" -b -d 0.5 --replay 6.1-qemu64-N1000/trace.txt.xz) >"$out" || {
	echo "FAILED: nvmxtop exited $?"
	exit 1
}
if ! diff -u "$exp" "$out"; then
	echo "FAILED: nvmxtop -b differs from the capture's ground truth (- expected, + shown)"
	exit 1
fi
echo "ok: nvmxtop -b on the 6.1 capture equals its ground truth, interval by interval"
