#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The tables of docs/real-l1.md: what KVM-on-KVM costs in the lab, per reflected exit reason.

usage: real_l1_table.py --kvm RUN --minimal RUN [--vmx-on RUN --vmx-off RUN]
                        [--date D] [--machine M] [--method TEXT] [--vmx-method TEXT]

RUN is a lab run's output read as it is, never recomputed:
  RUN/report.json   `nvmx report RUN/observed.json --json` (docs/gen-real-l1.sh writes it): the
                    report rows (multiplication, round-trip mean, part shares, L0 exits per round
                    trip: derived once, in lib/derive.c) and the breakdown (L1 exits by L1 exit
                    reason, in either shape: {"vmload": N, ...} or
                    [{"reason": "vmload", "exits": N, "service_ns": T}, ...]; the per-reason L1
                    exit service time column only when the JSON has service_ns)
  RUN/lab.json      kernel, emulator, ISA, iterations, workload
  RUN/trace.txt.xz  (or trace.txt, or any *.txt/*.txt.xz given with --kvm-trace) L0's trace,
                    read for the sequence of L1 exit reasons inside each complete round trip
RUN may also be a report JSON file itself (then no lab.json and no sequences).
--vmx-on / --vmx-off: two runs of KVM as L1 under Bochs (VMX), L0's kvm_intel with shadow VMCS on
(its default) and off (enable_shadow_vmcs=0): a section of their own, side by side.

Prints Markdown on stdout. Exit status 0; 2 with one line on stderr when an input is unusable.
"""
import argparse
import collections
import json
import lzma
import os
import re
import sys

PARTS = (("l0_exit_share", "L0exit"), ("l0_reflect_share", "reflect"), ("l1_handler_share", "L1hdl"),
         ("l1_exit_service_share", "L1svc"), ("l0_entry_emulation_share", "L0entry"))
# Published figures: hardware cycles, not comparable with the lab's TCG nanoseconds in absolute
# terms (docs/real-l1.md says where each comes from)
PUBLISHED_KUT = {"cpuid": 13142, "vmcall": 13189, "inl_from_qemu": 44826}
PUBLISHED_TURTLES_IO_L1_EXITS = 31


def die(msg):
    print(f"real_l1_table.py: {msg}", file=sys.stderr)
    sys.exit(2)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        die(f"{path}: {e}")


class Run:
    def __init__(self, path, trace=None):
        self.path = path
        if os.path.isdir(path):
            self.report = load_json(os.path.join(path, "report.json"))
            lab = os.path.join(path, "lab.json")
            self.lab = load_json(lab) if os.path.exists(lab) else None
            if trace is None:
                for f in ("trace.txt.xz", "trace.txt"):
                    if os.path.exists(os.path.join(path, f)):
                        trace = os.path.join(path, f)
                        break
        else:
            self.report, self.lab = load_json(path), None
        if "report" not in self.report or "breakdown" not in self.report:
            die(f"{path}: not the JSON of `nvmx report --json` (no report or breakdown)")
        self.rows = {r["reason"]: r for r in self.report["report"]["rows"] if r["handled_by"] == "L1"}
        self.breakdown = {b["reason"]: b for b in self.report["breakdown"]}
        self.trace = trace
        self.sequences = read_sequences(trace) if trace else None

    def workload(self):
        return ",".join(c["workload"] for c in self.lab["configs"]) if self.lab else "?"


def l1_exits(b):
    """A breakdown entry's L1 exits: [(reason, exits, service_ns or None)], overflow (exits, ns)."""
    e = b.get("l1_exits", {})
    if isinstance(e, list):
        rows = [(x["reason"], x["exits"], x.get("service_ns")) for x in e]
    else:
        rows = [(r, n, None) for r, n in e.items()]
    o = b.get("l1_exits_overflow", 0)
    ovf = (o.get("exits", 0), o.get("service_ns")) if isinstance(o, dict) else (o, None)
    return sorted(rows, key=lambda x: -x[1]), ovf


# L0's trace: per vCPU thread, a reflected L2 exit (kvm_exit, kvm_nested_vmexit, then the first
# inject with its reason), the entry into L1, L1's exits (a kvm_msr after an msr exit names the
# MSR), L1's VMRUN/VMRESUME (kvm_exit then kvm_nested_vmenter) and the kvm_entry into L2: one
# complete round trip, as docs/model.md defines it. Anything out of that order abandons it.
LINE = re.compile(r"^\s*(.*)-(\d+)\s+\[\d+\]\s+\S+\s+[\d.]+:\s+(\w+):\s?(.*)$")
EXIT_REASON = re.compile(r"reason (.+?) rip ")
INJECT_REASON = re.compile(r"reason: (.+?) ext_inf1")
MSR = re.compile(r"^msr_(read|write) ([0-9a-f]+)")


def open_text(path):
    with open(path, "rb") as f:
        xz = f.read(6) == b"\xfd7zXZ\x00"
    return lzma.open(path, "rt", errors="replace") if xz else open(path, errors="replace")


def read_sequences(path):
    seqs = collections.defaultdict(collections.Counter)  # reason -> Counter(tuple of L1 exits)
    st = {}  # tid -> dict(state, reason, l2, injected, seq, pending)
    try:
        f = open_text(path)
        for line in f:
            if "LOST" in line and "EVENTS" in line:
                st.clear()
                continue
            m = LINE.match(line)
            if not m:
                continue
            tid, ev, body = m.group(2), m.group(3), m.group(4)
            s = st.setdefault(tid, {"state": None})
            state = s["state"]
            if ev == "kvm_exit":
                r = EXIT_REASON.search(body)
                r = r.group(1) if r else "?"
                if state == "l1":
                    if s["pending"] is not None:  # an L1 exit with no entry after it
                        s["state"] = None
                        continue
                    s["pending"] = r
                else:
                    st[tid] = {"state": "exit", "reason": r, "l2": False, "injected": False}
            elif ev == "kvm_nested_vmexit":
                if state == "exit":
                    s["l2"] = True
                else:
                    s["state"] = None
            elif ev == "kvm_nested_vmexit_inject":
                r = INJECT_REASON.search(body)
                r = r.group(1) if r else "?"
                if state == "exit" and s["l2"] and not s["injected"] and r == s["reason"]:
                    st[tid] = {"state": "inject", "reason": r, "seq": [], "pending": None}
                elif state == "exit":
                    s["injected"] = True
                else:
                    s["state"] = None
            elif ev == "kvm_msr":
                mm = MSR.match(body)
                if state == "l1" and mm and s["pending"] == "msr":
                    s["pending"] = f"{'rd' if mm.group(1) == 'read' else 'wr'}msr 0x{mm.group(2)}"
            elif ev == "kvm_nested_vmenter":
                if state == "l1" and s["pending"] is not None:
                    s["state"] = "resume"
                else:
                    s["state"] = None
            elif ev == "kvm_nested_vmenter_failed":
                s["state"] = None
            elif ev == "kvm_entry":
                if state == "inject":
                    s["state"] = "l1"
                elif state == "l1":
                    if s["pending"] is not None:
                        s["seq"].append(s["pending"])
                        s["pending"] = None
                elif state == "resume":
                    seqs[s["reason"]][tuple(s["seq"])] += 1
                    s["state"] = None
                else:
                    s["state"] = None
        f.close()
    except (OSError, EOFError, lzma.LZMAError) as e:
        die(f"{path}: {e}")
    return seqs


def us(ns):
    return f"{ns / 1000:.1f}"


def pct(x):
    return f"{100 * x:.1f}%"


def main():
    ap = argparse.ArgumentParser(description="docs/real-l1.md's tables from two lab runs")
    ap.add_argument("--kvm", required=True, help="the --l1 kvm run (directory or report JSON)")
    ap.add_argument("--minimal", required=True, help="the minimal-L1 run (directory or report JSON)")
    ap.add_argument("--kvm-trace", help="L0's trace of the --l1 kvm run (default RUN/trace.txt.xz)")
    ap.add_argument("--date", default="?", help="when the runs were made")
    ap.add_argument("--machine", default="?", help="the host and its load during the runs")
    ap.add_argument("--method", default="")
    ap.add_argument("--vmx-on", help="KVM as L1 under Bochs, shadow VMCS on (directory)")
    ap.add_argument("--vmx-off", help="the same with kvm_intel.enable_shadow_vmcs=0 (directory)")
    ap.add_argument("--vmx-method", default="")
    a = ap.parse_args()
    kvm, mini = Run(a.kvm, a.kvm_trace), Run(a.minimal)
    out = []
    p = out.append

    p(f"Runs of {a.date}; machine: {a.machine}. Tables generated by `docs/real_l1_table.py`.")
    if a.method:
        p("")
        p(a.method)
    p("")
    p("| run | kernel | emulator, ISA | iterations | workload |")
    p("|---|---|---|---|---|")
    for name, r in (("KVM as L1 (`--l1 kvm`)", kvm), ("minimal L1", mini)):
        lab = r.lab or {}
        p(f"| {name} | {lab.get('kernel', '?')} | {lab.get('emulator', '?')}, {lab.get('isa', '?')} | "
          f"{lab.get('iterations', '?')} | `{r.workload()}` |")
    p("")

    # 1. round trip and its parts, beside the minimal L1
    reasons = [r for r in kvm.rows if kvm.breakdown.get(r)]
    p("### Round trip and its parts, per reflected reason")
    p("")
    p("Mean round trip (L2 exit to the next entry into L2) in µs of the lab's clock, its parts as")
    p("shares of it, the exit multiplication (`mult`) and L0 exits per round trip; each from")
    p("`nvmx report --json` of the replay of L0's trace. Minimal L1 beside it where it has the reason,")
    p("and the ratio of the two round trips' means and medians (p50, the report's log2-bucket estimate).")
    p("")
    p("| reason | L1 | round trips | mean us | p50 us | " + " | ".join(n for _, n in PARTS) +
      " | mult | L0 exits/RT | KVM / minimal: mean | p50 |")
    p("|---|---|---:|---:|---:|" + "---:|" * len(PARTS) + "---:|---:|---:|---:|")
    for r in reasons:
        for name, run in (("KVM", kvm), ("minimal", mini)):
            x = run.rows.get(r)
            if not x:
                continue
            ratio = " | "
            if name == "KVM" and mini.rows.get(r):
                m = mini.rows[r]
                ratio = f"{x['mean_ns'] / m['mean_ns']:.2f} | {x['p50_ns'] / m['p50_ns']:.2f}"
            p(f"| {r} | {name} | {x['count']} | {us(x['mean_ns'])} | {us(x['p50_ns'])} | " +
              " | ".join(pct(x[k]) for k, _ in PARTS) +
              f" | {x['multiplication']:.2f} | {x['l0_exits_per_round_trip']:.2f} | {ratio} |")
    p("")

    # 2. L1 exits by L1 exit reason inside the round trips
    timed = any(t is not None for r in reasons for _, _, t in l1_exits(kvm.breakdown[r])[0])
    p("### L1 exits inside a round trip, by L1 exit reason (KVM as L1)")
    p("")
    p("Exits per round trip of each L1 exit reason (`breakdown[].l1_exits` / `round_trips`; they add")
    p("up to `mult`)" + (", and L0's mean service time of each (`service_ns` / exits)." if timed else
                         "; this nvmx's JSON has no per-reason service time."))
    p("")
    for r in reasons:
        b = kvm.breakdown[r]
        rows, (ovf, ovf_ns) = l1_exits(b)
        n = b["round_trips"]
        cells = []
        for l1r, e, t in rows:
            c = f"{l1r} {e / n:.2f}"
            if timed and t is not None and e:
                c += f" ({us(t / e)} us)"
            cells.append(c)
        if ovf:
            c = f"other reasons {ovf / n:.2f}"
            if timed and ovf_ns is not None:
                c += f" ({us(ovf_ns / ovf)} us)"
            cells.append(c)
        p(f"- **{r}** ({n} round trips): " + ", ".join(cells))
    p("")

    # 3. the L1 exit sequence of one round trip, from the trace
    if kvm.sequences is not None:
        p("### The L1 exit sequence of a round trip (KVM as L1)")
        p("")
        p("L1's exits in order inside each complete round trip, read from L0's trace (`kvm_exit` ...")
        p("`kvm_entry` inside L1, a `kvm_msr` naming the MSR), then the VMRUN that resumes L2. The")
        p("most frequent sequence per reflected reason, and how many round trips had exactly it;")
        p("`L1 exits/RT` is the trace's own count, which must equal the report's `mult`.")
        p("")
        p("| reason | round trips (trace / report) | most frequent sequence | share | L1 exits/RT (trace / report) |")
        p("|---|---|---|---:|---|")
        for r in reasons:
            c = kvm.sequences.get(r, collections.Counter())
            total = sum(c.values())
            if not total:
                p(f"| {r} | 0 / {kvm.rows[r]['count']} | - | - | - |")
                continue
            seq, k = c.most_common(1)[0]
            exits = sum(len(s) * v for s, v in c.items())
            p(f"| {r} | {total} / {kvm.rows[r]['count']} | `{' '.join(seq) or '(none)'}` + `vmrun` | "
              f"{pct(k / total)} | {exits / total:.2f} / {kvm.rows[r]['multiplication']:.2f} |")
        p("")

    # 4. beside the published figures: ratios only
    p("### Beside the published figures")
    p("")
    p("Published: kvm-unit-tests `vmexit` under nested KVM after the 2019 VMX optimizations, in CPU")
    p("cycles on hardware (cpuid 13,142, vmcall 13,189, inl_from_qemu 44,826); Turtles: 31 L1 exits")
    p("per L2 I/O exit (its setup; unverified here). The lab's figures are nanoseconds of an")
    p("emulated CPU (QEMU TCG, SVM): not comparable in absolute terms, so only ratios are put side")
    p("by side.")
    p("")
    p("| figure | published | lab, KVM as L1 | lab, minimal L1 |")
    p("|---|---:|---:|---:|")

    def ratio(run, a_, b_):
        x, y = run.rows.get(a_), run.rows.get(b_)
        return f"{x['mean_ns'] / y['mean_ns']:.2f}" if x and y else "-"

    p(f"| I/O to the VMM's user space / CPUID round trip (inl_from_qemu / cpuid; lab: io / cpuid) | "
      f"{PUBLISHED_KUT['inl_from_qemu'] / PUBLISHED_KUT['cpuid']:.2f} | {ratio(kvm, 'io', 'cpuid')} | "
      f"{ratio(mini, 'io', 'cpuid')} |")
    hyper = next((r for r in ("hypercall", "vmmcall", "vmcall", "VMCALL") if mini.rows.get(r)), None)
    p(f"| hypercall / CPUID round trip (vmcall / cpuid) | "
      f"{PUBLISHED_KUT['vmcall'] / PUBLISHED_KUT['cpuid']:.2f} | - | "
      f"{ratio(mini, hyper, 'cpuid') if hyper else '-'} |")

    def mult(run, r):
        x = run.rows.get(r)
        return f"{x['multiplication']:.2f}" if x else "-"

    p(f"| L1 exits per L2 I/O exit (Turtles; lab: `mult` of io) | {PUBLISHED_TURTLES_IO_L1_EXITS} | "
      f"{mult(kvm, 'io')} | {mult(mini, 'io')} |")
    p(f"| L1 exits per L2 CPUID exit (lab: `mult` of cpuid) | - | {mult(kvm, 'cpuid')} | {mult(mini, 'cpuid')} |")
    if a.vmx_on or a.vmx_off:
        if not (a.vmx_on and a.vmx_off):
            die("--vmx-on and --vmx-off go together")
        vmx_section(p, Run(a.vmx_on), Run(a.vmx_off), a.vmx_method)
    print("\n".join(out))


def vmx_section(p, on, off, method):
    """KVM as L1 on VMX (Bochs): shadow VMCS on against off, per reflected reason."""
    p("")
    p("### VMX under Bochs: L0's shadow VMCS on and off (KVM as L1)")
    p("")
    p("The same runner elements with KVM as L1 on an emulated Intel CPU (Bochs, `--isa vmx`), L0's")
    p("`kvm_intel` with VMCS shadowing (`enable_shadow_vmcs=1`, its default) and without")
    p("(`enable_shadow_vmcs=0`): without it every VMREAD and VMWRITE of L1 exits to L0. Bochs runs")
    p("with a fixed instruction rate and `clock: sync=none` (docs/lab.md), so its times are of its")
    p("own clock: compare the two columns, not with the SVM tables above.")
    if method:
        p("")
        p(method)
    p("")
    p("| run | kernel | emulator, ISA | iterations | workload | parameters |")
    p("|---|---|---|---|---|---|")
    for name, r in (("shadow VMCS on", on), ("shadow VMCS off", off)):
        lab = r.lab or {}
        params = " ".join(f"`{x}`" for x in lab.get("params", [])) or "-"
        p(f"| {name} | {lab.get('kernel', '?')} | {lab.get('emulator', '?')}, {lab.get('isa', '?')} | "
          f"{lab.get('iterations', '?')} | `{r.workload()}` | {params} |")
    p("")
    p("| reason | round trips (on / off) | mean us (on / off) | off / on | mult (on / off) | "
      "L1 exits per round trip, shadow VMCS on | off |")
    p("|---|---|---|---:|---|---|---|")

    def per_rt(run, r):
        b = run.breakdown.get(r)
        if not b or not b["round_trips"]:
            return "-"
        rows, (ovf, _) = l1_exits(b)
        n = b["round_trips"]
        cells = [f"{l1r} {e / n:.2f}" for l1r, e, _ in rows]
        if ovf:
            cells.append(f"other reasons {ovf / n:.2f}")
        return ", ".join(cells)

    for r in [r for r in on.rows if on.breakdown.get(r)]:
        x, y = on.rows[r], off.rows.get(r)
        if not y:
            p(f"| {r} | {x['count']} / - | {us(x['mean_ns'])} / - | - | {x['multiplication']:.2f} / - | "
              f"{per_rt(on, r)} | - |")
            continue
        p(f"| {r} | {x['count']} / {y['count']} | {us(x['mean_ns'])} / {us(y['mean_ns'])} | "
          f"{y['mean_ns'] / x['mean_ns']:.2f} | {x['multiplication']:.2f} / {y['multiplication']:.2f} | "
          f"{per_rt(on, r)} | {per_rt(off, r)} |")
    p("")


if __name__ == "__main__":
    main()
