// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx report --html: the report as one self-contained HTML page. Inline CSS and inline SVG
 * drawn here: no script, no font, no image, nothing the page fetches. Every number it shows or
 * draws is a field of report.c's rows (derived once there, through lib's derive.h and
 * breakdown.h): the bars' heights are the rows' mean round trip and part shares, the histograms
 * the breakdown's own buckets, the markers the rows' p50 and p99.
 *
 * Each drawn quantity carries data attributes with the number it stands for, so a test can read
 * the rendered page back (tests/html/check_html.py): a bar (g.bar) its data-isa, data-reason,
 * data-handled-by, data-side, data-count and data-mean-ns; a segment (rect.part) its data-part
 * (the glossary's part name), data-ns (the part's sum, the breakdown's <part>_ns) and data-share
 * (the report's <part>_share); a histogram (svg.hist) its row's keys, and each bucket
 * (rect.bucket) data-le-ns and data-count; a quantile marker (line.q) data-q and data-ns.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmx/breakdown.h"
#include "nvmx/exit_reasons.h"
#include "report.h"

static const char *const side_name[2] = { "A", "B" };

/* The glossary's descriptions of the parts (docs/model.md, "One nested round trip") */
static const char *const part_what[NVMX_RT_PARTS] = {
	[NVMX_RT_L0_EXIT] = "the L2 exit to the inject: L0's decision and the vmcs12/vmcb12 sync",
	[NVMX_RT_L0_REFLECT] = "the inject to the entry into L1: loading L1's host state",
	[NVMX_RT_L1_HANDLER] = "L1's handler, from that entry to its VMRUN/VMRESUME exit, minus "
			       "l1_exit_service",
	[NVMX_RT_L1_EXIT_SERVICE] = "L0 serving L1's own exits inside the handler (their number "
				    "per round trip: the exit multiplication)",
	[NVMX_RT_L0_ENTRY_EMULATION] = "L1's VMRUN/VMRESUME exit to the entry into L2",
};

/* The breakdown chart: plot height, margins, bar and slot widths (px) */
#define BD_PLOT_H   320.0
#define BD_TOP	    24.0
#define BD_LEFT	    72.0
#define BD_BOTTOM   96.0
#define BD_BAR_W    34.0
#define BD_BAR_GAP  6.0
#define BD_SLOT_PAD 22.0
/* A histogram: plot height, bucket width, margins */
#define H_PLOT_H      110.0
#define H_BUCKET_W    22.0
#define H_TOP	      30.0
#define H_LEFT	      44.0
#define H_BOTTOM      58.0
#define H_RIGHT	      16.0
#define H_MIN_BUCKETS 6u

/* The glossary name of a part: nvmx_bd_part_name() without its "_ns" */
static const char *part_key(uint32_t p, char *buf, size_t len)
{
	const char *n = nvmx_bd_part_name(p);
	size_t l = strlen(n);

	if (l > 3 && !strcmp(n + l - 3, "_ns"))
		l -= 3;
	snprintf(buf, len, "%.*s", (int)l, n);
	return buf;
}

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static const struct row *find(const struct row *r, size_t n, const struct row *k)
{
	for (size_t i = 0; r && i < n; i++)
		if (r[i].isa == k->isa && r[i].reason == k->reason &&
		    !strcmp(r[i].handler, k->handler))
			return &r[i];
	return NULL;
}

/*
 * The rows of every side, each (isa, reason, handler) once: side A's in its order, then B's that
 * A has not (the order of the text --diff). keys[] points into the sides' rows.
 */
static size_t union_rows(int sides, const struct row *const *r, const size_t *n,
			 const struct row **keys, bool round_trips)
{
	size_t k = 0;

	for (int s = 0; s < sides; s++)
		for (size_t i = 0; i < n[s]; i++) {
			if (r[s][i].round_trip != round_trips)
				continue;
			if (s && find(r[0], n[0], &r[s][i]))
				continue;
			keys[k++] = &r[s][i];
		}
	return k;
}

/* A "nice" axis step (1, 2 or 5 times a power of ten) giving about 5 ticks up to max */
static double nice_step(double max)
{
	double raw = max / 5, mag = 1;

	if (raw <= 0)
		return 1;
	while (mag * 10 <= raw)
		mag *= 10;
	while (mag > raw)
		mag /= 10;
	if (mag >= raw)
		return mag;
	if (2 * mag >= raw)
		return 2 * mag;
	if (5 * mag >= raw)
		return 5 * mag;
	return 10 * mag;
}

static void row_attrs(FILE *f, const struct row *x, int sides, int s)
{
	char rbuf[24];

	fprintf(f, " data-isa=\"%s\" data-reason=\"", nvmx_isa_name(x->isa));
	esc(f, nvmx_reason_name(x->isa, x->reason, rbuf, sizeof(rbuf)));
	fprintf(f, "\" data-handled-by=\"%s\"", x->handler);
	if (sides > 1)
		fprintf(f, " data-side=\"%s\"", side_name[s]);
	fprintf(f, " data-count=\"%" PRIu64 "\"", x->count);
}

/* One stacked bar: the row's mean round trip, cut into its parts by their shares */
static void bar(FILE *f, const struct row *x, int sides, int s, double cx, double base,
		double px_per_ns)
{
	double y = base, h;
	char rbuf[24], key[32];
	const char *reason = nvmx_reason_name(x->isa, x->reason, rbuf, sizeof(rbuf));

	fprintf(f, "<g class=\"bar\"");
	row_attrs(f, x, sides, s);
	fprintf(f, " data-mean-ns=\"%.17g\" data-ns=\"%" PRIu64 "\">\n", x->mean, x->ns);
	for (uint32_t p = NVMX_RT_L0_EXIT; p < NVMX_RT_PARTS; p++) {
		h = x->part_share[p] * x->mean * px_per_ns;
		y -= h;
		fprintf(f,
			"<rect class=\"part p%u\" data-part=\"%s\" data-ns=\"%" PRIu64
			"\" data-share=\"%.17g\" x=\"%.3f\" y=\"%.4f\" width=\"%.1f\" "
			"height=\"%.4f\"><title>",
			p, part_key(p, key, sizeof(key)), x->e->sum_ns[p], x->part_share[p],
			cx - BD_BAR_W / 2, y, BD_BAR_W, h);
		esc(f, reason);
		fprintf(f, " (%s)%s%s: %s (%s) %.1f%% of the round trip</title></rect>\n",
			nvmx_isa_name(x->isa), sides > 1 ? ", " : "", sides > 1 ? side_name[s] : "",
			key, nvmx_report_part_label[p], 100 * x->part_share[p]);
	}
	fprintf(f,
		"<text class=\"val\" x=\"%.3f\" y=\"%.3f\">%.1f</text>\n<text class=\"cnt\" "
		"x=\"%.3f\" y=\"%.3f\">%" PRIu64 "</text>\n</g>\n",
		cx, y - 4, x->mean / 1e3, cx, base + 12, x->count);
}

/* (a) The Turtles breakdown: one stacked bar per reflected reason (two with --diff: A, B) */
static void breakdown_chart(FILE *f, int sides, const struct row *const *r, const size_t *n,
			    const struct row **keys)
{
	size_t nk;
	double max = 0, step, top, px_per_ns, slot_w, w, base = BD_TOP + BD_PLOT_H;
	char rbuf[24], key[32];

	nk = union_rows(sides, r, n, keys, true);
	fprintf(f, "<section id=\"breakdown\">\n<h2>Turtles breakdown of the round trips, per "
		   "reflected exit reason</h2>\n");
	if (!nk) {
		fprintf(f, "<p class=\"none\">no complete round trip</p>\n</section>\n");
		return;
	}
	fprintf(f,
		"<p>One bar per reason L1 handled (rows <code>L1</code> of the report%s), as high "
		"as its mean round trip (us, on top; the number below the bar: round trips), one "
		"segment per part of the round trip, as high as the part's share of it (the "
		"report's <code>L0exit</code> ... <code>L0entry</code>).</p>\n<ul "
		"class=\"legend\">\n",
		sides > 1 ? "; A left, B right, on one scale" : "");
	for (uint32_t p = NVMX_RT_PARTS - 1; p >= NVMX_RT_L0_EXIT; p--)
		fprintf(f,
			"<li><span class=\"sw p%u\"></span><code>%s</code> (<code>%s</code>): "
			"%s</li>\n",
			p, part_key(p, key, sizeof(key)), nvmx_report_part_label[p], part_what[p]);
	fprintf(f, "</ul>\n");
	for (int s = 0; s < sides; s++)
		for (size_t i = 0; i < n[s]; i++)
			if (r[s][i].round_trip && r[s][i].mean > max)
				max = r[s][i].mean;
	step = nice_step(max);
	top = step;
	while (top < max)
		top += step;
	px_per_ns = BD_PLOT_H / top;
	slot_w = sides * BD_BAR_W + (sides - 1) * BD_BAR_GAP + BD_SLOT_PAD;
	w = BD_LEFT + (double)nk * slot_w + 20;
	fprintf(f,
		"<svg class=\"chart\" id=\"breakdown-chart\" width=\"%.0f\" height=\"%.0f\" "
		"data-px-per-ns=\"%.17g\" role=\"img\">\n",
		w, BD_TOP + BD_PLOT_H + BD_BOTTOM, px_per_ns);
	for (double t = 0; t <= top * 1.0000001; t += step) {
		double y = base - t * px_per_ns;

		fprintf(f,
			"<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.3f\" y2=\"%.3f\"/>"
			"<text class=\"tick\" x=\"%.1f\" y=\"%.3f\">%g</text>\n",
			BD_LEFT - 4, w - 10, y, y, BD_LEFT - 8, y + 4, t / 1e3);
	}
	fprintf(f,
		"<text class=\"axis\" transform=\"translate(16 %.1f) rotate(-90)\">mean round trip "
		"(us)</text>\n",
		BD_TOP + BD_PLOT_H / 2);
	for (size_t k = 0; k < nk; k++) {
		double x0 = BD_LEFT + (double)k * slot_w + BD_SLOT_PAD / 2;
		double cx = 0;

		for (int s = 0; s < sides; s++) {
			const struct row *x = find(r[s], n[s], keys[k]);

			cx = x0 + s * (BD_BAR_W + BD_BAR_GAP) + BD_BAR_W / 2;
			if (x)
				bar(f, x, sides, s, cx, base, px_per_ns);
			else
				fprintf(f,
					"<text class=\"absent\" x=\"%.3f\" y=\"%.3f\" "
					"data-side=\"%s\">absent</text>\n",
					cx, base - 6, side_name[s]);
			if (sides > 1)
				fprintf(f, "<text class=\"side\" x=\"%.3f\" y=\"%.3f\">%s</text>\n",
					cx, base + 26, side_name[s]);
		}
		cx = x0 + (sides * BD_BAR_W + (sides - 1) * BD_BAR_GAP) / 2;
		fprintf(f, "<text class=\"reason\" transform=\"translate(%.3f %.1f) rotate(-35)\">",
			cx + 4, base + (sides > 1 ? 40 : 28));
		esc(f, nvmx_reason_name(keys[k]->isa, keys[k]->reason, rbuf, sizeof(rbuf)));
		fprintf(f, "</text>\n");
	}
	fprintf(f, "<line class=\"axisline\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n",
		BD_LEFT - 4, w - 10, base, base);
	fprintf(f, "</svg>\n</section>\n");
}

/* The bucket a value falls in: the first i with v <= 2^i (bucket 0: v <= 1) */
static uint32_t bucket_of(double v)
{
	uint32_t i = 0;

	while (i < NVMX_HIST_BUCKETS - 1 && v > (double)(1ull << i))
		i++;
	return i;
}

static void fmt_bound(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.3g us", (double)ns / 1e3);
	else
		snprintf(buf, len, "%.3g ms", (double)ns / 1e6);
}

/* A quantile marker, placed in its bucket as the interpolation that computed it places it */
static void marker(FILE *f, const char *q, double v, uint32_t lo_b, uint32_t hi_b, double y0,
		   double y1, int row)
{
	uint32_t b = bucket_of(v);
	double lo = b ? (double)(1ull << (b - 1)) : 0, hi = (double)(1ull << b), x;

	if (b < lo_b) {
		b = lo_b;
		lo = hi = v;
	} else if (b > hi_b) {
		b = hi_b;
		lo = 0;
		hi = v;
	}
	x = H_LEFT + (b - lo_b) * H_BUCKET_W + (hi > lo ? (v - lo) / (hi - lo) : 1) * H_BUCKET_W;
	fprintf(f,
		"<line class=\"q %s\" data-q=\"%s\" data-ns=\"%.17g\" x1=\"%.3f\" x2=\"%.3f\" "
		"y1=\"%.1f\" y2=\"%.1f\"/><text class=\"qt\" x=\"%.3f\" y=\"%.1f\">%s "
		"%.1f</text>\n",
		q, q, v, x, x, y0, y1, x, 10.0 + 11 * row, q, v / 1e3);
}

/*
 * One row's histogram of its times (round trip, or L0's handling), buckets lo_b..hi_b, heights
 * count / max_count (its own tallest bucket), with its p50 and p99.
 */
static void histogram(FILE *f, const struct row *x, int sides, int s, uint32_t lo_b, uint32_t hi_b,
		      uint64_t max_count)
{
	double w = H_LEFT + (hi_b - lo_b + 1) * H_BUCKET_W + H_RIGHT, base = H_TOP + H_PLOT_H;
	char bound[24], lower[24];

	fprintf(f, "<svg class=\"hist\" width=\"%.0f\" height=\"%.0f\" role=\"img\"", w,
		base + H_BOTTOM);
	row_attrs(f, x, sides, s);
	fprintf(f, " data-p50-ns=\"%.17g\" data-p99-ns=\"%.17g\" data-max-count=\"%" PRIu64 "\">\n",
		x->p50, x->p99, max_count);
	fprintf(f,
		"<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%" PRIu64
		"</text><text class=\"tick\" x=\"%.1f\" y=\"%.1f\">0</text>\n",
		H_LEFT - 4, H_TOP + 4, max_count, H_LEFT - 4, base);
	for (uint32_t b = lo_b; b <= hi_b; b++) {
		uint64_t c = x->e->buckets[b], le = 1ull << b;
		double h = max_count ? (double)c / (double)max_count * H_PLOT_H : 0;
		double bx = H_LEFT + (b - lo_b) * H_BUCKET_W;

		fmt_bound(bound, sizeof(bound), le);
		fmt_bound(lower, sizeof(lower), b ? le / 2 : 0);
		fprintf(f,
			"<rect class=\"bucket\" data-le-ns=\"%" PRIu64 "\" data-count=\"%" PRIu64
			"\" x=\"%.1f\" y=\"%.4f\" width=\"%.1f\" height=\"%.4f\"><title>%" PRIu64
			" in (%s, %s]</title></rect>\n",
			le, c, bx + 1, base - h, H_BUCKET_W - 2, h, c, lower, bound);
		fprintf(f,
			"<text class=\"bound\" transform=\"translate(%.1f %.1f) "
			"rotate(-60)\">&#8804;%s</text>\n",
			bx + H_BUCKET_W / 2 + 3, base + 8, bound);
	}
	fprintf(f, "<line class=\"axisline\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n",
		H_LEFT, w - H_RIGHT, base, base);
	marker(f, "p50", x->p50, lo_b, hi_b, H_TOP - 4, base, 0);
	marker(f, "p99", x->p99, lo_b, hi_b, H_TOP - 4, base, 1);
	fprintf(f, "</svg>\n");
}

/* (b) The time histograms of every row: round trips, then L0's handling; A | B with --diff */
static void histograms(FILE *f, int sides, const struct row *const *r, const size_t *n,
		       const struct row **keys)
{
	size_t nk;
	char rbuf[24];

	fprintf(f,
		"<section id=\"histograms\">\n<h2>Time distributions</h2>\n<p>Per row of the "
		"report, how many of its times fell in each log2 bucket (bucket <i>i</i>: "
		"2<sup><i>i</i>-1</sup> &lt; ns &#8804; 2<sup><i>i</i></sup>), from the buckets "
		"its p50 and p99 come from (marked, in us); rows <code>L1</code>: the round trip; "
		"<code>L0</code>, <code>L0&gt;VMM</code>: L0's handling of the exit.%s</p>\n",
		sides > 1 ? " A and B of a row share their buckets; each is as high as its own "
			    "fullest bucket (its count on the axis)."
			  : " Each is as high as its fullest bucket (its count on the axis).");
	fprintf(f, "<div class=\"hgrid\">\n");
	for (int rt = 1; rt >= 0; rt--) {
		nk = union_rows(sides, r, n, keys, rt);
		for (size_t k = 0; k < nk; k++) {
			const struct row *x[2] = { NULL, NULL };
			uint32_t lo_b = NVMX_HIST_BUCKETS, hi_b = 0;
			uint64_t max_count[2] = { 0, 0 };

			for (int s = 0; s < sides; s++) {
				x[s] = find(r[s], n[s], keys[k]);
				for (uint32_t b = 0; x[s] && b < NVMX_HIST_BUCKETS; b++) {
					if (!x[s]->e->buckets[b])
						continue;
					lo_b = b < lo_b ? b : lo_b;
					hi_b = b > hi_b ? b : hi_b;
					if (x[s]->e->buckets[b] > max_count[s])
						max_count[s] = x[s]->e->buckets[b];
				}
			}
			if (lo_b > hi_b) /* no histogram known */
				lo_b = hi_b = 0;
			/* at least H_MIN_BUCKETS wide, for the labels */
			while (hi_b - lo_b + 1 < H_MIN_BUCKETS && hi_b < NVMX_HIST_BUCKETS - 1)
				hi_b++;
			while (hi_b - lo_b + 1 < H_MIN_BUCKETS && lo_b > 0)
				lo_b--;
			fprintf(f, "<div class=\"hrow\"><h3>");
			esc(f, nvmx_reason_name(keys[k]->isa, keys[k]->reason, rbuf, sizeof(rbuf)));
			fprintf(f, " <small>%s, by ", nvmx_isa_name(keys[k]->isa));
			esc(f, keys[k]->handler);
			fprintf(f, "%s</small></h3>\n", rt ? ": round trip" : ": L0's handling");
			for (int s = 0; s < sides; s++) {
				fprintf(f, "<figure><figcaption>%s%s",
					sides > 1 ? side_name[s] : "", sides > 1 ? ": " : "");
				if (!x[s])
					fprintf(f, "absent</figcaption>");
				if (x[s]) {
					fprintf(f,
						"%" PRIu64 " %s, mean %.1f us, p50 %.1f us, p99 "
						"%.1f us</figcaption>\n",
						x[s]->count, x[s]->count == 1 ? "time" : "times",
						x[s]->mean / 1e3, x[s]->p50 / 1e3, x[s]->p99 / 1e3);
					histogram(f, x[s], sides, s, lo_b, hi_b, max_count[s]);
				}
				fprintf(f, "</figure>\n");
			}
			fprintf(f, "</div>\n");
		}
	}
	fprintf(f, "</div>\n</section>\n");
}

/* The report's rows as a table, formatted as its text (us with one decimal, shares in %) */
static void table(FILE *f, const char *name, const struct row *r, size_t n)
{
	char rbuf[24];

	fprintf(f, "<table>\n<caption>");
	esc(f, name);
	fprintf(f, "</caption>\n<tr><th>isa</th><th>reason</th><th>by</th><th>count</th><th>mean "
		   "us</th><th>p50 us</th><th>p99 us</th>");
	for (uint32_t p = NVMX_RT_L0_EXIT; p < NVMX_RT_PARTS; p++)
		fprintf(f, "<th>%s</th>", nvmx_report_part_label[p]);
	fprintf(f, "<th>mult</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *x = &r[i];

		fprintf(f, "<tr><td>%s</td><td>", nvmx_isa_name(x->isa));
		esc(f, nvmx_reason_name(x->isa, x->reason, rbuf, sizeof(rbuf)));
		fprintf(f, "</td><td>");
		esc(f, x->handler);
		fprintf(f, "</td><td>%" PRIu64 "</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>",
			x->count, x->mean / 1e3, x->p50 / 1e3, x->p99 / 1e3);
		for (uint32_t p = NVMX_RT_L0_EXIT; p < NVMX_RT_PARTS; p++)
			if (x->round_trip)
				fprintf(f, "<td>%.1f%%</td>", 100 * x->part_share[p]);
			else
				fprintf(f, "<td></td>");
		if (x->round_trip)
			fprintf(f, "<td>%.2f</td></tr>\n", x->mult);
		else
			fprintf(f, "<td></td></tr>\n");
	}
	if (!n)
		fprintf(f, "<tr><td colspan=\"13\">(no complete round trip and no L0-handled L2 "
			   "exit)</td></tr>\n");
	fprintf(f, "</table>\n");
}

static const char css[] =
	"body{font:14px/1.4 sans-serif;margin:16px 24px;color:#222;background:#fff}"
	"h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px}"
	"h3{font-size:14px;margin:10px 0 2px}h3 small{font-weight:normal;color:#555}"
	"p{max-width:60em;margin:4px 0}code{font-size:13px}"
	".src{color:#444}.legend{list-style:none;padding:0;margin:6px 0}"
	".legend li{margin:2px 0}.sw{display:inline-block;width:12px;height:12px;"
	"margin-right:6px;vertical-align:-1px}"
	"svg{display:block;overflow:visible}svg text{font:11px sans-serif;fill:#222}"
	".p1{fill:#4e79a7;background:#4e79a7}.p2{fill:#f28e2b;background:#f28e2b}"
	".p3{fill:#59a14f;background:#59a14f}.p4{fill:#e15759;background:#e15759}"
	".p5{fill:#76b7b2;background:#76b7b2}"
	".grid{stroke:#ddd;stroke-width:1}.axisline{stroke:#444;stroke-width:1}"
	"text.tick{text-anchor:end}text.val,text.cnt,text.side,text.absent{text-anchor:middle}"
	"text.cnt{fill:#666;font-size:10px}text.absent{fill:#999;font-style:italic}"
	"text.reason{text-anchor:end}text.bound{text-anchor:end;font-size:9px;fill:#555}"
	"rect.bucket{fill:#4e79a7}line.q{stroke:#c00;stroke-width:1.5;stroke-dasharray:3 2}"
	"line.p50{stroke:#333}text.qt{font-size:10px;fill:#333}"
	".hrow{display:inline-block;vertical-align:top;margin:0 40px 12px 0}"
	"figure{display:inline-block;vertical-align:top;margin:0 24px 0 0}"
	"figcaption{font-size:12px;color:#444}"
	"table{border-collapse:collapse;margin:8px 0 16px}caption{text-align:left;"
	"font-weight:bold;padding:4px 0}td,th{padding:2px 8px;border-bottom:1px solid #eee;"
	"text-align:right}td:nth-child(-n+3),th:nth-child(-n+3){text-align:left}";

int nvmx_report_html(FILE *f, int sides, const char *const *name, const struct row *const *r,
		     const size_t *n)
{
	/* the rows of both sides, each key once (union_rows) */
	const struct row **keys = calloc(n[0] + (sides > 1 ? n[1] : 0) + 1, sizeof(*keys));

	if (!keys)
		return -ENOMEM;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<title>nvmx report: ");
	esc(f, name[0]);
	if (sides > 1) {
		fputs(" vs ", f);
		esc(f, name[1]);
	}
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>nvmx report%s</h1>\n", css,
		sides > 1 ? " --diff" : "");
	for (int s = 0; s < sides; s++) {
		fprintf(f, "<p class=\"src\">%s%s", sides > 1 ? side_name[s] : "",
			sides > 1 ? ": " : "");
		esc(f, name[s]);
		fprintf(f, "</p>\n");
	}
	fprintf(f, "<p>The cost of nested (L2) exits per exit reason: the numbers of "
		   "<code>nvmx report</code> (its text and <code>--json</code>), drawn. Names: "
		   "docs/model.md's glossary. Times in us.</p>\n");
	breakdown_chart(f, sides, r, n, keys);
	histograms(f, sides, r, n, keys);
	fprintf(f, "<section id=\"rows\">\n<h2>The rows</h2>\n");
	for (int s = 0; s < sides; s++)
		table(f, name[s], r[s], n[s]);
	fprintf(f, "</section>\n</body>\n</html>\n");
	free(keys);
	return ferror(f) ? -EIO : 0;
}
