// SPDX-License-Identifier: GPL-2.0
/*
 * lib's incremental replay (nvmx_replay_open/until, include/nvmx/replay.h), which nvmxtop
 * --replay steps through trace time: however a capture is cut into intervals, the verdicts are
 * those of the whole replay, and the boundaries are where the API says they are.
 */
#include <errno.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/counted.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"

#define CAPTURE NVMX_TEST_DATA "/6.1-qemu64-N1000/trace.txt.xz"
/* the capture's first and last events (tracefs prints microseconds) */
#define FIRST_NS 7288912000ull
#define LAST_NS	 8404661000ull

static int to_summary(void *ctx, uint32_t tid, const struct nvmx_verdict *v)
{
	return nvmx_summary_add_verdict(ctx, v);
}

/* Replays CAPTURE in steps of step_ns into a summary; *steps gets how many calls it took. */
static struct nvmx_summary *stepped(uint64_t step_ns, unsigned long *steps,
				    struct nvmx_replay_stats *st)
{
	struct nvmx_summary *s = nvmx_summary_new();
	struct nvmx_replay *r;
	uint64_t until = FIRST_NS;
	int more;

	cr_assert_not_null(s);
	cr_assert_eq(nvmx_replay_open(CAPTURE, stderr, to_summary, s, &r), 0);
	*steps = 0;
	do {
		until += step_ns;
		more = nvmx_replay_until(r, until);
		cr_assert_geq(more, 0);
		(*steps)++;
	} while (more);
	*st = *nvmx_replay_get_stats(r);
	nvmx_replay_close(r);
	return s;
}

static void same_as_whole(uint64_t step_ns, unsigned long expected_steps)
{
	struct nvmx_replay_stats st_whole, st_steps;
	struct nvmx_summary *whole, *parts;
	unsigned long steps;

	cr_assert_eq(nvmx_replay_path(CAPTURE, &whole, &st_whole, stderr), 0);
	parts = stepped(step_ns, &steps, &st_steps);
	cr_expect_eq(steps, expected_steps, "%lu steps of %llu ns, expected %lu", steps,
		     (unsigned long long)step_ns, expected_steps);
	cr_expect_eq(nvmx_summary_compare_all(whole, parts, "whole", "stepped", stderr), 0);
	cr_expect_eq(st_steps.events, st_whole.events);
	cr_expect_eq(st_steps.lines, st_whole.lines);
	cr_expect_eq(nvmx_summary_exit_count(parts, NVMX_KIND_L2_EXIT, NVMX_ISA_SVM, 0x72,
					     NVMX_HANDLED_BY_L1),
		     1000, "cpuid reflected to L1, as ground-truth.txt");
	nvmx_summary_free(whole);
	nvmx_summary_free(parts);
}

/* 1.115749 s of trace: ceil(1.115749 / step) calls, the last one reaching the end */
Test(replay_steps, half_second_steps_give_the_whole_replay)
{
	same_as_whole(500000000ull, 3);
}

Test(replay_steps, millisecond_steps_give_the_whole_replay)
{
	same_as_whole(1000000ull, 1116);
}

Test(replay_steps, one_step_past_the_end_gives_the_whole_replay)
{
	same_as_whole(10000000000ull, 1);
}

Test(replay_steps, until_is_exclusive_and_next_ts_peeks)
{
	struct nvmx_summary *s = nvmx_summary_new();
	struct nvmx_replay *r;
	uint64_t ts = 0;

	cr_assert_eq(nvmx_replay_open(CAPTURE, stderr, to_summary, s, &r), 0);
	cr_assert_eq(nvmx_replay_next_ts(r, &ts), 0);
	cr_expect_eq(ts, FIRST_NS);
	/* an event at until_ns is not fed: nothing before the first event */
	cr_expect_eq(nvmx_replay_until(r, FIRST_NS), 1);
	cr_expect_eq(nvmx_replay_get_stats(r)->events, 0);
	cr_expect_eq(nvmx_replay_last_ts(r), 0);
	cr_expect_eq(nvmx_replay_until(r, FIRST_NS + 1), 1);
	cr_expect_eq(nvmx_replay_get_stats(r)->events, 1);
	cr_expect_eq(nvmx_replay_last_ts(r), FIRST_NS);
	/* past the last event: the end, then nothing is left */
	cr_expect_eq(nvmx_replay_until(r, LAST_NS + 1), 0);
	cr_expect_eq(nvmx_replay_last_ts(r), LAST_NS);
	cr_expect_eq(nvmx_replay_next_ts(r, &ts), -ENODATA);
	cr_expect_eq(nvmx_replay_until(r, LAST_NS + 2), 0);
	nvmx_replay_close(r);
	nvmx_summary_free(s);
}

Test(replay_steps, a_missing_capture_is_an_error)
{
	struct nvmx_replay *r = (struct nvmx_replay *)1;

	cr_expect_eq(nvmx_replay_open("/nonexistent/trace.txt", NULL, to_summary, NULL, &r),
		     -ENOENT);
	cr_expect_null(r);
}
