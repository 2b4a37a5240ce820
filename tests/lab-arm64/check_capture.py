#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""check_capture.py DIR N: what an arm64 lab capture (nvmx lab run --isa arm64 --workload SPEC
--iterations N --out DIR; SPEC is read from lab.json) makes certain without the arm64 model.

The workload's own counts (workload.stdout) and truth.json must be the plan's, and L0's tracefs
capture must show each element's events exactly: one forward to L1 (kvm_inject_nested_exception
SYNC, by the EC of its esr_el2) per hvc, sysreg, sysreg-write, smc and wfi, and the final HVC;
one injection of an IRQ into L1 (kvm_inject_nested_exception IRQ) per virq;
one kvm_forward_sysreg_trap per sysreg (R) and sysreg-write (W); one kvm_nested_eret into L2
(EL1h, HCR_EL2.TGE clear) per ERET of L1; one KVM_EXIT_MMIO per mmio and virq, and L1's end;
kvm_exit's
EC counts for the exits that only L2 (HVC64, SMC64, WFx) or L1 (ERET) make, at least the plan's
for those that both make (SYS64: L1's trapped VBAR_EL2 write; DABT_LOW: L0's stage-2 faults). Prints the measured
counts; exit 1 on the first difference. Also run on tests/data/arm64-7.3 (unit.arm64_capture),
whose trace is tracefs.txt.xz."""
import json
import os
import re
import sys
import lzma
from collections import Counter

EC = {0x01: "WFx", 0x16: "HVC64", 0x17: "SMC64", 0x18: "SYS64", 0x1A: "ERET", 0x20: "IABT_LOW", 0x24: "DABT_LOW"}


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def equal(what, got, want):
    print(f"{what}: {got}" + ("" if got == want else f" (expected {want})"))
    if got != want:
        fail(f"{what} is {got}, expected {want}")


def at_least(what, got, want):
    print(f"{what}: {got} (at least {want})")
    if got < want:
        fail(f"{what} is {got}, expected at least {want}")


def main():
    if len(sys.argv) != 3:
        print("usage: check_capture.py DIR N", file=sys.stderr)
        sys.exit(2)
    d, n = sys.argv[1], int(sys.argv[2])

    lab = json.load(open(os.path.join(d, "lab.json")))
    equal("lab.json isa", lab["isa"], "arm64")
    spec = set(lab["configs"][0]["workload"].split(","))
    has = {e: n * (e in spec)
           for e in ("hvc", "sysreg", "smc", "mmio", "wfi", "sysreg-write", "virq")}
    sys64 = has["sysreg"] + has["sysreg-write"]
    forwarded = has["hvc"] + sys64 + has["smc"] + has["wfi"]
    # L1 returns to L2 from each forwarded exit (but the final HVC), each IRQ, and at its start
    erets = forwarded + has["virq"] + 1
    l0_mmio = has["mmio"] + has["virq"]

    stdout = dict(line.split() for line in open(os.path.join(d, "workload.stdout")))
    for key, want in (("iterations", n), ("l1_hvc64", has["hvc"] + 1), ("l1_sys64", sys64),
                      ("l1_smc64", has["smc"]), ("l1_wfx", has["wfi"]), ("l1_erets", erets),
                      ("l1_irqs", has["virq"]), ("vmm_mmio", has["mmio"])):
        # a generator older than the element virq prints no l1_irqs: 0
        equal("workload " + key, int(stdout.get(key, 0)), want)
    print(f"workload us_per_iteration: {stdout['us_per_iteration']}")

    truth = json.load(open(os.path.join(d, "truth.json")))
    l2 = {(e["reason"], e["handled_by"]): e["count"] for e in truth["l2_exits"]}
    want = {("HVC64", "L1"): has["hvc"] + 1, ("SYS64", "L1"): sys64, ("SMC64", "L1"): has["smc"],
            ("WFx", "L1"): has["wfi"], ("DABT_LOW", "L0"): l0_mmio}
    equal("truth l2_exits", l2, {k: v for k, v in want.items() if v})
    l1 = {e["reason"]: e["count"] for e in truth["l1_exits"]}
    equal("truth l1_exits", l1, {"ERET": erets})
    equal("truth nested_entries", truth["nested_entries"], erets)
    synth = {e["reason"]: e["count"] for e in truth["synthesized_to_l1"]}
    equal("truth synthesized_to_l1", synth, {"IRQ": has["virq"]} if has["virq"] else {})

    fmt = open(os.path.join(d, "formats", "kvm_exit")).read()
    for name in EC.values():
        if f'"{name}"' not in fmt:
            fail(f"formats/kvm_exit: its print fmt names no {name}")

    events = Counter()
    exit_ec, inject_ec, exit_ret = Counter(), Counter(), Counter()
    erets_l2 = mmio = 0
    sysreg_rw = Counter()
    header = None
    # a lab run's trace.txt.xz, or tests/data/arm64-7.3's tracefs.txt.xz
    trace = os.path.join(d, "trace.txt.xz")
    if not os.path.exists(trace):
        trace = os.path.join(d, "tracefs.txt.xz")
    with lzma.open(trace, "rt") as f:
        for line in f:
            if line.startswith("#"):
                m = re.search(r"entries-in-buffer/entries-written: (\d+)/(\d+)", line)
                header = m.groups() if m else header
                continue
            m = re.search(r" (kvm_\w+): (.*)$", line)
            if not m:
                continue
            ev, rest = m.groups()
            events[ev] += 1
            if ev == "kvm_exit":
                m = re.match(r"(\w+): HSR_EC: 0x([0-9a-f]+)", rest)
                exit_ret[m.group(1)] += 1
                if m.group(1) == "TRAP":
                    exit_ec[EC.get(int(m.group(2), 16), m.group(2))] += 1
            elif ev == "kvm_inject_nested_exception":
                m = re.match(r"(\w+): esr_el2 0x([0-9a-f]+)", rest)
                key = m.group(1)
                if key == "SYNC":
                    key = EC.get(int(m.group(2), 16) >> 26, m.group(2))
                inject_ec[key] += 1
            elif ev == "kvm_nested_eret":
                m = re.search(r"\(M: (\w+)\) hcr_el2: ([0-9a-f]+)", rest)
                if m.group(1) in ("EL1h", "EL1t", "EL0t") and not int(m.group(2), 16) >> 27 & 1:
                    erets_l2 += 1
            elif ev == "kvm_forward_sysreg_trap":
                sysreg_rw[rest.split()[1]] += 1
            elif ev == "kvm_userspace_exit" and "KVM_EXIT_MMIO" in rest:
                mmio += 1
    if not header or header[0] != header[1]:
        fail(f"trace.txt.xz: entries-in-buffer/entries-written {header}: events lost")
    print(f"events: {dict(sorted(events.items()))}")
    print(f"kvm_exit by ret: {dict(exit_ret)}")
    want = {"HVC64": has["hvc"] + 1, "SYS64": sys64, "SMC64": has["smc"], "WFx": has["wfi"],
            "IRQ": has["virq"]}
    equal("kvm_inject_nested_exception by EC", dict(inject_ec),
          {k: v for k, v in want.items() if v})
    equal("kvm_forward_sysreg_trap", dict(sysreg_rw),
          {k: v for k, v in (("R", has["sysreg"]), ("W", has["sysreg-write"])) if v})
    equal("kvm_nested_eret", events["kvm_nested_eret"], erets)
    equal("kvm_nested_eret into L2 (EL1, TGE=0)", erets_l2, erets)
    equal("kvm_userspace_exit KVM_EXIT_MMIO", mmio, l0_mmio + 1)
    equal("kvm_exit HVC64", exit_ec["HVC64"], has["hvc"] + 1)
    equal("kvm_exit SMC64", exit_ec["SMC64"], has["smc"])
    equal("kvm_exit WFx", exit_ec["WFx"], has["wfi"])
    equal("kvm_exit ERET", exit_ec["ERET"], erets)
    at_least("kvm_exit SYS64", exit_ec["SYS64"], sys64)
    at_least("kvm_exit DABT_LOW", exit_ec["DABT_LOW"], l0_mmio + 1)
    equal("kvm_entry = kvm_exit", events["kvm_entry"], events["kvm_exit"])
    print(f"kvm_exit by EC: {dict(sorted(exit_ec.items()))}")


main()
