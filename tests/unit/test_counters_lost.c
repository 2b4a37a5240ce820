// SPDX-License-Identifier: GPL-2.0
/*
 * Lost events (docs/model.md's glossary) are one sum, made in one place (lib/counters.c
 * nvmx_counters_lost): runs of nvmx's programs the kernel skipped, counts not made, and the
 * nested-state calls missed (their programs' skipped runs and counts a full map kept out). The
 * sum reaches the summary, whose lost_events `nvmx compare` and the lab fail on.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/maps.h"
#include "nvmx/summary.h"
#include "nvmx/counters.h"

static uint64_t summary_lost(const struct nvmx_counters *c)
{
	struct nvmx_summary *s = nvmx_summary_new();
	uint64_t lost;

	cr_assert(s);
	cr_assert_eq(nvmx_counters_to_summary(c, 0, 0, s), 0);
	lost = nvmx_summary_lost(s);
	nvmx_summary_free(s);
	return lost;
}

Test(counters_lost, nested_state_calls_missed_are_lost_events)
{
	struct nvmx_counters c = { 0 };

	c.ns_skipped = 5;
	c.ns_update_failures = 2;
	cr_assert_eq(nvmx_counters_ns_missed(&c), 7);
	cr_assert_eq(nvmx_counters_lost(&c), 7);
	cr_assert_eq(summary_lost(&c), 7, "compare and the lab read this");
	nvmx_counters_free(&c);
}

Test(counters_lost, the_sum_of_every_part)
{
	struct nvmx_counters c = { 0 };

	c.skipped = 100;
	c.self[NVMX_SELF_EXIT_UPDATE_FAILED] = 3;
	c.self[NVMX_SELF_STATE_UPDATE_FAILED] = 4;
	c.ns_skipped = 1;
	/* record drops and anomaly-ring drops lose no count: not lost events */
	c.self[NVMX_SELF_RINGBUF_DROPPED] = 1000;
	c.self[NVMX_SELF_ANOMALY_DROPPED] = 1000;
	cr_assert_eq(nvmx_counters_update_failures(&c), 7);
	cr_assert_eq(nvmx_counters_lost(&c), 108);
	cr_assert_eq(summary_lost(&c), 108);
	nvmx_counters_free(&c);
}

Test(counters_lost, reset_forgets_the_nested_state_parts)
{
	struct nvmx_counters c = { 0 };

	c.ns_skipped = 9;
	c.ns_update_failures = 9;
	nvmx_counters_reset(&c);
	cr_assert_eq(nvmx_counters_lost(&c), 0);
	nvmx_counters_free(&c);
}
