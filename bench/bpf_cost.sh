#!/bin/sh
# BPF cost per event of each nvmx program, against an empty program on kvm_exit in the same run.
#
# Runs the nested lab RUNS times with nvmxd --baseline --bpf-stats in L0 (the kernel's
# run_time_ns / run_cnt per program, BPF_ENABLE_STATS), and prints, per program, the median over
# runs of ns per run and of its ratio to the empty program of the same run. Emulated time (QEMU
# TCG) makes the nanoseconds meaningless on their own: read the ratios.
#
# usage: bench/bpf_cost.sh [BUILD_DIR] [RUNS] [KERNEL] [ITERATIONS]
set -eu
build=${1:-build}
runs=${2:-5}
kernel=${3:-6.12}
iterations=${4:-500}
workload=cpuid,vmmcall,io-out-l1,rdmsr-l0,intr
command -v jq >/dev/null || { echo "bpf_cost.sh: needs jq (apt-get install jq)" >&2; exit 2; }
tmp=$(mktemp -d /tmp/nvmx-bpf-cost.XXXXXX)
nvmxd=$(cd "$build" && pwd)/src/nvmxd

for i in $(seq "$runs"); do
	echo "run $i of $runs" >&2
	"$build/cli/nvmx" lab run --kernel "$kernel" --workload "$workload" \
		--iterations "$iterations" --out "$tmp/run$i" \
		--exec "$nvmxd --baseline --bpf-stats --interval 600 --json \$NVMX_LAB_OUT/nvmxd.json --ready \$NVMX_LAB_OUT/ready" \
		2>"$tmp/run$i.log" || { echo "run $i failed: $tmp/run$i.log" >&2; exit 1; }
	jq -r --arg run "$i" '
		(.nvmxd.programs[] | select(.baseline) | .run_time_ns / .run_cnt) as $base
		| .nvmxd.programs[] | select(.run_cnt > 0)
		| "\($run) \(.program) \(.run_cnt) \(.run_time_ns / .run_cnt) \((.run_time_ns / .run_cnt) / $base)"' \
		"$tmp/run$i/exec/nvmxd.json"
done >"$tmp/samples"

echo "kernel $kernel, workload $workload x $iterations, $runs runs, $(date -u +%Y-%m-%d)"
echo
echo "| program | runs per lab run | ns per run (median) | ratio to the empty program (median) |"
echo "|---|---|---|---|"
for p in $(cut -d' ' -f2 "$tmp/samples" | sort -u); do
	median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
	cnt=$(awk -v p="$p" '$2 == p { print $3 }' "$tmp/samples" | median)
	ns=$(awk -v p="$p" '$2 == p { print $4 }' "$tmp/samples" | median)
	ratio=$(awk -v p="$p" '$2 == p { print $5 }' "$tmp/samples" | median)
	printf '| %s | %.0f | %.0f | %.2f |\n' "$p" "$cnt" "$ns" "$ratio"
done
echo
echo "(samples: $tmp/samples)"
