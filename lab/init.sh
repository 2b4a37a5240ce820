#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the lab's L0: a stock Debian kernel with busybox, running under an emulator.
#
# nvmx builds it into the initramfs (lab/host/lab_guest.c) with /lab/lab.conf (shell variables
# LAB_*) and /lab/modules.list ("FILE ARGS..." per line, in load order).
# It loads the modules, starts the tracing and the --exec command, runs the workload and copies
# the raw trace out. Nothing is analysed here: busybox under an emulator is slow, the host does it.
#
# Several configurations can run in one boot (LAB_CONFIGS, "nvmx lab run --config"): for each,
# the KVM vendor module is reloaded with that configuration's parameters and the workload writes
# into its own directory /out/$DIR (DIR "." when there is one configuration).
#
# Console protocol, parsed by the host (lab/host/lab_console.c): lines "nvmx-lab: stage NAME",
# "nvmx-lab: error WHAT", "nvmx-lab: param MODULE.NAME=VALUE", "nvmx-lab: config N",
# "nvmx-lab: workload-exit N".

/bin/busybox mkdir -p /bin /proc /sys /dev /tmp /out
/bin/busybox --install -s /bin
export PATH=/bin

# "stage NAME @UPTIME": the host shows L0's clock with each stage (emulated time under Bochs).
stage() { echo "nvmx-lab: stage $* @$(cut -d' ' -f1 /proc/uptime)"; }

# Under Bochs a power-off loses what the serial port has not sent yet: give it time.
drain_console() { [ "${LAB_CONSOLE_DRAIN:-0}" = 0 ] || sleep "$LAB_CONSOLE_DRAIN"; }

fail() {
	echo "nvmx-lab: error $*"
	# What the guest wrote explains the error: hand it back if the channel is up.
	if [ -n "$LAB_OUT_READY" ]; then
		LAB_OUT_READY=
		eval "$LAB_OUT_FINISH"
	fi
	sync
	drain_console
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
# One grep for all parameters: a process per file costs seconds under Bochs.
print_params() {
	grep -H '' /sys/module/$LAB_KVM_MODULE/parameters/* /sys/module/kvm/parameters/* 2>/dev/null |
		sed 's|^/sys/module/\([^/]*\)/parameters/\([^:]*\):|nvmx-lab: param \1.\2=|'
}
print_params
stage modules

eval "$LAB_OUT_SETUP" || fail "cannot reach the host's result directory ($LAB_OUT_SETUP)"
LAB_OUT_READY=1
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
done
stage tracing

# The events are enabled for each workload run only: before it, an --exec command (a benchmark
# running $NVMX_LAB_WORKLOAD itself) finds no kvm tracepoint enabled.
events() {
	for e in $LAB_EVENTS; do
		echo "$1" >$T/events/kvm/$e/enable || fail "cannot set kvm:$e enable to $1"
	done
}

# One configuration: its KVM module parameters (the first configuration's were loaded at boot),
# the workload with tracing on, and the trace copied into its directory.
run_config() {
	i=$1
	eval "dir=\$LAB_CONFIG_${i}_DIR params=\$LAB_CONFIG_${i}_PARAMS workload=\$LAB_CONFIG_${i}_WORKLOAD"
	echo "nvmx-lab: config $i"
	if [ "$i" != "$LAB_FIRST_CONFIG" ]; then
		rmmod "$LAB_KVM_MODULE" || fail "config $i: cannot unload $LAB_KVM_MODULE"
		# shellcheck disable=SC2086 # params are module parameters, one word each
		out=$(insmod "/lib/modules/$LAB_KVM_MODULE_FILE" $params 2>&1) ||
			fail "config $i: insmod $LAB_KVM_MODULE_FILE $params: $out"
	fi
	print_params
	mkdir -p "/out/$dir" || fail "cannot write to /out/$dir"
	echo 0 >$T/tracing_on
	echo >$T/trace
	events 1
	stage workload
	echo 1 >$T/tracing_on
	eval "$workload" >"/out/$dir/workload.stdout" 2>"/out/$dir/workload.stderr"
	rc=$?
	echo 0 >$T/tracing_on
	sed 's/^/nvmx-lab: workload-stderr /' "/out/$dir/workload.stderr"
	echo "nvmx-lab: workload-exit $rc"
	stage collecting
	cat $T/per_cpu/cpu*/stats >"/out/$dir/trace-stats.txt"
	cat $T/trace >"/out/$dir/trace.txt" || fail "cannot copy the trace"
	# LAB_FORMATS=1 (--isa arm64): each event's format, as tracefs has it, beside the trace
	if [ "$LAB_FORMATS" = 1 ]; then
		mkdir -p "/out/$dir/formats" || fail "cannot write to /out/$dir/formats"
		for e in $LAB_EVENTS; do
			cat $T/events/kvm/$e/format >"/out/$dir/formats/$e" ||
				fail "cannot copy the format of kvm:$e"
		done
	fi
	events 0
}

run_workload() {
	for i in $LAB_CONFIGS; do
		run_config "$i"
	done
	echo 0 >/tmp/workload.rc
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
			kill -KILL "-$pid"
			exit 0
		fi
		usleep 100000
	done
	stage exec-ready
	run_workload
	stage exec-stop
	kill -INT "-$pid"
	deadline=$(($(date +%s) + LAB_STOP_TIMEOUT))
	while alive "$pid"; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "nvmx-lab: exec-killed"
			kill -KILL "-$pid"
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
	# NVMX_LAB_WORKLOAD: the first configuration's workload command line, exactly as
	# run_config evals it, for a command that runs the workload itself before ready.
	eval "first_workload=\$LAB_CONFIG_${LAB_FIRST_CONFIG}_WORKLOAD"
	(cd /out/exec && LD_LIBRARY_PATH=$LAB_LD_LIBRARY_PATH NVMX_LAB_OUT=/out/exec \
		NVMX_LAB_WORKLOAD=$first_workload exec setsid sh -c 'echo $$ >/tmp/exec.pid; exec sh -c "$1"' sh "$LAB_EXEC" \
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

LAB_OUT_READY=
eval "$LAB_OUT_FINISH"
stage done
sync
drain_console
poweroff -f
sleep 1000
