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

/* The same on an input already open (owned by the replay, even on failure); path names it. */
int nvmx_replay_input(struct nvmx_input *in, const char *path, struct nvmx_summary **out,
		      struct nvmx_replay_stats *stats, FILE *diag);

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
