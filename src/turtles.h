/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxd's side of the Turtles breakdown: the lost-event anomalies from the nvmx_anomalies ring
 * buffer (logged one line each), whether CPU cycles can be counted (hardware counters probed
 * with perf_event_open), and the breakdown table nvmxd prints. No logging of its own beyond the
 * log callback; every function returns 0 or a negative errno.
 */
#ifndef NVMXD_TURTLES_H
#define NVMXD_TURTLES_H

#include <stdint.h>
#include <stdio.h>

#include "collect.h"

struct nvmxd_turtles;

/* The name of VM tgid, for the log lines (nvmxd's /proc cmdline names). */
typedef const char *(*nvmxd_vm_name_fn)(void *ctx, uint32_t tgid);

/*
 * Before the BPF object is loaded: probes the cycle counters, one pinned PERF_COUNT_HW_CPU_CYCLES
 * event per CPU, kept open when every CPU has one. Each lost event will be written to log as one
 * line. Returns 0 or a negative errno (*out NULL).
 */
int nvmxd_turtles_new(FILE *log, nvmxd_vm_name_fn name, void *ctx, struct nvmxd_turtles **out);

/* How many CPUs the nvmx_cycles map needs (set its max_entries and targ_cycles), 0: no cycles. */
uint32_t nvmxd_turtles_cycles_cpus(const struct nvmxd_turtles *t);

/*
 * After load: reads lost events from the nvmx_anomalies ring buffer (fd), and the new threads
 * there (each names its VM through the name function given to nvmxd_turtles_new); puts the counters
 * into the nvmx_cycles map (fd; ignored without cycles). 0 or a negative errno.
 */
int nvmxd_turtles_start(struct nvmxd_turtles *t, int anomalies_fd, int cycles_fd);

/* Reads what the ring buffer holds now (no wait); returns how many, or a negative errno. */
int nvmxd_turtles_poll(struct nvmxd_turtles *t);

/* Lost events logged so far. */
uint64_t nvmxd_turtles_lost_events(const struct nvmxd_turtles *t);

/* One line: in what unit the breakdown is, and why (cycles unavailable, with the reason). */
const char *nvmxd_turtles_unit_line(const struct nvmxd_turtles *t);

/* {"available": false, "unit": "ns", "reason": "..."}: the JSON text of nvmxd's "cycles". */
const char *nvmxd_turtles_cycles_json(const struct nvmxd_turtles *t);

/* The breakdown of VM tgid (0: all) as a table, indented by indent. */
void nvmxd_turtles_print(const struct nvmx_counters *c, uint32_t tgid, const char *indent, FILE *f);

void nvmxd_turtles_free(struct nvmxd_turtles *t);

#endif
