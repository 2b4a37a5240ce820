#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check_names.py MODE SCRAPE FILE...: every nvmx_* metric the dashboards and rules name exists
in SCRAPE (a /metrics body in the text format).

MODE samples: each name must have at least one sample (a scrape where exits happened).
MODE families: each name must belong to a family the scrape declares (# TYPE), so a scrape
without nested exits (this host) still proves the names are right.
Recording-rule names (with ':') are not scraped and are skipped; they must be defined by a rule.
"""
import json
import re
import sys

import yaml

NAME = re.compile(r"(?<![:\w])nvmx_[a-z0-9_]+")


def exprs(path):
    if path.endswith(".json"):
        def walk(o):
            if isinstance(o, dict):
                for k, v in o.items():
                    if k in ("expr", "query", "definition") and isinstance(v, str):
                        yield v
                    else:
                        yield from walk(v)
            elif isinstance(o, list):
                for v in o:
                    yield from walk(v)
        yield from walk(json.load(open(path)))
    else:
        for g in yaml.safe_load(open(path))["groups"]:
            for r in g["rules"]:
                yield r["expr"]


def main():
    mode, scrape, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    samples, families = set(), {}
    for line in open(scrape):
        if line.startswith("# TYPE "):
            _, _, fam, typ = line.split()
            families[fam] = typ
        elif line and not line.startswith("#"):
            samples.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    names = {}
    for f in files:
        for e in exprs(f):
            for n in NAME.findall(e):
                names.setdefault(n, f)
    if not names:
        print("FAIL: no nvmx_ metric named in", files)
        return 1
    bad = 0
    for n, f in sorted(names.items()):
        if mode == "samples":
            ok = n in samples
        else:
            ok = n in families or any(
                n == fam + s and families[fam] == "histogram"
                for fam in families for s in ("_bucket", "_sum", "_count"))
        print(("ok: " if ok else "FAIL: ") + n + " (" + f + ")")
        bad += not ok
    print(f"{len(names) - bad} of {len(names)} metric names found ({mode})")
    return 1 if bad else 0


sys.exit(main())
