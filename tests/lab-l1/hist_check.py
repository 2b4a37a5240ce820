#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nvmx's nested exits per reason against L0's own counts (`nvmx lab run --l2 linux`).

L0 counted, independently of nvmx, every kvm_nested_vmexit (each L2 exit L0 sees) and every
kvm_nested_vmexit_inject (each exit L0 delivers to L1: a reflection or a synthesised exit) per
reason with tracefs hist triggers (lab/l1-kvm.sh): RUNDIR/kvm_nested_vmexit.hist and
RUNDIR/kvm_nested_vmexit_inject.hist, with the events' format files, whose print fmt names the
reasons. For each SUMMARY (nvmx's JSON: observed.json of the replay, nvmxd.json), per reason:

  L2 exits (l2_exits[], handled by L0 + reflected to L1)   == kvm_nested_vmexit hits
  reflected (l2_exits[] handled by L1) + synthesized_to_l1 == kvm_nested_vmexit_inject hits

and nothing unattributed. With --trace, the capture's edges are read from the trace itself: per
vCPU thread, an exit open at the start (its first kvm_exit/kvm_entry event is not its vCPU's
first entry, at the reset vector: there must be none, the capture starts before L1's QEMU) and
at the end (its last one is a kvm_exit: at most one per thread); they are listed.

usage: hist_check.py RUNDIR [--trace TRACE.xz] SUMMARY.json...
Exit status: 0 every count equal, 1 one differs, 2 unusable input (one line says what).
"""
import collections
import json
import lzma
import re
import sys


def die(msg):
    print(f"hist_check: {msg}", file=sys.stderr)
    sys.exit(2)


def reason_names(format_path, field):
    """Exit code -> name, from the SVM __print_symbolic(REC->field, ...) of the print fmt."""
    try:
        text = open(format_path).read()
    except OSError as e:
        die(f"{format_path}: {e.strerror}")
    start = text.find(f"__print_symbolic(REC->{field},")
    if start < 0:
        die(f"{format_path}: no __print_symbolic(REC->{field}, ...) (not an SVM kernel's format?)")
    end = text.find(")", text.find('"invalid_guest_state"', start))
    names = {}
    for code, name in re.findall(r'\{ ([-0-9a-fx +]+), "([^"]+)" \}', text[start:end]):
        value = sum(int(t, 0) for t in code.split("+"))
        names[value & 0xFFFFFFFF] = name
    if not names:
        die(f"{format_path}: no reason names in its print fmt")
    return names


def read_hist(path, field, names):
    """{reason name: hits} of a hist file keyed by field; its totals must say nothing dropped."""
    try:
        text = open(path).read()
    except OSError as e:
        die(f"{path}: {e.strerror} (did L0 set the hist trigger? see workload.stderr)")
    counts = collections.Counter()
    for code, hits in re.findall(r"\{ %s:\s*(\d+) \} hitcount:\s*(\d+)" % field, text):
        code = int(code)
        counts[names.get(code, f"0x{code:x}")] += int(hits)
    m = re.search(r"Hits: (\d+)\s+Entries: (\d+)\s+Dropped: (\d+)", text)
    if not m:
        die(f"{path}: no Totals (not a hist file)")
    if int(m.group(3)):
        die(f"{path}: the hist dropped {m.group(3)} entries")
    if sum(counts.values()) != int(m.group(1)):
        die(f"{path}: the entries add up to {sum(counts.values())}, Totals say {m.group(1)}")
    return counts


def nvmx_counts(path):
    try:
        d = json.load(open(path))
    except (OSError, ValueError) as e:
        die(f"{path}: {e}")
    l2, injected, by = collections.Counter(), collections.Counter(), collections.Counter()
    for e in d.get("l2_exits", []):
        l2[e["reason"]] += e["count"]
        by[e["handled_by"]] += e["count"]
        if e["handled_by"] == "L1":
            injected[e["reason"]] += e["count"]
    synth = collections.Counter()
    for e in d.get("synthesized_to_l1", []):
        injected[e["reason"]] += e["count"]
        synth[e["reason"]] += e["count"]
    return l2, injected, by, synth, d.get("unattributed", 0)


def compare(what, hist, nvmx):
    bad = 0
    for reason in sorted(set(hist) | set(nvmx)):
        h, n = hist.get(reason, 0), nvmx.get(reason, 0)
        mark = "ok" if h == n else "DIFFERS"
        bad += h != n
        print(f"  {what:<32} {reason:<16} hist {h:>8}  nvmx {n:>8}  {mark}")
    return bad


def trace_edges(path):
    """Per vCPU thread: its first kvm_exit/kvm_entry event (name, rest) and its last one."""
    line_re = re.compile(r"^\s*(?:\S.*?)-(\d+)\s+\[\d+\]\s+\S+\s+[\d.]+: (kvm_exit|kvm_entry): (.*)")
    first, last = {}, {}
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rt", errors="replace") as f:
        for line in f:
            m = line_re.match(line)
            if not m:
                continue
            tid = m.group(1)
            first.setdefault(tid, (m.group(2), m.group(3)))
            last[tid] = (m.group(2), m.group(3))
    return first, last


def main(argv):
    if len(argv) < 3:
        die("usage: hist_check.py RUNDIR [--trace TRACE] SUMMARY.json...")
    rundir, args, trace = argv[1], argv[2:], None
    if args[0] == "--trace":
        if len(args) < 3:
            die("usage: hist_check.py RUNDIR [--trace TRACE] SUMMARY.json...")
        trace, args = args[1], args[2:]
    vmexit_names = reason_names(f"{rundir}/kvm_nested_vmexit.format", "exit_reason")
    inject_names = reason_names(f"{rundir}/kvm_nested_vmexit_inject.format", "exit_code")
    vmexit = read_hist(f"{rundir}/kvm_nested_vmexit.hist", "exit_reason", vmexit_names)
    inject = read_hist(f"{rundir}/kvm_nested_vmexit_inject.hist", "exit_code", inject_names)
    print(f"L0's hist counts: {sum(vmexit.values())} kvm_nested_vmexit, "
          f"{sum(inject.values())} kvm_nested_vmexit_inject")
    if not vmexit:
        print("FAILED: L0 counted no L2 exit (did L2 run?)")
        return 1
    bad = 0
    for path in args:
        l2, injected, by, synth, unattributed = nvmx_counts(path)
        print(f"{path}: {sum(l2.values())} L2 exits ({by['L0']} handled by L0, {by['L1']} "
              f"reflected), {sum(synth.values())} synthesized, {unattributed} unattributed")
        b = compare("L2 exits (L0 + L1)", vmexit, l2)
        b += compare("reflected + synthesized", inject, injected)
        if unattributed:
            print(f"  unattributed {unattributed}: DIFFERS (expected 0)")
            b += 1
        print(f"{'ok' if not b else 'FAILED'}: {path} per reason against L0's hist counts"
              + (f" ({b} differ)" if b else ""))
        bad += b
    if trace:
        first, last = trace_edges(trace)
        # A thread whose first event is its vCPU's first entry (at the reset vector, 0xfff0)
        # started in the capture; any other first event ends an exit open at the start.
        open_start = sorted(t for t, (e, rest) in first.items()
                            if not (e == "kvm_entry" and re.search(r"rip 0xfff0$", rest)))
        open_end = sorted(f"{t}: {rest.split(' rip ')[0]}" for t, (e, rest) in last.items()
                          if e == "kvm_exit")
        print(f"capture edges: {len(first)} vCPU thread(s); exits open at the start: "
              f"{len(open_start)} {open_start}; at the end (one at most per thread): "
              f"{len(open_end)} {open_end}")
        if open_start:
            print("FAILED: exits open at the capture's start (tracing began after L1 started)")
            bad += 1
        else:
            print("ok: every vCPU thread starts in the capture (first entry at 0xfff0)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
