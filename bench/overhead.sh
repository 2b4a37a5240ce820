#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The overhead benchmark of issue #10, one command: in ONE nested-lab session (Debian L0 under
# QEMU TCG, kvm_amd nested=1), the nested workload's run time with nothing attached, nvmxd's fast
# path, nvmxd --record, perf kvm stat record, an equivalent bpftrace script and tracefs event
# counting, alternating; nvmxd's BPF cost per event beside an empty and a single-counter
# program; nvmxd's own CPU and RSS at idle and under the workload. Method and results:
# docs/perf.md. As root (it installs linux-perf and bpftrace with apt-get when missing, and runs
# the lab).
#
# usage: bench/overhead.sh [--build DIR] [--rounds R] [--stats-runs S] [--iterations N]
#                          [--workload SPEC] [--kernel 6.1|6.12] [--icount SHIFT | --no-icount]
#                          [--l1 minimal|kvm] [--out DIR] [--result FILE] [--name LABEL]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=$here/../build
rounds=5
stats_runs=3
result=
name=
iterations=2000
workload=cpuid,io-out-l1,rdmsr-l0
kernel=6.12
icount=4
l1=minimal
out=
tools="none nvmxd nvmxd-rec perf bpftrace tracefs"

usage() {
	sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'
	cat <<EOT

Options (defaults):
  --build DIR        nvmx's CMake build directory ($build)
  --rounds R         rounds; each times every tool once, in a rotated order ($rounds)
  --stats-runs S     timed runs with nvmxd --baseline --bpf-stats, one nvmxd: the
                     program table, and S repeats of each program's cost in the result
                     file ($stats_runs)
  --iterations N     the workload's iterations per run ($iterations)
  --workload SPEC    nvmx lab workload elements ($workload)
  --kernel K         L0's Debian kernel ($kernel)
  --l1 minimal|kvm   L1: the lab's minimal hypervisor ($l1), or Linux KVM (the lab's
                     --l1 kvm: every timed run boots L1, whose L2 runs the workload;
                     its elements: \`nvmx lab workloads --l1 kvm\`)
  --icount SHIFT     QEMU -icount shift=SHIFT: L0's clock counts instructions, so timings
                     repeat within 1% instead of 3-55% on a shared machine ($icount)
  --no-icount        wall-clock timing (QEMU's default clock)
  --out DIR          where the lab run goes (default: a new directory under /tmp)
  --result FILE      the program table as an \`nvmx bench\` result file (default: DIR/overhead.json):
                     \`nvmx bench compare BASE NEW\` flags a program that got heavier
                     (docs/ci.md, "The BPF fast path")
  --name LABEL       the result's name (e.g. a commit id)
EOT
}

while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--stats-runs) stats_runs=$2; shift 2 ;;
	--result) result=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--iterations) iterations=$2; shift 2 ;;
	--workload) workload=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--l1) l1=$2; shift 2 ;;
	--icount) icount=$2; shift 2 ;;
	--no-icount) icount=; shift ;;
	--out) out=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "overhead.sh: unknown argument $1 (--help)" >&2; exit 2 ;;
	esac
done

case $rounds$stats_runs in *[!0-9]* | '') echo "overhead.sh: --rounds and --stats-runs take a number (--help)" >&2; exit 2 ;; esac
[ "$stats_runs" -gt 0 ] || { echo "overhead.sh: --stats-runs must be at least 1" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "overhead.sh: run as root (apt-get, the lab)" >&2; exit 2; }
for p in linux-perf bpftrace; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		echo "overhead.sh: installing $p (apt-get)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$p" >&2
	fi
done
cmake --build "$build" -j2 --target nvmx nvmxd overhead_tm >&2
build=$(cd "$build" && pwd)
nvmx=$build/cli/nvmx
nvmxd=$build/src/nvmxd
tm=$build/src/overhead_tm
[ -n "$out" ] || out=$(mktemp -d /tmp/nvmx-overhead.XXXXXX)
[ -n "$result" ] || result=$out/overhead.json

set -- --l1 "$l1" --kernel "$kernel" --workload "$workload" --iterations "$iterations" \
	--timeout 3600 --ready-timeout 36000 \
	--ship /usr/bin/perf --ship /usr/bin/bpftrace --ship "$nvmxd" --ship "$tm" \
	--ship "$here/overhead/exits.bt" \
	--exec "$here/overhead/l0_bench.sh $rounds '$tools' $nvmxd $tm $here/overhead/exits.bt $stats_runs" \
	--out "$out"
[ -z "$icount" ] || set -- "$@" --icount "$icount"
echo "overhead.sh: $rounds rounds of: $tools; workload $workload x $iterations on $kernel" \
	"(icount: ${icount:-off}); lab run in $out" >&2
"$nvmx" lab run "$@" >&2 || {
	echo "overhead.sh: the lab run failed (exit $?); see $out/console.log, $out/exec/" >&2
	exit 1
}
echo "# overhead benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -n), nvmx $(git -C "$here" rev-parse --short HEAD 2>/dev/null)"
echo "# workload $workload x $iterations, L1 $l1, L0 $kernel, $rounds rounds, icount ${icount:-off}"
python3 "$here/overhead/analyze.py" "$out/exec"
python3 "$here/overhead/analyze.py" "$out/exec" --markdown >"$out/overhead.md"
echo "# the same as Markdown tables: $out/overhead.md"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
python3 "$here/overhead/analyze.py" "$out/exec" --result "$result" --version "${version:-unknown}" \
	${name:+--name "$name"} ${icount:+--icount "$icount"} || exit 1
echo "# the program table as an nvmx bench result: $result"
