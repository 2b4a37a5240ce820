#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nvmx report --html, rendered by Debian's headless Chromium and read back from the DOM.

usage: check_html.py NVMX CHROMIUM OUTDIR single CAPTURE
       check_html.py NVMX CHROMIUM OUTDIR diff A B

Writes the page with `nvmx report --html`, checks that it is self-contained (no script, nothing
it could fetch), then loads a copy of it in Chromium with one added script that records, after
layout, every drawn element's rendered box (getBoundingClientRect) into data attributes, and
reads Chromium's DOM (--dump-dom) back. Against `nvmx report --json` of the same input (and the
--diff JSON), it checks:

- one bar (g.bar) per round-trip row (handled_by L1) of the report, per side; none other;
- each bar: five segments, named as the glossary's round-trip parts (docs/model.md), each with
  the breakdown's <part>_ns and the report's <part>_share, and a rendered height proportional
  to the part's value per round trip (<part>_share x mean_ns) with one scale for every bar of
  the page (both sides of a diff), stacked without gap on one baseline;
- one histogram per row of the report (every handled_by), its buckets the JSON's buckets
  (round_trip_buckets, handling_buckets), heights proportional to the counts, its p50 and p99
  markers the report's p50_ns and p99_ns, each rendered inside the bucket holding it;
- with --diff: an `absent` mark where a side has no such row.

Exit 0: all hold; 1: a check failed (each failure printed); 2: usage, or chromium missing.
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys

PARTS = ["l0_exit", "l0_reflect", "l1_handler", "l1_exit_service", "l0_entry_emulation"]
# rendered boxes are floats (SVG is not snapped to pixels): a tenth of a pixel is rounding
TOL_PX = 0.1

failures = []


def fail(msg):
    failures.append(msg)
    print("check_html: FAIL: " + msg, file=sys.stderr)


def close(a, b, rel=1e-12, abs_=1e-9):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


MEASURE = """<script>
for (const e of document.querySelectorAll('rect.part, rect.bucket, line.q, g.bar')) {
  const b = e.getBoundingClientRect();
  e.setAttribute('data-r-top', b.top); e.setAttribute('data-r-bottom', b.bottom);
  e.setAttribute('data-r-left', b.left); e.setAttribute('data-r-right', b.right);
  e.setAttribute('data-r-height', b.height);
}
document.body.setAttribute('data-measured', 'yes');
</script>
"""


class Dom(html.parser.HTMLParser):
    """Every element with a class, its attributes, and its g.bar / svg.hist ancestor."""

    def __init__(self):
        super().__init__()
        self.stack = []
        self.elems = []
        self.texts = []  # (class, attrs, text) of <text> elements
        self.body = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        a["_tag"] = tag
        a["_class"] = (a.get("class") or "").split()
        parent = next((e for e in reversed(self.stack) if "bar" in e["_class"]
                       or "hist" in e["_class"]), None)
        a["_parent"] = parent
        a["_text"] = ""
        if tag == "body":
            self.body = a
        self.elems.append(a)
        if tag not in ("meta", "br", "line", "rect", "img", "input", "link"):
            self.stack.append(a)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["_tag"] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self.stack:
            self.stack[-1]["_text"] += data

    def of(self, tag, cls):
        return [e for e in self.elems if e["_tag"] == tag and cls in e["_class"]]


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    if p.returncode != 0:
        print("check_html: %s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()),
              file=sys.stderr)
        sys.exit(1)
    return p.stdout


def self_contained(page):
    text = open(page, encoding="utf-8").read()
    for pat in [r"<script", r"\bsrc\s*=", r"\bhref\s*=", r"url\(", r"@import", r"https?:",
                r"<link", r"<img", r"<iframe", r"<object", r"<embed"]:
        if re.search(pat, text, re.I):
            fail("%s: not self-contained: it has %r" % (page, pat))
    return text


def render(chromium, page, outdir, tag):
    text = self_contained(page)
    if "</body>" not in text:
        fail("%s: no </body>" % page)
        return Dom()
    probe = os.path.join(outdir, tag + ".measured.html")
    with open(probe, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", MEASURE + "</body>", 1))
    profile = os.path.join(outdir, tag + ".chromium-profile")
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--user-data-dir=" + profile, "--window-size=1600,1200",
           "--dump-dom", "file://" + os.path.abspath(probe)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    shutil.rmtree(profile, ignore_errors=True)
    if p.returncode != 0 or "data-measured" not in p.stdout:
        print("check_html: chromium did not render %s (exit %d): %s" %
              (probe, p.returncode, p.stderr.strip()[-2000:]), file=sys.stderr)
        sys.exit(1)
    with open(os.path.join(outdir, tag + ".dom.html"), "w", encoding="utf-8") as f:
        f.write(p.stdout)
    d = Dom()
    d.feed(p.stdout)
    if d.body.get("data-measured") != "yes":
        fail("%s: the measuring script did not run" % probe)
    return d


def key_of(e):
    return (e.get("data-isa"), e.get("data-reason"), e.get("data-handled-by"))


def fnum(e, attr):
    v = e.get(attr)
    if v is None:
        raise KeyError("%s has no %s" % (e["_tag"], attr))
    return float(v)


def buckets_of(doc, row):
    """The JSON buckets of a report row: the breakdown's or l0_handled's entry of its key."""
    if row["handled_by"] == "L1":
        for b in doc["breakdown"]:
            if b["isa"] == row["isa"] and b["reason"] == row["reason"]:
                return b, b["round_trip_buckets"]
    else:
        to_vmm = row["handled_by"] == "L0>VMM"
        for b in doc["l0_handled"]:
            if b["isa"] == row["isa"] and b["reason"] == row["reason"] and b["to_vmm"] == to_vmm:
                return b, b["handling_buckets"]
    fail("no breakdown entry for the row %s %s %s" % (row["isa"], row["reason"],
                                                      row["handled_by"]))
    return None, [0] * 32


def check_bars(dom, sides):
    """sides: {side: (report rows, summary doc)}; side None without --diff."""
    bars = dom.of("g", "bar")
    segs = dom.of("rect", "part")
    want = {}
    for side, (rows, doc) in sides.items():
        for r in rows:
            if r["handled_by"] == "L1":
                want[(side,) + (r["isa"], r["reason"], "L1")] = (r, doc)
    got = {}
    for b in bars:
        k = (b.get("data-side"),) + key_of(b)
        if k in got:
            fail("two bars for %s" % (k,))
        got[k] = b
    if set(got) != set(want):
        fail("bars %s, the report's round-trip rows %s" % (sorted(got, key=str),
                                                            sorted(want, key=str)))
    ratios, baselines = [], []
    for k, b in got.items():
        if k not in want:
            continue
        r, doc = want[k]
        entry, _ = buckets_of(doc, r)
        mine = [s for s in segs if s["_parent"] is b]
        names = [s.get("data-part") for s in mine]
        if names != PARTS:
            fail("bar %s: segments %s, the glossary's parts are %s" % (k, names, PARTS))
            continue
        if int(b["data-count"]) != r["count"] or not close(fnum(b, "data-mean-ns"),
                                                             r["mean_ns"]):
            fail("bar %s: count %s mean %s, the report: %d %r" %
                 (k, b["data-count"], b["data-mean-ns"], r["count"], r["mean_ns"]))
        bottom = fnum(mine[0], "data-r-bottom")
        baselines.append((k, bottom))
        for s, p in zip(mine, PARTS):
            share = r[p + "_share"]
            if not close(fnum(s, "data-share"), share):
                fail("bar %s %s: share %s, the report's %s_share %r" %
                     (k, p, s["data-share"], p, share))
            if entry and int(s["data-ns"]) != entry[p + "_ns"]:
                fail("bar %s %s: ns %s, the breakdown's %s_ns %d" %
                     (k, p, s["data-ns"], p, entry[p + "_ns"]))
            value = share * r["mean_ns"]  # the part per round trip, in ns
            h = fnum(s, "data-r-height")
            ratios.append((k, p, h, value))
            # stacked: each segment sits on the one below, the first on the baseline
            if abs(fnum(s, "data-r-bottom") - bottom) > TOL_PX:
                fail("bar %s %s: rendered from %.3f, the segment below ends at %.3f" %
                     (k, p, fnum(s, "data-r-bottom"), bottom))
            bottom = fnum(s, "data-r-top")
    if not ratios:
        return
    for k, y in baselines:
        if abs(y - baselines[0][1]) > TOL_PX:
            fail("bar %s stands at %.3f, bar %s at %.3f: not on one baseline" %
                 (k, y, baselines[0][0], baselines[0][1]))
    scale = sum(h for *_, h, v in ratios) / sum(v for *_, h, v in ratios)
    tallest = max(h for *_, h, v in ratios)
    if scale <= 0 or tallest < 5:
        fail("the bars are not drawn (scale %g px/ns, tallest segment %.2f px)" %
             (scale, tallest))
    for k, p, h, v in ratios:
        if abs(h - scale * v) > TOL_PX:
            fail("bar %s %s: rendered %.3f px, %.3f px for its %.1f ns at the page's scale" %
                 (k, p, h, scale * v, v))
    print("check_html: %d bars, %d segments checked (%.6f px/us, within %.1f px)" %
          (len(got), len(ratios), scale * 1e3, TOL_PX))


def check_hists(dom, sides):
    hists = dom.of("svg", "hist")
    buckets = dom.of("rect", "bucket")
    markers = dom.of("line", "q")
    want = {}
    for side, (rows, doc) in sides.items():
        for r in rows:
            want[(side,) + (r["isa"], r["reason"], r["handled_by"])] = (r, doc)
    got = {}
    for h in hists:
        k = (h.get("data-side"),) + key_of(h)
        if k in got:
            fail("two histograms for %s" % (k,))
        got[k] = h
    if set(got) != set(want):
        fail("histograms %s, the report's rows %s" % (sorted(got, key=str),
                                                       sorted(want, key=str)))
    n_buckets = 0
    for k, h in got.items():
        if k not in want:
            continue
        r, doc = want[k]
        _, jb = buckets_of(doc, r)
        if int(h["data-count"]) != r["count"]:
            fail("histogram %s: count %s, the report's %d" % (k, h["data-count"], r["count"]))
        mine = [b for b in buckets if b["_parent"] is h]
        shown = {}
        for b in mine:
            le = int(b["data-le-ns"])
            i = le.bit_length() - 1
            if 1 << i != le or i >= len(jb):
                fail("histogram %s: bucket bound %d is not a log2 bucket" % (k, le))
                continue
            shown[i] = b
            if int(b["data-count"]) != jb[i]:
                fail("histogram %s: bucket <= %d ns holds %s, the JSON %d" %
                     (k, le, b["data-count"], jb[i]))
        if sum(jb[i] for i in shown) != sum(jb):
            fail("histogram %s: shows %d of the JSON's %d times" %
                 (k, sum(jb[i] for i in shown), sum(jb)))
        n_buckets += len(mine)
        top = max((int(b["data-count"]) for b in mine), default=0)
        hmax = max((fnum(b, "data-r-height") for b in mine), default=0)
        if top:
            scale = hmax / top
            if hmax < 5:
                fail("histogram %s: not drawn (tallest bucket %.2f px)" % (k, hmax))
            for b in mine:
                if abs(fnum(b, "data-r-height") - scale * int(b["data-count"])) > TOL_PX:
                    fail("histogram %s: bucket <= %s ns is %.3f px, %.3f px for %s" %
                         (k, b["data-le-ns"], fnum(b, "data-r-height"),
                          scale * int(b["data-count"]), b["data-count"]))
        for q in ("p50", "p99"):
            m = [x for x in markers if x["_parent"] is h and x.get("data-q") == q]
            if len(m) != 1:
                fail("histogram %s: %d %s markers" % (k, len(m), q))
                continue
            v = fnum(m[0], "data-ns")
            if not close(v, r[q + "_ns"]) or not close(fnum(h, "data-" + q + "-ns"), v):
                fail("histogram %s: %s %r, the report's %r" % (k, q, v, r[q + "_ns"]))
            i = next((j for j in range(len(jb)) if v <= (1 << j)), len(jb) - 1)
            x = fnum(m[0], "data-r-left")
            if i in shown:
                b = shown[i]
                # the bucket's rect leaves 1 px on each side of its slot
                if not (fnum(b, "data-r-left") - 1 - TOL_PX <= x <=
                        fnum(b, "data-r-right") + 1 + TOL_PX):
                    fail("histogram %s: %s (%.1f ns) drawn at x %.2f, outside its bucket "
                         "<= %d ns [%.2f, %.2f]" % (k, q, v, x, 1 << i, fnum(b, "data-r-left"),
                                                   fnum(b, "data-r-right")))
    print("check_html: %d histograms, %d buckets, their p50 and p99 checked" %
          (len(got), n_buckets))


def report_json(nvmx, args):
    return json.loads(run([nvmx, "report", "--json"] + args))


def main():
    if len(sys.argv) < 6 or sys.argv[4] not in ("single", "diff"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    nvmx, chromium, outdir, mode = sys.argv[1:5]
    inputs = sys.argv[5:]
    if len(inputs) != (2 if mode == "diff" else 1):
        print("check_html: %s takes %d inputs" % (mode, 2 if mode == "diff" else 1),
              file=sys.stderr)
        return 2
    found = shutil.which(chromium)
    if not found:
        print("check_html: %s not found: install Debian's chromium (scripts/debian-packages)" %
              chromium, file=sys.stderr)
        return 2
    os.makedirs(outdir, exist_ok=True)
    tag = mode + "-" + "-".join(os.path.basename(os.path.dirname(os.path.abspath(i)))
                                for i in inputs)
    page = os.path.join(outdir, tag + ".html")
    if os.path.exists(page):
        os.unlink(page)
    docs = [report_json(nvmx, [i]) for i in inputs]
    if mode == "single":
        run([nvmx, "report", "--html", page, inputs[0]])
        sides = {None: (docs[0]["report"]["rows"], docs[0])}
    else:
        d = json.loads(run([nvmx, "report", "--diff", "--json", "--html", page] + inputs))
        rows = {"A": [], "B": []}
        for r in d["rows"]:
            for side, k in (("A", "a"), ("B", "b")):
                if r[k] is not None:
                    rows[side].append(r[k])
        # the diff's rows are the report's rows of each side
        for side, doc in zip("AB", docs):
            if rows[side] != doc["report"]["rows"] and sorted(
                    rows[side], key=lambda r: (r["isa"], r["reason"], r["handled_by"])) != sorted(
                    doc["report"]["rows"], key=lambda r: (r["isa"], r["reason"], r["handled_by"])):
                fail("--diff's side %s differs from the report of that file" % side)
        sides = {"A": (rows["A"], docs[0]), "B": (rows["B"], docs[1])}
    dom = render(found, page, outdir, tag)
    check_bars(dom, sides)
    check_hists(dom, sides)
    if mode == "diff":
        absent = [t for t in dom.elems if t["_tag"] == "text" and "absent" in t["_class"]]
        n_absent = sum(1 for r in d["rows"] if r["handled_by"] == "L1"
                       for k in ("a", "b") if r[k] is None)
        if len(absent) != n_absent:
            fail("%d bars marked absent, the diff has %d round-trip rows missing on a side" %
                 (len(absent), n_absent))
        else:
            print("check_html: %d round-trip rows absent on one side, marked" % n_absent)
    if failures:
        print("check_html: %d failed checks (page: %s)" % (len(failures), page), file=sys.stderr)
        return 1
    print("check_html: ok: %s" % page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
