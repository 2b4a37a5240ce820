#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The overhead benchmark's numbers (issue #10), from what bench/overhead/l0_bench.sh wrote.

usage: analyze.py EXEC_DIR [--markdown]
       analyze.py EXEC_DIR --result FILE [--name NAME] [--version V] [--icount SHIFT]

EXEC_DIR is the lab run's exec/ directory: results.txt (one timed workload run per line:
TAG wall_ns exit user_s sys_s), bpf.txt (nvmxd --bpf-stats program lines), nvmxd.txt (nvmxd's
CPU and memory per phase). Prints, per tool: runs, median wall time, spread, the ratio of its
median to nothing attached, and the per-round ratio (each run against the 'none' run of its own
round: the order rotates, so rounds pair runs made close together); the BPF cost per event of
every nvmx program beside the empty and the single-counter program; nvmxd's CPU per scrape and
memory at idle and under the workload.

--result FILE writes the program table as an `nvmx bench` result file (docs/ci.md, schema 1)
instead: one repeat per timed run of the --bpf-stats phase (bpf-stats-K.prom, nvmxd's /metrics
before the first run and after each), metrics time.bpf.PROGRAM.ns_per_run,
count.bpf.PROGRAM.runs, ratio.bpf.PROGRAM.to_empty and the totals time.bpf.all.ns_per_run,
time.bpf.all.ns_per_kvm_exit (a program that ran in some of the timed runs only, as an
interrupt's may with KVM as L1: its runs, 0 where it did not run, and no cost per run, said on
standard error); the workload is {"source": "overhead", ...} with the clock
(icount), so `nvmx bench compare` compares it only with another overhead result of the same
workload and clock. EXEC_DIR/../lab.json and console.log give the environment.
"""
import json
import os
import platform
import re
import statistics
import sys
import time

TOOLS = ["none", "nvmxd", "nvmxd-rec", "perf", "bpftrace", "tracefs"]


def timings(path):
    order, runs = [], {}
    for line in open(path):
        tag, ns, rc, *_ = line.split()
        if rc != "0":
            sys.exit(f"{path}: a {tag} run exited {rc}")
        order.append((tag, int(ns)))
        runs.setdefault(tag, []).append(int(ns))
    return order, runs


def rounds_of(order):
    """Consecutive groups of the rotated tools: one of each benchmarked tool per round."""
    rounds, cur = [], {}
    for tag, ns in order:
        if tag not in TOOLS:
            continue
        if tag in cur:
            rounds.append(cur)
            cur = {}
        cur[tag] = ns
    if cur:
        rounds.append(cur)
    return [r for r in rounds if "none" in r]


def prom_snapshot(path):
    """{program: (runs, run_seconds)} of one /metrics scrape (nvmxd --bpf-stats)."""
    runs, secs = {}, {}
    for line in open(path):
        m = re.match(r'(nvmx_bpf_program_runs|nvmx_bpf_program_run_seconds)_total'
                     r'\{program="([^"]+)"\} (\S+)$', line)
        if m:
            (runs if m.group(1) == "nvmx_bpf_program_runs" else secs)[m.group(2)] = \
                float(m.group(3))
    if "nvmx_bpf_stats_enabled 1" not in open(path).read() or set(runs) != set(secs):
        sys.exit(f"{path}: no nvmx_bpf_program_runs/run_seconds pairs (nvmxd without --bpf-stats?)")
    return {p: (runs[p], secs[p]) for p in runs}


def baselines(d):
    """{program: description} of nvmxd's --baseline programs, from its final lines (bpf.txt)."""
    out = {}
    for line in open(f"{d}/bpf.txt"):
        m = re.search(r"program (\S+)\s+\d+ runs,.*\(baseline: (.*)\)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def own_empty_name(name, base):
    """The empty baseline a program is measured against, by name: the empty tp_btf program on
    its own event for a tp_btf program (suffix _btf, _btf64, _svm, _rcx), else the one on
    kvm_exit; the empty classic program on kvm_exit for a classic one. base: {program:
    description} of the baselines (nvmxd's "(baseline: ...)"). None when there is none."""
    btf = {}
    classic = None
    for p, what in base.items():
        m = re.search(r"empty tp_btf program on (\S+)", what)
        if m:
            btf[m.group(1)] = p
        elif "empty program" in what:
            classic = p
    stem = name[len("nvmx_"):] if name.startswith("nvmx_") else name
    for suffix in ("_btf64", "_btf", "_svm", "_rcx"):
        if stem.endswith(suffix):
            return btf.get(stem[:-len(suffix)]) or btf.get("kvm_exit") or classic
    return classic


def result(d, path, name, version, icount):
    snaps = []
    k = 0
    while os.path.exists(f"{d}/bpf-stats-{k}.prom"):
        snaps.append(prom_snapshot(f"{d}/bpf-stats-{k}.prom"))
        k += 1
    if len(snaps) < 2:
        sys.exit(f"{d}: fewer than two bpf-stats-K.prom snapshots: no timed --bpf-stats run")
    base = baselines(d)
    counter = next((p for p, w in base.items() if "single-counter" in w), None)
    progs = sorted(snaps[-1])
    metrics = {}

    def put(key, kind, value):
        metrics.setdefault(key, {"kind": kind, "values": []})["values"].append(value)

    costs = []
    for i in range(1, len(snaps)):
        a, b = snaps[i - 1], snaps[i]
        cost = {}
        for p in progs:
            n = b[p][0] - a.get(p, (0, 0))[0]
            ns = (b[p][1] - a.get(p, (0, 0))[1]) * 1e9
            if n > 0:
                cost[p] = (n, ns / n)
        costs.append(cost)
    # a program that ran in some timed runs only (an interrupt's): its runs in every repeat (0
    # where it did not run), its cost per run nowhere (a repeat has none to give), said so
    part = sorted({p for c in costs for p in c if any(p not in o for o in costs)})
    for p in part:
        print(f"analyze.py: {p} ran in {sum(p in c for c in costs)} of {len(costs)} timed runs: "
              "its runs counted, its cost left out", file=sys.stderr)
    for cost in costs:
        for p in part:
            put(f"count.bpf.{p}.runs", "count", int(cost[p][0]) if p in cost else 0)
        for p in progs:
            if p not in cost or p in part:
                continue
            n, per = cost[p]
            put(f"count.bpf.{p}.runs", "count", int(n))
            put(f"time.bpf.{p}.ns_per_run", "time", round(per, 1))
            if p not in base:
                e = own_empty_name(p, base)
                if e in cost:
                    put(f"ratio.bpf.{p}.to_empty", "ratio", round(per / cost[e][1], 4))
        nv = [cost[p] for p in cost if p not in base]
        total = sum(n * per for n, per in nv)
        if nv:
            put("time.bpf.all.ns_per_run", "time", round(total / sum(n for n, _ in nv), 1))
        if counter in cost:
            put("time.bpf.all.ns_per_kvm_exit", "time", round(total / cost[counter][0], 1))
    repeats = len(snaps) - 1
    for key, m in metrics.items():
        if len(m["values"]) != repeats:
            sys.exit(f"{d}: {key} ran in {len(m['values'])} of {repeats} timed runs: not "
                     "repeats of one workload")
    lab = json.load(open(f"{d}/../lab.json"))
    params = {}
    for line in open(f"{d}/../console.log", errors="replace"):
        m = re.search(r"nvmx-lab: param (\S+?)=(\S*)", line)
        if m:
            params[m.group(1)] = m.group(2)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.machine())
    # as `nvmx bench run` splits it: L2's elements are the workload, mult=K is L1's behaviour
    full = lab["configs"][0]["workload"].split(",")
    mult = next((e for e in full if e.startswith("mult=")), "mult=1")
    spec = ",".join(e for e in full if not e.startswith("mult="))
    doc = {
        "nvmx_bench": 1,
        "nvmx_version": version,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "name": name,
        "repeats": repeats,
        "workload": {"source": "overhead", "isa": lab["isa"], "spec": spec, "iterations": lab["iterations"],
                     "vcpus": lab["vcpus"], "clock": f"icount shift={icount}" if icount
                     else "wall"},
        "env": {"kernel": lab["kernel"], "l1": f"nvmx-lab-workload {lab['isa']} {mult}",
                "emulator": lab["emulator"], "cpu_model": cpu, "kvm_params": params},
        "metrics": metrics,
    }
    if not name:
        del doc["name"]
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main():
    d = sys.argv[1]
    md = "--markdown" in sys.argv
    if "--result" in sys.argv:
        opt = {k: sys.argv[sys.argv.index(k) + 1] for k in ("--result", "--name", "--version",
                                                          "--icount") if k in sys.argv}
        result(d, opt["--result"], opt.get("--name"), opt.get("--version", "unknown"),
               opt.get("--icount"))
        return
    order, runs = timings(f"{d}/results.txt")
    if "none" not in runs:
        print("(no timing rounds: --rounds 0)")
        runs = {}
    base = statistics.median(runs["none"]) if runs else 1
    paired = {}
    for rnd in rounds_of(order):
        for t, ns in rnd.items():
            paired.setdefault(t, []).append(ns / rnd["none"])
    head = ["tool", "runs", "median ms", "min-max ms", "IQR %", "ratio to none",
            "per-round ratio: median [min, max]"]
    rows = []
    for t in TOOLS:
        v = sorted(runs.get(t, []))
        if not v:
            continue
        med = statistics.median(v)
        q = statistics.quantiles(v, n=4) if len(v) > 1 else [med, med, med]
        p = paired.get(t, [])
        rows.append([t, str(len(v)), f"{med / 1e6:.1f}", f"{v[0] / 1e6:.1f}-{v[-1] / 1e6:.1f}",
                     f"{100 * (q[2] - q[0]) / med:.1f}", f"{med / base:.3f}",
                     f"{statistics.median(p):.3f} [{min(p):.3f}, {max(p):.3f}]" if p else "-"])
    if rows:
        table(head, rows, md)
        print()
    progs = []
    for line in open(f"{d}/bpf.txt"):
        m = re.search(r"program (\S+)\s+(\d+) runs,\s+(\d+) ns/run(.*)", line)
        if m:
            progs.append((m.group(1), int(m.group(2)), float(m.group(3)), m.group(4)))
    # The floors: the empty classic program on kvm_exit ("empty program"), the empty tp_btf
    # programs ("empty tp_btf program on EVENT"), the single counter (classic, kvm_exit).
    empty = next((p[2] for p in progs if "empty program" in p[3]), None)
    single = next((p[2] for p in progs if "single-counter" in p[3]), None)
    bases = baselines(d)
    ns_of = {p[0]: p[2] for p in progs if p[1]}

    def own_empty(name):
        """The empty program of a program's own kind (own_empty_name) and its ns/run."""
        e = own_empty_name(name, bases)
        return (e, ns_of[e]) if e in ns_of else (None, None)

    rows = []
    nvmx = [p for p in progs if "baseline" not in p[3] and p[1]]
    for name, n, ns, desc in progs:
        if not n:
            rows.append([name, "0", "-", "-", "-", "-", "-"])
            continue
        if "baseline" in desc:
            oe, oe_ns = name, ns
        else:
            oe, oe_ns = own_empty(name)
        rows.append([name, str(n), f"{ns:.0f}", oe or "-",
                     f"{ns / oe_ns:.2f}" if oe_ns else "-",
                     f"{ns / empty:.2f}" if empty else "-", f"{ns / single:.2f}" if single else "-"])
    if nvmx and single:
        runs = sum(p[1] for p in nvmx)
        all_ns = sum(p[1] * p[2] for p in nvmx)
        floor = [own_empty(p[0])[1] for p in nvmx]
        own = (all_ns / sum(p[1] * f for p, f in zip(nvmx, floor))
               if all(floor) else None)
        worst = max(((p[2] / f, p[0]) for p, f in zip(nvmx, floor) if f), default=None)
        kvm_exits = next((p[1] for p in progs if "single-counter" in p[3]), 0)
        rows.append(["all nvmx programs, per program run", str(runs), f"{all_ns / runs:.0f}", "own",
                     f"{own:.2f}" if own else "-", f"{all_ns / runs / empty:.2f}",
                     f"{all_ns / runs / single:.2f}"])
        if kvm_exits:
            rows.append(["all nvmx programs, per kvm_exit", str(kvm_exits),
                         f"{all_ns / kvm_exits:.0f}", "-", "-", f"{all_ns / kvm_exits / empty:.2f}",
                         f"{all_ns / kvm_exits / single:.2f}"])
        if worst:
            rows.append([f"worst: {worst[1]}", "-", "-", "own", f"{worst[0]:.2f}", "-", "-"])
    table(["program", "runs", "ns/run", "its empty program", "ratio to its empty",
           "ratio to classic empty", "ratio to single counter"], rows, md)

    print()
    rows = []
    for line in open(f"{d}/nvmxd.txt"):
        w = line.split()
        if w[0] == "attached":
            rows.append(["attached (no VM yet)", "-", "-", "-", "-",
                         " ".join(w[1:])])
            continue
        f = dict(zip(w[1::2], w[2::2]))
        secs, cpu, n = float(f["seconds"]), int(f["cpu_ns"]), int(f["scrapes"])
        mem = re.findall(r"(VmRSS|VmHWM): (\d+)", line)
        rows.append([w[0], f"{secs:.1f}", f"{100 * cpu / 1e9 / secs:.2f}", str(n),
                     f"{cpu / n / 1e6:.2f}" if n else "-",
                     " ".join(f"{k} {int(v) / 1024:.1f} MiB" for k, v in mem)])
    table(["nvmxd phase", "seconds", "CPU %", "scrapes", "CPU ms per scrape", "memory"], rows, md)


def table(head, rows, md):
    if md:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
        return
    w = [max(len(x) for x in col) for col in zip(head, *rows)]
    for r in [head] + rows:
        print("  ".join(x.ljust(n) for x, n in zip(r, w)).rstrip())


if __name__ == "__main__":
    main()
