/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmx report's rows, shared by its text and JSON (report.c) and its HTML page (report_html.c):
 * every number of a row is derived once, in report.c's rows_of(), through lib's derive.h and
 * breakdown.h, and every view prints those.
 */
#ifndef NVMX_CLI_REPORT_H
#define NVMX_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nvmx/breakdown.h"

struct row {
	uint32_t isa, reason;
	const char *handler; /* "L1", "L0", "L0>VMM" */
	uint64_t count, ns;
	double mean, p50, p99;
	double part_share[NVMX_RT_PARTS]; /* share (0..1) of the round trip; L1 rows only */
	double mult;			  /* exit multiplication; L1 rows only */
	double l0_exits;		  /* L0 exits per round trip; L1 rows only */
	bool round_trip;
	uint64_t cycles_count; /* round trips with cycle figures */
	double mean_cycles;
	const struct nvmx_bd_entry *e; /* its breakdown entry (L1 rows: L1's exits by reason) */
};

/* The text labels of the round-trip parts (docs/model.md's glossary), index NVMX_RT_* */
extern const char *const nvmx_report_part_label[NVMX_RT_PARTS];

/*
 * The report as one self-contained HTML page (no network: inline CSS and SVG) on f: the Turtles
 * breakdown as stacked bars and the latency histograms; with two sides (--diff), A and B side by
 * side on one scale. name[i], r[i], n[i]: side i's file and rows. 0, -ENOMEM
 * or -EIO.
 */
int nvmx_report_html(FILE *f, int sides, const char *const *name, const struct row *const *r,
		     const size_t *n);

#endif
