#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `nvmx lab run --l1 kvm --l2 linux` (L2 = a Debian kernel under QEMU in L1, booting to
# power-off) with nvmxd live in L0, then what it reported against counts nvmx had no part in:
#   1. the replay of L0's trace, per reason: L2 exits and reflected + synthesized exits equal
#      L0's own tracefs hist counts of kvm_nested_vmexit / kvm_nested_vmexit_inject
#      (hist_check.py), nothing unattributed, no exit open at the capture's start;
#   2. nvmxd live, the same against the hist counts;
#   3. nvmxd equals the replay of the same run (every count);
#   4. the replay of nvmxd's --record is complete and equals nvmxd (every count).
# Nothing about L2 Linux's exits is certain: there is no truth.json to compare with.
#
# usage: l2_linux_run.sh NVMX NVMXD OUT LAB-RUN-ARGS...
set -u
nvmx=$1 nvmxd=$2 out=$3
shift 3
here=$(dirname "$0")
rm -rf "$out"
start=$(date +%s)
"$nvmx" lab run --l1 kvm --l2 linux "$@" \
	--exec "$nvmxd --interval 60 --json \$NVMX_LAB_OUT/nvmxd.json --record \$NVMX_LAB_OUT/record.txt --ready \$NVMX_LAB_OUT/ready" \
	--out "$out" || { echo "FAILED: nvmx lab run exited $?"; exit 1; }
echo "nvmx lab run: $(($(date +%s) - start)) s"

. "$(cd "$(dirname "$0")" && pwd)/../tally.sh"
check "the replay of L0's trace equals L0's hist counts per reason; capture edges" \
	python3 "$here/hist_check.py" "$out" --trace "$out/trace.txt.xz" "$out/observed.json"
check "nvmxd equals L0's hist counts per reason" \
	python3 "$here/hist_check.py" "$out" "$out/exec/nvmxd.json"
check "nvmxd equals the replay of the tracefs capture (every count)" \
	"$nvmx" compare --all "$out/observed.json" "$out/exec/nvmxd.json"
check_record "$nvmx" "$out"
echo "the test took $(($(date +%s) - start)) s"
finish
