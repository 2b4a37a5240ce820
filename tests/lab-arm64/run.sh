#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh NVMX OUT N: one arm64 lab boot (nvmx lab run --isa arm64, every element, N iterations),
# then check_capture.py on what it wrote. Until the arm64 replay exists, nvmx lab run must end
# with exit 2 saying that comparing is not supported yet; exit 0 (the compare passed) is
# accepted too, any other outcome fails.
set -u
nvmx=$1 out=$2 n=$3
here=$(dirname "$0")
err=$("$nvmx" lab run --isa arm64 --kernel 7.3 --workload hvc,sysreg,smc,mmio,wfi,sysreg-write,virq \
	--iterations "$n" --out "$out" 2>&1)
rc=$?
printf '%s\n' "$err"
case $rc in
0) ;;
2)
	[[ "$err" == *"comparing with the truth is not supported yet with --isa arm64"* ]] || {
		echo "FAIL: nvmx lab run exited 2 for another reason" >&2
		exit 1
	}
	;;
*)
	echo "FAIL: nvmx lab run exited $rc" >&2
	exit 1
	;;
esac
exec python3 "$here/check_capture.py" "$out" "$n"
