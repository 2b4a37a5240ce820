#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# The workload of `nvmx lab run --l1 kvm`, in the lab's L0: boots L1 (the same Debian kernel,
# with kvm_amd) under QEMU on L0's KVM, whose /init (lab/l1-init.sh) runs nvmx-lab-runner: the
# L2. L1's serial console is a file; the runner's truth leaves L1 in framed lines on it
# ("nvmx-l1: truth JSON" on one line, then "nvmx-l1: truth-end"), the runner's exit status as
# "nvmx-l1: runner-exit N". This script's exit status is the runner's (3 when L1 said nothing).
# With --l2 linux (LAB_L2=linux) L1 boots L2 Linux instead and reports "nvmx-l1: l2-exit N".
#
# usage: l1-kvm.sh OUTDIR SPEC ITERATIONS
. /lab/lab.conf
out=$1 spec=$2 n=$3
con=/tmp/l1-console.log
export LD_LIBRARY_PATH="$LAB_LD_LIBRARY_PATH"

stage() { echo "nvmx-lab: stage $* @$(cut -d' ' -f1 /proc/uptime)" >/dev/console; }

rm -f "$con"

# --l2 linux: L0 counts the nested exits per reason itself, independently of nvmx: a tracefs hist
# trigger on kvm_nested_vmexit (every L2 exit L0 sees, keyed by exit_reason) and one on
# kvm_nested_vmexit_inject (every exit L0 delivers to L1, reflected or synthesised: exit_code),
# set before L1 starts, read after it has ended, copied out with the events' format files.
T=/sys/kernel/tracing
HIST_EVENTS="kvm_nested_vmexit:exit_reason kvm_nested_vmexit_inject:exit_code"
hist() { # hist on|off
	for ek in $HIST_EVENTS; do
		e=${ek%%:*} k=${ek#*:}
		if [ "$1" = on ]; then
			echo "hist:keys=$k" >"$T/events/kvm/$e/trigger" ||
				{ echo "cannot set a hist trigger on kvm:$e (keys=$k)" >&2 && exit 2; }
		else
			cat "$T/events/kvm/$e/hist" >"$out/$e.hist"
			cat "$T/events/kvm/$e/format" >"$out/$e.format"
			echo "!hist:keys=$k" >"$T/events/kvm/$e/trigger"
		fi
	done
}
l2_append=
if [ "$LAB_L2" = linux ]; then
	hist on
	l2_append=" nvmx.l2=linux nvmx.l2_timeout=$LAB_L2_TIMEOUT nvmx.l2_mem=$LAB_L2_MEM_MB"
fi

stage l1-boot
# L0's PATH is busybox's /bin: QEMU by its full path. timeout: L1 must not hang the run.
# Every byte on L1's serial port costs two exits of L1 (THR, LSR) in L0's trace: loglevel=3
# keeps the kernel quiet, pci=off spares about 34,000 PCI configuration accesses (L1 needs no
# PCI device: the serial port is ISA and the initramfs comes through fw_cfg).
timeout -s KILL "$LAB_L1_TIMEOUT" /usr/bin/qemu-system-x86_64 -enable-kvm -cpu host -M pc \
	-m "$LAB_L1_MEM_MB" -nodefaults -display none -no-reboot -serial "file:$con" \
	-kernel /lab/l1/vmlinuz -initrd /lab/l1/l1.cpio \
	-append "console=ttyS0 panic=-1 loglevel=3 pci=off nvmx.workload=$spec nvmx.iterations=$n$l2_append"
qemu_rc=$?
stage l1-done
[ "$LAB_L2" = linux ] && hist off
tr -d '\r' <"$con" >"$out/l1-console.log"
echo "qemu exit $qemu_rc" >&2
sed -n 's/^nvmx-l1: runner-stderr //p' "$out/l1-console.log" >&2
grep -q '^nvmx-l1: truth-end$' "$out/l1-console.log" &&
	sed -n 's/^nvmx-l1: truth //p' "$out/l1-console.log" >"$out/truth.json"
rc=$(sed -n 's/^nvmx-l1: runner-exit //p' "$out/l1-console.log")
# --l2 linux: L1 reports L2's end instead
[ "$LAB_L2" = linux ] && rc=$(sed -n 's/^nvmx-l1: l2-exit //p' "$out/l1-console.log")
[ -n "$rc" ] || {
	echo "L1 did not report L2's exit status (see l1-console.log)" >&2
	exit 3
}
exit "$rc"
