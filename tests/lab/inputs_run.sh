#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One lab run, three captures of the same workload (inputs_l0.sh): the lab's tracefs text,
# `perf record -e 'kvm:*'` (perf script afterwards, on this host: microseconds and --ns) and
# `trace-cmd record` (trace.dat). Each replays to the same counts as the tracefs text (every
# count) and to the workload's truth (certain counts); no line of either is malformed; a trace.dat
# through a pipe is refused with exit 2. Host tools: Debian's linux-perf (perf script).
#
# usage: inputs_run.sh NVMX OUT LAB-RUN-ARGS...
# With NVMX_INPUTS_DATA=DIR, the captures are also written to DIR (how tests/data/inputs-* is made).
set -u
nvmx=$1 out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
perf=/usr/bin/perf
tracecmd=/usr/bin/trace-cmd
for t in $perf $tracecmd; do
	[ -x "$t" ] || { echo "FAILED: $t missing (scripts/debian-packages/test: linux-perf, trace-cmd)"; exit 1; }
done
rm -rf "$out"
"$nvmx" lab run "$@" --ship $perf --ship $tracecmd --exec "$here/inputs_l0.sh" \
	--ready-timeout 600 --out "$out" || { echo "FAILED: nvmx lab run exited $?"; exit 1; }

. "$here/../tally.sh"
e=$out/exec
# perf record ends by re-raising the SIGINT that stopped it: 130
check "perf record ran and stopped on SIGINT, its data written" \
	sh -c "[ \"\$(cat '$e/perf-record.rc')\" = 130 ] && grep -q 'Captured and wrote' '$e/perf-record.out'"
check "trace-cmd record ran and stopped cleanly" sh -c "[ \"\$(cat '$e/trace-cmd.rc')\" = 0 ]"
$perf script -i "$e/perf.data" --show-lost-events >"$out/perf.txt" 2>"$out/perf-script.err"
check "perf script (microseconds) ran" [ $? = 0 ]
$perf script -i "$e/perf.data" --show-lost-events --ns >"$out/perf-ns.txt" 2>"$out/perf-script-ns.err"
check "perf script --ns ran" [ $? = 0 ]
xz -dc "$out/trace.txt.xz" >"$out/tracefs.txt"
cp "$e/trace.dat" "$out/trace.dat"

for f in tracefs.txt perf.txt perf-ns.txt trace.dat; do
	"$nvmx" replay "$out/$f" --json >"$out/$f.json" 2>"$out/$f.err"
	check "$f replays (exit 0)" [ $? = 0 ]
	check "$f: no malformed line (nothing on stderr)" [ ! -s "$out/$f.err" ]
	check "$f: no lost event" grep -q '"lost_events": 0' "$out/$f.json"
	check "$f equals the replay of the tracefs text (every count)" \
		"$nvmx" compare --all "$out/observed.json" "$out/$f.json"
	check "$f equals the workload's truth (certain counts)" \
		"$nvmx" compare "$out/truth.json" "$out/$f.json"
done
# libtracecmd seeks in its file: through a pipe, refused with one line and exit 2
cat "$out/trace.dat" | "$nvmx" replay /dev/stdin --json >/dev/null 2>"$out/pipe.err"
check "a trace.dat through a pipe: exit 2" [ $? = 2 ]
check "a trace.dat through a pipe: one line naming the pipe" \
	sh -c "[ \$(wc -l <'$out/pipe.err') = 1 ] && grep -q 'cannot be read from a pipe' '$out/pipe.err'"

if [ -n "${NVMX_INPUTS_DATA:-}" ]; then
	mkdir -p "$NVMX_INPUTS_DATA"
	cp "$out/tracefs.txt" "$out/perf.txt" "$out/perf-ns.txt" "$out/trace.dat" "$out/truth.json" \
		"$NVMX_INPUTS_DATA/"
fi
finish
