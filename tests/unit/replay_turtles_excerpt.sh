#!/bin/sh
# `nvmx replay --json` of tests/data/turtles-excerpt gives the breakdown test_turtles.c computes
# by hand (the same numbers, through the command line and the JSON).
# usage: replay_turtles_excerpt.sh NVMX DATA
set -eu
"$1" replay "$2/turtles-excerpt/trace.txt" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
got = {b["reason"]: b for b in d["breakdown"]}
want = {
    "cpuid": (1, 700000, 64000, 37000, 395000, 34000, 170000, [{"reason": "interrupt", "exits": 1, "service_ns": 34000}]),
    "io": (1, 362000, 70000, 40000, 90000, 0, 162000, []),
    "hypercall": (1, 365000, 64000, 38000, 114000, 0, 149000, []),
}
keys = ("round_trips", "round_trip_ns", "l0_exit_ns", "l0_reflect_ns", "l1_handler_ns",
        "l1_exit_service_ns", "l0_entry_emulation_ns", "l1_exits")
assert sorted(got) == sorted(want), sorted(got)
for reason, w in want.items():
    g = tuple(got[reason][k] for k in keys)
    assert g == w, (reason, g, w)
    assert got[reason]["l1_exits_overflow"] == {"exits": 0, "service_ns": 0}, got[reason]
l0 = [(e["reason"], e["exits"], e["handling_ns"], e["to_vmm"]) for e in d["l0_handled"]]
assert l0 == [("msr", 1, 94000, False)], l0
assert d["vectoring"] == [], d["vectoring"]
print("ok: nvmx replay --json gives the hand-computed breakdown")
'
