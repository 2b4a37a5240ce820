#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nvmx bitmap against the lab workload's truth (bitmap_run.sh).

usage: check_bitmap.py TRUTH.json BITMAP.json BITMAP-OF-RECORD.json

1. The rows are exactly the truth's MSR and port entries: same keys (isa, index, access or
   direction and size, exit level, handler), same counts; no row the truth lacks.
2. Each row's mechanism is what the workload's design and KVM's rules give: L1 intercepts
   WL_MSR_L1 and WL_PORT_L1 in its bitmaps (reflected: l1_intercepts); the L0 MSRs (APIC base,
   microcode trigger) are in no KVM merge list and every port exits on both ISAs (handled in
   L0: always_exits); L1's own accesses: l1_own.
3. The top offender (highest cost) is a row with a cost, and its advice names its mechanism.
4. The replay of nvmxd --record gives the same rows (keys, counts, mechanisms).
"""
import json
import sys

ADVICE_WORDS = {
    "l1_intercepts": "L1 intercepts",
    "always_exits": "always exits",
    "l1_own": "L1 itself",
}


def truth_rows(truth):
    rows = {}
    for m in truth.get("msrs", []):
        if m["count"]:
            key = ("msr", m["isa"], m["msr"], m["access"], 0, m.get("exit", "L2"),
                   m.get("handled_by"))
            rows[key] = m["count"]
    for p in truth.get("ports", []):
        if p["count"]:
            key = ("port", p["isa"], p["port"], p["direction"], p["size"], p.get("exit", "L2"),
                   p.get("handled_by"))
            rows[key] = p["count"]
    return rows


def row_key(r):
    if r["kind"] == "msr":
        return ("msr", r["isa"], r["msr"], r["access"], 0, r["exit"], r.get("handled_by"))
    return ("port", r["isa"], r["port"], r["direction"], r["size"], r["exit"],
            r.get("handled_by"))


def expected_mechanism(key):
    level, handler = key[5], key[6]
    if level == "L1":
        return "l1_own"
    return "l1_intercepts" if handler == "L1" else "always_exits"


def main():
    truth = json.load(open(sys.argv[1]))
    live = json.load(open(sys.argv[2]))
    record = json.load(open(sys.argv[3]))
    want = truth_rows(truth)
    bad = 0

    def fail(msg):
        nonlocal bad
        bad += 1
        print("FAILED:", msg)

    got = {row_key(r): r for r in live["rows"]}
    for key, count in sorted(want.items()):
        r = got.get(key)
        if not r:
            fail("truth row %s (%d) missing from nvmx bitmap" % (key, count))
        elif r["count"] != count:
            fail("row %s: truth %d, nvmx bitmap %d" % (key, count, r["count"]))
    for key, r in sorted(got.items()):
        if key not in want:
            fail("row %s (%d) is not in the truth" % (key, r["count"]))
        if r["mechanism"] != expected_mechanism(key):
            fail("row %s: mechanism %s, expected %s" % (key, r["mechanism"],
                                                       expected_mechanism(key)))
    top = live["rows"][0] if live["rows"] else None
    if not top or top.get("cost_ns") is None:
        fail("no top offender with a cost")
    else:
        words = ADVICE_WORDS[top["mechanism"]]
        if words not in top["advice"]:
            fail("top offender %s: advice %r does not say %r" % (row_key(top), top["advice"],
                                                                words))
        else:
            print("ok: top offender %s %s (%s): %s" % (top["kind"], top.get("msr", top.get("port")),
                                                     top["mechanism"], top["advice"]))
    rec = {row_key(r): (r["count"], r["mechanism"]) for r in record["rows"]}
    liv = {k: (r["count"], r["mechanism"]) for k, r in got.items()}
    if rec != liv:
        fail("the replay of nvmxd --record gives other rows: %s" %
             sorted(set(rec.items()) ^ set(liv.items())))
    if not bad:
        print("ok: %d rows equal the truth, each with the designed mechanism; --record agrees"
              % len(want))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
