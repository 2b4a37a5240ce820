#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh NVMX OUT N: one arm64 lab boot (nvmx lab run --isa arm64, every element, N iterations):
# nvmx lab run must pass (the replay of L0's capture, the arm64 model's, equals the truth on every
# certain count), then check_capture.py checks what it wrote without the model.
set -u
nvmx=$1 out=$2 n=$3
here=$(dirname "$0")
err=$("$nvmx" lab run --isa arm64 --kernel 7.3 --workload hvc,sysreg,smc,mmio,wfi,sysreg-write,virq \
	--iterations "$n" --out "$out" 2>&1)
rc=$?
printf '%s\n' "$err"
if [ "$rc" != 0 ]; then
	echo "FAIL: nvmx lab run exited $rc" >&2
	exit 1
fi
exec python3 "$here/check_capture.py" "$out" "$n"
