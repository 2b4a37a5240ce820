#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmxd --listen in the lab's L0, scraped from the host through --forward (ctest -L lab):
#   - after attach, nvmxd runs as uid 65534 with the capabilities CAPS (none on Debian's 6.1 and
#     6.12: since 5.19 an unprivileged process may use open map fds even with
#     kernel.unprivileged_bpf_disabled=2); the kernel's /proc/self/status says so
#     (/api/v1/status)
#   - promtool check metrics passes on a scrape with the workload's exits in it
#   - every metric the dashboards and rules name has samples in that scrape
#   - a real Prometheus server on the host scrapes nvmxd every second, and PromQL gives the
#     workload's ground truth (truth.json) exactly: every certain L2 exit count by reason and
#     handler, and the nested entries
#   - the Turtles breakdown (mult=K: L1 runs K CPUIDs in each reflected exit's handler): the
#     round trips per reason equal the truth's reflected exits L1 resumed from (all of them but
#     each vCPU's final VMMCALL), the L1 cpuid exits inside them are exactly K per round trip,
#     and the five parts add up to the round trips' time
# nvmxd --linger keeps serving after the workload ends, so the last scrapes see the final counts.
#
# usage: lab_prometheus.sh NVMX NVMXD PROMTOOL PROMETHEUS DASHBOARDS OUT KERNEL CAPS
#   CAPS: the CapEff nvmxd must end with on KERNEL (0000000000000000, or 0000008000000000 for
#   CAP_BPF alone)
set -u
nvmx=$1 nvmxd=$2 promtool=$3 prometheus=$4 dash=$5 out=$6 kernel=$7 caps=$8
HERE=$(cd "$(dirname "$0")" && pwd)
mult=2
workload=intr,cpuid,vmmcall,io-out-l1,io-in-l0,rdmsr-l1,wrmsr-l0,hlt,vectoring,mult=$mult
iterations=600

. "$(cd "$(dirname "$0")" && pwd)/prom_harness.sh"

rm -rf "$out"
mkdir -p "$out/prom"
port=$(free_port)
prom_port=$(free_port)
start_prometheus "$prometheus" "$out/prom" "$dash/nvmx.rules.yml" "$port" "$prom_port"
lab=
cleanup() {
	kill "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
	[ -n "$lab" ] && kill "$lab" 2>/dev/null
}
trap cleanup EXIT

# 10.0.2.15: L0's address on QEMU's user network, the only one --forward reaches
"$nvmx" lab run --kernel "$kernel" --workload "$workload" --iterations "$iterations" \
	--forward "$port:9477" --out "$out/lab" \
	--exec "$nvmxd --listen 10.0.2.15:9477 --bpf-stats --interval 3600 --linger 6 --ready \$NVMX_LAB_OUT/ready" \
	>"$out/lab.log" 2>&1 &
lab=$!

# nvmx bitmap --live reads nvmxd twice, 4 s apart, from the moment nvmxd is ready (the workload
# starts right after it and runs for a few seconds; nvmxd lingers after it).
(
	while kill -0 "$lab" 2>/dev/null && ! grep -q 'exec: ready' "$out/lab.log"; do
		sleep 0.1
	done
	exec "$nvmx" bitmap --live "127.0.0.1:$port" --interval 4 --json \
		>"$out/bitmap-live.json" 2>"$out/bitmap-live.err"
) &
live=$!

# Keep the newest good scrape and status while L0 runs: the last ones hold the final counts.
got_status=0
while kill -0 "$lab" 2>/dev/null; do
	if curl -s --max-time 2 -o "$out/scrape.tmp" "http://127.0.0.1:$port/metrics" &&
		grep -q '^nvmx_build_info' "$out/scrape.tmp"; then
		mv "$out/scrape.tmp" "$out/scrape.txt"
		if [ $got_status = 0 ] &&
			curl -s --max-time 2 -o "$out/status.json" "http://127.0.0.1:$port/api/v1/status"; then
			got_status=1
		fi
	fi
	sleep 0.5
done
wait "$live"
wait "$lab"
st=$?
lab=
[ "$st" = 0 ] && ok "nvmx lab run: exit 0 (the lab's own replay equals truth)" ||
	{ bad "nvmx lab run exited $st: $(tail -5 "$out/lab.log")"; finish; }
[ -s "$out/scrape.txt" ] || { bad "no scrape reached nvmxd in L0 through --forward"; finish; }
ok "scraped nvmxd in L0 through 127.0.0.1:$port"

check "status: uid 65534, CapEff/CapPrm/CapBnd $caps, no inheritable or ambient caps" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
p, caps = j["privileges"], sys.argv[2]
s = p["proc_status"]
print("   ", sys.argv[3], "privileges:", json.dumps(p))
assert p["dropped"] and p["uid"] == 65534, p
assert s["Uid"].split() == ["65534"] * 4 and s["Gid"].split() == ["65534"] * 4, s
for k in ("CapEff", "CapPrm", "CapBnd"):
    assert s[k] == caps, (k, s[k])
for k in ("CapInh", "CapAmb"):
    assert s[k] == "0000000000000000", (k, s[k])
assert s["NoNewPrivs"] == "1", s
assert p["retained_capabilities"] == ("" if caps == "0000000000000000" else "cap_bpf"), p
' "$out/status.json" "$caps" "$kernel"
check "the scrape read the maps after the drop (exits counted)" \
	grep -q '^nvmx_l2_exits_total{' "$out/scrape.txt"
check "promtool check metrics passes on the lab scrape" sh -c "'$promtool' check metrics <'$out/scrape.txt'"
check "every metric the dashboards and rules name has samples in the lab scrape" \
	python3 "$HERE/check_names.py" samples "$out/scrape.txt" "$dash/nvmx.json" "$dash/nvmx.rules.yml"

# PromQL against the truth: the newest sample of each series (Prometheus kept scraping while
# nvmxd lingered) summed over the VMs.
check "PromQL equals truth.json exactly (certain L2 exits by reason and handler, nested entries)" \
	python3 - "$prom_port" "$out/lab/truth.json" <<'EOT'
import json, sys, time, urllib.parse, urllib.request

port, truth = sys.argv[1], json.load(open(sys.argv[2]))

def query(q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    r = json.load(urllib.request.urlopen(url, timeout=10))
    assert r["status"] == "success", r
    return r["data"]["result"]

up = query('max_over_time(up{job="nvmx"}[10m])')
assert up and up[0]["value"][1] == "1", f"Prometheus never scraped nvmxd: {up}"
got = {}
for s in query("sum by (isa, reason, handled_by) (last_over_time(nvmx_l2_exits_total[10m]))"):
    m = s["metric"]
    got[(m["isa"], m["reason"], m["handled_by"])] = int(float(s["value"][1]))
diffs = 0
for e in truth["l2_exits"]:
    if not e["certain"]:
        continue
    k = (e["isa"], e["reason"], e["handled_by"])
    ok = got.get(k) == e["count"]
    print(f"    {'ok' if ok else 'DIFF'}: nvmx_l2_exits_total{k}: PromQL {got.get(k)}, truth {e['count']}")
    diffs += not ok
ne = query("sum(last_over_time(nvmx_nested_entries_total[10m]))")
n = int(float(ne[0]["value"][1])) if ne else None
ok = n == truth["nested_entries"]
print(f"    {'ok' if ok else 'DIFF'}: nvmx_nested_entries_total: PromQL {n}, truth {truth['nested_entries']}")
diffs += not ok
sys.exit(1 if diffs else 0)
EOT

# nvmx bitmap --live (#9) across the run: what nvmxd counted in those 4 s, with the kernel nvmxd
# names, each row a key of the truth, no more exits than the truth, each with its mechanism.
check "nvmx bitmap --live: rows within the truth, rates, nvmxd's kernel, mechanisms" \
	python3 - "$out/bitmap-live.json" "$out/lab/truth.json" "$kernel" <<'EOT'
import json, sys
live, truth, kernel = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
want = {}
for m in truth["msrs"]:
    want[("msr", m["msr"], m["access"], m.get("exit", "L2"), m.get("handled_by"))] = m["count"]
for p in truth["ports"]:
    want[("port", p["port"], p["direction"], p.get("exit", "L2"), p.get("handled_by"))] = p["count"]
assert live["kernel"] == kernel, live["kernel"]
assert live["seconds"] and 3 < live["seconds"] < 10, live["seconds"]
assert live["rows"], "no MSR/port exit in the 4 s around the workload"
for r in live["rows"]:
    k = (r["kind"], r.get("msr", r.get("port")), r.get("access", r.get("direction")), r["exit"],
         r.get("handled_by"))
    assert k in want and r["count"] <= want[k], (k, r["count"], want.get(k))
    assert r["rate_per_s"] > 0 and r["mechanism"] in (
        "l1_intercepts", "always_exits", "l1_own", "l0_merged", "l1_no_apicv"), r
    print("    ok:", k, r["count"], "exits,", r["mechanism"])
EOT

# The bounded MSR/port families of the final scrape equal the truth, key by key (#9).
check "nvmx_msr_exits_total / nvmx_io_exits_total of the last scrape equal truth.json" \
	python3 - "$out/scrape.txt" "$out/lab/truth.json" <<'EOT'
import json, re, sys
text, truth = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
got = {}
# the vm label (issue 17): the same VM name as on the exit families
vms = set(re.findall(r'^nvmx_l2_exits_total\{vm="([^"]*)"', text, re.M))
io_vms = set()
for line in text.splitlines():
    m = re.match(r'^nvmx_(msr|io)_exits_total\{(.*)\} (\S+)$', line)
    if not m:
        continue
    labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
    io_vms.add(labels.get("vm"))
    idx = labels.get("msr", labels.get("port"))
    acc = labels.get("access", labels.get("direction"))
    h = labels["handled_by"] if labels["exit"] == "L2" else None
    got[("msr" if m.group(1) == "msr" else "port", idx, acc, labels["exit"], h)] = int(float(m.group(3)))
diffs = 0
for kind, entries, acc in (("msr", truth["msrs"], "access"), ("port", truth["ports"], "direction")):
    for e in entries:
        k = (kind, e[kind], e[acc], e.get("exit", "L2"), e.get("handled_by"))
        # each vCPU's last exit, L1's OUT to 0x84, is decided only at nvmxd's end: never
        # in a live scrape (docs/api.md)
        want = 0 if k == ("port", "0x84", "out", "L1", None) else e["count"]
        ok = got.pop(k, 0) == want
        print(f"    {'ok' if ok else 'DIFF'}: {k}: truth {e['count']}, live {want}")
        diffs += not ok
for k, v in got.items():
    if v:
        print(f"    DIFF: {k}: {v} in the scrape, not in the truth")
        diffs += 1
ok = len(vms) == 1 and io_vms == vms
print(f"    {'ok' if ok else 'DIFF'}: vm label of the MSR/port series {sorted(io_vms, key=str)}, "
      f"of the exits {sorted(vms)}")
diffs += not ok
sys.exit(1 if diffs else 0)
EOT

# The Turtles breakdown through PromQL. Truth: every reflected exit but each vCPU's final
# VMMCALL is resumed from (docs/lab-workload.md); each vCPU reports once on port 0x84, so the
# vCPUs are the truth's L1 io exits.
check "PromQL round trips equal truth; L1 cpuid exits = $mult per round trip; parts add up" \
	python3 - "$prom_port" "$out/lab/truth.json" "$mult" <<'EOT'
import json, sys, urllib.parse, urllib.request

port, truth, k = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])

def query(q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    r = json.load(urllib.request.urlopen(url, timeout=10))
    assert r["status"] == "success", r
    return {s["metric"].get("reason"): float(s["value"][1]) for s in r["data"]["result"]}

last = "sum by (reason) (last_over_time({}[10m]))".format
rt = query(last("nvmx_nested_round_trips_total"))
l1 = query(last('nvmx_nested_round_trip_l1_exits_total{l1_reason="cpuid"}'))
parts = query(last("nvmx_nested_round_trip_part_seconds_total"))
total = query(last("nvmx_nested_round_trip_seconds_sum"))
hcount = query(last("nvmx_nested_round_trip_seconds_count"))
vcpus = sum(e["count"] for e in truth["l1_exits"] if e["reason"] == "io")
diffs = 0
def say(ok, what):
    global diffs
    print(f"    {'ok' if ok else 'DIFF'}: {what}")
    diffs += not ok
for e in truth["l2_exits"]:
    if not e["certain"] or e["handled_by"] != "L1":
        continue
    r = e["reason"]
    want = e["count"] - (vcpus if r == "hypercall" else 0)
    got = rt.get(r)
    say(got == want, f"round trips {r}: PromQL {got}, truth {want}")
    say(l1.get(r) == k * want, f"L1 cpuid exits in {r} round trips: PromQL {l1.get(r)}, want {k * want}")
    say(hcount.get(r) == got, f"histogram count {r}: {hcount.get(r)}, round trips {got}")
    p, t = parts.get(r, 0), total.get(r, 0)
    say(t > 0 and abs(p - t) <= 1e-9,
        f"parts of {r} add up: {p:.9f} s, round trips {t:.9f} s")
sys.exit(1 if diffs else 0)
EOT
finish
