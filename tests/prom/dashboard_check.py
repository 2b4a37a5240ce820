#!/usr/bin/env python3
"""dashboard_check.py SOURCE_DIR [PROMTOOL]: the Grafana dashboard follows its conventions.

- dashboards/nvmx.json is what dashboards/make_dashboard.py writes (not edited by hand, not stale);
- it has the variables $datasource (a Prometheus datasource variable), $job, $instance and $vm,
  and every panel and query uses the datasource ${datasource};
- every panel query selects every metric with job=~"$job" and instance=~"$instance", and with
  vm=~"$vm" when the family has a vm label (docs/metrics.md's tables say which);
- no range is hard-coded: every [..] is $__rate_interval, $__range or $__interval, never [5m];
- with PROMTOOL: each query, the variables put in, is valid PromQL (promtool check rules).

One line per problem; exit status 1 if there is one, 2 on unusable input.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

RANGE_OK = {"$__rate_interval", "$__range", "$__interval"}
# a metric name in PromQL: not a function or keyword (followed by "("), not a label name inside
# {...} or by (...), not a string
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "bool", "offset", "le", "inf", "nan"}


def families_with_vm(metrics_md):
    """Metric families whose labels column in docs/metrics.md names vm."""
    out, all_ = set(), set()
    for line in metrics_md.splitlines():
        m = re.match(r"^\| `([a-z_:][a-z0-9_:]*)` \|[^|]+\|\s*([^|]*?)\s*\|", line)
        if not m:
            continue
        name = m.group(1)
        all_.add(name)
        if re.search(r"\bvm\b", m.group(2)):
            out.add(name)
    return out, all_


def strip_strings(expr):
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)


def selectors(expr):
    """(metric, matchers text or None) of each vector selector of expr."""
    e = strip_strings(expr)
    # drop the label lists of by/without/on/ignoring/group_x (...), which hold names too
    e2 = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    out = []
    for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?", e2):
        name, braces = m.group(1), m.group(2)
        start = m.start()
        if start > 0 and (e2[start - 1].isalnum() or e2[start - 1] in "_$."):
            continue
        rest = e2[m.end():].lstrip()
        if rest.startswith("(") or name.lower() in KEYWORDS:
            continue
        if re.fullmatch(r"[0-9.e]+", name):
            continue
        out.append((name, braces))
    return out


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: dashboard_check.py SOURCE_DIR [PROMTOOL]", file=sys.stderr)
        return 2
    src = sys.argv[1]
    promtool = sys.argv[2] if len(sys.argv) == 3 else None
    try:
        committed = open(os.path.join(src, "dashboards/nvmx.json")).read()
        dash = json.loads(committed)
        metrics_md = open(os.path.join(src, "docs/metrics.md")).read()
    except (OSError, ValueError) as e:
        print("dashboard_check.py: %s" % e, file=sys.stderr)
        return 2
    problems = []
    gen = subprocess.run([sys.executable, os.path.join(src, "dashboards/make_dashboard.py")],
                         capture_output=True, text=True)
    if gen.returncode != 0:
        problems.append("make_dashboard.py failed: %s" % gen.stderr.strip())
    elif gen.stdout.strip() != committed.strip():
        problems.append("dashboards/nvmx.json is not what make_dashboard.py writes: run "
                        "python3 dashboards/make_dashboard.py > dashboards/nvmx.json")
    with_vm, documented = families_with_vm(metrics_md)
    variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
    for name in ("datasource", "job", "instance", "vm"):
        if name not in variables:
            problems.append("no $%s variable" % name)
    ds = variables.get("datasource", {})
    if ds and (ds.get("type") != "datasource" or ds.get("query") != "prometheus"):
        problems.append("$datasource is not a Prometheus datasource variable")
    for name in ("job", "instance", "vm"):
        v = variables.get(name)
        if v and v.get("datasource", {}).get("uid") != "${datasource}":
            problems.append("$%s does not query ${datasource}" % name)
    queries = []
    for p in dash.get("panels", []):
        title = p.get("title", "?")
        if p.get("datasource", {}).get("uid") != "${datasource}":
            problems.append("panel %r: datasource is not ${datasource}" % title)
        for t in p.get("targets", []):
            expr = t.get("expr", "")
            queries.append((title, expr))
            if t.get("datasource", {}).get("uid") != "${datasource}":
                problems.append("panel %r: a query's datasource is not ${datasource}" % title)
            for r in re.findall(r"\[([^\]]*)\]", strip_strings(expr)):
                if r not in RANGE_OK:
                    problems.append("panel %r: hard-coded range [%s] in %s" % (title, r, expr))
            sels = selectors(expr)
            if not sels:
                problems.append("panel %r: no metric in %s" % (title, expr))
            for name, braces in sels:
                fam = re.sub(r"_(bucket|sum|count)$", "", name)
                if not braces:
                    problems.append("panel %r: %s without job, instance selectors in %s"
                                    % (title, name, expr))
                if not {name, fam} & documented:
                    problems.append("panel %r: %s is not in docs/metrics.md" % (title, name))
    # the matchers themselves, in the raw text (strip_strings blanked their values)
    for title, expr in queries:
        for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}", expr):
            name, body = m.group(1), m.group(2)
            fam = re.sub(r"_(bucket|sum|count)$", "", name)
            for n, v in (("job", "$job"), ("instance", "$instance"), ("vm", "$vm")):
                if n == "vm" and fam not in with_vm and name not in with_vm:
                    continue
                if '%s=~"%s"' % (n, v) not in body:
                    problems.append("panel %r: %s{%s} lacks %s=~\"%s\"" % (title, name, body, n, v))
    if promtool and queries:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "q.yml")
            with open(path, "w") as f:
                f.write("groups:\n  - name: dashboard\n    rules:\n")
                for i, (title, expr) in enumerate(queries):
                    e = (expr.replace("$__rate_interval", "1m").replace("$__range", "1h")
                         .replace("$__interval", "15s").replace("$job", ".*")
                         .replace("$instance", ".*").replace("$vm", ".*"))
                    f.write("      - record: dashboard:q%d\n        expr: %s\n"
                            % (i, json.dumps(e)))
            r = subprocess.run([promtool, "check", "rules", path], capture_output=True,
                               text=True)
            if r.returncode != 0:
                problems.append("promtool check rules on the queries:\n" + r.stdout + r.stderr)
    for p in problems:
        print(p)
    print("%d panels, %d queries: %s" % (len(dash.get("panels", [])), len(queries),
                                         "%d problems" % len(problems) if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
