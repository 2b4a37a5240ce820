#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# exec_test.sh NVMX OUTDIR: --exec runs a host program in L0 (the host's sh, i.e. dash, with its
# shared libraries) before the workload; what it writes to $NVMX_LAB_OUT arrives in OUTDIR/exec,
# its stdout in exec/stdout, and it receives SIGINT when the workload is done.
set -u
nvmx=$1 out=$2
cmd='sh -c '\''grep -H . /sys/module/kvm_amd/parameters/nested > "$NVMX_LAB_OUT/nested.txt";
echo exec-started; trap "echo got-sigint; exit 0" INT; touch "$NVMX_LAB_OUT/ready";
while :; do sleep 1; done'\'
"$nvmx" lab run --kernel 6.12 --workload cpuid,io-out-l0 --iterations 100 --exec "$cmd" \
	--keep --out "$out"
status=$?
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
[ "$status" = 0 ] || fail "nvmx lab run exited with $status"
grep -qx '/sys/module/kvm_amd/parameters/nested:1' "$out/exec/nested.txt" ||
	fail "exec/nested.txt: $(cat "$out/exec/nested.txt" 2>&1)"
grep -qx exec-started "$out/exec/stdout" || fail "exec/stdout lacks exec-started"
grep -qx got-sigint "$out/exec/stdout" || fail "the command did not get SIGINT (exec/stdout)"
[ -e "$out/exec/ready" ] || fail "exec/ready missing"
# The initramfs (kept by --keep) carries the host's sh with its loader and libc.
sh_path=$(readlink -f "$(command -v sh)")
listing=$(/bin/busybox cpio -t <"$out/initramfs.cpio" 2>/dev/null) || fail "busybox cpio -t failed"
grep -qx "${sh_path#/}" <<<"$listing" || fail "initramfs lacks ${sh_path#/}"
grep -q '^lib64/ld-linux-x86-64.so.2$' <<<"$listing" || fail "initramfs lacks the ELF loader"
grep -q '/libc.so.6$' <<<"$listing" || fail "initramfs lacks libc.so.6"
echo "exec test passed"
