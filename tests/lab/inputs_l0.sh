#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# inputs_l0.sh: the --exec command of inputs_run.sh, in L0. While the lab's /init captures the
# workload's kvm events as tracefs text (the top-level buffer), the same events are recorded at
# the same time by `perf record -e 'kvm:*' -a` (perf events, perf.data) and by `trace-cmd record
# -B nvmx -e kvm` (a buffer instance of its own, trace.dat): three captures of one run. Both
# recorders start before ready, and get the lab's SIGINT when the workload is done.
cd "$NVMX_LAB_OUT" || exit 1
fail() {
	echo "inputs_l0: $*" >&2
	exit 1
}
/usr/bin/perf record -e 'kvm:*' -a -o "$NVMX_LAB_OUT/perf.data" >perf-record.out 2>&1 &
pp=$!
/usr/bin/trace-cmd record -B nvmx -e kvm -o "$NVMX_LAB_OUT/trace.dat" >trace-cmd.out 2>&1 &
tp=$!
# ready once both are attached: perf holds perf_event fds, trace-cmd enabled its instance's events
i=0
until ls -l /proc/$pp/fd 2>/dev/null | grep -q 'perf_event' &&
	[ "$(cat /sys/kernel/tracing/instances/nvmx/events/kvm/kvm_exit/enable 2>/dev/null)" = 1 ]; do
	kill -0 $pp 2>/dev/null || fail "perf record exited: $(tail -3 perf-record.out)"
	kill -0 $tp 2>/dev/null || fail "trace-cmd record exited: $(tail -3 trace-cmd.out)"
	i=$((i + 1))
	[ $i -lt 3000 ] || fail "perf and trace-cmd not recording after 300 s"
	usleep 100000
done
# the splice readers of trace-cmd are forked after the events are enabled: give them a moment
sleep 2
stopped() {
	# the lab's SIGINT reached the whole process group; sent again in case a recorder started
	# with SIGINT ignored (an asynchronous command of a shell without job control)
	kill -INT $pp $tp 2>/dev/null
	wait $pp
	echo $? >perf-record.rc
	wait $tp
	echo $? >trace-cmd.rc
	exit 0
}
trap stopped INT
touch ready
while :; do sleep 1; done
