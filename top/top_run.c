// SPDX-License-Identifier: GPL-2.0
/* One nvmxtop run's refreshes (top_run.h): shared by the batch loop, the TUI and the bench. */
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
	if (err)
		return err;
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
}
