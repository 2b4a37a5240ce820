/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxtop's text: the header and the table rows as strings, the same for the TUI (drawn with
 * ncurses) and the batch mode (printed), so both show the same numbers the same way.
 */
#ifndef NVMX_TOP_FMT_H
#define NVMX_TOP_FMT_H

#include <stdbool.h>
#include <stddef.h>

#include "top_data.h"

#define TOP_HEADER_LINES 3
#define TOP_LINE_MAX	 512

struct top_fmt {
	int width; /* columns available (the TUI's), or 0: the batch layout */
	bool rate; /* counts per second of the interval, else totals */
};

/* Where a refresh is: what the source is, its number, seconds since the first sample. */
struct top_where {
	const char *what;
	unsigned long refresh;
	double since_start_s;
	bool paused;
	const char *stale; /* "stale since HH:MM:SS: WHY" (top_run.h), NULL: fresh */
};

void top_fmt_header(const struct top_fmt *f, const struct top_view *v, const struct top_where *w,
		    char out[TOP_HEADER_LINES][TOP_LINE_MAX]);
void top_fmt_titles(const struct top_fmt *f, char *buf, size_t len);
/* One row: name as given (indented by the caller), then the columns of st. */
void top_fmt_row(const struct top_fmt *f, const struct top_view *v, const char *name,
		 const struct top_stats *st, char *buf, size_t len);
/*
 * The L1-exit view (TUI key e, --l1-exits): per VM and reflected reason, each L1 exit reason
 * inside its round trips: exits (per s in a rate display), exits per round trip, the mean L0
 * service time of one, and their summed service time.
 */
void top_fmt_l1_titles(const struct top_fmt *f, char *buf, size_t len);
void top_fmt_l1_row(const struct top_fmt *f, const struct top_view *v, const struct top_vm *vm,
		    const struct top_l1_row *r, char *buf, size_t len);

/* The VM row's name: "NAME (pid N)", or NAME when the pid is not known. */
void top_fmt_vm_name(const struct top_vm *vm, char *buf, size_t len);

#endif /* NVMX_TOP_FMT_H */
