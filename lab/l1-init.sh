#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of L1 under `nvmx lab run --l1 kvm` (nvmx builds L1's initramfs: lab/host/lab_l1.c):
# loads kvm_amd (kvm_intel under Bochs), runs nvmx-lab-runner (the L2; --isa vmx with
# kvm_intel) with the workload of the kernel command line (nvmx.workload=SPEC
# nvmx.iterations=N) and writes its truth to the serial console in framed lines that L0
# (lab/l1-kvm.sh) extracts: "nvmx-l1: truth JSON" (one line), "nvmx-l1: truth-end",
# "nvmx-l1: runner-stderr LINE", "nvmx-l1: runner-exit N". With nvmx.l2=linux (--l2 linux) it
# boots L2 Linux under QEMU instead: "nvmx-l1: l2-console LINE", "nvmx-l1: l2-exit N".
/bin/busybox mkdir -p /bin /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

say() { echo "nvmx-l1: $*"; }
quit() {
	say runner-exit "$1"
	poweroff -f
	sleep 1000
}

say stage init @"$(cut -d' ' -f1 /proc/uptime)"
while read -r file args; do
	[ -n "$file" ] || continue
	# shellcheck disable=SC2086 # args are module parameters, one word each
	out=$(insmod "/lib/modules/$file" $args 2>&1) || {
		say runner-stderr "insmod $file: $out"
		quit 2
	}
done </lab/modules.list
[ -c /dev/kvm ] || {
	say runner-stderr "no /dev/kvm in L1 after loading kvm_amd or kvm_intel (no SVM/VMX in L1's CPU?)"
	quit 2
}
isa=svm
[ -d /sys/module/kvm_intel ] && isa=vmx
spec='' n='' l2=runner l2_timeout='' l2_mem=''
for w in $(cat /proc/cmdline); do
	case $w in
	nvmx.workload=*) spec=${w#*=} ;;
	nvmx.iterations=*) n=${w#*=} ;;
	nvmx.l2=*) l2=${w#*=} ;;
	nvmx.l2_timeout=*) l2_timeout=${w#*=} ;;
	nvmx.l2_mem=*) l2_mem=${w#*=} ;;
	esac
done

# --l2 linux: L2 is the same Debian kernel under QEMU (shipped in this initramfs with its
# libraries: lab/host/lab_l1.c), with a busybox initramfs whose /init says "nvmx-l2: init" and
# powers off. L2's console is quiet (loglevel=0): each byte is a reflected exit. QEMU's exit
# status is L2's ("nvmx-l1: l2-exit N"); 3 when L2 never reached its /init.
if [ "$l2" = linux ]; then
	say stage l2-boot @"$(cut -d' ' -f1 /proc/uptime)"
	LD_LIBRARY_PATH=$(cat /lab/l2/ld_library_path) timeout -s KILL "$l2_timeout" \
		/usr/bin/qemu-system-x86_64 -enable-kvm -cpu host -M pc -m "$l2_mem" -nodefaults \
		-display none -no-reboot -serial file:/tmp/l2-console.log \
		-kernel /lab/l2/vmlinuz -initrd /lab/l2/l2.cpio \
		-append "console=ttyS0 loglevel=0 panic=-1 pci=off" 2>/tmp/l2.err
	rc=$?
	say stage l2-done @"$(cut -d' ' -f1 /proc/uptime)"
	sed 's/^/nvmx-l1: runner-stderr /' /tmp/l2.err
	# L2's console is quiet: its last lines (a panic's among them) cost few exits
	tr -d '\r' </tmp/l2-console.log | tail -n 20 | sed 's/^/nvmx-l1: l2-console /'
	if [ "$rc" = 0 ] && ! grep -q 'nvmx-l2: init' /tmp/l2-console.log; then
		say runner-stderr "L2 Linux powered off without reaching its /init"
		rc=3
	fi
	say l2-exit "$rc"
	poweroff -f
	sleep 1000
fi
say stage runner @"$(cut -d' ' -f1 /proc/uptime)"
/bin/nvmx-lab-runner --isa "$isa" --workload "$spec" --iterations "$n" --truth /tmp/truth.json \
	2>/tmp/runner.err
rc=$?
say stage runner-done @"$(cut -d' ' -f1 /proc/uptime)"
sed 's/^/nvmx-l1: runner-stderr /' /tmp/runner.err
if [ "$rc" = 0 ] && [ -s /tmp/truth.json ]; then
	# one line: every byte on the serial port is two exits of L1 in L0's trace
	echo "nvmx-l1: truth $(sed 's/^ *//' /tmp/truth.json | tr -d '\n')"
	say truth-end
fi
quit "$rc"
