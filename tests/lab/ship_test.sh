#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ship_test.sh NVMX OUTDIR: one boot with --ship, NVMX_LAB_WORKLOAD, --ready-timeout and
# --icount. The --exec script (ship_exec.sh DATAFILE) runs the shipped /usr/bin/env (the host's coreutils,
# with its libraries) and reads a shipped data file, runs the workload itself once with
# $NVMX_LAB_WORKLOAD before creating ready, and /init's own run must still equal its truth.
set -u
nvmx=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
rm -rf "$out.data"
mkdir -p "$out.data" || fail "cannot create $out.data"
data=$(cd "$out.data" && pwd)/ship.txt
echo "shipped data $$" >"$data"
"$nvmx" lab run --kernel 6.12 --workload cpuid,io-out-l0 --iterations 100 --icount 4 \
	--ship /usr/bin/env --ship "$data" --ready-timeout 300 \
	--exec "$here/ship_exec.sh $data" --keep --out "$out" \
	2> >(tee "$out.data/stderr" >&2)
status=$?
wait
[ "$status" = 0 ] || fail "nvmx lab run exited with $status"
e=$out/exec
grep -q 'icount shift=4' "$out.data/stderr" || fail "no icount on the boot line"
grep -q '^env (GNU coreutils)' "$e/env.out" || fail "the shipped /usr/bin/env: $(cat "$e/env.out")"
[ "$(cat "$e/env.rc")" = 0 ] || fail "the shipped /usr/bin/env exited with $(cat "$e/env.rc")"
cmp -s "$data" "$e/data.txt" || fail "the shipped data file reads: $(cat "$e/data.txt")"
[ ! -s "$e/events-enabled.txt" ] || fail "kvm events enabled before ready: $(cat "$e/events-enabled.txt")"
# The contract: exactly the command line /init evals for the first configuration (lab.conf).
(cd "$out.data" && /bin/busybox cpio -i -d lab/lab.conf <"$out/initramfs.cpio" 2>/dev/null) ||
	fail "cannot extract lab/lab.conf from the initramfs"
want=$(. "$out.data/lab/lab.conf" && printf '%s' "$LAB_CONFIG_1_WORKLOAD")
[ "$(cat "$e/workload.cmd")" = "$want" ] ||
	fail "NVMX_LAB_WORKLOAD is '$(cat "$e/workload.cmd")', /init runs '$want'"
grep -q -- "--workload 'cpuid,io-out-l0' --iterations 100 " "$e/workload.cmd" ||
	fail "NVMX_LAB_WORKLOAD: $(cat "$e/workload.cmd")"
[ "$(cat "$e/workload.rc")" = 0 ] ||
	fail "the workload run by --exec exited with $(cat "$e/workload.rc"): $(cat "$e/workload.stderr")"
grep -qx got-sigint "$e/stdout" || fail "the command did not get SIGINT (exec/stdout)"
# The initramfs (--keep) has env with its loader and libraries, and the data file.
listing=$(/bin/busybox cpio -t <"$out/initramfs.cpio" 2>/dev/null) || fail "busybox cpio -t failed"
grep -qx 'usr/bin/env' <<<"$listing" || fail "initramfs lacks usr/bin/env"
grep -qx "${data#/}" <<<"$listing" || fail "initramfs lacks ${data#/}"
grep -q '/libc.so.6$' <<<"$listing" || fail "initramfs lacks libc.so.6"
echo "ship test passed"
