#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The run-to-run spread of every metric of `nvmx bench run` results (docs/ci.md).

usage: bench/bench_spread.py RESULT.json... (e.g. a bench/bench_false_alarm.sh directory's
       base-*.json new-*.json)

Every result is one boot. Per metric that is not exact (count, ratio, time), one line:
  within   the largest spread (max - min of a result's repeats) over its median, of any result:
           what compare's k x spread allows
  between  the largest rise of one result's median over another's, of every ordered pair of
           results (N x (N - 1) pairs of separate boots): what a threshold must allow to raise
           no false alarm between any two of these boots
  median   the median of the results' medians
The exact metrics are listed apart when they differ between results (they must not).
Not a test: numbers from which the default thresholds were chosen.
"""
import json
import statistics
import sys


def main(paths):
    if not paths:
        sys.exit("usage: bench_spread.py RESULT.json...")
    results = []
    for p in paths:
        with open(p) as f:
            results.append(json.load(f))
    clocks = {json.dumps(r["workload"].get("clock", "wall")) for r in results}
    workloads = {json.dumps(r["workload"], sort_keys=True) for r in results}
    print(f"# {len(results)} results (one boot each), clock {', '.join(sorted(clocks))}, "
          f"{len(workloads)} workload(s), {len(results) * (len(results) - 1)} ordered pairs")
    names = sorted({n for r in results for n in r["metrics"]})
    print(f"{'metric':<48} {'kind':<5} {'median':>12} {'within':>8} {'between':>8}")
    for n in names:
        kinds = {r["metrics"][n]["kind"] for r in results if n in r["metrics"]}
        vals = [r["metrics"][n]["values"] if n in r["metrics"] else [0] * r["repeats"]
                for r in results]
        if kinds == {"exact"}:
            if len({json.dumps(v) for v in vals}) > 1:
                print(f"{n:<48} exact: differs between results")
            continue
        meds = [statistics.median(v) for v in vals]
        within = max((max(v) - min(v)) / m if m else 0 for v, m in zip(vals, meds))
        between = max(((b - a) / a if a else (float("inf") if b else 0))
                      for i, a in enumerate(meds) for j, b in enumerate(meds) if i != j)
        kind = "/".join(sorted(kinds))
        print(f"{n:<48} {kind:<5} {statistics.median(meds):>12.6g} {100 * within:>7.2f}% "
              f"{100 * between:>7.2f}%")


if __name__ == "__main__":
    main(sys.argv[1:])
