#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# nvmx bitmap on a lab run with nvmxd live in L0 (#9): nvmxd_run.sh's checks first (nvmxd's
# counts, per MSR and port by handler included, equal the workload's truth), then
# check_bitmap.py: `nvmx bitmap` of nvmxd's JSON has exactly the truth's MSR/port rows, each with
# the mechanism the workload's design and KVM's rules give, the top offender's advice naming it;
# and the replay of nvmxd --record (which carries L2's RCX) gives the same rows.
#
# usage: bitmap_run.sh NVMX NVMXD OUT KERNEL LAB-RUN-ARGS...   (KERNEL: 6.1 or 6.12)
set -u
nvmx=$1 nvmxd=$2 out=$3 kernel=$4
shift 4
here=$(dirname "$0")
"$here/nvmxd_run.sh" "$nvmx" "$nvmxd" "$out" --kernel "$kernel" "$@" || exit 1

status=0
"$nvmx" bitmap "$out/exec/nvmxd.json" --kernel "$kernel" --top 0 --json >"$out/bitmap.json" ||
	{ echo "FAILED: nvmx bitmap of nvmxd.json exited $?"; exit 1; }
"$nvmx" bitmap "$out/exec/record.txt" --kernel "$kernel" --top 0 --json >"$out/bitmap-record.json" ||
	{ echo "FAILED: nvmx bitmap of record.txt exited $?"; exit 1; }
"$nvmx" bitmap "$out/exec/nvmxd.json" --kernel "$kernel" >"$out/bitmap.txt" ||
	{ echo "FAILED: nvmx bitmap (text) exited $?"; exit 1; }
cat "$out/bitmap.txt"
python3 "$here/check_bitmap.py" "$out/truth.json" "$out/bitmap.json" "$out/bitmap-record.json" ||
	status=1
[ "$status" = 0 ] && echo "ok: nvmx bitmap equals the truth, mechanisms and advice as designed"
exit $status
