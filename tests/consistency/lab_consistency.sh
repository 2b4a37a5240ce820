#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One meaning per number (docs/model.md's glossary), checked on one real nested run: the lab
# with nvmxd live in L0 runs mult=2,intr,cpuid,io-out-l1, and every sink that shows the exit
# multiplication and the round trip must show the same number, per reflected reason:
#   - the text table (nvmx replay of nvmxd's JSON: what nvmx up prints), its mult column
#   - nvmx report --json of nvmxd's JSON: multiplication, mean_ns
#   - nvmxtop --json (replay of nvmxd's own --record: the same events nvmxd counted)
#   - /metrics through a real Prometheus server: the recording rules' own expressions
#     (dashboards/nvmx.rules.yml), evaluated on the counters' increases over the run
#   - nvmx bench's metrics of that same run (nvmx bench run --from the lab's output)
# The certain part: L1 runs exactly 2 CPUIDs in each reflected exit's handler (mult=2), so the
# L1 cpuid exits per round trip are exactly 2 in nvmxd's JSON and in PromQL; the whole
# multiplication is above 2 (an interrupt for L1, the intr element's MSI or a timer, taken inside
# a handler adds its exits), so it is compared between sinks, not with a constant.
# Per L1 exit reason inside the round trips (vmload, cpuid, msr...), its exits and L0's service
# time are the same in nvmxd's JSON, report --json and text, nvmxtop --json and /metrics.
# And L1's own MSR/port accesses are labelled as L1's in every text output.
#
# SVM (QEMU): Prometheus scrapes nvmxd live through --forward every second. VMX (Bochs has no
# network): nvmxd in L0 is scraped there, once before the workload and once after it
# (l0_scrape.sh), and a loopback server on the host hands those two scrapes to Prometheus in that
# order. Either way nvmxd's counters start at 0 when it starts, before the workload (the lab
# starts the workload only once nvmxd is ready), so a counter's increase over the run is its last
# value: the rules' rate(X[5m]) is evaluated as last_over_time(X[10m]) (the same ratio when both
# rates share their samples); on VMX the check also asserts that the scrape before the workload
# had no round trip.
#
# Linux KVM as L1 (ISA l1kvm, label lab-l1): no boot of its own. RUN is the output of a finished
# `nvmx lab run --l1 kvm` with the runner as L2 and nvmxd live in L0 run through l0_scrape.sh
# (tests/lab/nvmxd_run.sh with NVMXD_RUN_WRAPPER: the lab_l1_6_12_runner test, a ctest fixture
# of this one), and the same sinks are read from it. What real KVM fixes replaces mult=2: each
# round trip of the runner's elements costs L1 at least 6 exits (KVM's SVM exit path under TCG);
# and nvmx bitmap's rows and advice must be what KVM's own bitmaps make of the runner's MSR and
# port accesses (sinks_check.py): 0x174, which neither level intercepts, never exits; 0x10 (TSC)
# and the ports are reflected to L1 by L1's MSRPM/IOPM; no MSR of L2 is L0's.
#
# usage: lab_consistency.sh NVMX NVMXD NVMXTOP PROMETHEUS DASHBOARDS OUT KERNEL ISA [RUN]
#   ISA svm or vmx: one boot of the minimal L1; l1kvm: the finished run RUN (KERNEL unused)
set -u
nvmx=$1 nvmxd=$2 nvmxtop=$3 prometheus=$4 dash=$5 out=$6 kernel=$7 isa=$8 run=${9:-}
HERE=$(cd "$(dirname "$0")" && pwd)
mult=2
workload=mult=$mult,intr,cpuid,io-out-l1
iterations=300
[ "$isa" = vmx ] && iterations=100

. "$(cd "$(dirname "$0")" && pwd)/../prom/prom_harness.sh"

rm -rf "$out"
mkdir -p "$out/prom"
port=$(free_port)
prom_port=$(free_port)
start_prometheus "$prometheus" "$out/prom" "$dash/nvmx.rules.yml" "$port" "$prom_port"
lab=
serve=
cleanup() {
	kill "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
	[ -n "$lab" ] && kill "$lab" 2>/dev/null
	[ -n "$serve" ] && kill "$serve" 2>/dev/null
}
trap cleanup EXIT

# nvmxd drops to nobody (its default; L0 has the user) and still writes --json at exit into L0's
# root-owned output directory, through its writer process (src/outfile.h). 10.0.2.15: L0's
# address on QEMU's user network.
if [ "$isa" = svm ]; then
	"$nvmx" lab run --kernel "$kernel" --workload "$workload" --iterations "$iterations" \
		--forward "$port:9477" --out "$out/lab" \
		--exec "$nvmxd --listen 10.0.2.15:9477 --interval 3600 --linger 6 --json \$NVMX_LAB_OUT/nvmxd.json --record \$NVMX_LAB_OUT/record.txt --ready \$NVMX_LAB_OUT/ready" \
		>"$out/lab.log" 2>&1 &
elif [ "$isa" = vmx ]; then
	"$nvmx" lab run --isa vmx --kernel "$kernel" --workload "$workload" \
		--iterations "$iterations" --out "$out/lab" --ship "$nvmxd" \
		--exec "$HERE/l0_scrape.sh $nvmxd" >"$out/lab.log" 2>&1 &
elif [ "$isa" = l1kvm ]; then
	[ -n "$run" ] && [ -s "$run/lab.json" ] ||
		{ bad "no finished --l1 kvm run at '$run' (the lab_l1_6_12_runner test writes it)"; finish; }
	grep -q '"l1_certain": *false' "$run/truth.json" ||
		{ bad "$run/truth.json is not the runner's (--l1 kvm)"; finish; }
	ln -s "$run" "$out/lab"
else
	echo "usage: lab_consistency.sh NVMX NVMXD NVMXTOP PROMETHEUS DASHBOARDS OUT KERNEL svm|vmx|l1kvm [RUN]" >&2
	exit 2
fi
if [ "$isa" != l1kvm ]; then
	lab=$!
	wait "$lab"
	st=$?
	lab=
	[ "$st" = 0 ] && ok "nvmx lab run: exit 0 (the lab's own replay equals truth)" ||
		{ bad "nvmx lab run exited $st: $(tail -5 "$out/lab.log")"; finish; }
fi
j=$out/lab/exec/nvmxd.json
[ -s "$j" ] || { bad "nvmxd wrote no $j"; finish; }
if [ "$isa" != svm ]; then
	# the two scrapes of L0 (VMX, real L1), before then after the workload, to Prometheus in
	# that order
	for f in before after; do
		[ -s "$out/lab/exec/scrape-$f.txt" ] || { bad "no scrape $f the workload in L0"; finish; }
	done
	check "the scrape before the workload has no round trip" \
		sh -c "! grep -q '^nvmx_nested_round_trips_total{' '$out/lab/exec/scrape-before.txt'"
	python3 - "$port" "$out/lab/exec/scrape-before.txt" "$out/lab/exec/scrape-after.txt" \
		>"$out/serve.log" 2>&1 <<'EOT' &
import http.server, sys
port, before, after = int(sys.argv[1]), open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
served = 0
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global served
        body = before if served < 3 else after
        served += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", port), H)
srv.timeout = 1
for _ in range(60):  # bounded: one minute at most
    srv.handle_request()
EOT
	serve=$!
	for _ in $(seq 40); do
		sleep 0.5
		curl -s "http://127.0.0.1:$prom_port/api/v1/query?query=nvmx_nested_round_trips_total" |
			grep -q '"result":\[{' && break
	done
fi
check "nvmxd equals the workload's truth (certain counts)" "$nvmx" compare "$out/lab/truth.json" "$j"

# the sinks, each written to a file the checks below read
"$nvmx" replay "$j" >"$out/table.txt" 2>"$out/table.err" || bad "nvmx replay $j: $(cat "$out/table.err")"
"$nvmx" report "$j" --json >"$out/report.json" 2>"$out/report.err" || bad "nvmx report --json: $(cat "$out/report.err")"
"$nvmx" report "$j" >"$out/report.txt" 2>&1 || bad "nvmx report"
"$nvmx" bitmap "$j" >"$out/bitmap.txt" 2>&1 || bad "nvmx bitmap: $(tail -2 "$out/bitmap.txt")"
"$nvmxtop" -b --json --replay "$out/lab/exec/record.txt" >"$out/top.jsonl" 2>"$out/top.err" ||
	bad "nvmxtop --replay: $(cat "$out/top.err")"
"$nvmx" bench run --from "$out/lab" -o "$out/bench.json" >"$out/bench.log" 2>&1 ||
	bad "nvmx bench run --from: $(tail -3 "$out/bench.log")"
# L0's clock as lab.json says it: no --icount here, so QEMU's wall clock or Bochs' own
case $isa in vmx) clock="bochs sync=none ips=100000000" ;; *) clock=wall ;; esac
check "nvmx bench run --from: L0's clock from lab.json, $clock" \
	grep -q "\"clock\": \"$clock\"" "$out/bench.json"

what="every sink: the same exit multiplication and round-trip mean per reflected reason"
if [ "$isa" = l1kvm ]; then
	"$nvmx" bitmap "$j" --json --top 0 >"$out/bitmap.json" 2>"$out/bitmap.err" ||
		bad "nvmx bitmap --json: $(cat "$out/bitmap.err")"
	check "$what; KVM's exit path; nvmx bitmap's advice on KVM's own bitmaps" \
		"$HERE/sinks_check.py" "$prom_port" "$dash/nvmx.rules.yml" "$out" kvm
else
	check "$what; L1 cpuid exits per round trip = $mult" \
		"$HERE/sinks_check.py" "$prom_port" "$dash/nvmx.rules.yml" "$out" "$mult"
fi

# L1's own MSR/port accesses (VM_HSAVE_PA, x2APIC set-up, EOIs, the end-of-run OUT) are L1's in
# every text output
check "text table: L1's own MSR/port rows say exit L1, handler -" \
	grep -Eq '^(svm|vmx) +0x[0-9a-f]+ +(read|write|in|out) +([0-9]+ +)?L1 +- ' "$out/table.txt"
check "text table: no L1 MSR/port row is called an L2 access" \
	sh -c "! grep -q 'L2 MSR accesses\|L2 port I/O' '$out/table.txt'"
check "nvmx bitmap text: L1's own rows are labelled L1's own exit" grep -q "L1's own exit" "$out/bitmap.txt"
finish
