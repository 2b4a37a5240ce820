// SPDX-License-Identifier: GPL-2.0
/* nvmxtop --replay: a capture stepped through in trace time, through lib's incremental replay. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/counters.h"
#include "nvmx/replay.h"
#include "top_source.h"

struct replay_source {
	struct top_source src;
	struct nvmx_replay *r;
	struct nvmx_counters counts; /* every verdict so far */
	uint64_t interval_ns;
	uint64_t now_ns; /* trace time reached */
	bool started, ended;
	char vm_name[64];
	const char *path;
	int err;
};

/* A read error of the capture, as nvmx replay says it: "PATH[:LINE]: what". */
static int read_failed(struct replay_source *rs, int err)
{
	int line_too;
	const char *what = nvmx_replay_strerror(err, &line_too);

	if (line_too)
		snprintf(rs->src.why, sizeof(rs->src.why), "%s:%llu: %s", rs->path,
			 (unsigned long long)nvmx_replay_get_stats(rs->r)->lines + 1, what);
	else
		snprintf(rs->src.why, sizeof(rs->src.why), "%s: %s", rs->path, what);
	rs->src.bad_input = err != -ENOMEM;
	return err;
}

/* The malformed-line policy of nvmx replay (nvmx_replay_check): -EINVAL when unusable. */
static int check_usable(struct replay_source *rs)
{
	if (!nvmx_replay_check(nvmx_replay_get_stats(rs->r), rs->path, rs->src.why,
			       sizeof(rs->src.why)))
		return 0;
	rs->src.bad_input = true;
	return -EINVAL;
}

/*
 * Every verdict into the counters, as nvmxd counts them. A capture does not say which process a
 * thread belongs to: the thread stands in for the process in the counters' keys, so that the
 * round trips stay per thread (top_sample_add_counters).
 */
static int on_verdict(void *ctx, uint32_t tid, const struct nvmx_verdict *v)
{
	struct replay_source *rs = ctx;

	return nvmx_counters_add_verdict(&rs->counts, v, tid, tid);
}

static int replay_sample(struct top_source *src, struct top_sample *out)
{
	struct replay_source *rs = (struct replay_source *)src;
	uint64_t first;
	int err;

	if (!rs->started) {
		/* the moment before the first event: everything is still zero */
		err = nvmx_replay_next_ts(rs->r, &first);
		if (err == -ENODATA)
			return check_usable(rs); /* no KVM event: says which line, or none */
		if (err)
			return read_failed(rs, err);
		rs->now_ns = first;
		rs->started = true;
	} else if (!rs->ended) {
		rs->now_ns += rs->interval_ns;
		err = nvmx_replay_until(rs->r, rs->now_ns);
		if (err < 0)
			return read_failed(rs, err);
		rs->ended = err == 0;
		if (rs->ended && check_usable(rs))
			return -EINVAL;
	}
	top_sample_reset(out);
	err = top_sample_add_counters(out, &rs->counts, true);
	if (err)
		return err;
	err = top_sample_set_name(out, 0, rs->vm_name);
	if (err)
		return err;
	out->time_ns = rs->now_ns;
	out->lost_events = nvmx_replay_get_stats(rs->r)->lost_events;
	out->overhead_known = false;
	out->ended = rs->ended;
	return 0;
}

static int replay_finish(struct top_source *src, struct top_sample *out)
{
	return replay_sample(src, out);
}

static void replay_free(struct top_source *src)
{
	struct replay_source *rs = (struct replay_source *)src;

	nvmx_replay_close(rs->r);
	nvmx_counters_free(&rs->counts);
	free(rs);
}

static const struct top_source_ops replay_ops = {
	.sample = replay_sample,
	.finish = replay_finish,
	.free = replay_free,
};

int top_source_replay_new(const char *path, double interval_s, struct top_source **out, char *why,
			  size_t why_len)
{
	struct replay_source *rs = calloc(1, sizeof(*rs));
	const char *base = strrchr(path, '/');
	int err;

	*out = NULL;
	if (!rs)
		return -ENOMEM;
	rs->src.ops = &replay_ops;
	rs->interval_ns = (uint64_t)(interval_s * 1e9);
	if (!rs->interval_ns)
		rs->interval_ns = 1;
	rs->path = path;
	snprintf(rs->src.what, sizeof(rs->src.what), "replay of %s", path);
	snprintf(rs->vm_name, sizeof(rs->vm_name), "%s", base ? base + 1 : path);
	snprintf(rs->src.note, sizeof(rs->src.note),
		 "a capture does not say which process a thread belongs to: its vCPU threads "
		 "are shown under one VM, named after the file");
	/* malformed lines: counted by the replay; a TUI must not be overwritten by them */
	err = nvmx_replay_open(path, NULL, on_verdict, rs, &rs->r);
	if (err) {
		int line_too;

		/* as nvmx replay says it (a trace.dat through a pipe...) */
		snprintf(why, why_len, "%s: %s", path, nvmx_replay_strerror(err, &line_too));
		free(rs);
		return err;
	}
	*out = &rs->src;
	return 0;
}
