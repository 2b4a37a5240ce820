#!/bin/sh
# The regression gate end to end (ctest -L bench): three default lab benches (`nvmx bench run`,
# QEMU -icount shift=4: L0's clock counts instructions), each its own boot. Two of the same
# configuration (mult=2) must compare clean; an L1 that exits once more per handled exit
# (mult=3) must be flagged, naming the L1 exit reason whose certain count changed
# (count.l1_exits.svm.cpuid) and the round trip's part that grew (l1_exit_service_ns), and with
# the exact counts and ratios not gated (a thresholds file), the time metrics alone must still
# flag it at the defaults. About 50 s per boot on a 2-core machine.
#
# usage: gate_test.sh NVMX OUTDIR
set -u
nvmx=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
. "$(cd "$(dirname "$0")" && pwd)/../tally.sh"
tmp=$out
. "$(cd "$(dirname "$0")" && pwd)/expect.sh"

# run NAME [OPTIONS...]: one default bench into OUTDIR/NAME.json; the test fails if it cannot run
run() {
	name=$1
	shift
	if ! "$nvmx" bench run -o "$out/$name.json" --name "$name" "$@" 2>"$out/$name.log"; then
		bad "nvmx bench run $* (exit $?; its log: $out/$name.log):"
		tail -5 "$out/$name.log" | sed 's/^/    /'
		finish
	fi
	check "$name: the result records L0's clock, icount shift=4" \
		grep -q '"clock": "icount shift=4"' "$out/$name.json"
}

run base-a
run base-b
run mult3 -w cpuid,io-out-l0,mult=3

expect 0 '^no regression' "two boots of one configuration compare clean" \
	"$out/base-a.json" "$out/base-b.json"
expect 0 '^no regression' "the same, the other way round" "$out/base-b.json" "$out/base-a.json"
expect 1 'REGRESSION +count\.l1_exits\.svm\.cpuid \[exact\]: 1000 -> 1500' \
	"mult=3 against mult=2: the L1 exit reason that changed" "$out/base-a.json" "$out/mult3.json"
expect 1 'REGRESSION +time\.rt\.svm\.cpuid\.l1_exit_service_ns \[time\]' \
	"mult=3 against mult=2: the round trip's part that changed" \
	"$out/base-a.json" "$out/mult3.json"
expect 1 'environment: l1: nvmx-lab-workload svm mult=2 -> nvmx-lab-workload svm mult=3' \
	"mult=3 against mult=2: the L1 named" "$out/base-a.json" "$out/mult3.json"
# times alone: counts and ratios not gated, the default time thresholds
printf 'count.* ignore\nratio.* ignore\n' >"$out/times-only"
expect 1 'REGRESSION +time\.rt\.svm\.cpuid\.l1_exit_service_ns \[time\]' \
	"mult=3 against mult=2, times alone" "$out/base-a.json" "$out/mult3.json" \
	--thresholds "$out/times-only"
# the wall clock's results are not compared with an instruction clock's
sed 's/"clock": "icount shift=4"/"clock": "wall"/' "$out/base-b.json" >"$out/wall.json"
expect 2 '^nvmx bench compare: cannot compare: different clocks: BASE.s L0 clock is icount shift=4, NEW.s wall' \
	"an icount result against a wall-clock one: cannot compare" "$out/base-a.json" \
	"$out/wall.json"
check "different clocks: one line" [ "$(wc -l <"$out/out")" = 1 ]
finish
