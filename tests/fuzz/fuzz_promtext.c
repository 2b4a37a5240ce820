// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd's Prometheus writer (src/promtext.c) fed label values, HELP text and label-list sizes
 * from the fuzzer, in both formats (text 0.0.4 and OpenMetrics); its output is then parsed here
 * as Prometheus parses an exposition: every line a comment it knows or a sample `name{l="v",...}
 * value`, label values quoted with only \\, \" and \n escapes, the whole valid UTF-8, and a
 * value that was valid UTF-8 read back as itself whenever the label list had room for it.
 *
 * The input: byte 0 picks the format and the label list's size; the rest is split at NUL bytes
 * into the HELP text (made ASCII) and label values (the names are the writer's caller's, nvmx's
 * own, so they are made from the value's position, not from the fuzzer).
 */
#include <stdbool.h>

#include "fuzz_common.h"
#include "promtext.h"

/* Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned int c = s[i], need, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07;
		else
			return false;
		for (unsigned int k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

static void fail(const char *why, const char *line)
{
	fprintf(stderr, "fuzz_promtext: %s in line: %s\n", why, line);
	abort();
}

static const char *metric_name(const char *p, const char *line)
{
	if (!(*p == '_' || *p == ':' || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
		fail("no metric name", line);
	while (*p == '_' || *p == ':' || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') ||
	       (*p >= '0' && *p <= '9'))
		p++;
	return p;
}

/*
 * The labels at p (after '{'): each value decoded into values[i] (NUL-terminated, room for
 * the line's length); returns the position after '}'.
 */
static const char *labels(const char *p, const char *line, char **values, size_t *n)
{
	*n = 0;
	while (*p != '}') {
		char *out = values[*n];

		if (*n && *p++ != ',')
			fail("labels not separated by ','", line);
		if (!(*p == '_' || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
			fail("no label name", line);
		while (*p == '_' || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') ||
		       (*p >= '0' && *p <= '9'))
			p++;
		if (*p++ != '=' || *p++ != '"')
			fail("no =\" after a label name", line);
		for (; *p != '"'; p++) {
			if (!*p)
				fail("an unterminated label value", line);
			if (*p == '\\') {
				p++;
				if (*p == 'n')
					*out++ = '\n';
				else if (*p == '\\' || *p == '"')
					*out++ = *p;
				else
					fail("an escape other than \\\\, \\\" and \\n", line);
			} else {
				*out++ = *p;
			}
		}
		*out = '\0';
		p++;
		(*n)++;
	}
	return p + 1;
}

/* Every line of the exposition text, checked; the label values of the last sample line. */
static void check(char *text, size_t len, enum prom_format fmt, char **values, size_t *n_values)
{
	bool eof = false;

	if (!utf8_valid((const unsigned char *)text, len))
		fail("not UTF-8", text);
	if (memchr(text, '\0', len))
		fail("a NUL byte", text);
	for (char *line = text, *nl; *line; line = nl + 1) {
		const char *p;

		nl = strchr(line, '\n');
		if (!nl)
			fail("no line feed at the end", line);
		*nl = '\0';
		if (eof)
			fail("a line after # EOF", line);
		if (!strncmp(line, "# HELP ", 7)) {
			p = metric_name(line + 7, line);
			if (*p && *p != ' ')
				fail("HELP's name", line);
			for (; *p; p++)
				if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
					fail("a HELP escape other than \\\\ and \\n", line);
				else if (*p == '\\')
					p++;
		} else if (!strncmp(line, "# TYPE ", 7) || !strncmp(line, "# UNIT ", 7)) {
			p = metric_name(line + 7, line);
			if (*p != ' ')
				fail("TYPE's name", line);
		} else if (!strcmp(line, "# EOF")) {
			if (fmt != PROM_OPENMETRICS)
				fail("# EOF in the text format", line);
			eof = true;
		} else {
			char *end;

			p = metric_name(line, line);
			*n_values = 0;
			if (*p == '{')
				p = labels(p + 1, line, values, n_values);
			if (*p++ != ' ')
				fail("no space before the value", line);
			if (strcmp(p, "+Inf") && strcmp(p, "-Inf") && strcmp(p, "NaN")) {
				(void)strtod(p, &end);
				if (end == p || *end)
					fail("not a number", line);
			}
		}
		*nl = '\n';
	}
	if (fmt == PROM_OPENMETRICS && !eof)
		fail("no # EOF", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "vm", "reason", "outcome", "isa", "msr", "port" };
	static const double le[] = { 1e-6, 0.001, 1 };
	static const uint64_t buckets[] = { 1, 2, 3, 4 };
	char *in, *field[8], *out = NULL, **values;
	size_t n_field = 0, cap, out_len = 0, n_values = 0;
	struct prom_writer w;
	char *lab, *help = "";
	FILE *f;

	if (size < 1)
		return 0;
	w.fmt = data[0] & 1 ? PROM_OPENMETRICS : PROM_TEXT;
	/* from a list too short for one label to one with room for every value escaped */
	cap = data[0] & 2 ? 1 + (data[0] >> 2) : 16 + size * 8;
	in = fuzz_strndup(data + 1, size - 1);
	for (char *p = in; n_field < 8;) {
		field[n_field++] = p;
		p += strlen(p);
		if (p >= in + size - 1)
			break;
		p++;
	}
	/* HELP texts are nvmx's own, ASCII: only their escaping is the fuzzer's */
	if (n_field > 1) {
		help = field[0];
		for (char *p = help; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	}
	lab = calloc(1, cap);
	values = calloc(8, sizeof(*values));
	for (size_t i = 0; i < 8; i++)
		values[i] = calloc(1, 4 * size + 64);
	if (!lab || !values)
		abort();
	for (size_t i = n_field > 1; i < n_field; i++)
		prom_label(lab, cap, names[i % 6], field[i]);
	if (strlen(lab) >= cap)
		fail("the label list overran its buffer", lab);

	f = open_memstream(&out, &out_len);
	if (!f)
		abort();
	w.f = f;
	prom_family(&w, "nvmx_fuzz", PROM_COUNTER, NULL, help);
	prom_sample_u64(&w, lab, 1);
	prom_family(&w, "nvmx_fuzz_seconds", PROM_HISTOGRAM, "seconds", help);
	prom_histogram(&w, lab, le, buckets, 4, 10, 0.5);
	prom_family(&w, "nvmx_fuzz_build", PROM_INFO, NULL, help);
	prom_sample_double(&w, lab, 1);
	prom_end(&w);
	if (fclose(f))
		abort();
	check(out, out_len, w.fmt, values, &n_values);

	/* with room for everything, every valid value reads back as itself */
	if (!(data[0] & 2)) {
		if (n_values != n_field - (n_field > 1))
			fail("labels lost", out);
		for (size_t i = 0; i < n_values; i++) {
			const char *v = field[i + (n_field > 1)];

			if (utf8_valid((const unsigned char *)v, strlen(v)) && strcmp(values[i], v))
				fail("a label value does not read back", out);
		}
	}
	for (size_t i = 0; i < 8; i++)
		free(values[i]);
	free(values);
	free(lab);
	free(out);
	free(in);
	return 0;
}
