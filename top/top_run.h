/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One nvmxtop run: a source, its two latest samples and the display settings. The batch loop
 * (nvmxtop.c) and the TUI (top_tui.c) both refresh through top_run_sample() and build their
 * views with top_run_view(), so every mode shows the same numbers.
 */
#ifndef NVMX_TOP_RUN_H
#define NVMX_TOP_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "top_data.h"
#include "top_fmt.h"
#include "top_source.h"

struct top_run {
	struct top_source *src;
	struct top_sample prev, cur, next; /* next: the sample being taken */
	bool have_prev, have_cur;
	uint64_t first_ns; /* the source's time at the first sample */
	unsigned long refresh;
	double delay_s; /* between refreshes (wall time; trace time for a capture) */
	long count;	/* refreshes to show, 0: until the end or a signal */
	bool rate;	/* counts per second (TUI default) or totals */
	enum top_sort sort;
	bool reverse;
	struct top_filter filter;
	bool paused;
	bool no_color;
	bool l1_view; /* the L1-exit view (TUI key e; batch --l1-exits) */
	/*
	 * A retrying source (a remote nvmxd) whose last sample failed: the numbers shown are
	 * stale since stale_since (the first failure, wall clock; 0: fresh), stale says since when
	 * and why ("stale since HH:MM:SS: WHY"), and the next try comes backoff_s after this one.
	 */
	time_t stale_since;
	char stale[560];
	unsigned backoff_s;
};

/* The longest wait between two tries of a failing source: 1, 2, 4 .. 30 s. */
#define TOP_BACKOFF_MAX_S 30

extern volatile sig_atomic_t top_stopping;

/*
 * Takes the next sample (finish: the live source's last one, undecided exits ended). The first
 * call takes the baseline; 0 or a negative errno (src->why says why). A retrying source's
 * failure marks the run stale and doubles its backoff; a success makes it fresh again.
 */
int top_run_sample(struct top_run *r, bool finish);
int top_run_view(const struct top_run *r, struct top_view *v);
void top_run_where(const struct top_run *r, struct top_where *w);

/* The full-screen display; returns 0 when the user quits, or a negative errno. */
int top_tui_run(struct top_run *r);

#endif /* NVMX_TOP_RUN_H */
