// SPDX-License-Identifier: GPL-2.0
/* Replay: a captured trace through the attribution model (include/nvmx/model.h) into a summary. */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/input.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/counters.h"
#include "nvmx/counted.h"
#include "nvmx/replay.h"
#include "trace_parse.h"

_Static_assert(NVMX_EV_ISA_VMX == NVMX_ISA_VMX && NVMX_EV_ISA_SVM == NVMX_ISA_SVM &&
		       NVMX_EV_ISA_ARM64 == NVMX_ISA_ARM64,
	       "events.h and summary.h must agree on the isa values");
_Static_assert(NVMX_MODEL_MSR_UNKNOWN == NVMX_MSR_UNKNOWN, "one 'unknown MSR' value");

struct thread {
	__u32 tid;
	struct nvmx_vcpu_state st;
	/* who the thread is, from its lines: the filter's input */
	char task[NVMX_LINE_TASK_LEN + 1];
	__u32 tgid;    /* 0: no line said */
	__u32 vcpu_id; /* NVMX_EV_VCPU_ID_NONE: no line said */
	int match;     /* the filter's answer for what is known so far: -1 not asked yet */
	bool kept;     /* counted in matched_threads */
};

struct nvmx_replay {
	const char *path;
	nvmx_replay_verdict_fn fn;
	void *ctx;
	struct nvmx_replay_filter filter; /* vm NULL, vcpu -1: every thread */
	struct nvmx_replay_stats stats;
	FILE *diag;
	struct nvmx_reader *rd;
	struct thread *threads; /* in the order first seen */
	size_t n_threads, cap_threads;
	size_t *slots; /* a hash of tids: index + 1 into threads, 0 free; n_slots a power of 2 */
	size_t n_slots;
	uint64_t last_ts;
	struct nvmx_line ahead; /* an event read but not yet due (at or after until_ns) */
	bool have_ahead;
	bool ended; /* END fed: nothing more comes */
};

static size_t tid_hash(__u32 tid, size_t n_slots)
{
	return (size_t)((tid * 2654435761u) & (n_slots - 1)); /* Knuth's multiplicative hash */
}

/* Doubles the hash (at half full): the threads' slots again. */
static int grow_slots(struct nvmx_replay *r)
{
	size_t n = r->n_slots ? r->n_slots * 2 : 64;
	size_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_threads; i++) {
		size_t h = tid_hash(r->threads[i].tid, n);

		while (slots[h])
			h = (h + 1) & (n - 1);
		slots[h] = i + 1;
	}
	free(r->slots);
	r->slots = slots;
	r->n_slots = n;
	return 0;
}

static struct thread *thread_of(struct nvmx_replay *r, __u32 tid)
{
	struct thread *t;
	size_t h;

	if (r->n_slots) {
		for (h = tid_hash(tid, r->n_slots); r->slots[h]; h = (h + 1) & (r->n_slots - 1))
			if (r->threads[r->slots[h] - 1].tid == tid)
				return &r->threads[r->slots[h] - 1];
	}
	if ((r->n_threads + 1) * 2 > r->n_slots && grow_slots(r))
		return NULL;
	if (r->n_threads == r->cap_threads) {
		size_t cap = r->cap_threads ? r->cap_threads * 2 : 8;

		t = realloc(r->threads, cap * sizeof(*t));
		if (!t)
			return NULL;
		r->threads = t;
		r->cap_threads = cap;
	}
	for (h = tid_hash(tid, r->n_slots); r->slots[h]; h = (h + 1) & (r->n_slots - 1))
		;
	r->slots[h] = r->n_threads + 1;
	t = &r->threads[r->n_threads++];
	memset(t, 0, sizeof(*t)); /* NVMX_ST_UNKNOWN: we may have attached mid-stream */
	t->tid = tid;
	t->vcpu_id = NVMX_EV_VCPU_ID_NONE;
	t->match = -1;
	r->stats.threads++;
	return t;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Whether the filter keeps thread t, on what its lines said so far (cached until they say more). */
static bool thread_matches(struct nvmx_replay *r, struct thread *t)
{
	const struct nvmx_replay_filter *f = &r->filter;
	bool m = true;

	if (t->match >= 0)
		return t->match;
	if (f->vm && all_digits(f->vm))
		m = t->tgid && strtoull(f->vm, NULL, 10) == t->tgid;
	else if (f->vm)
		m = !fnmatch(f->vm, t->task, 0);
	if (m && f->vcpu >= 0)
		m = t->vcpu_id != NVMX_EV_VCPU_ID_NONE && (int64_t)t->vcpu_id == f->vcpu;
	t->match = m;
	return m;
}

static int step(struct nvmx_replay *r, struct thread *t, const struct nvmx_event *e)
{
	struct nvmx_verdicts out;
	int err;

	nvmx_model_step(&t->st, e, &out);
	if (!thread_matches(r, t))
		return 0; /* filtered out: its verdicts are not counted */
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

/* What the line tells of its thread: its TASK, TGID and vCPU, when it says them. */
static void learn(struct thread *t, const struct nvmx_line *ln)
{
	if (ln->task[0] && strcmp(t->task, ln->task)) {
		memcpy(t->task, ln->task, sizeof(t->task));
		t->match = -1;
	}
	if (ln->tgid && t->tgid != ln->tgid) {
		t->tgid = ln->tgid;
		t->match = -1;
	}
	if (ln->ev.vcpu_id != NVMX_EV_VCPU_ID_NONE && t->vcpu_id != ln->ev.vcpu_id) {
		t->vcpu_id = ln->ev.vcpu_id;
		t->match = -1;
	}
}

static int event(struct nvmx_replay *r, struct nvmx_line *ln)
{
	struct nvmx_event *e = &ln->ev;
	struct thread *t = thread_of(r, e->tid);

	if (!t)
		return -ENOMEM;
	learn(t, ln);
	if (nvmx_replay_filter_active(&r->filter) && thread_matches(r, t)) {
		r->stats.matched_events++;
		if (!t->kept) {
			t->kept = true;
			r->stats.matched_threads++;
		}
	}
	/* a "0x%x" reason name does not tell the isa: the thread's earlier records do */
	if (e->isa == NVMX_EV_ISA_UNKNOWN)
		e->isa = t->st.isa;
	if (!r->stats.events++)
		r->stats.first_ts_ns = e->ts_ns;
	r->last_ts = e->ts_ns;
	r->stats.last_ts_ns = e->ts_ns;
	return step(r, t, e);
}

static int replay_open_input(struct nvmx_input *in, const char *path, FILE *diag,
			     nvmx_replay_verdict_fn fn, void *ctx, struct nvmx_replay **out)
{
	struct nvmx_replay *r;
	int err;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		nvmx_input_close(in);
		return -ENOMEM;
	}
	r->path = path;
	r->diag = diag;
	r->fn = fn;
	r->ctx = ctx;
	r->filter.vcpu = -1;
	err = nvmx_reader_open_input(in, &r->rd);
	if (err) {
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

int nvmx_replay_open(const char *path, FILE *diag, nvmx_replay_verdict_fn fn, void *ctx,
		     struct nvmx_replay **out)
{
	struct nvmx_input *in;
	int err = nvmx_input_open(path, &in);

	*out = NULL;
	return err ? err : replay_open_input(in, path, diag, fn, ctx, out);
}

/* Reads lines until an event (0, in r->ahead), the end (1) or an error; the rest is handled. */
static int read_ahead(struct nvmx_replay *r)
{
	struct nvmx_line *ln = &r->ahead;
	int len;
	int err = 0;

	while ((len = nvmx_reader_next_record(r->rd, ln)) >= 0) {
		r->stats.lines++;
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
			if (r->stats.malformed < NVMX_REPLAY_KEPT_MALFORMED) {
				struct nvmx_replay_malformed *m =
					&r->stats.first_malformed[r->stats.malformed];

				m->line = r->stats.lines;
				snprintf(m->expected, sizeof(m->expected), "%s", ln->expected);
			}
			r->stats.malformed++;
			break;
		case NVMX_LINE_SKIP:
			break;
		}
		if (err)
			return err;
	}
	/* I/O, memory, a truncated or corrupt .xz, a line too long: the capture cannot be read */
	if (len != -1)
		return (int)len;
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
				if (r->diag)
					nvmx_replay_write_malformed(r->diag, r->path, &r->stats);
				return lose(r, r->last_ts, NVMX_EV_END);
			}
		}
		if (r->ahead.ev.ts_ns >= until_ns)
			return 1;
		r->have_ahead = false;
		err = event(r, &r->ahead);
		if (err)
			return err;
	}
	return 0;
}

void nvmx_replay_set_filter(struct nvmx_replay *r, const struct nvmx_replay_filter *f)
{
	r->filter.vm = f ? f->vm : NULL;
	r->filter.vcpu = f ? f->vcpu : -1;
}

/* "TASK-TID (pid P, vCPU N), ..." of every thread seen, as much as fits. */
static void list_threads(const struct nvmx_replay *r, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n_threads; i++) {
		const struct thread *t = &r->threads[i];
		char item[96], pid[24] = "", vcpu[24] = "";
		int w;

		if (t->tgid)
			snprintf(pid, sizeof(pid), "pid %" PRIu32 ", ", t->tgid);
		if (t->vcpu_id != NVMX_EV_VCPU_ID_NONE)
			snprintf(vcpu, sizeof(vcpu), "vCPU %" PRIu32, t->vcpu_id);
		else
			snprintf(vcpu, sizeof(vcpu), "vCPU not known");
		snprintf(item, sizeof(item), "%s%s-%" PRIu32 " (%s%s)", i ? ", " : "",
			 t->task[0] ? t->task : "<...>", t->tid, pid, vcpu);
		/* room for ", ... and N more" */
		if (n + strlen(item) + 32 >= len) {
			snprintf(buf + n, len - n, ", ... and %zu more", r->n_threads - i);
			return;
		}
		w = snprintf(buf + n, len - n, "%s", item);
		n += (size_t)w;
	}
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
	free(r->slots);
	free(r);
}

/*
 * A capture does not say which process a thread belongs to: every thread counts as process 0.
 * The summary is of the whole capture, so the counters' keys need no thread either: with one
 * key per thread, their linear lookup made 100k threads quadratic (minutes).
 */
static int add_to_counters(void *ctx, uint32_t tid, const struct nvmx_verdict *v)
{
	(void)tid;
	return nvmx_counters_add_verdict(ctx, v, 0, 0);
}

int nvmx_replay_path(const char *path, struct nvmx_summary **out, struct nvmx_replay_stats *stats,
		     FILE *diag)
{
	struct nvmx_input *in;
	int err;

	*out = NULL;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	err = nvmx_input_open(path, &in);
	return err ? err : nvmx_replay_input(in, path, NULL, out, stats, diag);
}

/* The filter as the summary keeps it (JSON "filter"), with what it kept. */
static void summary_filter(struct nvmx_summary *sum, const struct nvmx_replay_filter *f,
			   const struct nvmx_replay_stats *st)
{
	struct nvmx_summary_filter sf = { .vcpu = f->vcpu };

	if (f->vm)
		snprintf(sf.vm, sizeof(sf.vm), "%s", f->vm);
	sf.threads = st->matched_threads;
	sf.events = st->matched_events;
	nvmx_summary_set_filter(sum, &sf);
}

int nvmx_replay_input(struct nvmx_input *in, const char *path,
		      const struct nvmx_replay_filter *filter, struct nvmx_summary **out,
		      struct nvmx_replay_stats *stats, FILE *diag)
{
	struct nvmx_counters counts = { 0 };
	struct nvmx_summary *sum;
	struct nvmx_replay *r = NULL;
	int err;

	*out = NULL;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	sum = nvmx_summary_new();
	if (!sum) {
		nvmx_input_close(in);
		return -ENOMEM;
	}
	err = replay_open_input(in, path, diag, add_to_counters, &counts, &r);
	if (!err) {
		nvmx_replay_set_filter(r, filter);
		err = nvmx_replay_until(r, UINT64_MAX);
	}
	if (!err && nvmx_replay_filter_active(filter) && !r->stats.matched_threads) {
		list_threads(r, r->stats.seen, sizeof(r->stats.seen));
		for (size_t i = 0; i < r->n_threads; i++)
			r->stats.seen_with_pid += r->threads[i].tgid != 0;
		err = -ESRCH;
	}
	if (r && stats)
		*stats = r->stats;
	/* lost events: which threads lost them is not known; a filtered summary keeps them all */
	if (r)
		counts.skipped = r->stats.lost_events;
	if (!err)
		err = nvmx_counters_to_summary(&counts, 0, 0, sum);
	if (!err && nvmx_replay_filter_active(filter))
		summary_filter(sum, filter, &r->stats);
	nvmx_replay_close(r);
	nvmx_counters_free(&counts);
	if (err) {
		nvmx_summary_free(sum);
		return err;
	}
	*out = sum;
	return 0;
}

void nvmx_replay_filter_text(const struct nvmx_replay_filter *f, char *buf, size_t len)
{
	char vm[96] = "", vcpu[32] = "";

	if (f && f->vm)
		snprintf(vm, sizeof(vm), "--vm %.80s", f->vm);
	if (f && f->vcpu >= 0)
		snprintf(vcpu, sizeof(vcpu), "%s--vcpu %" PRId64, vm[0] ? " " : "", f->vcpu);
	snprintf(buf, len, "%s%s", vm, vcpu);
}

void nvmx_replay_no_match(const struct nvmx_replay_filter *f, const char *path,
			  const struct nvmx_replay_stats *st, char *msg, size_t len)
{
	char what[128];
	/* a pid is the TGID column, which tracefs writes only with options/record-tgid */
	bool no_tgid = f->vm && all_digits(f->vm) && !st->seen_with_pid;

	nvmx_replay_filter_text(f, what, sizeof(what));
	snprintf(msg, len, "%s: no vCPU thread matches %s%s; its threads: %s", path, what,
		 no_tgid ? " (its lines have no (TGID) column: tracefs options/record-tgid)" : "",
		 st->seen);
}

const char *nvmx_replay_strerror(int err, int *line_too)
{
	*line_too = 0;
	switch (err) {
	case -EOVERFLOW:
		*line_too = 1;
		return "a line longer than 65536 bytes: not a trace";
	case -EPROTO:
		return "truncated .xz: the compressed data ends mid-stream";
	case -EBADMSG:
		return "corrupt .xz data";
	case -ESPIPE:
		return "a trace.dat (trace-cmd's binary capture) cannot be read from a pipe: "
		       "give the file itself";
	case -ENOEXEC:
		return "a trace.dat that cannot be read (truncated or corrupt?)";
	case -ENOTUNIQ:
		return "a trace.dat with events in more than one buffer (trace-cmd record -B): "
		       "record the kvm events into one";
	case -ENOMEM:
		return "out of memory";
	default:
		return strerror(-err);
	}
}

int nvmx_replay_check(const struct nvmx_replay_stats *st, const char *path, char *msg, size_t len)
{
	const struct nvmx_replay_malformed *m = &st->first_malformed[0];

	if (!st->events && st->malformed) {
		snprintf(msg, len, "%s:%" PRIu64 ": not a KVM trace: expected %s", path, m->line,
			 m->expected);
		return -EINVAL;
	}
	if (!st->events) {
		snprintf(msg, len, "%s: not a KVM trace: no KVM event in %" PRIu64 " lines", path,
			 st->lines);
		return -EINVAL;
	}
	if (st->malformed > st->events) {
		snprintf(msg, len,
			 "%s: not a KVM trace: %" PRIu64 " malformed lines, more than its %" PRIu64
			 " events (the first at line %" PRIu64 ": expected %s)",
			 path, st->malformed, st->events, m->line, m->expected);
		return -EINVAL;
	}
	return 0;
}

void nvmx_replay_write_malformed(FILE *f, const char *path, const struct nvmx_replay_stats *st)
{
	uint64_t kept = st->malformed < NVMX_REPLAY_KEPT_MALFORMED ? st->malformed
								   : NVMX_REPLAY_KEPT_MALFORMED;

	for (uint64_t i = 0; i < kept; i++)
		fprintf(f, "%s:%" PRIu64 ": expected %s\n", path, st->first_malformed[i].line,
			st->first_malformed[i].expected);
	if (st->malformed > kept)
		fprintf(f, "%s: ... and %" PRIu64 " more malformed lines\n", path,
			st->malformed - kept);
}
