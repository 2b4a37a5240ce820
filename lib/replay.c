// SPDX-License-Identifier: GPL-2.0
/* Replay: a captured trace through the attribution model (include/nvmx/model.h) into a summary. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
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

struct replay {
	const char *path;
	struct nvmx_summary *sum;
	struct nvmx_replay_stats *stats;
	FILE *diag;
	struct thread *threads;
	size_t n_threads, cap_threads;
};

static struct thread *thread_of(struct replay *r, __u32 tid)
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
	r->stats->threads++;
	return t;
}

static int step(struct replay *r, struct thread *t, const struct nvmx_event *e)
{
	struct nvmx_verdicts out;
	int err;

	nvmx_model_step(&t->st, e, &out);
	for (__u32 i = 0; i < out.n; i++) {
		err = nvmx_summary_add_verdict(r->sum, &out.v[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Lost events: which threads lost them is not known, so every thread becomes unknown. */
static int lose(struct replay *r, uint64_t ts, uint32_t kind)
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

static int event(struct replay *r, struct nvmx_event *e)
{
	struct thread *t = thread_of(r, e->tid);

	if (!t)
		return -ENOMEM;
	/* a "0x%x" reason name does not tell the isa: the thread's earlier records do */
	if (e->isa == NVMX_EV_ISA_UNKNOWN)
		e->isa = t->st.isa;
	r->stats->events++;
	return step(r, t, e);
}

int nvmx_replay_path(const char *path, struct nvmx_summary **out, struct nvmx_replay_stats *stats,
		     FILE *diag)
{
	struct nvmx_replay_stats dummy;
	struct replay r = { .path = path, .diag = diag };
	struct nvmx_reader *rd = NULL;
	uint64_t last_ts = 0;
	struct nvmx_line ln;
	const char *line;
	long len;
	int err;

	*out = NULL;
	r.stats = stats ? stats : &dummy;
	memset(r.stats, 0, sizeof(*r.stats));
	err = nvmx_reader_open(path, &rd);
	if (err)
		return err;
	r.sum = nvmx_summary_new();
	if (!r.sum) {
		err = -ENOMEM;
		goto out;
	}
	while ((len = nvmx_reader_next(rd, &line)) >= 0) {
		r.stats->lines++;
		nvmx_parse_line(line, (size_t)len, &ln);
		switch (ln.type) {
		case NVMX_LINE_EVENT:
			last_ts = ln.ev.ts_ns;
			err = event(&r, &ln.ev);
			break;
		case NVMX_LINE_LOST:
			r.stats->lost_events += ln.lost;
			r.stats->lost_markers++;
			err = lose(&r, last_ts, NVMX_EV_LOST);
			break;
		case NVMX_LINE_ENTRIES:
			/*
			 * The ring buffer overwrote its oldest events: the loss is before the
			 * first line, where every thread starts unknown anyway.
			 */
			if (ln.lost) {
				r.stats->lost_events += ln.lost;
				r.stats->lost_markers++;
				err = lose(&r, last_ts, NVMX_EV_LOST);
			}
			break;
		case NVMX_LINE_MALFORMED:
			r.stats->malformed++;
			if (diag)
				fprintf(diag, "%s:%" PRIu64 ": expected %s\n", path, r.stats->lines,
					ln.expected);
			break;
		case NVMX_LINE_SKIP:
			break;
		}
		if (err)
			goto out;
	}
	if (len != -1) {
		/* a truncated or corrupt .xz: what was read counts, the rest is reported */
		r.stats->malformed++;
		if (diag)
			fprintf(diag, "%s:%" PRIu64 ": expected more data: %s\n", path,
				r.stats->lines + 1, strerror((int)-len));
	}
	/* exits still undecided when the capture ends are unattributed, not guessed */
	err = lose(&r, last_ts, NVMX_EV_END);
out:
	nvmx_reader_close(rd);
	free(r.threads);
	if (err) {
		nvmx_summary_free(r.sum);
		return err;
	}
	*out = r.sum;
	return 0;
}
