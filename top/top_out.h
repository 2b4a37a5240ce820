/* SPDX-License-Identifier: GPL-2.0 */
/* nvmxtop's batch outputs: one refresh as plain text with stable columns, or as one JSON line. */
#ifndef NVMX_TOP_OUT_H
#define NVMX_TOP_OUT_H

#include <stdio.h>

#include "top_data.h"
#include "top_fmt.h"

/* Header, column titles, then every VM, vCPU and reason (all expanded); a blank line ends it. */
int top_print_text(FILE *out, const struct top_view *v, const struct top_where *w,
		   const char *note);

/*
 * {"source", "refresh", "since_start_s", "interval_s", "ended", "lost_events",
 * "lost_events_delta", "nvmx_overhead_cpu" (null: unknown), "all": COUNTS, "vms": [{"pid",
 * "name", "counts", "vcpus": [{"tid", "counts", "reasons": [{"isa", "reason", "counts"}]}]}]}
 * where COUNTS maps an outcome to {"total", "delta", "sum_ns", "delta_sum_ns"}; its
 * "round_trip" (the Turtles breakdown of reflected exits) also has "parts_sum_ns" and
 * "delta_parts_sum_ns" (round_trip_ns, l0_exit_ns, l0_reflect_ns, l1_handler_ns,
 * l1_exit_service_ns, l0_entry_emulation_ns) and "l1_exits", "delta_l1_exits" (L1's exits in
 * its handlers). Each VM also has "l1_exits": [{"isa", "reason" (reflected), "l1_reason" (null:
 * the overflow), "exits", "service_ns", "round_trips" (of the reflected reason), their
 * "delta_*", "exits_per_round_trip", "mean_service_ns"}] (the L1-exit view's rows).
 */
/* The L1-exit view (--l1-exits): every VM's rows (top_fmt_l1_row); a blank line ends it. */
int top_print_l1_text(FILE *out, const struct top_view *v);

int top_print_json(FILE *out, const struct top_view *v, const struct top_where *w);

#endif /* NVMX_TOP_OUT_H */
