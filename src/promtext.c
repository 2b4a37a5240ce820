// SPDX-License-Identifier: GPL-2.0
/* The Prometheus text and OpenMetrics exposition writer (src/promtext.h). */
#include <inttypes.h>
#include <string.h>

#include "promtext.h"

const char *prom_content_type(enum prom_format fmt)
{
	return fmt == PROM_OPENMETRICS
		       ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
		       : "text/plain; version=0.0.4; charset=utf-8";
}

enum prom_format prom_negotiate(const char *accept)
{
	/* Prometheus asks for OpenMetrics first (with a q=) and text/plain as the fallback */
	return accept && strstr(accept, "application/openmetrics-text") ? PROM_OPENMETRICS
									: PROM_TEXT;
}

/* HELP text: both formats want a backslash and a line feed escaped. */
static void write_help(FILE *f, const char *help)
{
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
}

void prom_family(struct prom_writer *w, const char *name, enum prom_type type, const char *unit,
		 const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "info" };
	const char *type_name = types[type];
	bool om = w->fmt == PROM_OPENMETRICS;

	/* OpenMetrics names a counter family without _total, the text format with it */
	if (type == PROM_COUNTER) {
		snprintf(w->sample, sizeof(w->sample), "%s_total", name);
		snprintf(w->family, sizeof(w->family), "%s", om ? name : w->sample);
	} else if (type == PROM_INFO) {
		snprintf(w->sample, sizeof(w->sample), "%s_info", name);
		snprintf(w->family, sizeof(w->family), "%s", om ? name : w->sample);
		/* the text format has no info type: a gauge of value 1 is the convention */
		if (!om)
			type_name = "gauge";
	} else {
		snprintf(w->sample, sizeof(w->sample), "%s", name);
		snprintf(w->family, sizeof(w->family), "%s", name);
	}
	fprintf(w->f, "# HELP %s ", w->family);
	write_help(w->f, help);
	fprintf(w->f, "\n# TYPE %s %s\n", w->family, type_name);
	if (om && unit)
		fprintf(w->f, "# UNIT %s %s\n", w->family, unit);
}

/*
 * The length of the well-formed UTF-8 sequence at p (1 to 4), or minus the length of its
 * longest ill-formed start (a "maximal subpart", replaced by one U+FFFD as Unicode recommends).
 */
static int utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int need, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 4;
	else
		return -1;
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	for (i = 1; i < need; i++) {
		if (p[i] < lo || p[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

void prom_label(char *labels, size_t len, const char *name, const char *value)
{
	static const char fffd[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)value;
	size_t n = strlen(labels), before = n;

	if (n + 1 >= len)
		return;
	n += (size_t)snprintf(labels + n, len - n, "%s%s=\"", n ? "," : "", name);
	/* no room for name="" whole: the label is left out, never half written (not a list) */
	if (n + 1 >= len) {
		labels[before] = '\0';
		return;
	}
	/*
	 * The escapes both formats define for label values; bytes that are not UTF-8 (a VM name
	 * from /proc/PID/cmdline may be anything) become U+FFFD, which keeps the exposition valid.
	 * A value cut short ends on a whole character, with room left for the closing quote.
	 */
	while (*p) {
		int l = utf8_len(p);
		const char *src = (const char *)p;
		size_t w = (size_t)(l > 0 ? l : 3);

		if (*p == '\\' || *p == '"' || *p == '\n')
			w = 2;
		if (n + w + 2 > len)
			break;
		if (*p == '\\' || *p == '"') {
			labels[n++] = '\\';
			labels[n++] = (char)*p;
		} else if (*p == '\n') {
			labels[n++] = '\\';
			labels[n++] = 'n';
		} else if (l < 0) {
			memcpy(labels + n, fffd, 3);
			n += 3;
		} else {
			memcpy(labels + n, src, w);
			n += w;
		}
		p += l > 0 ? l : -l;
	}
	if (n + 1 < len)
		labels[n++] = '"';
	labels[n] = '\0';
}

/* name{labels} (no braces without labels), then the value as the caller formats it */
static void series(struct prom_writer *w, const char *suffix, const char *labels)
{
	fprintf(w->f, "%s%s%s%s%s ", w->sample, suffix, *labels ? "{" : "", labels,
		*labels ? "}" : "");
}

void prom_sample_u64(struct prom_writer *w, const char *labels, uint64_t v)
{
	series(w, "", labels);
	fprintf(w->f, "%" PRIu64 "\n", v);
}

void prom_sample_i64(struct prom_writer *w, const char *labels, int64_t v)
{
	series(w, "", labels);
	fprintf(w->f, "%" PRId64 "\n", v);
}

/* %.17g: every double reads back as itself */
void prom_sample_double(struct prom_writer *w, const char *labels, double v)
{
	series(w, "", labels);
	fprintf(w->f, "%.17g\n", v);
}

void prom_histogram(struct prom_writer *w, const char *labels, const double *le,
		    const uint64_t *buckets, size_t n, uint64_t count, double sum)
{
	uint64_t cum = 0;

	for (size_t i = 0; i < n; i++) {
		char bound[32];

		cum += buckets[i];
		/* 10 digits: exact for bounds like 2^i ns in seconds, short enough to type in a query */
		if (i == n - 1)
			snprintf(bound, sizeof(bound), "+Inf");
		else
			snprintf(bound, sizeof(bound), "%.10g", le[i]);
		/* a bound needs no escaping: a number or +Inf */
		fprintf(w->f, "%s_bucket{%s%sle=\"%s\"} %" PRIu64 "\n", w->sample, labels,
			*labels ? "," : "", bound, cum);
	}
	series(w, "_count", labels);
	fprintf(w->f, "%" PRIu64 "\n", count);
	series(w, "_sum", labels);
	fprintf(w->f, "%.17g\n", sum);
}

void prom_end(struct prom_writer *w)
{
	if (w->fmt == PROM_OPENMETRICS)
		fputs("# EOF\n", w->f);
}
