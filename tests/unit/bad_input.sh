#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every reader on input it cannot use: exit status 2 and ONE line on stderr naming the program,
# the file, the line where there is one, and what was wrong; never a crash, a hang or an
# unbounded read. Good input through a pipe gives what the file gives. One ctest test per reader.
#
# usage: bad_input.sh READER NVMX NVMXTOP DATA
#   READER: replay report bitmap compare bench_compare top_replay top_connect
set -u
reader=$1 nvmx=$2 nvmxtop=$3 data=$4
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
fail=0
good=$data/6.1-qemu64-N1000/trace.txt.xz

# expect RC WANT_STDERR CMD...: CMD exits RC within 20 s and its stderr is exactly WANT_STDERR
expect() {
	want_rc=$1 want_err=$2
	shift 2
	timeout 20 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	got_err=$(cat "$tmp/err")
	if [ "$rc" != "$want_rc" ] || [ "$got_err" != "$want_err" ]; then
		echo "FAIL: $*" >&2
		echo "  rc $rc, want $want_rc" >&2
		echo "  stderr: $(head -c 2000 "$tmp/err")" >&2
		echo "  want:   $want_err" >&2
		fail=1
	fi
}

# inputs no reader can use
: >"$tmp/empty"
printf 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n' \
	>"$tmp/passwd"
head -c 3000 "$good" | base64 >"$tmp/base64"
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\003\000>\000' >"$tmp/binary"
head -c 40000 "$good" >"$tmp/truncated.xz"
# a corrupt block: bytes 2000..2099 of the compressed data replaced
{ head -c 2000 "$good"; head -c 100 /dev/zero; tail -c +2101 "$good"; } >"$tmp/corrupt.xz"
head -c 100000 /dev/zero | tr '\0' a >"$tmp/hugeline"
# a tracefs capture with no KVM event (sched_switch only)
printf '# tracer: nop\n#\n            bash-1     [000] d..2.     1.000000: sched_switch: x\n' \
	>"$tmp/nokvm"
# a good capture with 3, then 30 malformed lines among its events
xz -dc "$good" >"$tmp/good.txt"
{ sed -n 1,20p "$tmp/good.txt"; printf 'garbage one\ngarbage two\ngarbage three\n'
  sed -n '21,$p' "$tmp/good.txt"; } >"$tmp/three_bad.txt"
{ sed -n 1,20p "$tmp/good.txt"; for i in $(seq 30); do echo "garbage $i"; done
  sed -n '21,$p' "$tmp/good.txt"; } >"$tmp/thirty_bad.txt"

# perf script and trace-cmd's trace.dat of one lab run (tests/data/README.md)
perf=$data/inputs-6.12/perf.txt.xz
dat=$data/inputs-6.12/trace.dat
head -c 100 "$dat" >"$tmp/cut.dat"
{ xz -dc "$perf" | sed -n 1,10p; echo 'garbage among perf lines'; xz -dc "$perf" | sed -n '11,$p'; } \
	>"$tmp/perf_bad.txt"

# same_through_a_pipe CMD FILE: nvmx CMD of a pipe of FILE gives what FILE gives
same_through_a_pipe() {
	"$nvmx" "$1" "$2" >"$tmp/want" 2>&1
	expect 0 "" sh -c 'cat "$1" | "$2" "$3" /dev/stdin' sh "$2" "$nvmx" "$1"
	sed -i "s|/dev/stdin|$2|" "$tmp/out" # bitmap names its input
	if ! cmp -s "$tmp/want" "$tmp/out"; then
		echo "FAIL: $1 of a pipe of $2 differs from the file's" >&2
		fail=1
	fi
}

# the trace readers: replay, report, bitmap (all: a capture or an attribution JSON)
trace_reader() {
	cmd=$1 p="nvmx $1"
	expect 2 "$p: $tmp/passwd:1: not a KVM trace: expected a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'" \
		"$nvmx" "$cmd" "$tmp/passwd"
	expect 2 "$p: $tmp/base64:1: not a KVM trace: expected a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'" \
		"$nvmx" "$cmd" "$tmp/base64"
	expect 2 "$p: $tmp/binary:1: not a KVM trace: expected a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'" \
		"$nvmx" "$cmd" "$tmp/binary"
	expect 2 "$p: $tmp/empty: not a KVM trace: no KVM event in 0 lines" "$nvmx" "$cmd" "$tmp/empty"
	expect 2 "$p: $tmp/nokvm: not a KVM trace: no KVM event in 3 lines" "$nvmx" "$cmd" "$tmp/nokvm"
	expect 2 "$p: $tmp/hugeline:1: a line longer than 65536 bytes: not a trace" \
		"$nvmx" "$cmd" "$tmp/hugeline"
	expect 2 "$p: $tmp/truncated.xz: truncated .xz: the compressed data ends mid-stream" \
		"$nvmx" "$cmd" "$tmp/truncated.xz"
	expect 2 "$p: $tmp/corrupt.xz: corrupt .xz data" "$nvmx" "$cmd" "$tmp/corrupt.xz"
	expect 2 "$p: /nonexistent/trace.txt: No such file or directory" "$nvmx" "$cmd" \
		/nonexistent/trace.txt
	expect 2 "$p: /: Is a directory" "$nvmx" "$cmd" /
	# reading offset 0 of a process's memory is EIO: an error of its own, not a malformed line
	expect 2 "$p: /proc/self/mem: Input/output error" "$nvmx" "$cmd" /proc/self/mem
	# a few malformed lines among good ones: reported, counted, exit 0
	expect 0 "$tmp/three_bad.txt:21: expected a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'
$tmp/three_bad.txt:22: expected a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'
$tmp/three_bad.txt:23: expected a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'" \
		"$nvmx" "$cmd" "$tmp/three_bad.txt"
	# ... at most 10 of them, then how many more
	want=""
	for i in $(seq 21 30); do
		want="$want$tmp/thirty_bad.txt:$i: expected a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'
"
	done
	expect 0 "$want$tmp/thirty_bad.txt: ... and 20 more malformed lines" \
		"$nvmx" "$cmd" "$tmp/thirty_bad.txt"
	# trace-cmd's trace.dat: libtracecmd seeks in it, so a pipe of one is refused, never misread;
	# one cut short is unreadable; perf script text with malformed lines: counted, exit 0
	expect 2 "$p: /dev/stdin: a trace.dat (trace-cmd's binary capture) cannot be read from a pipe: give the file itself" \
		sh -c 'cat "$1" | "$2" "$3" /dev/stdin' sh "$dat" "$nvmx" "$cmd"
	expect 2 "$p: $tmp/cut.dat: a trace.dat that cannot be read (truncated or corrupt?)" \
		"$nvmx" "$cmd" "$tmp/cut.dat"
	expect 0 "$tmp/perf_bad.txt:11: expected a perf script line 'COMM TID [CPU] SECONDS.FRACTION: SYSTEM:EVENT: BODY'" \
		"$nvmx" "$cmd" "$tmp/perf_bad.txt"
	# a pipe: the .xz, the plain text and a JSON give what the file gives
	same_through_a_pipe "$cmd" "$good"
	same_through_a_pipe "$cmd" "$perf"
	expect 0 "" sh -c '"$2" "$3" /dev/stdin <"$1"' sh "$tmp/good.txt" "$nvmx" "$cmd"
	"$nvmx" replay "$good" --json >"$tmp/good.json"
	same_through_a_pipe "$cmd" "$tmp/good.json"
	json_reader "$cmd"
	expect 2 "$p: unknown option '--bogus'
try '$p --help'" "$nvmx" "$cmd" "$good" --bogus
}

# attribution JSON (schema 1) read by replay, report, bitmap and compare
json_reader() {
	cmd=$1 p="nvmx $1"
	q='"isa": "svm", "reason": "cpuid", "handled_by": "L1"'
	printf '{"schema": 1, "l2_exits": [{%s, "count": 18446744073709551615}]}\n' "$q" \
		>"$tmp/u64max.json"
	printf '{"schema": 1, "l2_exits": [{%s, "count": -1}]}\n' "$q" >"$tmp/neg.json"
	printf '{"schema": 1, "l2_exits": [{%s, "count": 1.5}]}\n' "$q" >"$tmp/frac.json"
	printf '{"schema": 1, "l2_exits": [{%s, "count": 1e400}]}\n' "$q" >"$tmp/huge.json"
	printf '{"schema": 1, "l2_exits": [{%s, "count": 1}]} x\n' "$q" >"$tmp/trailing.json"
	printf '{"schema": 2}\n' >"$tmp/schema2.json"
	printf '{"schema": 1, "l2_exits": [{%s, "cou' "$q" >"$tmp/cut.json"
	# run WANT FILE: the reader on FILE (compare: FILE against itself) fails with WANT
	run() {
		if [ "$cmd" = compare ]; then
			expect 2 "$1" "$nvmx" compare "$2" "$2"
		else
			expect 2 "$1" "$nvmx" "$cmd" "$2"
		fi
	}
	run "$p: $tmp/u64max.json: l2_exits[0]: \"count\" is out of range (above 9223372036854775807)" "$tmp/u64max.json"
	run "$p: $tmp/neg.json: l2_exits[0]: \"count\" is negative" "$tmp/neg.json"
	run "$p: $tmp/frac.json: l2_exits[0]: \"count\" is not an integer" "$tmp/frac.json"
	run "$p: $tmp/huge.json: l2_exits[0]: \"count\" is not an integer" "$tmp/huge.json"
	run "$p: $tmp/trailing.json:1: not JSON: text after the JSON document" "$tmp/trailing.json"
	run "$p: $tmp/schema2.json: \"schema\" is missing or not 1" "$tmp/schema2.json"
	run "$p: $tmp/cut.json:1: not JSON: the document ends early (truncated?)" "$tmp/cut.json"
}

case $reader in
replay | report | bitmap)
	trace_reader "$reader"
	;;
compare)
	json_reader compare
	expect 2 "nvmx compare: /dev/zero:1: not JSON: a NUL byte at offset 0" \
		"$nvmx" compare /dev/zero /dev/zero
	expect 2 "nvmx compare: $tmp/passwd:1: not JSON: unexpected character 'r' at offset 0" \
		"$nvmx" compare "$tmp/passwd" "$tmp/passwd"
	expect 2 "nvmx compare: $tmp/empty:1: not JSON: the document ends early (truncated?)" \
		"$nvmx" compare "$tmp/empty" "$tmp/empty"
	"$nvmx" replay "$good" --json >"$tmp/good.json"
	expect 0 "" sh -c 'cat "$1" | "$2" compare /dev/stdin "$1"' sh "$tmp/good.json" "$nvmx"
	expect 2 "nvmx compare: unknown option '--bogus'
try 'nvmx compare --help'" "$nvmx" compare --bogus a b
	;;
bitmap_seconds)
	for s in nan inf -1 0 -inf 1x; do
		expect 2 "nvmx bitmap: --seconds $s: expected a positive number of seconds
try 'nvmx bitmap --help'" "$nvmx" bitmap "$good" --seconds "$s"
	done
	expect 0 "" "$nvmx" bitmap "$good" --seconds 2.5
	;;
bench_compare)
	base=$data/bench/base-6.12-a.json
	p="nvmx bench compare: cannot compare:"
	mk() { python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); exec(sys.argv[2]); json.dump(d, open(sys.argv[3], "w"))' \
		"$base" "$1" "$tmp/$2"; }
	mk 'd["metrics"][next(iter(d["metrics"]))]["kind"] = None' kindnull.json
	m=$(python3 -c 'import json,sys; print(next(iter(json.load(open(sys.argv[1]))["metrics"])))' "$base")
	expect 2 "$p $tmp/kindnull.json: metric $m has no kind or values" \
		"$nvmx" bench compare "$base" "$tmp/kindnull.json"
	mk 'd["env"]["kernel"] = None' kernelnull.json
	expect 2 "$p $tmp/kernelnull.json: \"env\": \"kernel\" is not a string" \
		"$nvmx" bench compare "$base" "$tmp/kernelnull.json"
	mk 'd["env"]["kvm_params"] = 5' params5.json
	expect 2 "$p $tmp/params5.json: \"env\": \"kvm_params\" is not an object of strings" \
		"$nvmx" bench compare "$base" "$tmp/params5.json"
	mk 'd["env"] = 5' env5.json
	expect 2 "$p $tmp/env5.json: \"env\" is not an object" \
		"$nvmx" bench compare "$base" "$tmp/env5.json"
	mk 'd["metrics"][next(iter(d["metrics"]))]["values"][0] = float("nan")' nan.json
	expect 2 "$p $tmp/nan.json: metric $m: a value is not a finite number" \
		"$nvmx" bench compare "$base" "$tmp/nan.json"
	expect 2 "$p $tmp/nan.json: metric $m: a value is not a finite number" \
		"$nvmx" bench compare "$tmp/nan.json" "$base"
	expect 2 "$p /dev/zero:1: not JSON: a NUL byte at offset 0" \
		"$nvmx" bench compare "$base" /dev/zero
	expect 2 "$p $tmp/passwd:1: not JSON: unexpected character 'r' at offset 0" \
		"$nvmx" bench compare "$base" "$tmp/passwd"
	expect 0 "" sh -c 'cat "$1" | "$2" bench compare "$1" /dev/stdin' sh "$base" "$nvmx"
	# bench matrix --from reads results as compare does, and a failed run's file of its own
	q="nvmx bench matrix: cannot compare:"
	expect 2 "$q /dev/zero:1: not JSON: a NUL byte at offset 0" \
		"$nvmx" bench matrix -o "$tmp/m" --from "$base" /dev/zero
	expect 2 "$q $tmp/passwd:1: not JSON: unexpected character 'r' at offset 0" \
		"$nvmx" bench matrix -o "$tmp/m" --from "$tmp/passwd"
	expect 2 "$q $tmp/nan.json: metric $m: a value is not a finite number" \
		"$nvmx" bench matrix -o "$tmp/m" --from "$base" "$tmp/nan.json"
	echo '{"nvmx_bench_matrix_failed": 1, "kernel": "7.3"}' >"$tmp/failed.json"
	expect 2 "nvmx bench matrix: $tmp/failed.json: a failed run's file without kernel, l1 or why" \
		"$nvmx" bench matrix -o "$tmp/m" --from "$base" "$tmp/failed.json"
	;;
top_replay)
	expect 2 "nvmxtop: $tmp/passwd:1: not a KVM trace: expected a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'" \
		"$nvmxtop" --replay "$tmp/passwd" -b
	expect 2 "nvmxtop: $tmp/empty: not a KVM trace: no KVM event in 0 lines" \
		"$nvmxtop" --replay "$tmp/empty" -b
	expect 2 "nvmxtop: $tmp/hugeline:1: a line longer than 65536 bytes: not a trace" \
		"$nvmxtop" --replay "$tmp/hugeline" -b
	expect 2 "nvmxtop: $tmp/truncated.xz: truncated .xz: the compressed data ends mid-stream" \
		"$nvmxtop" --replay "$tmp/truncated.xz" -b
	expect 2 "nvmxtop: /nonexistent/trace.txt: No such file or directory" \
		"$nvmxtop" --replay /nonexistent/trace.txt -b
	expect 2 "nvmxtop: /dev/stdin: a trace.dat (trace-cmd's binary capture) cannot be read from a pipe: give the file itself" \
		sh -c 'cat "$1" | "$2" --replay /dev/stdin -b' sh "$dat" "$nvmxtop"
	"$nvmxtop" --replay "$good" -b -d 0.5 >"$tmp/want" 2>&1
	expect 0 "" sh -c 'cat "$1" | "$2" --replay /dev/stdin -b -d 0.5' sh "$good" "$nvmxtop"
	# the header names the file, the VM is named after it: the rest is the same
	sed -E "s|/dev/stdin|$good|; s/^stdin +/VM /" "$tmp/out" >"$tmp/out2"
	sed -E 's/^trace\.txt\.xz +/VM /' "$tmp/want" >"$tmp/want2"
	if ! cmp -s "$tmp/want2" "$tmp/out2"; then
		echo "FAIL: nvmxtop --replay of a pipe differs from the file's" >&2
		fail=1
	fi
	;;
top_connect)
	# nvmxd's answer with a vcpus, latency or programs that is not an array, from a one-shot
	# HTTP server on 127.0.0.1 (bounded: it exits after 15 s)
	serve() {
		python3 - "$1" "$tmp/port" <<'EOF' &
import http.server, json, sys, socketserver
body = sys.argv[1].encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = socketserver.TCPServer(("127.0.0.1", 0), H)
s.timeout = 15
open(sys.argv[2] + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
import time; end = time.time() + 15
while time.time() < end:
    s.handle_request()
EOF
		pids="$pids $!"
		rm -f "$tmp/port"
		i=0
		while [ ! -f "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		port=$(cat "$tmp/port")
	}
	vm='{"pid": 7, "name": "vm"'
	for doc in "{\"vms\": [$vm, \"vcpus\": 5}]}" \
		"{\"vms\": [$vm, \"vcpus\": [{\"tid\": 1, \"latency\": \"x\"}]}]}" \
		"{\"vms\": [$vm, \"vcpus\": [5]}]}" \
		"{\"vms\": [$vm, \"vcpus\": [{\"tid\": 1, \"summary\": {\"breakdown\": [{\"isa\": \"svm\", \"reason\": \"cpuid\", \"round_trips\": 1, \"l1_exits\": [{\"reason\": \"msr\", \"exits\": \"x\", \"service_ns\": 1}]}]}}]}]}" \
		"{\"vms\": [], \"nvmxd\": {\"bpf_stats_enabled\": true, \"programs\": {}}}" \
		"{\"vms\": [$vm, \"vcpus\": [{\"tid\": 1, \"latency\": [{\"outcome\": \"l2_exit_handled_by_l0\", \"isa\": \"svm\", \"reason\": \"cpuid\", \"count\": 18446744073709551615}]}]}]}"; do
		serve "$doc"
		expect 2 "nvmxtop: nvmxd's /api/v1/summary at 127.0.0.1:$port is not the document nvmxtop reads: $(echo "$doc" | python3 -c 'import sys
d = sys.stdin.read()
print("vms[0]: \"vcpus\" is not an array" if "\"vcpus\": 5" in d else
      "vms[0].vcpus[0]: \"latency\" is not an array" if "\"latency\": \"x\"" in d else
      "vms[0].vcpus[0]: not an object" if "[5]" in d else
      "vms[0].vcpus[0]: breakdown[0]: \"l1_exits\": \"msr\" is not a count" if "l1_exits" in d else
      "nvmxd: \"programs\" is not an array" if "programs" in d else
      "vms[0].vcpus[0]: latency[0]: \"count\" is not a count")')" \
			"$nvmxtop" --connect "127.0.0.1:$port" -b -n 1 -d 0.1
	done
	# the shape nvmxtop reads is still read
	serve "{\"vms\": [$vm, \"vcpus\": [{\"tid\": 1, \"latency\": [{\"outcome\": \"l2_exit_handled_by_l0\", \"isa\": \"svm\", \"reason\": \"cpuid\", \"count\": 3, \"timed\": 3, \"sum_ns\": 300}], \"summary\": {\"breakdown\": [{\"isa\": \"svm\", \"reason\": \"cpuid\", \"round_trips\": 1, \"round_trip_ns\": 7000, \"l1_exits\": [{\"reason\": \"msr\", \"exits\": 2, \"service_ns\": 40}], \"l1_exits_overflow\": {\"exits\": 1, \"service_ns\": 9}}]}}]}], \"nvmxd\": {\"bpf_stats_enabled\": true, \"programs\": [{\"run_time_ns\": 5}]}}"
	expect 0 "" "$nvmxtop" --connect "127.0.0.1:$port" -b -n 1 -d 0.1
	if ! grep -q "cpuid" "$tmp/out"; then
		echo "FAIL: nvmxtop --connect: no cpuid row in: $(cat "$tmp/out")" >&2
		fail=1
	fi
	# the breakdown is per vCPU thread (vcpus[].summary): on the thread's row, not only the VM's
	if ! grep -Eq "^  thread 1 .* 7\.0 +3\.00 " "$tmp/out"; then
		echo "FAIL: nvmxtop --connect: no round trip (7.0 us, mult 3.00) on the vCPU row in: $(cat "$tmp/out")" >&2
		fail=1
	fi
	;;
*)
	echo "bad_input.sh: unknown reader '$reader'" >&2
	exit 2
	;;
esac
[ $fail = 0 ] && echo "ok: $reader on bad input"
exit $fail
