#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the lab's L0: a stock Debian kernel with busybox, running under an emulator.
#
# nvmx builds it into the initramfs (cli/lab_initramfs.c) with /lab/lab.conf (shell variables
# LAB_*, written by cli/lab.c) and /lab/modules.list ("FILE ARGS..." per line, in load order).
# It loads the modules, starts the tracing and the --exec command, runs the workload and copies
# the raw trace out. Nothing is analysed here: busybox under an emulator is slow, the host does it.
#
# Console protocol, parsed by the host (cli/lab_qemu.c): lines "nvmx-lab: stage NAME",
# "nvmx-lab: error WHAT", "nvmx-lab: param MODULE.NAME=VALUE", "nvmx-lab: workload-exit N".

/bin/busybox mkdir -p /bin /proc /sys /dev /tmp /out
/bin/busybox --install -s /bin
export PATH=/bin

stage() { echo "nvmx-lab: stage $*"; }

fail() {
	echo "nvmx-lab: error $*"
	sync
	poweroff -f
	sleep 1000
}

mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
mount -t devtmpfs devtmpfs /dev 2>/dev/null
. /lab/lab.conf || fail "cannot read /lab/lab.conf"
stage init

while read -r file args; do
	[ -n "$file" ] || continue
	# shellcheck disable=SC2086 # args are module parameters, one word each
	out=$(insmod "/lib/modules/$file" $args 2>&1) || fail "insmod $file $args: $out"
done </lab/modules.list
[ -c /dev/kvm ] || fail "no /dev/kvm after loading $LAB_KVM_MODULE (does the emulated CPU have the virtualization extension?)"
for p in /sys/module/$LAB_KVM_MODULE/parameters/* /sys/module/kvm/parameters/*; do
	[ -r "$p" ] || continue
	m=${p#/sys/module/}
	echo "nvmx-lab: param ${m%%/*}.${p##*/}=$(cat "$p" 2>/dev/null)"
done
stage modules

eval "$LAB_OUT_SETUP" || fail "cannot reach the host's result directory ($LAB_OUT_SETUP)"
rm -rf /out/exec
mkdir -p /out/exec || fail "cannot write to /out"

if [ "$LAB_NET" = 1 ]; then
	ip link set lo up
	ip link set eth0 up || fail "no eth0 (virtio_net)"
	ip addr add 10.0.2.15/24 dev eth0 || fail "cannot set 10.0.2.15/24 on eth0"
	ip route add default via 10.0.2.2 || fail "cannot add the default route"
	stage net
fi

T=/sys/kernel/tracing
mount -t tracefs tracefs $T || fail "cannot mount tracefs"
echo 0 >$T/tracing_on
echo "$LAB_BUFFER_KB" >$T/buffer_size_kb || fail "cannot set buffer_size_kb to $LAB_BUFFER_KB"
echo >$T/trace
for e in $LAB_EVENTS; do
	[ -e $T/events/kvm/$e/enable ] || fail "this kernel has no tracepoint kvm:$e"
	echo 1 >$T/events/kvm/$e/enable || fail "cannot enable kvm:$e"
done
stage tracing

run_workload() {
	stage workload
	echo 1 >$T/tracing_on
	eval "$LAB_WORKLOAD" >/out/workload.stdout 2>/out/workload.stderr
	rc=$?
	echo 0 >$T/tracing_on
	sed 's/^/nvmx-lab: workload-stderr /' /out/workload.stderr
	echo "nvmx-lab: workload-exit $rc"
	echo $rc >/tmp/workload.rc
}

alive() {
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# The --exec command runs in the foreground of this shell: an asynchronous command of a shell
# without job control starts with SIGINT ignored (POSIX), so it could not be stopped with SIGINT.
# The workload runs in a background controller instead, which stops the command when done.
exec_controller() {
	while [ ! -s /tmp/exec.pid ]; do usleep 10000; done
	pid=$(cat /tmp/exec.pid)
	deadline=$(($(date +%s) + LAB_READY_TIMEOUT))
	while [ ! -e /out/exec/ready ]; do
		alive "$pid" || exit 0 # reported by the foreground side
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "--exec command did not create \$NVMX_LAB_OUT/ready within ${LAB_READY_TIMEOUT} s" >/tmp/ctl.error
			kill -KILL -- "-$pid"
			exit 0
		fi
		usleep 100000
	done
	stage exec-ready
	run_workload
	stage exec-stop
	kill -INT -- "-$pid"
	deadline=$(($(date +%s) + LAB_STOP_TIMEOUT))
	while alive "$pid"; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "nvmx-lab: exec-killed"
			kill -KILL -- "-$pid"
			exit 0
		fi
		usleep 100000
	done
}

rm -f /tmp/exec.pid /tmp/ctl.error /tmp/workload.rc
if [ -n "$LAB_EXEC" ]; then
	stage exec
	exec_controller &
	ctl=$!
	# setsid: the command and its children form one process group that SIGINT reaches.
	(cd /out/exec && LD_LIBRARY_PATH=$LAB_LD_LIBRARY_PATH NVMX_LAB_OUT=/out/exec \
		exec setsid sh -c 'echo $$ >/tmp/exec.pid; exec sh -c "$1"' sh "$LAB_EXEC" \
		>/out/exec/stdout 2>/out/exec/stderr)
	exec_rc=$?
	echo "nvmx-lab: exec-exit $exec_rc"
	wait $ctl
	[ -e /tmp/ctl.error ] && fail "$(cat /tmp/ctl.error)"
	[ -e /tmp/workload.rc ] ||
		fail "--exec command exited with $exec_rc before creating \$NVMX_LAB_OUT/ready (see exec/stderr)"
else
	run_workload
fi

stage collecting
cat $T/per_cpu/cpu*/stats >/out/trace-stats.txt
cat $T/trace >/out/trace.txt || fail "cannot copy the trace"
eval "$LAB_OUT_FINISH"
stage done
sync
poweroff -f
sleep 1000
