#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# One meaning per number (docs/model.md's glossary) on one lab run with nvmxd live: every sink
# shows the same exit multiplication and round-trip mean per reflected reason. Run by
# lab_consistency.sh once it has written the sinks' outputs into OUT (table.txt, report.json,
# top.jsonl, bench.json, bitmap.json) with the run itself in OUT/lab and a Prometheus server on
# 127.0.0.1:PROM_PORT holding nvmxd's scrapes of that run.
#
# usage: sinks_check.py PROM_PORT RULES OUT L1
#   L1 = K  the lab's minimal L1 with mult=K: L1 runs exactly K CPUIDs in each handler (certain)
#   L1 = kvm  Linux KVM as L1 with the L2 runner (--l1 kvm): what real KVM's code fixes, and
#        that nvmx bitmap's advice holds for KVM's own bitmaps (tests/lab-l1/CMakeLists.txt)
import json, re, sys, urllib.parse, urllib.request

port, rules_path, out, l1 = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
kvm = l1 == "kvm"
k = None if kvm else int(l1)
nvmxd = json.load(open(f"{out}/lab/exec/nvmxd.json"))
truth = json.load(open(f"{out}/lab/truth.json"))
diffs = 0


def say(ok, what):
    global diffs
    print(f"    {'ok' if ok else 'DIFF'}: {what}")
    diffs += not ok


def close(a, b, tol=1e-6):
    return a is not None and b is not None and abs(a - b) <= tol * max(1.0, abs(b))


# A breakdown entry's L1 exits by L1 reason, in either shape nvmx has written: an object
# {"vmload": N, ...} with "l1_exits_overflow": N, or a list [{"reason", "exits", "service_ns"}]
# with "l1_exits_overflow": {"exits", "service_ns"}.
def l1_by_reason(b):
    e = b.get("l1_exits", {})
    if isinstance(e, list):
        return {x["reason"]: x["exits"] for x in e}
    return dict(e)


def l1_overflow(b):
    o = b.get("l1_exits_overflow", 0)
    return o.get("exits", 0) if isinstance(o, dict) else o


# nvmxd's JSON: the reference (its breakdown: round trips and L1 exits by L1 reason)
ref = {}
for b in nvmxd["breakdown"]:
    by = l1_by_reason(b)
    l1 = sum(by.values()) + l1_overflow(b)
    ref[b["reason"]] = (b["round_trips"], l1, b["round_trip_ns"] / b["round_trips"],
                        sum(v for r, v in by.items() if r.lower() == "cpuid"))
isa = nvmxd["breakdown"][0]["isa"] if nvmxd["breakdown"] else None
if kvm:
    # the runner's reflected elements: every one certain in its truth
    want = {x["reason"] for x in truth["l2_exits"] if x["handled_by"] == "L1" and x["certain"]}
else:
    want = {"cpuid", "io"} if isa == "svm" else {"CPUID", "IO_INSTRUCTION"}
say(bool(want) and set(ref) >= want, f"round trips in nvmxd's JSON for {sorted(ref)} (want {sorted(want)})")
for r, (n, l1, mean, cpuid) in ref.items():
    if kvm:
        # KVM's SVM round trip under TCG (no vGIF, no virtual VMLOAD/VMSAVE): at least
        # vmsave vmload stgi rdmsr clgi vmload in L1 before its VMRUN; L1's timer interrupts
        # and NPFs add more, so it is a lower bound, for the runner's own elements
        if r in want:
            say(l1 / n >= 6, f"{r}: multiplication {l1 / n:.6f} >= 6 (KVM's SVM exit path)")
        continue
    say(cpuid == k * n, f"{r}: L1 cpuid exits {cpuid} = {k} x {n} round trips")
    # interrupts for L1 (the intr element's MSI, timers) taken inside a handler add L1 exits
    say(l1 / n >= k, f"{r}: multiplication {l1 / n:.6f} >= {k}")

# text table: the mult column of each reflected reason (2 decimals); a reason may hold a space
row_re = re.compile(r"^(svm|vmx)\s+(.+?)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+([0-9.]+|-)(\s|$)")
table = {}
for line in open(f"{out}/table.txt"):
    m = row_re.match(line)
    if m and m.group(8) != "-":
        table[m.group(2)] = float(m.group(8))
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
if not kvm:
    cpuid = {s["metric"]["reason"]: float(s["value"][1]) for s in query(
        'sum by (reason) (last_over_time(nvmx_nested_round_trip_l1_exits_total{l1_reason=~"(?i)cpuid"}[10m]))'
        ' / sum by (reason) (last_over_time(nvmx_nested_round_trips_total[10m]))')}
    for r in ref:
        say(cpuid.get(r) == k, f"{r}: PromQL L1 cpuid exits per round trip {cpuid.get(r)} = {k}")
# the L1 exits of round trips by L1 exit reason (the reasons past the kept ones: "other"), per
# reflected reason: nvmxd's JSON, nvmx report --json's breakdown and /metrics say the same; and
# L0's service time per L1 exit reason where the JSON has it (service_ns)
def by_l1(b):
    d = dict(l1_by_reason(b))
    if l1_overflow(b):
        d["other"] = d.get("other", 0) + l1_overflow(b)
    return d


def service(b):
    e = b.get("l1_exits", {})
    return {x["reason"]: x.get("service_ns") for x in e} if isinstance(e, list) else None


rep_bd = {(b["isa"], b["reason"]): b for b in json.load(open(f"{out}/report.json"))["breakdown"]}
prom_l1 = {}
for s_ in query("sum by (isa, reason, l1_reason) "
                "(last_over_time(nvmx_nested_round_trip_l1_exits_total[10m]))"):
    m_ = s_["metric"]
    prom_l1.setdefault((m_["isa"], m_["reason"]), {})[m_["l1_reason"]] = int(float(s_["value"][1]))
for b in nvmxd["breakdown"]:
    kb = (b["isa"], b["reason"])
    want_l1 = by_l1(b)
    got = rep_bd.get(kb)
    say(got is not None and by_l1(got) == want_l1, f"{b['reason']}: report's L1 exits by L1 reason = nvmxd's {want_l1}")
    if service(b) is not None:
        say(got is not None and service(got) == service(b), f"{b['reason']}: report's L1 exit service time by L1 reason = nvmxd's")
    say(prom_l1.get(kb) == want_l1, f"{b['reason']}: /metrics L1 exits by l1_reason {prom_l1.get(kb)}")
mean_q = {s["metric"]["reason"]: float(s["value"][1]) for s in query(rule_expr(
    "vm_reason:nvmx_nested_round_trip_seconds:mean5m"))}
for r, (n, l1, mean, c) in ref.items():
    say(close(mean_q.get(r, 0) * 1e9, mean), f"{r}: PromQL round-trip mean {mean_q.get(r)} s")

# per L1 exit reason inside the round trips: exits and L0's service time (nvmxd's JSON the
# reference; "(other)" the overflow): report --json and text, nvmxtop --json, /metrics
# (l1reasons' checks, with the service time of each)
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
cols = None
for line in open(f"{out}/report.txt"):
    if line.startswith("L1's exits inside the round trips"):
        sect = True
        continue
    # columns by the header's offsets: a reason may hold a space ("UD excp")
    if sect and line.startswith("isa ") and "L1 exit" in line:
        cols = (line.index("reason"), line.index("L1 exit"))
        continue
    if sect and cols and not line.strip():
        break
    if sect and cols and line[:3] in ("svm", "vmx"):
        # L1 exit, then exits, per trip, mean us, service us
        f = line[cols[1]:].split()
        txt_l1[(line[cols[0]:cols[1]].strip(), " ".join(f[:-4]))] = (
            int(f[-4]), float(f[-3]), float(f[-2]))
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
    rs = r.replace(" ", "_").replace(".", "_")  # a metric name's part (cli/bench_metrics.c)
    v = bench_value(f"ratio.mult.{isa}.{rs}")
    say(close(v, l1 / n), f"{r}: bench ratio.mult {v}")
    v = bench_value(f"time.rt.{isa}.{rs}.mean_ns")
    say(close(v, mean), f"{r}: bench round-trip mean {v}")
v = bench_value("ratio.exit_multiplication")
say(close(v, tot_l1 / tot_n), f"bench ratio.exit_multiplication {v}")

# nvmx bitmap on real KVM's bitmaps (SVM: KVM's MSRPM and IOPM merged by
# nested_svm_exit_handled_msr / nested_svm_intercept_ioio): its rows are the runner's certain
# MSR and port exits, with the handler and mechanism KVM's code gives them
if kvm:
    bm = json.load(open(f"{out}/bitmap.json"))
    rows = bm["rows"]
    say(bm["rows_total"] == len(rows), f"bitmap --top 0: every row ({len(rows)} of {bm['rows_total']})")

    def key(x):
        if "msr" in x:
            return ("msr", x["msr"], x["access"], x["exit"], x.get("handled_by"))
        return ("port", x["port"], x["direction"], x["exit"], x.get("handled_by"))

    brow = {}
    for x in rows:
        brow[key(x)] = brow.get(key(x), 0) + x["count"]
    for x in truth["msrs"] + truth["ports"]:
        if not x["certain"] or x["exit"] != "L2":
            continue
        got = brow.get(key(x))
        say(got == x["count"], f"bitmap {key(x)}: {got} = truth {x['count']}")
    # MSR 0x174 (SYSENTER_CS, rdmsr-none/wrmsr-none): neither L1's nor L0's bitmap intercepts
    # it, so no L2 access to it exits anywhere, and the bitmap must not show one
    l2_174 = [x for x in rows if x.get("msr") == "0x174" and x["exit"] == "L2"]
    say(not l2_174, f"bitmap: MSR 0x174 (passed through by both levels) never exits from L2 {l2_174}")
    ran = ",".join(c["workload"] for c in json.load(open(f"{out}/lab/lab.json"))["configs"]).split(",")
    say("rdmsr-none" in ran and "wrmsr-none" in ran, f"the run had rdmsr-none and wrmsr-none: {ran}")
    # MSR 0x10 (TSC, rdmsr-l1/wrmsr-l1): L1's MSRPM intercepts it: reflected, an L1 setting
    for acc in ("read", "write"):
        r10 = [x for x in rows if x.get("msr") == "0x10" and x["access"] == acc and x["exit"] == "L2"]
        say(len(r10) == 1 and r10[0]["handled_by"] == "L1" and r10[0]["mechanism"] == "l1_intercepts"
            and "nested_svm_exit_handled_msr" in r10[0]["advice"],
            f"bitmap: L2's {acc} of MSR 0x10 reflected to L1, mechanism l1_intercepts, advice naming "
            f"nested_svm_exit_handled_msr: {[(x['handled_by'], x['mechanism']) for x in r10]}")
    # each reflected row: its exit reason's round trips by L1 exit reason, as nvmxd's breakdown
    # has them (exits per round trip, mean L0 service time)
    bd = {(b["isa"], b["reason"]): b for b in nvmxd["breakdown"]}
    for x in rows:
        if x["exit"] != "L2" or x.get("handled_by") != "L1":
            continue
        b = bd.get((x["isa"], "msr" if x["kind"] == "msr" else "io"))
        want = sorted((e["reason"], e["exits"] / b["round_trips"], e["service_ns"] / e["exits"])
                      for e in b["l1_exits"]) if b else None
        got = sorted((e["l1_reason"], e["per_round_trip"], e["mean_service_ns"])
                     for e in x.get("l1_exits_per_round_trip") or [] if e["l1_reason"] != "other")
        say(want is not None and len(got) == len(want) and
            all(g[0] == w[0] and close(g[1], w[1]) and close(g[2], w[2]) for g, w in zip(got, want)),
            f"bitmap {key(x)}: L1 exits per round trip by L1 reason equal nvmxd's breakdown")
    # every reflected row is L1's setting; every row L0 handled is L0's (merged) or KVM's
    # (always exits); L1's own accesses are L1's own
    for x in rows:
        want_mech = {"L1": {"l1_intercepts"}, "L0": {"l0_merged", "always_exits"}}.get(
            x.get("handled_by"), {"l1_own"})
        if x["exit"] == "L1":
            want_mech = {"l1_own"}
        if x["mechanism"] not in want_mech:
            say(False, f"bitmap row {key(x)}: mechanism {x['mechanism']} not in {sorted(want_mech)}")
    # the counts add up to nvmxd's MSR and port entries
    tot = sum(x["count"] for x in nvmxd["msrs"] + nvmxd["ports"])
    say(sum(x["count"] for x in rows) == tot == bm["total_count"],
        f"bitmap rows add up to nvmxd's MSR and port exits ({bm['total_count']} = {tot})")
    # which MSRs are L0's: the runner's MSR exits are all L1's; none of them is handled in L0
    l0_msrs = [key(x) for x in rows if x.get("msr") and x["exit"] == "L2" and x["handled_by"] == "L0"]
    say(not l0_msrs, f"bitmap: no L2 MSR exit handled by L0 with KVM as L1 {l0_msrs}")
sys.exit(1 if diffs else 0)
