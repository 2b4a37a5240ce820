// SPDX-License-Identifier: GPL-2.0
/* One nvmxtop run's refreshes (top_run.h): shared by the batch loop, the TUI and the bench. */
#include <stdio.h>

#include "top_run.h"

volatile sig_atomic_t top_stopping;

int top_run_sample(struct top_run *r, bool finish)
{
	struct top_sample tmp;
	int err;

	/* into a third sample: a failed one leaves the last two as they were */
	top_sample_reset(&r->next);
	err = finish ? r->src->ops->finish(r->src, &r->next)
		     : r->src->ops->sample(r->src, &r->next);
	if (err && r->src->retry) {
		struct tm tm;
		char hms[16] = "?";

		if (!r->stale_since) {
			r->stale_since = time(NULL);
			r->backoff_s = 1;
		} else if (r->backoff_s < TOP_BACKOFF_MAX_S) {
			r->backoff_s = r->backoff_s * 2 < TOP_BACKOFF_MAX_S ? r->backoff_s * 2
									    : TOP_BACKOFF_MAX_S;
		}
		if (localtime_r(&r->stale_since, &tm))
			strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		/* the latest reason: the first one may have changed (refused, then timed out) */
		snprintf(r->stale, sizeof(r->stale), "stale since %s: %s", hms, r->src->why);
	}
	if (err)
		return err;
	r->stale_since = 0;
	r->stale[0] = '\0';
	r->backoff_s = 0;
	tmp = r->prev;
	r->prev = r->cur;
	r->cur = r->next;
	r->next = tmp;
	if (!r->have_cur) {
		r->first_ns = r->cur.time_ns;
	} else {
		r->have_prev = true;
		r->refresh++;
	}
	r->have_cur = true;
	return 0;
}

int top_run_view(const struct top_run *r, struct top_view *v)
{
	return top_view_build(v, r->have_prev ? &r->prev : NULL, &r->cur, &r->filter, r->sort,
			      r->reverse, r->rate);
}

void top_run_where(const struct top_run *r, struct top_where *w)
{
	w->what = r->src->what;
	w->refresh = r->refresh;
	w->since_start_s = (double)(r->cur.time_ns - r->first_ns) / 1e9;
	w->paused = r->paused;
	w->stale = r->stale[0] ? r->stale : NULL;
}
