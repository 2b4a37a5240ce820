/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every derived quantity of docs/model.md's glossary, computed in one place from counts and
 * sums (user space). Sinks call these and never divide on their own, so the same run shows the
 * same number in every view. Each returns 0 where its denominator is 0: callers that must tell
 * "none" from 0 test the denominator (round trips, exits) first.
 */
#ifndef NVMX_DERIVE_H
#define NVMX_DERIVE_H

#include <stdint.h>

/*
 * Exit multiplication: L1 exits strictly inside complete round trips (between the reflecting
 * inject and the exit that resumes L2, that exit not counted) per complete round trip.
 */
double nvmx_exit_multiplication(uint64_t l1_exits_in_round_trips, uint64_t round_trips);

/* L0 exits per round trip: the multiplication + the L2 exit + L1's resuming exit. */
double nvmx_l0_exits_per_round_trip(uint64_t l1_exits_in_round_trips, uint64_t round_trips);

/* The share (0..1) of L2 exits handled by L1. */
double nvmx_reflected_share(uint64_t handled_by_l0, uint64_t handled_by_l1);

struct nvmx_bd_entry;
struct nvmx_summary;

/* L1 exits inside the round trips of one breakdown entry, every L1 reason (overflow included). */
uint64_t nvmx_bd_l1_exits(const struct nvmx_bd_entry *e);

/* Complete round trips and the L1 exits inside them, over every reason of a summary. */
void nvmx_summary_round_trip_totals(const struct nvmx_summary *s, uint64_t *round_trips,
				    uint64_t *l1_exits);

/* A mean: sum / count. */
double nvmx_mean(uint64_t sum, uint64_t count);

/* A part's share (0..1) of a whole, e.g. a round-trip part of the round trip's time. */
double nvmx_share(uint64_t part, uint64_t whole);

#endif /* NVMX_DERIVE_H */
