#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The overhead benchmark's L0 side (issue #10), run by bench/overhead.sh as the lab's --exec
# command: the nested workload ($NVMX_LAB_WORKLOAD, the lab's own command line) timed again and
# again in ONE boot, with each tool attached in turn, the order rotated every round so drift and
# noise hit every tool alike:
#   none       nothing attached: no kvm event enabled, tracing off
#   nvmxd      nvmxd's fast path (per-CPU counters and histograms in the kernel)
#   nvmxd-rec  nvmxd --record: every event also through the ring buffer to a file
#   perf       perf kvm stat record -a (Debian linux-perf)
#   bpftrace   exits.bt: exits per reason and exit->entry histograms (Debian bpftrace)
#   tracefs    the kvm events of the lab's capture, counted by tracefs (tracing_on)
# Each tool attaches before the timed run and detaches after it: only the workload is timed
# (overhead_tm). Then nvmxd's BPF cost per event beside an empty and a single-counter program
# (--baseline --bpf-stats; STATS_RUNS timed runs, one nvmxd), and nvmxd's own CPU and RSS at
# idle and under the workload, with and without scrapes of /metrics. Results go to $NVMX_LAB_OUT (results.txt, bpf.txt,
# nvmxd.txt, log.txt); the host side (bench/overhead/analyze.py) reads them.
#
# usage: l0_bench.sh ROUNDS "TOOLS" NVMXD TM EXITS_BT [STATS_RUNS]
set -u
rounds=$1 tools=$2 nvmxd=$3 tm=$4 bt=$5 stats_runs=${6:-3}
T=/sys/kernel/tracing
O=$NVMX_LAB_OUT
R=$O/results.txt
L=$O/log.txt
WL=$NVMX_LAB_WORKLOAD

now() { cut -d' ' -f1 /proc/uptime; }
log() { echo "$(now) $*" >>"$L"; }
die() {
	log "FAILED: $*"
	echo "l0_bench: $*" >&2
	exit 1
}

# Nothing attached for "none": /init enables its kvm events only around its own workload run.
for e in $T/events/kvm/*/enable; do
	[ "$(cat "$e")" = 0 ] || die "kvm event $e is enabled before ready: no clean baseline"
done
# The events tracefs counts: the ones nvmx reads (and the lab captures).
events="kvm_exit kvm_entry kvm_nested_vmexit kvm_nested_vmexit_inject kvm_nested_vmenter
kvm_nested_vmenter_failed kvm_nested_intr_vmexit kvm_userspace_exit kvm_msr kvm_inj_virq
kvm_inj_exception"
echo 0 >$T/tracing_on
echo >$T/trace
: >"$R"
log "start: rounds=$rounds tools=$tools workload=$WL"

# The workload as a script: $NVMX_LAB_WORKLOAD has shell quoting, and bpftrace -c splits words.
printf '#!/bin/sh\n%s >/tmp/wl.out 2>&1\n' "$WL" >/tmp/wl.sh
chmod 755 /tmp/wl.sh

# One timed run of the workload, tagged.
timed() { "$tm" "$R" "$1" /tmp/wl.sh || die "$1: the workload failed: $(tail -3 /tmp/wl.out)"; }

# Starts nvmxd with its arguments and waits until it has attached (logging how long it took, in
# L0's clock); sets np. The limit is 15000 polls of 20 ms plus each poll's usleep: with
# -icount 4 on 6.12, nvmxd took 133-136 s of L0's clock to load and attach (2026-12-05), and
# main's build at c18b140 did not attach within 60 s either (a lab boot with --exec nvmxd).
nvmxd_start() {
	rm -f /tmp/nready
	t0=$(now)
	"$nvmxd" --ready /tmp/nready "$@" >/tmp/nvmxd.out 2>/tmp/nvmxd.err &
	np=$!
	i=0
	while [ ! -e /tmp/nready ]; do
		kill -0 "$np" 2>/dev/null || die "nvmxd $*: exited before attaching: $(tail -3 /tmp/nvmxd.err)"
		i=$((i + 1))
		[ $i -lt 15000 ] || die "nvmxd $*: not attached after 300 s"
		usleep 20000
	done
	log "nvmxd $*: attached after $(echo "$(now) $t0" | awk '{ printf "%.2f", $1 - $2 }') s"
}

nvmxd_stop() {
	kill -INT "$np"
	wait "$np" || die "nvmxd exited with $?: $(tail -3 /tmp/nvmxd.err)"
}

run_tool() {
	case $1 in
	none)
		timed none
		;;
	nvmxd)
		nvmxd_start --interval 3600
		timed nvmxd
		nvmxd_stop
		;;
	nvmxd-rec)
		nvmxd_start --interval 3600 --record /tmp/rec.txt
		timed nvmxd-rec
		nvmxd_stop
		log "nvmxd-rec: $(wc -l </tmp/rec.txt) lines recorded"
		rm -f /tmp/rec.txt
		;;
	perf)
		# perf starts the workload itself (-a: every CPU); setup is outside the timed run
		/usr/bin/perf kvm stat record -a -o /tmp/perf.data "$tm" "$R" perf /tmp/wl.sh \
			>/tmp/perf.out 2>&1 ||
			die "perf kvm stat record failed: $(tail -3 /tmp/perf.out)"
		[ -e "$O/perf-report.txt" ] ||
			/usr/bin/perf kvm -i /tmp/perf.data stat report --event vmexit >"$O/perf-report.txt" 2>&1
		rm -f /tmp/perf.data
		;;
	bpftrace)
		/usr/bin/bpftrace -c "$tm $R bpftrace /tmp/wl.sh" "$bt" >/tmp/bt.out 2>&1 ||
			die "bpftrace failed: $(tail -3 /tmp/bt.out)"
		[ -e "$O/bpftrace.txt" ] || cp /tmp/bt.out "$O/bpftrace.txt"
		;;
	tracefs)
		echo >$T/trace
		for e in $events; do echo 1 >$T/events/kvm/$e/enable; done
		echo 1 >$T/tracing_on
		timed tracefs
		echo 0 >$T/tracing_on
		echo 0 >$T/events/kvm/enable
		[ -e "$O/tracefs-stats.txt" ] || cat $T/per_cpu/cpu*/stats >"$O/tracefs-stats.txt"
		echo >$T/trace
		;;
	*)
		die "unknown tool $1"
		;;
	esac
}

timed warmup # the first run after boot is slower (page cache, KVM's first VM)
r=1
while [ "$r" -le "$rounds" ]; do
	# shellcheck disable=SC2086 # tools is a list of words
	set -- $tools
	k=1
	while [ "$k" -lt "$r" ]; do # rotate: round r starts with tool r
		x=$1
		shift
		set -- "$@" "$x"
		k=$((k + 1))
	done
	for t in "$@"; do
		run_tool "$t"
	done
	log "round $r of $rounds done"
	r=$((r + 1))
done

# BPF cost per event: nvmx's programs beside the empty and the single-counter program on
# kvm_exit, in the same run. One nvmxd (its load takes minutes of L0's clock under icount) and
# $stats_runs timed runs of the workload; nvmxd's /metrics (nvmx_bpf_program_runs,
# nvmx_bpf_program_run_seconds) is scraped before the first and after each, so analyze.py gets
# each run's cost per program from the differences: the repeats of the result file that
# `nvmx bench compare` reads (its time.bpf.* metrics). The totals are also in nvmxd's final
# summary (bpf.txt).
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up # L0's /init leaves lo down
nvmxd_start --interval 3600 --baseline --bpf-stats --listen 127.0.0.1:9478 --user 65534:65534
k=0
while :; do
	wget -q -O "$O/bpf-stats-$k.prom" http://127.0.0.1:9478/metrics ||
		die "cannot scrape nvmxd --bpf-stats (snapshot $k)"
	[ "$k" -lt "$stats_runs" ] || break
	timed bpf-stats
	k=$((k + 1))
done
nvmxd_stop
# (the lines are in nvmxd's final summary, on its standard output)
cat /tmp/nvmxd.out /tmp/nvmxd.err | grep '^  program ' >"$O/bpf.txt" ||
	log "nvmxd --bpf-stats printed no program line: $(tail -3 /tmp/nvmxd.out)"

# nvmxd's own CPU (/proc/PID/task/*/schedstat: ns on CPU, the HTTP thread included) and memory, at idle and under the workload,
# without and with a scrape of /metrics every 0.5 s. The programs' work is not nvmxd's: it runs
# in the vCPU threads; nvmxd's own work is reading the maps, per scrape or per --interval.
cpu_ns() { cat /proc/"$np"/task/*/schedstat | awk '{ s += $1 } END { print s }'; } # every thread
mem() { awk '/^VmRSS|^VmHWM/ { printf "%s %s kB ", $1, $2 }' "/proc/$np/status"; }
scrapes() { # scrape every 0.5 s until the file $1 disappears; prints the count
	n=0
	while [ -e "$1" ]; do
		wget -q -O /dev/null http://127.0.0.1:9477/metrics && n=$((n + 1)) ||
			log "scrape failed"
		usleep 500000
	done
	echo $n >/tmp/scrapes
}
phase() { # phase NAME SCRAPE(0/1) WORK...: nvmxd CPU, scrapes and memory over WORK
	name=$1 scrape=$2
	shift 2
	c0=$(cpu_ns)
	t0=$(now)
	echo 0 >/tmp/scrapes
	if [ "$scrape" = 1 ]; then
		touch /tmp/scraping
		scrapes /tmp/scraping &
		sp=$!
	fi
	"$@"
	if [ "$scrape" = 1 ]; then
		rm -f /tmp/scraping
		wait $sp
	fi
	c1=$(cpu_ns)
	t1=$(now)
	echo "$name seconds $(echo "$t1 - $t0" | bc) cpu_ns $((c1 - c0)) scrapes $(cat /tmp/scrapes) $(mem)" >>"$O/nvmxd.txt"
}
idle() { sleep 10; }
work() { timed nvmxd-resources; }
: >"$O/nvmxd.txt"
nvmxd_start --interval 3600 --listen 127.0.0.1:9477 --user 65534:65534 # no passwd in L0
echo "attached $(mem)" >>"$O/nvmxd.txt"
# The scrape's work depends on how many keys the maps hold: compare scrapes at 0 exits/s and at
# the workload's rate with the same keys in the maps (after a first workload run).
phase idle 0 idle
phase workload 0 work
phase idle-after-workload 0 idle
phase idle-after-workload-scraped 1 idle
phase workload-scraped 1 work
nvmxd_stop
log "end"

echo >$T/trace
touch "$O/ready" # the lab's own, truth-checked run of the workload follows
trap 'exit 0' INT TERM
while :; do sleep 1; done
