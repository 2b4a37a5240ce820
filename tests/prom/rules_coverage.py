#!/usr/bin/env python3
"""rules_coverage.py RULES TEST DOCS_DIR: every rule of RULES is tested by TEST, every alert is
documented.

- each recording rule's name is the expr of a promql_expr_test of TEST with expected samples;
- each alert has an alert_rule_test in TEST where it fires (exp_alerts not empty) and one where
  it does not (exp_alerts empty);
- each alert has the annotations summary, description and runbook_url; runbook_url is
  docs/alerts.md#ANCHOR and DOCS_DIR/alerts.md has a heading whose GitHub anchor is ANCHOR.

Prints one line per problem; exit status 1 if there is one, 2 on unusable input.
"""
import re
import sys

import yaml


def anchors(md):
    out = set()
    fence = False
    for line in md.splitlines():
        if line.startswith("```"):
            fence = not fence
        m = None if fence else re.match(r"^#+\s+(.*?)\s*$", line)
        if m:
            a = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
            out.add(a)
    return out


def main():
    if len(sys.argv) != 4:
        print("usage: rules_coverage.py RULES TEST DOCS_DIR", file=sys.stderr)
        return 2
    try:
        rules = yaml.safe_load(open(sys.argv[1]))
        test = yaml.safe_load(open(sys.argv[2]))
        docs = open(sys.argv[3] + "/alerts.md").read()
    except (OSError, yaml.YAMLError) as e:
        print("rules_coverage.py: %s" % e, file=sys.stderr)
        return 2
    have = anchors(docs)
    records, alerts = [], []
    for g in rules["groups"]:
        for r in g["rules"]:
            (records if "record" in r else alerts).append(r)
    tested_exprs = set()
    fires, quiet = set(), set()
    for t in test.get("tests", []):
        for e in t.get("promql_expr_test", []) or []:
            if e.get("exp_samples"):
                tested_exprs.add(e["expr"].strip())
        for a in t.get("alert_rule_test", []) or []:
            (fires if a.get("exp_alerts") else quiet).add(a["alertname"])
    problems = []
    for r in records:
        if r["record"] not in tested_exprs:
            problems.append("recording rule %s: no promql_expr_test with its name as expr "
                            "and expected samples" % r["record"])
    for r in alerts:
        n = r["alert"]
        if n not in fires:
            problems.append("alert %s: no alert_rule_test where it fires" % n)
        if n not in quiet:
            problems.append("alert %s: no alert_rule_test where it stays quiet" % n)
        ann = r.get("annotations", {})
        for k in ("summary", "description", "runbook_url"):
            if not ann.get(k):
                problems.append("alert %s: no %s annotation" % (n, k))
        url = ann.get("runbook_url", "")
        m = re.fullmatch(r"docs/alerts\.md#([\w\-]+)", url)
        if url and not m:
            problems.append("alert %s: runbook_url %r is not docs/alerts.md#SECTION" % (n, url))
        elif m and m.group(1) not in have:
            problems.append("alert %s: runbook_url %s: docs/alerts.md has no such section"
                            % (n, url))
    for p in problems:
        print(p)
    print("%d recording rules and %d alerts: %s" %
          (len(records), len(alerts), "%d problems" % len(problems) if problems else "all tested"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
