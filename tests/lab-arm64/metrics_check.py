#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# metrics_check.py SCRAPE NVMXD_JSON: nvmxd's /metrics (one scrape after the workload, Prometheus
# text) says what its JSON says: L2 exits by (isa, reason, handled_by), L1 exits and exits
# synthesized to L1 by (isa, reason), nested entries, unattributed events, summed over VMs (but
# for the exits nvmxd's end decides, below); and no lost event. Exit 0 when all agree, 1 with
# each difference.
import json, re, sys

scrape, nvmxd = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
sample = re.compile(r'^(\w+)\{([^}]*)\} (\S+)$|^(\w+) (\S+)$')


def metric(name, keys):
    got = {}
    for line in scrape.splitlines():
        m = sample.match(line)
        if not m:
            continue
        n, labels, v = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), "", m.group(5))
        if n != name:
            continue
        lab = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))
        k = tuple(lab.get(x) for x in keys)
        got[k] = got.get(k, 0) + float(v)
    return {k: v for k, v in got.items() if v}


def json_counts(kind, keys):
    got = {}
    for e in nvmxd.get(kind, []):
        k = tuple(e.get(x) for x in keys)
        got[k] = got.get(k, 0) + e["count"]
    return {k: float(v) for k, v in got.items() if v}


# The scrape is taken when the workload has ended, the JSON when nvmxd ends: an exit still
# undecided at the scrape (at most one per vCPU thread: L1's last MMIO exit, out to the VMM) is
# counted in the JSON only, by nvmxd's end of capture. So each count of the scrape is at most the
# JSON's, and they differ by at most one exit per vCPU thread in all.
threads = sum(len(vm["vcpus"]) for vm in nvmxd["vms"])
diffs, open_exits = 0, 0
for name, kind, keys in (("nvmx_l2_exits_total", "l2_exits", ("isa", "reason", "handled_by")),
                         ("nvmx_l1_exits_total", "l1_exits", ("isa", "reason")),
                         ("nvmx_synthesized_to_l1_total", "synthesized_to_l1", ("isa", "reason")),
                         ("nvmx_injected_to_l1_total", "injected_to_l1", ("isa", "reason"))):
    m, j = metric(name, keys), json_counts(kind, keys)
    ok = all(m.get(k, 0) <= j.get(k, 0) for k in set(m) | set(j)) and bool(j or kind != "l2_exits")
    open_exits += sum(j.values()) - sum(m.values())
    print("%s: %s %s, JSON %s" % ("ok" if ok else "DIFF", name, m, j))
    diffs += not ok
for name, field in (("nvmx_nested_entries_total", "nested_entries"),
                    ("nvmx_unattributed_events_total", "unattributed"),
                    ("nvmx_lost_events_total", "lost_events")):
    m = sum(metric(name, ()).values())
    ok = m <= float(nvmxd[field]) and (field != "lost_events" or m == 0)
    if field == "unattributed":
        open_exits += float(nvmxd[field]) - m
    elif field == "nested_entries":
        ok = ok and m == float(nvmxd[field])
    print("%s: %s %g, JSON %s %s" % ("ok" if ok else "DIFF", name, m, field, nvmxd[field]))
    diffs += not ok
ok = open_exits <= threads
print("%s: %g exits decided after the scrape, by nvmxd's end (at most %d, one per vCPU thread)"
      % ("ok" if ok else "DIFF", open_exits, threads))
diffs += not ok
sys.exit(1 if diffs else 0)
