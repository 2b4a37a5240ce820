#!/bin/sh
# In the lab's L0 (tests/lab/ringbuf_run.sh runs it as --exec): nvmxd --record with the smallest
# ring buffer (--ringbuf-mib 1), stopped (SIGSTOP) from its ready until the workload has ended, so
# that the workload's events overflow the ring: the programs count every record they could not
# reserve (ring-buffer drops) and go on counting exactly. Then nvmxd continues, reads what the
# ring holds, writes a LOST line for the drops and ends on the lab's SIGINT.
#
# usage: ringbuf_l0.sh NVMXD
set -u
nvmxd=$1
out=$NVMX_LAB_OUT
"$nvmxd" --interval 60 --ringbuf-mib 1 --json "$out/nvmxd.json" --record "$out/record.txt" \
	--ready "$out/nvmxd-ready" >"$out/stdout" 2>"$out/stderr" &
pid=$!
i=0
while [ ! -e "$out/nvmxd-ready" ]; do
	i=$((i + 1))
	if [ $i -gt 1200 ]; then
		echo "ringbuf_l0: nvmxd not ready in 120 s" >&2
		exit 2
	fi
	sleep 0.1
done
kill -STOP "$pid"
# The lab sends SIGINT to this process group when its workload has ended: nvmxd, stopped, holds
# it pending (/proc/PID/status ShdPnd, SIGINT = bit 1) until it continues; this shell ignores it.
trap '' INT
touch "$out/ready"
while kill -0 "$pid" 2>/dev/null; do
	pending=$(sed -n 's/^ShdPnd:[[:space:]]*//p' "/proc/$pid/status")
	[ $((0x${pending:-0} & 2)) -eq 0 ] || break
	sleep 0.2
done
kill -CONT "$pid"
wait "$pid"
echo "$?" >"$out/nvmxd.rc"
