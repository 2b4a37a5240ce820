#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The overhead benchmark's numbers (issue #10), from what bench/overhead/l0_bench.sh wrote.

usage: analyze.py EXEC_DIR [--markdown]

EXEC_DIR is the lab run's exec/ directory: results.txt (one timed workload run per line:
TAG wall_ns exit user_s sys_s), bpf.txt (nvmxd --bpf-stats program lines), nvmxd.txt (nvmxd's
CPU and memory per phase). Prints, per tool: runs, median wall time, spread, the ratio of its
median to nothing attached, and the per-round ratio (each run against the 'none' run of its own
round: the order rotates, so rounds pair runs made close together); the BPF cost per event of
every nvmx program beside the empty and the single-counter program; nvmxd's CPU per scrape and
memory at idle and under the workload.
"""
import re
import statistics
import sys

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


def main():
    d = sys.argv[1]
    md = "--markdown" in sys.argv
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
    btf_empty = {}
    for p in progs:
        m = re.search(r"empty tp_btf program on (\S+?)\)?$", p[3].strip())
        if m and p[1]:
            btf_empty[m.group(1)] = p

    def own_empty(name):
        """The empty program of a program's own kind: tp_btf on its event, else on kvm_exit."""
        base = name[len("nvmx_"):] if name.startswith("nvmx_") else name
        for suffix in ("_btf64", "_btf", "_svm", "_rcx"):
            if base.endswith(suffix):
                ev = base[:-len(suffix)]
                p = btf_empty.get(ev) or btf_empty.get("kvm_exit")
                return (p[0], p[2]) if p else (None, None)
        return ("nvmx_baseline_kvm_exit", empty) if empty else (None, None)

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
