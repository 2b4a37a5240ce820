// SPDX-License-Identifier: GPL-2.0
/* Replay: a captured trace through the attribution model (include/nvmx/model.h) into a summary. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/counters.h"
#include "nvmx/counted.h"
#include "nvmx/replay.h"
#include "trace_parse.h"

_Static_assert(NVMX_EV_ISA_VMX == NVMX_ISA_VMX && NVMX_EV_ISA_SVM == NVMX_ISA_SVM,
	       "events.h and summary.h must agree on the kernel's isa values");
_Static_assert(NVMX_MODEL_MSR_UNKNOWN == NVMX_MSR_UNKNOWN, "one 'unknown MSR' value");

struct thread {
	__u32 tid;
	struct nvmx_vcpu_state st;
};

struct nvmx_replay {
	const char *path;
	nvmx_replay_verdict_fn fn;
	void *ctx;
	struct nvmx_replay_stats stats;
	FILE *diag;
	struct nvmx_reader *rd;
	struct thread *threads;
	size_t n_threads, cap_threads;
	uint64_t last_ts;
	struct nvmx_line ahead; /* an event read but not yet due (at or after until_ns) */
	bool have_ahead;
	bool ended; /* END fed: nothing more comes */
};

static struct thread *thread_of(struct nvmx_replay *r, __u32 tid)
{
	struct thread *t;

	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].tid == tid)
			return &r->threads[i];
	if (r->n_threads == r->cap_threads) {
		size_t cap = r->cap_threads ? r->cap_threads * 2 : 8;

		t = realloc(r->threads, cap * sizeof(*t));
		if (!t)
			return NULL;
		r->threads = t;
		r->cap_threads = cap;
	}
	t = &r->threads[r->n_threads++];
	memset(t, 0, sizeof(*t)); /* NVMX_ST_UNKNOWN: we may have attached mid-stream */
	t->tid = tid;
	r->stats.threads++;
	return t;
}

static int step(struct nvmx_replay *r, struct thread *t, const struct nvmx_event *e)
{
	struct nvmx_verdicts out;
	int err;

	nvmx_model_step(&t->st, e, &out);
	for (__u32 i = 0; i < out.n; i++) {
		err = r->fn(r->ctx, t->tid, &out.v[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Lost events: which threads lost them is not known, so every thread becomes unknown. */
static int lose(struct nvmx_replay *r, uint64_t ts, uint32_t kind)
{
	struct nvmx_event e = { .ts_ns = ts, .kind = kind };
	int err;

	for (size_t i = 0; i < r->n_threads; i++) {
		e.tid = r->threads[i].tid;
		err = step(r, &r->threads[i], &e);
		if (err)
			return err;
	}
	return 0;
}

static int event(struct nvmx_replay *r, struct nvmx_event *e)
{
	struct thread *t = thread_of(r, e->tid);

	if (!t)
		return -ENOMEM;
	/* a "0x%x" reason name does not tell the isa: the thread's earlier records do */
	if (e->isa == NVMX_EV_ISA_UNKNOWN)
		e->isa = t->st.isa;
	if (!r->stats.events++)
		r->stats.first_ts_ns = e->ts_ns;
	r->last_ts = e->ts_ns;
	r->stats.last_ts_ns = e->ts_ns;
	return step(r, t, e);
}

int nvmx_replay_open(const char *path, FILE *diag, nvmx_replay_verdict_fn fn, void *ctx,
		     struct nvmx_replay **out)
{
	struct nvmx_replay *r;
	int err;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->path = path;
	r->diag = diag;
	r->fn = fn;
	r->ctx = ctx;
	err = nvmx_reader_open(path, &r->rd);
	if (err) {
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

/* Reads lines until an event (0, in r->ahead), the end (1) or an error; the rest is handled. */
static int read_ahead(struct nvmx_replay *r)
{
	struct nvmx_line *ln = &r->ahead;
	const char *line;
	long len;
	int err = 0;

	while ((len = nvmx_reader_next(r->rd, &line)) >= 0) {
		r->stats.lines++;
		nvmx_parse_line(line, (size_t)len, ln);
		switch (ln->type) {
		case NVMX_LINE_EVENT:
			r->have_ahead = true;
			return 0;
		case NVMX_LINE_LOST:
			r->stats.lost_events += ln->lost;
			r->stats.lost_markers++;
			err = lose(r, r->last_ts, NVMX_EV_LOST);
			break;
		case NVMX_LINE_ENTRIES:
			/*
			 * The ring buffer overwrote its oldest events: the loss is before the
			 * first line, where every thread starts unknown anyway.
			 */
			if (ln->lost) {
				r->stats.lost_events += ln->lost;
				r->stats.lost_markers++;
				err = lose(r, r->last_ts, NVMX_EV_LOST);
			}
			break;
		case NVMX_LINE_MALFORMED:
			r->stats.malformed++;
			if (r->diag)
				fprintf(r->diag, "%s:%" PRIu64 ": expected %s\n", r->path,
					r->stats.lines, ln->expected);
			break;
		case NVMX_LINE_SKIP:
			break;
		}
		if (err)
			return err;
	}
	if (len != -1) {
		/* a truncated or corrupt .xz: what was read counts, the rest is reported */
		r->stats.malformed++;
		if (r->diag)
			fprintf(r->diag, "%s:%" PRIu64 ": expected more data: %s\n", r->path,
				r->stats.lines + 1, strerror((int)-len));
	}
	return 1;
}

int nvmx_replay_next_ts(struct nvmx_replay *r, uint64_t *ts_ns)
{
	int err;

	if (!r->have_ahead && !r->ended) {
		err = read_ahead(r);
		if (err < 0)
			return err;
	}
	if (!r->have_ahead)
		return -ENODATA;
	*ts_ns = r->ahead.ev.ts_ns;
	return 0;
}

int nvmx_replay_until(struct nvmx_replay *r, uint64_t until_ns)
{
	int err;

	while (!r->ended) {
		if (!r->have_ahead) {
			err = read_ahead(r);
			if (err < 0)
				return err;
			if (err > 0) {
				/* exits still undecided when the capture ends are unattributed */
				r->ended = true;
				return lose(r, r->last_ts, NVMX_EV_END);
			}
		}
		if (r->ahead.ev.ts_ns >= until_ns)
			return 1;
		r->have_ahead = false;
		err = event(r, &r->ahead.ev);
		if (err)
			return err;
	}
	return 0;
}

uint64_t nvmx_replay_last_ts(const struct nvmx_replay *r)
{
	return r->last_ts;
}

const struct nvmx_replay_stats *nvmx_replay_get_stats(const struct nvmx_replay *r)
{
	return &r->stats;
}

void nvmx_replay_close(struct nvmx_replay *r)
{
	if (!r)
		return;
	nvmx_reader_close(r->rd);
	free(r->threads);
	free(r);
}

/* A capture does not say which process a thread belongs to: every thread counts as process 0. */
static int add_to_counters(void *ctx, uint32_t tid, const struct nvmx_verdict *v)
{
	return nvmx_counters_add_verdict(ctx, v, 0, tid);
}

int nvmx_replay_path(const char *path, struct nvmx_summary **out, struct nvmx_replay_stats *stats,
		     FILE *diag)
{
	struct nvmx_counters counts = { 0 };
	struct nvmx_summary *sum;
	struct nvmx_replay *r = NULL;
	int err;

	*out = NULL;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	sum = nvmx_summary_new();
	if (!sum)
		return -ENOMEM;
	err = nvmx_replay_open(path, diag, add_to_counters, &counts, &r);
	if (!err)
		err = nvmx_replay_until(r, UINT64_MAX);
	if (r && stats)
		*stats = r->stats;
	nvmx_replay_close(r);
	if (!err)
		err = nvmx_counters_to_summary(&counts, 0, 0, sum);
	nvmx_counters_free(&counts);
	if (err) {
		nvmx_summary_free(sum);
		return err;
	}
	*out = sum;
	return 0;
}
