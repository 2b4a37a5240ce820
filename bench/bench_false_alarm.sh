#!/bin/sh
# False alarms of `nvmx bench compare`: PAIRS pairs of default lab benches of one and the same
# configuration (`nvmx bench run`, then `nvmx bench run` again, then `nvmx bench compare`); every
# exit status 1 is a false alarm. Prints one line per pair (exit status, seconds of the two runs
# and the compare, the metric named), then the rate. Results go in docs/ci.md. Not a test: it
# boots the lab 2 x PAIRS times (about 25 s per pair on a 2-core machine on the wall clock,
# 65-115 s under icount, the default since issue 19). bench/bench_spread.py DIR/*.json then
# gives every metric's spread within and between the boots.
#
# --chain: PAIRS + 1 boots, not 2 x PAIRS: pair i compares boot i - 1 (BASE) with boot i (NEW),
# so each boot is the NEW of one pair and the BASE of the next; every pair is still two separate
# boots. For the VMX lab under Bochs (--isa vmx), whose boot with nvmxd takes about 4 minutes.
#
# usage: bench/bench_false_alarm.sh [--chain] NVMX [PAIRS (20)] [WORKDIR] [bench run options...]
set -u
chain=false
[ "${1:-}" = --chain ] && chain=true && shift
nvmx=$1
pairs=${2:-20}
dir=${3:-/tmp/nvmx-false-alarm}
shift $(($# < 3 ? $# : 3))
mkdir -p "$dir"
alarms=0 errors=0 total_max=0
i=1
while [ "$i" -le "$pairs" ]; do
	t0=$(date +%s.%N)
	if $chain && [ "$i" -gt 1 ]; then
		# the previous pair's NEW boot is this pair's BASE (a copy: bench_spread.py takes
		# new-*.json as the boots, base-1.json the first)
		cp "$dir/new-$((i - 1)).json" "$dir/base-$i.json" &&
			"$nvmx" bench run -o "$dir/new-$i.json" "$@" 2>"$dir/new-$i.log"
	else
		"$nvmx" bench run -o "$dir/base-$i.json" "$@" 2>"$dir/base-$i.log" &&
			"$nvmx" bench run -o "$dir/new-$i.json" "$@" 2>"$dir/new-$i.log"
	fi
	run=$?
	t1=$(date +%s.%N)
	if [ "$run" != 0 ]; then
		echo "pair $i: bench run failed ($run), see $dir/*-$i.log"
		errors=$((errors + 1))
		i=$((i + 1))
		continue
	fi
	"$nvmx" bench compare "$dir/base-$i.json" "$dir/new-$i.json" >"$dir/compare-$i.txt" 2>&1
	st=$?
	t2=$(date +%s.%N)
	[ "$st" = 1 ] && alarms=$((alarms + 1))
	[ "$st" = 2 ] && errors=$((errors + 1))
	# one default bench in CI = one run + one compare (the baseline is stored)
	runs=2
	$chain && [ "$i" -gt 1 ] && runs=1
	one=$(echo "($t1 - $t0) / $runs + ($t2 - $t1)" | bc -l)
	printf "pair %d: exit %d, $runs run(s) %.1f s, compare %.2f s, one bench %.1f s: %s\n" "$i" "$st" \
		"$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)" "$one" \
		"$(head -1 "$dir/compare-$i.txt")"
	i=$((i + 1))
done
echo "false alarms: $alarms of $pairs pairs ($errors could not run or compare)"
[ "$alarms" = 0 ] && [ "$errors" = 0 ]
