// SPDX-License-Identifier: GPL-2.0
/*
 * The exposition writer (src/promtext.h) on its own, exact text: how each type names its family
 * and samples in either format, what is escaped, how a histogram is made cumulative.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promtext.h"

struct out {
	struct prom_writer w;
	char *text;
	size_t len;
};

static void out_open(struct out *o, enum prom_format fmt)
{
	o->text = NULL;
	o->w = (struct prom_writer){ .f = open_memstream(&o->text, &o->len), .fmt = fmt };
	cr_assert_not_null(o->w.f);
}

/* Closes the stream and expects exactly want. */
static void expect_text(struct out *o, const char *want)
{
	fclose(o->w.f);
	cr_expect_str_eq(o->text, want);
	free(o->text);
}

Test(promtext, counter_family_has_total_in_text_only)
{
	struct out o;

	out_open(&o, PROM_TEXT);
	prom_family(&o.w, "x_seconds", PROM_COUNTER, "seconds", "Time.");
	prom_sample_double(&o.w, "", 0.5);
	expect_text(&o, "# HELP x_seconds_total Time.\n"
			"# TYPE x_seconds_total counter\n"
			"x_seconds_total 0.5\n");
	out_open(&o, PROM_OPENMETRICS);
	prom_family(&o.w, "x_seconds", PROM_COUNTER, "seconds", "Time.");
	prom_sample_double(&o.w, "", 0.5);
	prom_end(&o.w);
	expect_text(&o, "# HELP x_seconds Time.\n"
			"# TYPE x_seconds counter\n"
			"# UNIT x_seconds seconds\n"
			"x_seconds_total 0.5\n"
			"# EOF\n");
}

Test(promtext, info_is_a_gauge_in_text)
{
	struct out o;

	out_open(&o, PROM_TEXT);
	prom_family(&o.w, "b", PROM_INFO, NULL, "Build.");
	prom_sample_u64(&o.w, "version=\"1\"", 1);
	prom_end(&o.w);
	expect_text(&o, "# HELP b_info Build.\n# TYPE b_info gauge\nb_info{version=\"1\"} 1\n");
	out_open(&o, PROM_OPENMETRICS);
	prom_family(&o.w, "b", PROM_INFO, NULL, "Build.");
	expect_text(&o, "# HELP b Build.\n# TYPE b info\n");
}

Test(promtext, label_values_escaped)
{
	char l[64] = "";

	prom_label(l, sizeof(l), "a", "x");
	prom_label(l, sizeof(l), "b", "q\"b\\s\nn");
	cr_expect_str_eq(l, "a=\"x\",b=\"q\\\"b\\\\s\\nn\"");
}

Test(promtext, label_list_cut_short_not_overrun)
{
	char l[12] = "";

	prom_label(l, sizeof(l), "name", "a long value");
	cr_expect_lt(strlen(l), sizeof(l));
}

/* A label that cannot be written whole is left out: `reason=` alone broke the exposition. */
Test(promtext, a_label_without_room_is_left_out)
{
	char l[8] = "";

	prom_label(l, sizeof(l), "reason", "io");
	cr_expect_str_eq(l, "");
	prom_label(l, sizeof(l), "vm", "a");
	cr_expect_str_eq(l, "vm=\"a\"");
	prom_label(l, sizeof(l), "isa", "svm");
	cr_expect_str_eq(l, "vm=\"a\"");
}

Test(promtext, help_escaped)
{
	struct out o;

	out_open(&o, PROM_TEXT);
	prom_family(&o.w, "g", PROM_GAUGE, NULL, "a\\b\nc");
	prom_sample_i64(&o.w, "", -1);
	expect_text(&o, "# HELP g a\\\\b\\nc\n# TYPE g gauge\ng -1\n");
}

Test(promtext, histogram_cumulative_with_inf)
{
	static const double le[] = { 0.001, 0.002 };
	static const uint64_t buckets[] = { 1, 0, 2 };
	struct out o;

	out_open(&o, PROM_TEXT);
	prom_family(&o.w, "h_seconds", PROM_HISTOGRAM, "seconds", "H.");
	prom_histogram(&o.w, "k=\"v\"", le, buckets, 3, 3, 0.25);
	prom_histogram(&o.w, "", le, buckets, 3, 3, 0.25);
	expect_text(&o, "# HELP h_seconds H.\n"
			"# TYPE h_seconds histogram\n"
			"h_seconds_bucket{k=\"v\",le=\"0.001\"} 1\n"
			"h_seconds_bucket{k=\"v\",le=\"0.002\"} 1\n"
			"h_seconds_bucket{k=\"v\",le=\"+Inf\"} 3\n"
			"h_seconds_count{k=\"v\"} 3\n"
			"h_seconds_sum{k=\"v\"} 0.25\n"
			"h_seconds_bucket{le=\"0.001\"} 1\n"
			"h_seconds_bucket{le=\"0.002\"} 1\n"
			"h_seconds_bucket{le=\"+Inf\"} 3\n"
			"h_seconds_count 3\n"
			"h_seconds_sum 0.25\n");
}

Test(promtext, negotiate)
{
	cr_expect_eq(prom_negotiate(NULL), PROM_TEXT);
	cr_expect_eq(prom_negotiate("text/plain;version=0.0.4"), PROM_TEXT);
	cr_expect_eq(prom_negotiate("application/openmetrics-text;version=1.0.0;q=0.5,"
				    "text/plain;q=0.4"),
		     PROM_OPENMETRICS);
	cr_expect_str_eq(prom_content_type(PROM_TEXT), "text/plain; version=0.0.4; charset=utf-8");
}

/* A VM name comes from /proc/PID/cmdline and may be any bytes: label values must stay UTF-8. */
Test(promtext, invalid_utf8_in_a_label_value_becomes_u_fffd)
{
	char l[128] = "";

	prom_label(l, sizeof(l), "vm", "bad\xff\xfename");
	cr_expect_str_eq(l, "vm=\"bad\xef\xbf\xbd\xef\xbf\xbdname\"");
	l[0] = '\0';
	/* valid multi-byte sequences are kept; a truncated one and an overlong one are not */
	prom_label(l, sizeof(l), "vm", "caf\xc3\xa9 \xe2\x82 \xc0\xaf");
	cr_expect_str_eq(l, "vm=\"caf\xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\"");
	l[0] = '\0';
	/* a surrogate (ED A0 80) is not UTF-8 either; a 4-byte emoji is */
	prom_label(l, sizeof(l), "vm", "\xed\xa0\x80\xf0\x9f\x98\x80");
	cr_expect_str_eq(l, "vm=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xf0\x9f\x98\x80\"");
}

/* Cutting a label list short never splits a multi-byte character. */
Test(promtext, a_cut_label_value_stays_utf8)
{
	char l[12] = "";

	prom_label(l, sizeof(l), "vm", "ab\xc3\xa9\xc3\xa9\xc3\xa9");
	cr_expect_str_eq(l, "vm=\"ab\xc3\xa9\xc3\xa9\"");
}
