#!/bin/sh
# In the lab's L0 (busybox sh), as --exec of fault_restart.sh: nvmxd is killed (SIGKILL) in the
# middle of the workload and started again, as a service manager would after a crash. Both run as
# a service does: --listen (so they drop to nobody, their default), --checkpoint 1 and --json,
# --record into L0's root-owned $NVMX_LAB_OUT. Files: nvmxd-N.json, record-N.txt, stdout-N,
# stderr-N for the first (N=1) and the restarted (N=2) nvmxd; events.txt says what happened when.
# usage: fault_restart_l0.sh NVMXD
nvmxd=$1
out=$NVMX_LAB_OUT
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up || exit 1
say() { echo "$(cut -d' ' -f1 /proc/uptime) $*" >>"$out/events.txt"; }
start() { # N PORT: start nvmxd N, wait until its programs are attached
	"$nvmxd" --listen "127.0.0.1:$2" --interval 3600 --checkpoint 1 --json "$out/nvmxd-$1.json" \
		--record "$out/record-$1.txt" --ready "$out/ready-$1" >"$out/stdout-$1" 2>"$out/stderr-$1" &
	pid=$!
	while [ ! -e "$out/ready-$1" ]; do
		kill -0 "$pid" 2>/dev/null || { say "nvmxd $1 ended before it was ready"; exit 1; }
		usleep 100000
	done
	say "nvmxd $1 ready"
}
start 1 9477
first=$pid
touch "$out/ready"
# mid-run: the workload's vCPU runs (its kvm-vcpu fd is open) and has run a while
until wl=$(pidof nvmx-lab-workload) && ls -l "/proc/$wl/fd" 2>/dev/null | grep -q kvm-vcpu; do
	kill -0 "$first" 2>/dev/null || { say "nvmxd 1 ended by itself"; exit 1; }
	usleep 20000
done
usleep 300000
# The workload waits while nvmxd is killed and restarts (its BPF programs take longer to load
# under TCG than the workload lasts): SIGSTOP leaves its vCPU thread where it was, in the middle
# of the run, and the first nvmxd's checkpoint catches up with it (the workload's CPUIDs in it)
while :; do
	kill -STOP "$wl" || { say "the workload ended before it could be stopped"; exit 1; }
	i=0
	while [ $i -lt 40 ] && ! grep -q '"reason": "cpuid"' "$out/nvmxd-1.json" 2>/dev/null; do
		usleep 100000
		i=$((i + 1))
	done
	[ $i -lt 40 ] && break
	kill -CONT "$wl"
	usleep 200000
done
say "workload $wl stopped; nvmxd 1 checkpointed its CPUIDs"
kill -KILL "$first"
wait "$first"
say "nvmxd 1 killed: wait status $?"
start 2 9478
second=$pid
kill -CONT "$wl"
say "workload $wl continued"
# The workload has ended when the lab sends SIGINT (to the whole group: nvmxd 2 too)
stop() {
	kill -INT "$second" 2>/dev/null
	wait "$second"
	rc=$?
	say "nvmxd 2 exited $rc"
	echo "$rc" >"$out/exit-2"
	exit 0
}
trap stop INT TERM
while :; do usleep 100000; done
