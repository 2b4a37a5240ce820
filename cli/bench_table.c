// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel matrix's tables (nvmx bench matrix, docs/kernels.md): result files of nvmx bench run
 * side by side, one column per (kernel, L1), in Markdown and HTML. Each value is the median of a
 * result's repeats and each change is decided by nvmx_bench_compare_metric(), as nvmx bench
 * compare decides it: the matrix has no rule of its own.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MAX_ROWS 1024

struct rows {
	char *name[MAX_ROWS];
	int n;
};

static int row_add(struct rows *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->name[i], name))
			return 0;
	if (r->n == MAX_ROWS)
		return -E2BIG;
	r->name[r->n] = strdup(name);
	return r->name[r->n++] ? 0 : -ENOMEM;
}

static void rows_free(struct rows *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->name[i]);
	r->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* "time.rt.ISA.REASON.mean_ns" -> "ISA.REASON" (no ".l1." in it); false for other names. */
static bool reason_of(const char *name, char *key, size_t len)
{
	const char *p = name + strlen("time.rt.");
	size_t n;

	if (strncmp(name, "time.rt.", 8) || !ends_with(name, ".mean_ns") || strstr(name, ".l1."))
		return false;
	n = strlen(p) - strlen(".mean_ns");
	if (n >= len || memchr(p, '.', n) == NULL)
		return false;
	snprintf(key, len, "%.*s", (int)n, p);
	/* exactly ISA.REASON: the reason's own dots are '_' in metric names */
	return strchr(key, '.') == strrchr(key, '.');
}

/*
 * The rows of the columns of one L1: per reflected reason (ISA.REASON), the round trip's mean,
 * its parts, the exit multiplication, then per L1 exit reason its part of the multiplication and
 * its service time per round trip (L1 reasons sorted by name). Order: as the first result holds
 * them (nvmx bench run writes them in the breakdown's order).
 */
static int collect_rows(const struct nvmx_bench_matrix_col *cols, int n_cols, const char *l1,
			struct rows *out)
{
	struct rows reasons = { 0 };
	char key[256], name[512];
	int r = 0;

	for (int c = 0; c < n_cols && !r; c++) {
		if (strcmp(cols[c].l1, l1) || !cols[c].file)
			continue;
		json_object_object_foreach(cols[c].file->metrics, m, v)
		{
			(void)v;
			if (!r && reason_of(m, key, sizeof(key)))
				r = row_add(&reasons, key);
		}
	}
	for (int i = 0; i < reasons.n && !r; i++) {
		struct rows l1s = { 0 };
		size_t plen;

		snprintf(name, sizeof(name), "time.rt.%s.mean_ns", reasons.name[i]);
		r = row_add(out, name);
		snprintf(name, sizeof(name), "time.rt.%s.", reasons.name[i]);
		plen = strlen(name);
		for (int c = 0; c < n_cols && !r; c++) {
			if (strcmp(cols[c].l1, l1) || !cols[c].file)
				continue;
			json_object_object_foreach(cols[c].file->metrics, m, v)
			{
				const char *part = m + plen;

				(void)v;
				if (r || strncmp(m, name, plen) || strchr(part, '.') ||
				    !ends_with(part, "_ns") || !strcmp(part, "mean_ns") ||
				    !strcmp(part, "p50_ns") || !strcmp(part, "p99_ns"))
					continue;
				r = row_add(out, m);
			}
		}
		snprintf(name, sizeof(name), "ratio.mult.%s", reasons.name[i]);
		r = r ?: row_add(out, name);
		snprintf(name, sizeof(name), "ratio.mult.%s.l1.", reasons.name[i]);
		plen = strlen(name);
		for (int c = 0; c < n_cols && !r; c++) {
			if (strcmp(cols[c].l1, l1) || !cols[c].file)
				continue;
			json_object_object_foreach(cols[c].file->metrics, m, v)
			{
				(void)v;
				if (!r && !strncmp(m, name, plen))
					r = row_add(&l1s, m + plen);
			}
		}
		qsort(l1s.name, (size_t)l1s.n, sizeof(l1s.name[0]), cmp_str);
		for (int k = 0; k < l1s.n && !r; k++) {
			snprintf(name, sizeof(name), "ratio.mult.%s.l1.%s", reasons.name[i],
				 l1s.name[k]);
			r = row_add(out, name);
			snprintf(name, sizeof(name), "time.rt.%s.l1.%s.service_ns", reasons.name[i],
				 l1s.name[k]);
			r = r ?: row_add(out, name);
		}
		rows_free(&l1s);
	}
	rows_free(&reasons);
	return r;
}

/* What a row shows, from its metric name (the rows of collect_rows()). */
static void row_label(const char *name, char *buf, size_t len)
{
	char key[256], l1[128];
	const char *p;

	if (reason_of(name, key, sizeof(key))) {
		snprintf(buf, len, "**%s** round trip, mean", key);
	} else if (!strncmp(name, "ratio.mult.", 11) && (p = strstr(name, ".l1."))) {
		snprintf(buf, len, "%.*s: L1 `%s` per round trip", (int)(p - name - 11), name + 11,
			 p + 4);
	} else if (!strncmp(name, "ratio.mult.", 11)) {
		snprintf(buf, len, "%s: exit multiplication", name + 11);
	} else if (!strncmp(name, "time.rt.", 8) && (p = strstr(name, ".l1."))) {
		snprintf(l1, sizeof(l1), "%.*s", (int)(strlen(p + 4) - strlen(".service_ns")),
			 p + 4);
		snprintf(buf, len, "%.*s: L1 `%s` service per round trip", (int)(p - name - 8),
			 name + 8, l1);
	} else if (!strncmp(name, "time.rt.", 8) && (p = strrchr(name, '.'))) {
		snprintf(buf, len, "%.*s: `%s`", (int)(p - name - 8), name + 8, p + 1);
	} else {
		snprintf(buf, len, "`%s`", name);
	}
}

/* The label's Markdown in HTML: **x** bold, `x` code; the rest escaped. */
static void html_label(FILE *f, const char *label)
{
	char buf[512], *p = buf, *q;
	bool code = false, bold = false;

	snprintf(buf, sizeof(buf), "%s", label);
	while (*p) {
		q = p + strcspn(p, "`*");
		if (*q == '*' && q[1] != '*') {
			q++;
			continue;
		}
		{
			char c = *q;

			*q = 0;
			nvmx_bench_xml_escape(f, p);
			*q = c;
		}
		if (!*q)
			break;
		if (*q == '`') {
			fputs(code ? "</code>" : "<code>", f);
			code = !code;
			p = q + 1;
		} else {
			fputs(bold ? "</b>" : "<b>", f);
			bold = !bold;
			p = q + 2;
		}
	}
}

static bool has(const struct nvmx_bench_file *f, const char *name)
{
	return f && json_object_object_get_ex(f->metrics, name, NULL);
}

/*
 * One cell: cur's median of name, and when prev has it too, the change from prev's, marked when
 * compare's rules call it a change (verdict: up or down beyond the threshold).
 */
static void cell(FILE *md, FILE *html, const struct nvmx_bench_file *prev,
		 const struct nvmx_bench_file *cur, const char *name,
		 const struct nvmx_bench_rule *rules, int n_rules)
{
	struct nvmx_bench_verdict v;
	char val[32], chg[64] = "";
	const char *cls = "";

	if (!has(cur, name)) {
		if (md)
			fputs(" – |", md);
		if (html)
			fputs("<td class=\"none\">–</td>", html);
		return;
	}
	if (has(prev, name)) {
		nvmx_bench_compare_metric(prev, cur, name, rules, n_rules, &v);
		if (v.base)
			snprintf(chg, sizeof(chg), "%+.1f%%", 100 * (v.new - v.base) / v.base);
		else
			snprintf(chg, sizeof(chg), "from 0");
		cls = v.verdict > 0 ? "up" : v.verdict < 0 ? "down" : "";
	} else {
		nvmx_bench_compare_metric(cur, cur, name, rules, n_rules, &v);
		v.new = v.base;
	}
	nvmx_bench_fmt(v.kind, v.new, val, sizeof(val));
	if (md) {
		if (!chg[0])
			fprintf(md, " %s |", val);
		else if (*cls)
			fprintf(md, " %s (**%s** %s) |", val, chg, v.verdict > 0 ? "▲" : "▼");
		else
			fprintf(md, " %s (%s) |", val, chg);
	}
	if (html) {
		fprintf(html, "<td class=\"%s\">%s", cls, val);
		if (chg[0])
			fprintf(html, " <span class=\"chg\">(%s%s)</span>", chg,
				v.verdict > 0	? " ▲"
				: v.verdict < 0 ? " ▼"
						: "");
		fputs("</td>", html);
	}
}

static const char *env_of(const struct nvmx_bench_file *f, const char *key)
{
	struct json_object *v;

	if (!f || !f->env || !json_object_object_get_ex(f->env, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "?";
	return json_object_get_string(v);
}

static const char *wl_of(const struct nvmx_bench_file *f, const char *key, char *buf, size_t len)
{
	struct json_object *v;

	if (!f || !json_object_object_get_ex(f->workload, key, &v) || !v)
		return "?";
	snprintf(buf, len, "%s", json_object_get_string(v));
	return buf;
}

/* One L1's table: columns of that L1 in order, each compared with the one before it. */
static int write_l1(FILE *md, FILE *html, const struct nvmx_bench_matrix_col *cols, int n_cols,
		    const char *l1, const char *thresholds)
{
	struct nvmx_bench_rule(*rules)[NVMX_BENCH_MAX_RULES];
	int *n_rules, idx[64], n = 0, r = 0;
	const struct nvmx_bench_file *first = NULL;
	struct rows rows = { 0 };
	char label[512], a[256], b[256], c[256];

	for (int i = 0; i < n_cols && n < 64; i++)
		if (!strcmp(cols[i].l1, l1)) {
			idx[n++] = i;
			if (!first)
				first = cols[i].file;
		}
	rules = calloc((size_t)n, sizeof(*rules));
	n_rules = calloc((size_t)n, sizeof(*n_rules));
	if (!rules || !n_rules) {
		free(rules);
		free(n_rules);
		fprintf(stderr, "nvmx bench matrix: out of memory\n");
		return 2;
	}
	/* column k against the last column before it with a result, under their rules */
	for (int k = 0, prev = -1; k < n && !r; k++) {
		const struct nvmx_bench_file *cur = cols[idx[k]].file;

		if (!cur)
			continue;
		r = nvmx_bench_rules(prev >= 0 ? cols[idx[prev]].file : cur, cur, thresholds,
				     rules[k], &n_rules[k]);
		prev = k;
	}
	if (!r && collect_rows(cols, n_cols, l1, &rows)) {
		fprintf(stderr, "nvmx bench matrix: out of memory, or over %d rows\n", MAX_ROWS);
		r = 2;
	}
	if (r)
		goto out;
	if (md) {
		fprintf(md, "\n## L1: %s\n\n", l1);
		if (first)
			fprintf(md, "L1 `%s`; L2 workload `%s` x %s, %s, %s repeats.\n\n",
				env_of(first, "l1"), wl_of(first, "spec", a, sizeof(a)),
				wl_of(first, "iterations", b, sizeof(b)),
				wl_of(first, "clock", c, sizeof(c)),
				json_object_to_json_string(
					json_object_object_get(first->root, "repeats")));
		fputs("| |", md);
		for (int k = 0; k < n; k++)
			fprintf(md, " %s |", cols[idx[k]].kernel);
		fputs("\n|---|", md);
		for (int k = 0; k < n; k++)
			fputs("---:|", md);
		fputc('\n', md);
	}
	if (html) {
		fprintf(html, "<h2>L1: ");
		nvmx_bench_xml_escape(html, l1);
		fputs("</h2>\n", html);
		if (first) {
			fputs("<p>L1 <code>", html);
			nvmx_bench_xml_escape(html, env_of(first, "l1"));
			fputs("</code>; L2 workload <code>", html);
			nvmx_bench_xml_escape(html, wl_of(first, "spec", a, sizeof(a)));
			fprintf(html, "</code> x %s, ", wl_of(first, "iterations", b, sizeof(b)));
			nvmx_bench_xml_escape(html, wl_of(first, "clock", c, sizeof(c)));
			fprintf(html, ", %s repeats.</p>\n",
				json_object_to_json_string(
					json_object_object_get(first->root, "repeats")));
		}
		fputs("<table>\n<tr><th></th>", html);
		for (int k = 0; k < n; k++) {
			fputs("<th>", html);
			nvmx_bench_xml_escape(html, cols[idx[k]].kernel);
			fputs("</th>", html);
		}
		fputs("</tr>\n", html);
	}
	for (int i = 0; i < rows.n; i++) {
		row_label(rows.name[i], label, sizeof(label));
		if (md)
			fprintf(md, "| %s |", label);
		if (html) {
			fputs("<tr><th title=\"", html);
			nvmx_bench_xml_escape(html, rows.name[i]);
			fputs("\">", html);
			html_label(html, label);
			fputs("</th>", html);
		}
		for (int k = 0, prev = -1; k < n; k++) {
			const struct nvmx_bench_file *cur = cols[idx[k]].file;

			cell(md, html, prev >= 0 ? cols[idx[prev]].file : NULL, cur, rows.name[i],
			     rules[k], n_rules[k]);
			if (cur)
				prev = k;
		}
		if (md)
			fputc('\n', md);
		if (html)
			fputs("</tr>\n", html);
	}
	if (html)
		fputs("</table>\n<ul>\n", html);
	if (md)
		fputc('\n', md);
	/* what each column ran, or why it has no result: never a silent gap */
	for (int k = 0; k < n; k++) {
		const struct nvmx_bench_matrix_col *col = &cols[idx[k]];

		if (md && col->file)
			fprintf(md, "- %s: `%s` (%s)\n", col->kernel, env_of(col->file, "kernel"),
				col->file->path);
		else if (md)
			fprintf(md, "- %s: **no result**: %s\n", col->kernel,
				col->note ? col->note : "(no reason given)");
		if (html) {
			fputs("<li>", html);
			nvmx_bench_xml_escape(html, col->kernel);
			fputs(": ", html);
			if (col->file) {
				fputs("<code>", html);
				nvmx_bench_xml_escape(html, env_of(col->file, "kernel"));
				fputs("</code> (", html);
				nvmx_bench_xml_escape(html, col->file->path);
				fputs(")", html);
			} else {
				fputs("<b>no result</b>: ", html);
				nvmx_bench_xml_escape(html,
						      col->note ? col->note : "(no reason given)");
			}
			fputs("</li>\n", html);
		}
	}
	if (html)
		fputs("</ul>\n", html);
out:
	rows_free(&rows);
	free(rules);
	free(n_rules);
	return r;
}

int nvmx_bench_matrix_write(FILE *md, FILE *html, const struct nvmx_bench_matrix_col *cols,
			    int n_cols, const char *thresholds, const char *intro)
{
	const char *l1s[64];
	int n_l1 = 0, r = 0;

	for (int i = 0; i < n_cols; i++) {
		int k;

		for (k = 0; k < n_l1 && strcmp(l1s[k], cols[i].l1); k++)
			;
		if (k == n_l1 && n_l1 < 64)
			l1s[n_l1++] = cols[i].l1;
	}
	if (md) {
		fputs("# nvmx bench matrix\n\n", md);
		if (intro)
			fprintf(md, "%s\n", intro);
		fputs("Each cell: the median of the result's repeats; after the first kernel, the "
		      "change from the kernel before it, **bold** with ▲ or ▼ when `nvmx bench "
		      "compare`'s threshold for that metric calls it a change.\n",
		      md);
	}
	if (html) {
		fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<title>nvmx bench matrix</title>\n<style>\n"
		      "body { font-family: sans-serif; }\n"
		      "table { border-collapse: collapse; }\n"
		      "th, td { border: 1px solid #ccc; padding: 2px 6px; }\n"
		      "td { text-align: right; font-variant-numeric: tabular-nums; }\n"
		      "th { text-align: left; font-weight: normal; }\n"
		      "td.up { background: #fdd; font-weight: bold; }\n"
		      "td.down { background: #dfd; font-weight: bold; }\n"
		      ".chg { color: #555; }\n"
		      "</style>\n</head>\n<body>\n<h1>nvmx bench matrix</h1>\n",
		      html);
		if (intro) {
			fputs("<pre>", html);
			nvmx_bench_xml_escape(html, intro);
			fputs("</pre>\n", html);
		}
		fputs("<p>Each cell: the median of the result's repeats; after the first kernel, "
		      "the change from the kernel before it, marked ▲ (red) or ▼ (green) when "
		      "<code>nvmx bench compare</code>'s threshold for that metric calls it a "
		      "change.</p>\n",
		      html);
	}
	for (int k = 0; k < n_l1 && !r; k++)
		r = write_l1(md, html, cols, n_cols, l1s[k], thresholds);
	if (html)
		fputs("</body>\n</html>\n", html);
	return r;
}
