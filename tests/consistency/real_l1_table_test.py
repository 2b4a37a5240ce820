#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# docs/real_l1_table.py (docs/real-l1.md's generator) on a real run's outputs, tests/data/real-l1/
# (README there): the tables show what `nvmx report --json` says, the L1 exit sequences read from
# L0's trace agree with the replay of that trace (round trips and exits per round trip, reason by
# reason: two readings of one capture), both shapes of a breakdown's l1_exits give the same
# tables, and unusable input exits 2 with one line.
#
# usage: real_l1_table_test.py GENERATOR DATA_DIR
import json, os, re, subprocess, sys, tempfile

gen, data = sys.argv[1], sys.argv[2]
kvm, mini = os.path.join(data, "kvm"), os.path.join(data, "minimal")
trace = os.path.join(kvm, "l0-trace-excerpt.txt.xz")
fails = 0


def check(ok, what):
    global fails
    print(f"{'ok' if ok else 'FAIL'}: {what}")
    fails += not ok


def run(kvm_arg, trace_arg=trace):
    args = [sys.executable, gen, "--kvm", kvm_arg, "--minimal", mini, "--date", "D", "--machine", "M"]
    if trace_arg:
        args += ["--kvm-trace", trace_arg]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


p = run(kvm)
check(p.returncode == 0 and not p.stderr, f"generator exit 0, nothing on stderr ({p.returncode}: {p.stderr[:200]})")
out = p.stdout
rep = json.load(open(os.path.join(kvm, "report.json")))
rows = {r["reason"]: r for r in rep["report"]["rows"] if r["handled_by"] == "L1"}
mrows = {r["reason"]: r for r in json.load(open(os.path.join(mini, "report.json")))["report"]["rows"]
         if r["handled_by"] == "L1"}
check({"cpuid", "io", "msr", "hlt"} <= set(rows), f"the fixture has round trips of {sorted(rows)}")

# the round-trip table: count, mean, mult and L0 exits per round trip as the report says them
for r, x in rows.items():
    want = (f"| {r} | KVM | {x['count']} | {x['mean_ns'] / 1000:.1f} | {x['p50_ns'] / 1000:.1f} | ")
    line = next((l for l in out.splitlines() if l.startswith(want)), None)
    check(line is not None, f"{r}: round-trip row {want!r}")
    if line:
        cells = [c.strip() for c in line.strip("|").split("|")]
        check(cells[10] == f"{x['multiplication']:.2f}" and cells[11] == f"{x['l0_exits_per_round_trip']:.2f}",
              f"{r}: mult {cells[10]}, L0 exits/RT {cells[11]} as the report")
        if r in mrows:
            check(cells[12] == f"{x['mean_ns'] / mrows[r]['mean_ns']:.2f}" and
                  cells[13] == f"{x['p50_ns'] / mrows[r]['p50_ns']:.2f}", f"{r}: KVM / minimal {cells[12:14]}")

# the sequences: the trace read by the generator against the replay of the same trace
seq = {}
for l in out.splitlines():
    m = re.match(r"^\| (.+?) \| (\d+) / (\d+) \| `(.*)` \+ `vmrun` \| ([0-9.]+)% \| ([0-9.]+) / ([0-9.]+) \|$", l)
    if m:
        seq[m.group(1)] = m.groups()[1:]
for r, x in rows.items():
    s = seq.get(r)
    check(s is not None and s[0] == s[1] == str(x["count"]),
          f"{r}: complete round trips in the trace {s and s[0]} = the report's {x['count']}")
    check(s is not None and s[4] == s[5] == f"{x['multiplication']:.2f}",
          f"{r}: L1 exits per round trip in the trace {s and s[4]} = the report's mult")
# KVM's SVM exit and entry path under TCG (docs/real-l1.md), the steady sequence of a CPUID
check(seq.get("cpuid", [None] * 3)[2] == "vmsave vmload stgi rdmsr 0x1d9 clgi vmload",
      f"cpuid: steady sequence {seq.get('cpuid', [None] * 3)[2]!r}")
check("| 3.41 |" in out and "| 31 |" in out, "the published ratios beside the lab's")

# the other shape of l1_exits (a list of {reason, exits}, an object overflow): the same tables
with tempfile.TemporaryDirectory() as tmp:
    alt = json.loads(json.dumps(rep))
    for b in alt["breakdown"]:
        b["l1_exits"] = [{"reason": k, "exits": v} for k, v in b["l1_exits"].items()]
        b["l1_exits_overflow"] = {"exits": b.get("l1_exits_overflow", 0)}
    d = os.path.join(tmp, "kvm")
    os.mkdir(d)
    json.dump(alt, open(os.path.join(d, "report.json"), "w"))
    os.symlink(os.path.abspath(os.path.join(kvm, "lab.json")), os.path.join(d, "lab.json"))
    p2 = run(d)
    check(p2.returncode == 0 and p2.stdout == out, "l1_exits as a list: the same tables")

    # unusable input: exit 2, one line naming the file
    bad = os.path.join(tmp, "bad.json")
    json.dump({"schema": 1}, open(bad, "w"))
    p3 = run(bad, None)
    check(p3.returncode == 2 and len(p3.stderr.splitlines()) == 1 and bad in p3.stderr,
          f"not a report JSON: exit 2, one line ({p3.returncode}: {p3.stderr.strip()})")
    p4 = run(os.path.join(tmp, "missing"), None)
    check(p4.returncode == 2 and len(p4.stderr.splitlines()) == 1, f"no such run: exit 2 ({p4.stderr.strip()})")

# KVM as L1 under Bochs (VMX), L0's shadow VMCS on and off: their own table, after the others
von, voff = os.path.join(data, "vmx-on"), os.path.join(data, "vmx-off")
base = [sys.executable, gen, "--kvm", kvm, "--minimal", mini, "--date", "D", "--machine", "M",
        "--kvm-trace", trace]
p5 = subprocess.run(base + ["--vmx-on", von, "--vmx-off", voff], capture_output=True, text=True,
                    timeout=120)
check(p5.returncode == 0 and not p5.stderr and p5.stdout.startswith(out.rstrip("\n")),
      f"with --vmx-on/--vmx-off: exit 0, the same tables first ({p5.returncode}: {p5.stderr[:200]})")
vrep = {}
for name, d in (("on", von), ("off", voff)):
    j = json.load(open(os.path.join(d, "report.json")))
    vrep[name] = ({r["reason"]: r for r in j["report"]["rows"] if r["handled_by"] == "L1"},
                  {b["reason"]: b for b in j["breakdown"]})


def per_rt(b):
    """L1 exits per round trip by L1 exit reason, most first, from a breakdown entry."""
    n = b["round_trips"]
    e = b["l1_exits"]
    e = [(x["reason"], x["exits"]) for x in e] if isinstance(e, list) else list(e.items())
    cells = [f"{r} {v / n:.2f}" for r, v in sorted(e, key=lambda x: -x[1])]
    o = b.get("l1_exits_overflow", 0)
    o = o.get("exits", 0) if isinstance(o, dict) else o
    return ", ".join(cells + ([f"other reasons {o / n:.2f}"] if o else []))


(on_rows, on_bd), (off_rows, off_bd) = vrep["on"], vrep["off"]
both = [r for r in on_rows if on_bd.get(r) and r in off_rows and off_bd.get(r)]
check({"CPUID", "IO_INSTRUCTION", "MSR_READ"} <= set(both), f"the VMX fixtures have round trips of {both}")
for r in both:
    x, y = on_rows[r], off_rows[r]
    want = (f"| {r} | {x['count']} / {y['count']} | {x['mean_ns'] / 1000:.1f} / {y['mean_ns'] / 1000:.1f} | "
            f"{y['mean_ns'] / x['mean_ns']:.2f} | {x['multiplication']:.2f} / {y['multiplication']:.2f} | "
            f"{per_rt(on_bd[r])} | {per_rt(off_bd[r])} |")
    check(want in p5.stdout.splitlines(), f"VMX {r}: row {want[:90]!r}...")
# without shadowing, L1's VMREADs exit to L0: a reflected CPUID's round trip has more L1 exits
check(off_rows["CPUID"]["multiplication"] > on_rows["CPUID"]["multiplication"] and
      "VMREAD" in per_rt(off_bd["CPUID"]) and "VMREAD" not in per_rt(on_bd["CPUID"]),
      "CPUID: VMREAD exits in L1's round trips only with L0's shadow VMCS off")
p6 = subprocess.run(base + ["--vmx-on", von], capture_output=True, text=True, timeout=120)
check(p6.returncode == 2 and len(p6.stderr.splitlines()) == 1,
      f"--vmx-on alone: exit 2, one line ({p6.returncode}: {p6.stderr.strip()})")

print(f"{'FAILED' if fails else 'passed'}: {fails} failed")
sys.exit(1 if fails else 0)
