#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nvmxd makes no BPF map syscall in its steady state (issue 16): a map syscall raises its CPU's
# bpf_prog_active, and a classic tracepoint program (VMX's kvm_exit, kvm_nested_vmexit; the
# nested-state fallback) that fires there meanwhile is skipped: lost events. With no scrape and no
# --interval output due, nvmxd reads the record's drop counters through mmap (nvmx_drops) and
# learns new threads from records in nvmx_anomalies; nothing else. On this host, as root:
#   1. nvmxd --record --json --listen, idle: strace -f counts its bpf() calls over 5 s: none;
#   2. the control, that strace sees them: one scrape of /metrics in a second window makes some.
#
# usage: steady_syscalls.sh NVMXD
set -u
nvmxd=$1
. "$(dirname "$0")/harness.sh"
need_root
command -v strace >/dev/null || { bad "strace is not installed (scripts/debian-packages)"; finish; }
command -v curl >/dev/null || { bad "curl is not installed (scripts/debian-packages)"; finish; }
dir=$(mktemp -d /tmp/nvmx_steady.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

# --user root: keeps root, so that the window below sees the same process as the control
"$nvmxd" --interval 3600 --record "$dir/record.txt" --json "$dir/nvmxd.json" \
	--listen 127.0.0.1:0 --user root --ready "$dir/ready" >"$dir/stdout" 2>"$dir/stderr" &
pid=$!
if ! wait_ready "$dir/ready" "$pid"; then
	bad "nvmxd did not get ready: $(tail -3 "$dir/stderr")"
	finish
fi
port=$(served_port "$dir/stderr")
[ -n "$port" ] || { bad "nvmxd did not say where it serves: $(tail -3 "$dir/stderr")"; finish; }
# past the start: the first poll, the first 250 ms (where nvmxd walked nvmx_threads before)
sleep 1

# window SECONDS OUT [COMMAND...]: strace nvmxd's threads for SECONDS while COMMAND runs
window() {
	secs=$1 out=$2
	shift 2
	timeout -s INT "$secs" strace -f -qq -e trace=bpf -p "$pid" -o "$out" &
	spid=$!
	sleep 1 # strace attached to every thread
	[ $# -gt 0 ] && "$@" >/dev/null 2>&1
	wait "$spid"
	grep -c 'bpf(' "$out"
}

n=$(window 6 "$dir/steady.strace")
[ "$n" = 0 ] && ok "steady state: no bpf() syscall in 5 s (no scrape, no --interval output)" ||
	bad "steady state: $n bpf() syscalls in 5 s: $(sed -n 's/^[0-9]* *bpf(\([A-Z_]*\).*/\1/p' "$dir/steady.strace" | sort | uniq -c | tr -s ' \n' ' ')"
n=$(window 4 "$dir/scrape.strace" curl -sf "http://127.0.0.1:$port/metrics")
[ "${n:-0}" -gt 0 ] && ok "control: a scrape reads the maps, and strace sees it ($n bpf() calls)" ||
	bad "control: strace saw no bpf() call during a scrape: it does not see nvmxd's syscalls"
kill -INT "$pid"
wait "$pid"
status=$?
pid=
[ "$status" -eq 0 ] && ok "nvmxd: exit 0 after SIGINT" || bad "nvmxd: exit $status after SIGINT"
finish
