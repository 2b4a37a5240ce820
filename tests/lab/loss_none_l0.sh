#!/bin/sh
# In the lab's L0 (tests/lab/loss_none_run.sh runs it as --exec): RUNS runs of the workload, each
# with two fresh nvmxd beside a fresh storm of BPF map syscalls (nvmx-lab-mapstorm, pinned to L0's
# one CPU by having no other): nvmxd with its default programs (nvmxd.json) and nvmxd
# --classic-only (classic.json), so that each run shows both what the storm does to classic
# tracepoint programs and that the default ones lose nothing, under the same storm and workload.
# Runs 1..RUNS run "$NVMX_LAB_WORKLOAD" themselves before `ready` (no tracefs capture; each keeps
# its truth.json); the last one is /init's own run, with the tracefs capture and nvmxd's --record,
# in $NVMX_LAB_OUT itself.
#
# usage: loss_none_l0.sh NVMXD MAPSTORM RUNS
set -u
nvmxd=$1 storm=$2 runs=$3
out=$NVMX_LAB_OUT
p1= p2=

# start DIR [ARGS...]: both nvmxd, the storm beside the default one, until both are ready
start() {
	d=$1
	shift
	mkdir -p "$d"
	"$storm" --after "$d/ready-default" "$nvmxd" --interval 60 --json "$d/nvmxd.json" \
		--ready "$d/ready-default" "$@" >"$d/nvmxd.stdout" 2>"$d/nvmxd.stderr" &
	p1=$!
	"$nvmxd" --classic-only --interval 60 --json "$d/classic.json" \
		--ready "$d/ready-classic" >"$d/classic.stdout" 2>"$d/classic.stderr" &
	p2=$!
	i=0
	while [ ! -e "$d/ready-default" ] || [ ! -e "$d/ready-classic" ]; do
		i=$((i + 1))
		if [ $i -gt 1200 ]; then
			echo "loss_none_l0: nvmxd not ready in 120 s ($d)" >&2
			exit 2
		fi
		sleep 0.1
	done
	# the storm starts half a second after the default nvmxd is ready (mapstorm --after)
	sleep 1
}

stop() {
	kill -INT "$p1" "$p2" 2>/dev/null
	wait "$p1"
	echo "$?" >"$1/nvmxd.rc"
	wait "$p2"
	echo "$?" >"$1/classic.rc"
}

n=1
while [ $n -le "$runs" ]; do
	start "$out/run-$n"
	sh -c "$NVMX_LAB_WORKLOAD" >"$out/run-$n/workload.stdout" 2>"$out/run-$n/workload.stderr"
	echo "$?" >"$out/run-$n/workload.rc"
	cp /out/truth.json "$out/run-$n/truth.json"
	stop "$out/run-$n"
	n=$((n + 1))
done

# /init's run: the lab sends SIGINT to this process group when its workload has ended
start "$out/run-init" --record "$out/run-init/record.txt"
trap 'kill -INT "$p1" "$p2" 2>/dev/null' INT
touch "$out/ready"
# a wait the trap interrupts returns early: wait again until each has exited
for p in "$p1" "$p2"; do
	wait "$p"
	rc=$?
	while kill -0 "$p" 2>/dev/null; do
		wait "$p"
		rc=$?
	done
	[ "$p" = "$p1" ] && echo "$rc" >"$out/run-init/nvmxd.rc" ||
		echo "$rc" >"$out/run-init/classic.rc"
done
