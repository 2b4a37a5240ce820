#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# The workload of `nvmx lab run --l1 kvm`, in the lab's L0: boots L1 (the same Debian kernel,
# with kvm_amd) under QEMU on L0's KVM, whose /init (lab/l1-init.sh) runs nvmx-lab-runner: the
# L2. L1's serial console is a file; the runner's truth leaves L1 in framed lines on it
# ("nvmx-l1: truth JSON" on one line, then "nvmx-l1: truth-end"), the runner's exit status as
# "nvmx-l1: runner-exit N". This script's exit status is the runner's (3 when L1 said nothing).
# With --l2 linux (LAB_L2=linux) L1 boots L2 Linux instead and reports "nvmx-l1: l2-exit N".
#
# With the runner element "migrate" in SPEC, L1 is saved and restored once, in the same boot,
# while L2 runs (save_restore below; docs/lab.md, "Saving and restoring L1").
#
# usage: l1-kvm.sh OUTDIR SPEC ITERATIONS
. /lab/lab.conf
out=$1 spec=$2 n=$3
con=/tmp/l1-console.log
# L1's CPU (both QEMU invocations below), without KVM's paravirtual EOI. Under QEMU's icount an
# interrupt that L0's KVM injects into L1 can be delivered a second time, ignoring IF, when the
# instruction budget runs out before L1's next exit: QEMU's VMRUN leaves the vector pending as
# an exception (docs/ci.md, "KVM as L1"). A second timer interrupt inside the first one's
# hrtimer_interrupt deadlocked L1 on hrtimer_bases.lock and stopped L0's clock. With
# paravirtual EOI the timer handler runs hrtimer_interrupt before its first exit; without it
# the x2APIC EOI write at the handler's start exits, before any lock: 6 of 7 boots of a 7.3 L1
# ran clean instead of none. It narrows the window, it does not close it.
l1_cpu=host,-kvm-pv-eoi
export LD_LIBRARY_PATH="$LAB_LD_LIBRARY_PATH"

stage() { echo "nvmx-lab: stage $* @$(cut -d' ' -f1 /proc/uptime)" >/dev/console; }

# --- save and restore (the runner element "migrate") ---------------------------------------
# L1's runner prints "nvmx-l1: save-point" when L2 starts waiting in the middle of its workload.
# This QEMU (its HMP monitor on the fifos /tmp/l1-monN.in/.out) is then stopped (with its vCPU in
# L2: sr_stop_in_l2) and migrated to
# a file (QEMU 7.2 has no "file:" migration: exec:cat), and quits; a second QEMU with the same
# arguments restores it (-incoming exec:cat) and continues: KVM_GET_NESTED_STATE on the first,
# KVM_SET_NESTED_STATE with KVM_STATE_NESTED_GUEST_MODE on the second. L2 goes on, in a new
# process. Independently of nvmx, a tracefs hist trigger counts the two ioctls (per thread and
# request) into OUTDIR/nested-state-ioctls.hist.
sr_hist=/sys/kernel/tracing/events/syscalls/sys_enter_ioctl
# KVM_GET_NESTED_STATE 0xc080aebe, KVM_SET_NESTED_STATE 0x4080aebf (struct of 128 bytes). The
# record's cmd is the whole 64-bit register: QEMU passes the request as an int, so GET arrives
# sign-extended (0xffffffffc080aebe); KVM, like nvmx, takes its low 32 bits. Both forms match.
sr_trigger='hist:keys=common_pid,cmd:vals=hitcount if cmd == 0xc080aebe || cmd == 0xffffffffc080aebe || cmd == 0x4080aebf || cmd == 0xffffffff4080aebf'
sr_fail() {
	echo "save/restore: $*" >&2
	sr_error=1
}
# sr_mon N CMD: one HMP command to QEMU N (the write blocks until QEMU reads: bounded)
# shellcheck disable=SC2016 # $1 and $2 are the inner shell's
sr_mon() { timeout 30 sh -c 'echo "$2" >"$1"' sh "/tmp/l1-mon$1.in" "$2"; }
# sr_qemu N CONSOLE ARGS...: QEMU N in the background (sr_pid), its monitor's output in a file
sr_qemu() {
	sr_n=$1 sr_con=$2
	shift 2
	rm -f "/tmp/l1-mon$sr_n.in" "/tmp/l1-mon$sr_n.out"
	mkfifo "/tmp/l1-mon$sr_n.in" "/tmp/l1-mon$sr_n.out"
	timeout -s KILL "$LAB_L1_TIMEOUT" /usr/bin/qemu-system-x86_64 -enable-kvm -cpu "$l1_cpu" -M pc \
		-m "$LAB_L1_MEM_MB" -nodefaults -display none -no-reboot -serial "file:$sr_con" \
		-monitor "pipe:/tmp/l1-mon$sr_n" -kernel /lab/l1/vmlinuz -initrd /lab/l1/l1.cpio \
		-append "console=ttyS0 panic=-1 loglevel=3 pci=off nvmx.workload=$spec nvmx.iterations=$n" \
		"$@" &
	sr_pid=$!
	tr -d '\r' <"/tmp/l1-mon$sr_n.out" >"$out/l1-monitor$sr_n.log" &
}
sr_alive() {
	sr_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$sr_state" ] && [ "$sr_state" != Z ]
}
# sr_paused N: waits until QEMU N answers "info status" with "paused" (one more time than before)
sr_paused() {
	sr_k=$(grep -c '^VM status: paused$' "$out/l1-monitor$1.log")
	sr_mon "$1" 'info status'
	sr_t=0
	while [ "$(grep -c '^VM status: paused$' "$out/l1-monitor$1.log")" -le "$sr_k" ]; do
		sr_t=$((sr_t + 1))
		[ "$sr_t" -lt 600 ] || return 1
		usleep 50000
	done
}
# Stops QEMU 1 with its vCPU in guest mode (L2), as L0's KVM says (debugfs vcpu0/guest_mode):
# L1 takes its timer interrupts while L2 waits, and a stop that lands in L1's handler saves no
# guest mode. Then: cont and stop again, at most 40 times.
sr_stop_in_l2() {
	[ -d /sys/kernel/debug/kvm ] || mount -t debugfs debugfs /sys/kernel/debug ||
		sr_fail "cannot mount debugfs"
	sr_try=1
	while :; do
		sr_mon 1 stop
		sr_paused 1 || { sr_fail "QEMU did not stop"; return; }
		[ "$(cat /sys/kernel/debug/kvm/*/vcpu0/guest_mode 2>/dev/null)" = 1 ] && break
		[ "$sr_try" -lt 40 ] || {
			sr_fail "the vCPU was not in guest mode at any of $sr_try stops"
			return
		}
		sr_mon 1 cont
		usleep $((10000 + sr_try * 7919 % 90000))
		sr_try=$((sr_try + 1))
	done
	echo "save/restore: stopped with the vCPU in guest mode at stop $sr_try" >&2
}
save_restore() {
	sr_error=
	echo "$sr_trigger" >"$sr_hist/trigger" || sr_fail "cannot set the hist trigger on $sr_hist"
	rm -f /tmp/l1.mig /tmp/l1-console2.log
	sr_qemu 1 "$con"
	while ! grep -q '^nvmx-l1: save-point' "$con" 2>/dev/null; do
		sr_alive "$sr_pid" || break
		usleep 50000
	done
	if sr_alive "$sr_pid"; then
		stage l1-save
		sr_stop_in_l2
	else
		sr_fail "L1 ended before its save point"
	fi
	if [ -z "$sr_error" ]; then
		sr_mon 1 'migrate "exec:cat > /tmp/l1.mig"'
		sr_mon 1 'info migrate'
		sr_mon 1 quit
	elif sr_alive "$sr_pid"; then
		sr_mon 1 quit
	fi
	wait "$sr_pid"
	qemu_rc=$?
	[ -n "$sr_error" ] || grep -q '^Migration status: completed' "$out/l1-monitor1.log" ||
		sr_fail "the migration to /tmp/l1.mig did not complete (l1-monitor1.log)"
	if [ -z "$sr_error" ]; then
		echo "save/restore: $(wc -c </tmp/l1.mig) bytes of migration stream" >&2
		stage l1-restore
		sr_qemu 2 /tmp/l1-console2.log -incoming "exec:cat /tmp/l1.mig"
		# the source was stopped: the restored VM is paused until "cont"
		while sr_alive "$sr_pid"; do
			sr_mon 2 'info status'
			grep -q '^VM status: paused$' "$out/l1-monitor2.log" && break
			usleep 100000
		done
		sr_mon 2 cont
		stage l1-restored
		wait "$sr_pid"
		qemu_rc=$?
		cat /tmp/l1-console2.log >>"$con"
	fi
	cat "$sr_hist/hist" >"$out/nested-state-ioctls.hist"
	echo "!$sr_trigger" >"$sr_hist/trigger"
	rm -f /tmp/l1.mig
	[ -z "$sr_error" ]
}
# ---------------------------------------------------------------------------------------------

rm -f "$con"
# L1's console, live in OUTDIR (the host's lab output: l1-console.log) while L1 runs, so that a
# run that hangs or is killed still shows where L1 stopped; busybox's tail polls it once a second.
# When L1 has ended, l1-console.log is rewritten from the whole file without its CRs.
: >"$con"
tail -f "$con" >"$out/l1-console.log" 2>/dev/null &
con_tail=$!

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

sr_failed=
stage l1-boot
case ",$spec," in
*,migrate,*)
	save_restore || sr_failed=1
	;;
*)
# L0's PATH is busybox's /bin: QEMU by its full path. timeout: L1 must not hang the run.
# Every byte on L1's serial port costs two exits of L1 (THR, LSR) in L0's trace: loglevel=3
# keeps the kernel quiet, pci=off spares about 34,000 PCI configuration accesses (L1 needs no
# PCI device: the serial port is ISA and the initramfs comes through fw_cfg).
timeout -s KILL "$LAB_L1_TIMEOUT" /usr/bin/qemu-system-x86_64 -enable-kvm -cpu "$l1_cpu" -M pc \
	-m "$LAB_L1_MEM_MB" -nodefaults -display none -no-reboot -serial "file:$con" \
	-kernel /lab/l1/vmlinuz -initrd /lab/l1/l1.cpio \
	-append "console=ttyS0 panic=-1 loglevel=3 pci=off nvmx.workload=$spec nvmx.iterations=$n$l2_append"
	qemu_rc=$?
	;;
esac
stage l1-done
[ "$LAB_L2" = linux ] && hist off
kill "$con_tail" 2>/dev/null
wait "$con_tail" 2>/dev/null
tr -d '\r' <"$con" >"$out/l1-console.log"
echo "qemu exit $qemu_rc" >&2
sed -n 's/^nvmx-l1: runner-stderr //p' "$out/l1-console.log" >&2
grep -q '^nvmx-l1: truth-end$' "$out/l1-console.log" &&
	sed -n 's/^nvmx-l1: truth //p' "$out/l1-console.log" >"$out/truth.json"
[ -z "$sr_failed" ] || exit 3
rc=$(sed -n 's/^nvmx-l1: runner-exit //p' "$out/l1-console.log")
# --l2 linux: L1 reports L2's end instead
[ "$LAB_L2" = linux ] && rc=$(sed -n 's/^nvmx-l1: l2-exit //p' "$out/l1-console.log")
[ -n "$rc" ] || {
	echo "L1 did not report L2's exit status (see l1-console.log)" >&2
	exit 3
}
exit "$rc"
