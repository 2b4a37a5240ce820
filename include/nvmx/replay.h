/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay: the attribution model run in user space over a captured trace (the tracefs `trace`
 * file or `trace-cmd report` output, plain or .xz). User space only.
 */
#ifndef NVMX_REPLAY_H
#define NVMX_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "summary.h"

struct nvmx_input;

/* Malformed lines kept to be reported (the first ones); the others are only counted. */
#define NVMX_REPLAY_KEPT_MALFORMED 10

struct nvmx_replay_malformed {
	uint64_t line;	    /* 1-based */
	char expected[160]; /* what the line should have been */
};

/*
 * Which vCPU threads of a capture count (docs/model.md, "Drill-down"): the verdicts of the other
 * threads are dropped before they are counted, so every output of the replay is the filtered one.
 * A capture names a thread by its line's TASK-PID (the thread's comm and tid), and its process
 * only where the lines have tracefs' "(TGID)" column (options/record-tgid).
 */
struct nvmx_replay_filter {
	/*
	 * NULL: every VM. All digits: the process (TGID) of that pid; else a shell pattern
	 * (fnmatch(3), so an exact name too) matched against the thread's TASK.
	 */
	const char *vm;
	int64_t vcpu; /* -1: every vCPU; else the vcpu_id of the thread's kvm_entry/kvm_exit lines */
};

/* Whether f selects anything (NULL or {NULL, -1}: no filter). */
static inline int nvmx_replay_filter_active(const struct nvmx_replay_filter *f)
{
	return f && (f->vm || f->vcpu >= 0);
}

/* The threads of a filtered replay when none matched: a list of those seen, for the message. */
#define NVMX_REPLAY_SEEN_LEN 256

struct nvmx_replay_stats {
	uint64_t lines;	      /* lines read */
	uint64_t events;      /* events fed to the model */
	uint64_t malformed;   /* lines that could not be parsed (the first ones are kept below) */
	uint64_t lost_events; /* events the capture says it lost ([LOST n EVENTS], entries) */
	/* added: */
	uint64_t lost_markers; /* places where events were lost (a marker may not say how many) */
	uint64_t threads;      /* vCPU threads seen */
	uint64_t first_ts_ns;  /* trace time of the first event fed (0: none) */
	uint64_t last_ts_ns;   /* and of the last: the capture covers last - first */
	/* with a filter: the threads it kept, and their events (threads, events: all of them) */
	uint64_t matched_threads;
	uint64_t matched_events;
	/* with a filter that matched no thread: "TASK-TID (pid P, vCPU N), ..." of those seen */
	char seen[NVMX_REPLAY_SEEN_LEN];
	uint64_t seen_with_pid; /* of the threads seen, those whose lines had a TGID */
	/* the first min(malformed, NVMX_REPLAY_KEPT_MALFORMED) malformed lines */
	struct nvmx_replay_malformed first_malformed[NVMX_REPLAY_KEPT_MALFORMED];
};

/*
 * Replays the capture at path into a new summary (*out). Malformed lines are counted and the
 * first ones kept in stats; the rest of the file is still processed. At the end, diag (may be
 * NULL) gets them as nvmx_replay_write_malformed() writes them.
 * Returns 0, or a negative errno when the file cannot be read (then *out is NULL): see
 * nvmx_replay_strerror(). A read error (I/O, out of memory, a truncated or corrupt .xz, a line
 * longer than 64 KiB) is an error, never a malformed line.
 */
int nvmx_replay_path(const char *path, struct nvmx_summary **out, struct nvmx_replay_stats *stats,
		     FILE *diag);

/*
 * The same on an input already open (owned by the replay, even on failure); path names it.
 * filter (may be NULL) keeps only some vCPU threads; the summary then says which
 * (nvmx_summary_filter()). When the filter matched no thread, returns -ESRCH with stats->seen
 * listing the threads the capture has (nvmx_replay_no_match() says it).
 */
int nvmx_replay_input(struct nvmx_input *in, const char *path,
		      const struct nvmx_replay_filter *filter, struct nvmx_summary **out,
		      struct nvmx_replay_stats *stats, FILE *diag);

/*
 * One line for -ESRCH: "PATH: no vCPU thread matches --vm X --vcpu N; its threads: ...", with a
 * hint when --vm is a pid and the capture has no TGID column.
 */
void nvmx_replay_no_match(const struct nvmx_replay_filter *f, const char *path,
			  const struct nvmx_replay_stats *st, char *msg, size_t len);

/* "--vm X --vcpu N" (the options as given), "" without a filter. */
void nvmx_replay_filter_text(const struct nvmx_replay_filter *f, char *buf, size_t len);

/*
 * What a negative errno of the replay means for a capture: "truncated .xz: ...", "a line
 * longer than 65536 bytes: not a trace", or strerror(). line_too: whether the message is about
 * a line (the caller names it: the line after stats->lines).
 */
const char *nvmx_replay_strerror(int err, int *line_too);

/*
 * Whether a replayed capture could be used: 0, or -EINVAL and msg set to one line "PATH:LINE:
 * not a KVM trace: expected ..." or "PATH: not a KVM trace: ...". Unusable: no KVM event at all,
 * or more malformed lines than events.
 */
int nvmx_replay_check(const struct nvmx_replay_stats *st, const char *path, char *msg, size_t len);

/*
 * "PATH:LINE: expected ..." for each kept malformed line, then "PATH: ... and N more malformed
 * lines" when more were counted.
 */
void nvmx_replay_write_malformed(FILE *f, const char *path, const struct nvmx_replay_stats *st);

/*
 * Incremental replay: a capture stepped through in trace time (nvmxtop --replay shows one
 * interval of trace time per refresh). The same reader, parser and model as nvmx_replay_path(),
 * which is written with it; instead of a summary, every verdict goes to fn with its vCPU thread.
 * fn returns 0 or a negative errno, which stops the replay and is returned.
 */
struct nvmx_verdict;
struct nvmx_replay;

typedef int (*nvmx_replay_verdict_fn)(void *ctx, uint32_t tid, const struct nvmx_verdict *v);

/*
 * Opens path; diag as for nvmx_replay_path() (written to when the capture ends). Returns 0 or a
 * negative errno (*out NULL).
 */
int nvmx_replay_open(const char *path, FILE *diag, nvmx_replay_verdict_fn fn, void *ctx,
		     struct nvmx_replay **out);

/*
 * Keeps only the verdicts of the threads f selects (copied; f->vm must outlive the replay).
 * Call before the first event.
 */
void nvmx_replay_set_filter(struct nvmx_replay *r, const struct nvmx_replay_filter *f);

/*
 * Feeds every event whose timestamp is before until_ns (lost-event markers where they are).
 * Returns 1 when events remain, 0 when the capture has ended (the end-of-capture verdicts have
 * then been delivered: exits still undecided are unattributed), or a negative errno.
 */
int nvmx_replay_until(struct nvmx_replay *r, uint64_t until_ns);

/* The timestamp of the next event not yet fed: 0, or -ENODATA when no event is left. */
int nvmx_replay_next_ts(struct nvmx_replay *r, uint64_t *ts_ns);

/* Timestamp of the last event fed (0 before the first). */
uint64_t nvmx_replay_last_ts(const struct nvmx_replay *r);

const struct nvmx_replay_stats *nvmx_replay_get_stats(const struct nvmx_replay *r);

void nvmx_replay_close(struct nvmx_replay *r);

#endif /* NVMX_REPLAY_H */
