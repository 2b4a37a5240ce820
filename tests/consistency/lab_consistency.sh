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
# usage: lab_consistency.sh NVMX NVMXD NVMXTOP PROMETHEUS DASHBOARDS OUT KERNEL ISA
set -u
nvmx=$1 nvmxd=$2 nvmxtop=$3 prometheus=$4 dash=$5 out=$6 kernel=$7 isa=$8
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

# --user root: nvmxd writes --json at exit, which it cannot once it dropped to an unprivileged
# user in L0's root-owned output directory. 10.0.2.15: L0's address on QEMU's user network.
if [ "$isa" = svm ]; then
	"$nvmx" lab run --kernel "$kernel" --workload "$workload" --iterations "$iterations" \
		--forward "$port:9477" --out "$out/lab" \
		--exec "$nvmxd --listen 10.0.2.15:9477 --user root --interval 3600 --linger 6 --json \$NVMX_LAB_OUT/nvmxd.json --record \$NVMX_LAB_OUT/record.txt --ready \$NVMX_LAB_OUT/ready" \
		>"$out/lab.log" 2>&1 &
else
	"$nvmx" lab run --isa vmx --kernel "$kernel" --workload "$workload" \
		--iterations "$iterations" --out "$out/lab" --ship "$nvmxd" \
		--exec "$HERE/l0_scrape.sh $nvmxd" >"$out/lab.log" 2>&1 &
fi
lab=$!
wait "$lab"
st=$?
lab=
[ "$st" = 0 ] && ok "nvmx lab run: exit 0 (the lab's own replay equals truth)" ||
	{ bad "nvmx lab run exited $st: $(tail -5 "$out/lab.log")"; finish; }
j=$out/lab/exec/nvmxd.json
[ -s "$j" ] || { bad "nvmxd wrote no $j"; finish; }
if [ "$isa" = vmx ]; then
	# the two scrapes of L0, before then after the workload, to Prometheus in that order
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

check "every sink: the same exit multiplication and round-trip mean per reflected reason; L1 cpuid exits per round trip = $mult" \
	python3 - "$prom_port" "$dash/nvmx.rules.yml" "$out" "$mult" <<'EOT'
import json, re, sys, urllib.parse, urllib.request

port, rules_path, out, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
nvmxd = json.load(open(f"{out}/lab/exec/nvmxd.json"))
diffs = 0

def say(ok, what):
    global diffs
    print(f"    {'ok' if ok else 'DIFF'}: {what}")
    diffs += not ok

def close(a, b, tol=1e-6):
    return a is not None and b is not None and abs(a - b) <= tol * max(1.0, abs(b))

# nvmxd's JSON: the reference (its breakdown: round trips and L1 exits by L1 reason)
ref = {}
for b in nvmxd["breakdown"]:
    l1 = sum(e["exits"] for e in b["l1_exits"]) + b["l1_exits_overflow"]["exits"]
    ref[b["reason"]] = (b["round_trips"], l1, b["round_trip_ns"] / b["round_trips"],
                        sum(e["exits"] for e in b["l1_exits"] if e["reason"].lower() == "cpuid"))
want = {"cpuid", "io"} if nvmxd["breakdown"][0]["isa"] == "svm" else {"CPUID", "IO_INSTRUCTION"}
say(set(ref) >= want, f"round trips in nvmxd's JSON for {sorted(ref)}")
for r, (n, l1, mean, cpuid) in ref.items():
    say(cpuid == k * n, f"{r}: L1 cpuid exits {cpuid} = {k} x {n} round trips")
    # interrupts for L1 (the intr element's MSI, timers) taken inside a handler add L1 exits
    say(l1 / n >= k, f"{r}: multiplication {l1 / n:.6f} >= {k}")

# text table: the mult column of each reflected reason (2 decimals)
table = {}
for line in open(f"{out}/table.txt"):
    f = line.split()
    if len(f) >= 8 and f[0] in ("svm", "vmx") and f[-1] != "-" and re.match(r"^[0-9.]+$", f[7]):
        table[f[1]] = float(f[7])
for r, (n, l1, mean, cpuid) in ref.items():
    say(table.get(r) == round(l1 / n, 2), f"{r}: text table mult {table.get(r)} = {l1 / n:.2f}")

# report --json
rep = {x["reason"]: x for x in json.load(open(f"{out}/report.json"))["report"]["rows"]
       if x["handled_by"] == "L1"}
for r, (n, l1, mean, cpuid) in ref.items():
    x = rep.get(r, {})
    say(close(x.get("multiplication"), l1 / n), f"{r}: report multiplication {x.get('multiplication')}")
    say(close(x.get("mean_ns"), mean), f"{r}: report round-trip mean {x.get('mean_ns')} ns = {mean}")
    say(close(x.get("l0_exits_per_round_trip"), l1 / n + 2), f"{r}: report L0 exits per round trip")

# nvmxtop --json, its last refresh (the end of the record)
top = [json.loads(l) for l in open(f"{out}/top.jsonl") if l.strip()][-1]
say(top["ended"], "nvmxtop read the whole record")
seen = {}
for vm in top["vms"]:
    for vc in vm["vcpus"]:
        for rs in vc["reasons"]:
            rt = rs["counts"].get("round_trip")
            if rt:
                a = seen.setdefault(rs["reason"], [0, 0, 0])
                a[0] += rt["total"]; a[1] += rt["l1_exits"]; a[2] += rt["sum_ns"]
for r, (n, l1, mean, cpuid) in ref.items():
    a = seen.get(r)
    say(a is not None and a[0] == n and a[1] == l1, f"{r}: nvmxtop round trips/L1 exits {a} = {n}/{l1}")
    say(a is not None and close(a[1] / a[0], l1 / n) and close(a[2] / a[0], mean),
        f"{r}: nvmxtop multiplication and round-trip mean")
rt_all = top["all"]["counts"]["round_trip"] if "counts" in top["all"] else top["all"]["round_trip"]
tot_n, tot_l1 = sum(v[0] for v in ref.values()), sum(v[1] for v in ref.values())
say(close(rt_all["multiplication"], tot_l1 / tot_n), f"nvmxtop total multiplication {rt_all['multiplication']}")

# Prometheus: the recording rules' expressions on the increases over the run
def query(q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    res = json.load(urllib.request.urlopen(url, timeout=10))
    assert res["status"] == "success", res
    return res["data"]["result"]

rules = open(rules_path).read()
def rule_expr(name):
    m = re.search(r"- record: " + re.escape(name) + r"\n\s+expr: \|\n((?:\s{10}.*\n)+)", rules)
    assert m, f"no rule {name}"
    return re.sub(r"rate\(([a-zA-Z0-9_:]+(?:\{[^}]*\})?)\[5m\]\)", r"last_over_time(\1[10m])",
                  " ".join(m.group(1).split()))
up = query('max_over_time(up{job="nvmx"}[10m])')
say(bool(up) and up[0]["value"][1] == "1", "Prometheus scraped nvmxd")
by_reason = {s["metric"]["reason"]: float(s["value"][1])
             for s in query(rule_expr("vm_reason:nvmx_exit_multiplication:ratio_rate5m"))}
for r, (n, l1, mean, cpuid) in ref.items():
    say(close(by_reason.get(r), l1 / n), f"{r}: rule vm_reason:nvmx_exit_multiplication {by_reason.get(r)}")
vm = query(rule_expr("vm:nvmx_exit_multiplication:ratio_rate5m"))
say(len(vm) == 1 and close(float(vm[0]["value"][1]), tot_l1 / tot_n),
    f"rule vm:nvmx_exit_multiplication {vm[0]['value'][1] if vm else None} = {tot_l1 / tot_n}")
cpuid = {s["metric"]["reason"]: float(s["value"][1]) for s in query(
    'sum by (reason) (last_over_time(nvmx_nested_round_trip_l1_exits_total{l1_reason=~"(?i)cpuid"}[10m]))'
    ' / sum by (reason) (last_over_time(nvmx_nested_round_trips_total[10m]))')}
for r in ref:
    say(cpuid.get(r) == k, f"{r}: PromQL L1 cpuid exits per round trip {cpuid.get(r)} = {k}")
mean_q = {s["metric"]["reason"]: float(s["value"][1]) for s in query(rule_expr(
    "vm_reason:nvmx_nested_round_trip_seconds:mean5m"))}
for r, (n, l1, mean, c) in ref.items():
    say(close(mean_q.get(r, 0) * 1e9, mean), f"{r}: PromQL round-trip mean {mean_q.get(r)} s")

# per L1 exit reason inside the round trips: exits and L0's service time (nvmxd's JSON the
# reference; "(other)" the overflow): report --json and text, nvmxtop --json, /metrics
l1ref = {}
for b in nvmxd["breakdown"]:
    for e in b["l1_exits"]:
        l1ref[(b["reason"], e["reason"])] = (e["exits"], e["service_ns"], b["round_trips"])
    o = b["l1_exits_overflow"]
    if o["exits"]:
        l1ref[(b["reason"], "(other)")] = (o["exits"], o["service_ns"], b["round_trips"])
    svc = sum(e["service_ns"] for e in b["l1_exits"]) + o["service_ns"]
    say(svc == b["l1_exit_service_ns"],
        f"{b['reason']}: L1 reasons' service {svc} = l1_exit_service_ns {b['l1_exit_service_ns']}")
say(len(l1ref) > 0, f"L1 exit reasons in nvmxd's breakdown: {len(l1ref)}")
for (r, l1r), (x, ns, n) in sorted(l1ref.items()):
    print(f"    measured: {r} round trips {n}: L1 {l1r} {x} exits, {x / n:.3f} per trip, "
          f"mean service {ns / x:.0f} ns")
def keyed(rows, reason_key, l1_key, exits, ns):
    return {(x[reason_key], x.get(l1_key) or "(other)"): (x[exits], x[ns]) for x in rows}
rep_l1 = {}
for x in rep.values():
    rep_l1.update({(x["reason"], k): v for (_, k), v in keyed(
        x.get("l1_exits", []), "reason", "reason", "exits", "service_ns").items()})
    o = x.get("l1_exits_overflow", {})
    if o.get("exits"):
        rep_l1[(x["reason"], "(other)")] = (o["exits"], o["service_ns"])
top_l1 = {}
for vm in top["vms"]:
    for k, v in keyed(vm.get("l1_exits", []), "reason", "l1_reason", "exits", "service_ns").items():
        a = top_l1.setdefault(k, [0, 0])
        a[0] += v[0]; a[1] += v[1]
txt_l1 = {}
sect = False
for line in open(f"{out}/report.txt"):
    if line.startswith("L1's exits inside the round trips"):
        sect = True
        continue
    f = line.split()
    if sect and len(f) == 7 and f[0] in ("svm", "vmx"):
        txt_l1[(f[1], f[2])] = (int(f[3]), float(f[4]), float(f[5]))
prom_n = {(s["metric"]["reason"], s["metric"]["l1_reason"]): float(s["value"][1]) for s in query(
    'sum by (reason, l1_reason) (last_over_time(nvmx_nested_round_trip_l1_exits_total[10m]))')}
prom_s = {(s["metric"]["reason"], s["metric"]["l1_reason"]): float(s["value"][1]) for s in query(
    'sum by (reason, l1_reason) '
    '(last_over_time(nvmx_nested_round_trip_l1_exit_service_seconds_total[10m]))')}
for (r, l1r), (x, ns, n) in sorted(l1ref.items()):
    pk = (r, "other" if l1r == "(other)" else l1r)
    say(rep_l1.get((r, l1r)) == (x, ns), f"{r}/{l1r}: report --json {rep_l1.get((r, l1r))} = {(x, ns)}")
    t = txt_l1.get((r, l1r))
    say(t is not None and t[0] == x and abs(t[1] - x / n) <= 0.005 + 1e-9 and
        abs(t[2] - ns / x / 1e3) <= 0.05 + 1e-9, f"{r}/{l1r}: report text {t}")
    say(tuple(top_l1.get((r, l1r), ())) == (x, ns), f"{r}/{l1r}: nvmxtop {top_l1.get((r, l1r))}")
    say(prom_n.get(pk) == x and close(prom_s.get(pk), ns / 1e9),
        f"{r}/{l1r}: /metrics {prom_n.get(pk)} exits, {prom_s.get(pk)} s")
say(len(rep_l1) == len(l1ref) and len(top_l1) == len(l1ref) and len(txt_l1) == len(l1ref) and
    len(prom_n) == len(l1ref), "no sink has an L1 exit reason nvmxd's JSON lacks")

# nvmx bench's metrics of the same run
bench = json.load(open(f"{out}/bench.json"))["metrics"]
def bench_value(name):
    m = bench.get(name)
    return m["values"][0] if m else None
for r, (n, l1, mean, c) in ref.items():
    isa = nvmxd["breakdown"][0]["isa"]
    v = bench_value(f"ratio.mult.{isa}.{r}")
    say(close(v, l1 / n), f"{r}: bench ratio.mult {v}")
    v = bench_value(f"time.rt.{isa}.{r}.mean_ns")
    say(close(v, mean), f"{r}: bench round-trip mean {v}")
v = bench_value("ratio.exit_multiplication")
say(close(v, tot_l1 / tot_n), f"bench ratio.exit_multiplication {v}")
sys.exit(1 if diffs else 0)
EOT

# L1's own MSR/port accesses (VM_HSAVE_PA, x2APIC set-up, EOIs, the end-of-run OUT) are L1's in
# every text output
check "text table: L1's own MSR/port rows say exit L1, handler -" \
	grep -Eq '^(svm|vmx) +0x[0-9a-f]+ +(read|write|in|out) +([0-9]+ +)?L1 +- ' "$out/table.txt"
check "text table: no L1 MSR/port row is called an L2 access" \
	sh -c "! grep -q 'L2 MSR accesses\|L2 port I/O' '$out/table.txt'"
check "nvmx bitmap text: L1's own rows are labelled L1's own exit" grep -q "L1's own exit" "$out/bitmap.txt"
finish
