/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Turtles breakdown and the interrupted event deliveries of a summary (user space): what
 * replay and nvmxd add from the model's NVMX_V_ROUND_TRIP, L0-handled and NVMX_V_VECTORING
 * verdicts (include/nvmx/counts.h keys), and their JSON keys "breakdown", "l0_handled" and
 * "vectoring" in schema 1.
 */
#ifndef NVMX_BREAKDOWN_H
#define NVMX_BREAKDOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>

#include "events.h"
#include "model.h"
#include "counts.h"
#include "summary.h"

struct nvmx_bd_l1 {
	uint32_t reason; /* basic reason of L1's exit, or NVMX_BD_L1_OVERFLOW */
	uint64_t count;
	uint64_t service_ns; /* L0's kvm_exit -> kvm_entry of those exits, summed */
};

/* One (isa, reason, kind) of the breakdown. */
struct nvmx_bd_entry {
	uint32_t isa;
	uint32_t reason;
	uint32_t kind;	/* NVMX_BD_* */
	uint64_t count; /* round trips, or L0-handled exits */
	uint64_t sum_ns[NVMX_RT_PARTS];
	uint64_t buckets[NVMX_HIST_BUCKETS]; /* of part 0: the round trip / the handling time */
	uint64_t cycles_count;		     /* round trips with cycle figures (all or none) */
	uint64_t sum_cycles[NVMX_RT_PARTS];
	struct nvmx_bd_l1 *l1; /* round trips: L1's exits inside them, sorted */
	size_t n_l1, cap_l1;
};

struct nvmx_vec_entry {
	uint32_t isa;
	uint32_t type; /* NVMX_VEC_* type */
	uint32_t vector;
	uint32_t outcome; /* NVMX_VEC_REINJECTED_L2 ... */
	uint64_t count;
};

/* Each returns 0, -ENOMEM or -EINVAL. buckets may be NULL (no histogram known). */
int nvmx_summary_add_breakdown(struct nvmx_summary *s, uint32_t isa, uint32_t reason, uint32_t kind,
			       uint64_t count, const uint64_t *sum_ns, const uint64_t *buckets);
/* Round trips with cycle figures (count 0: nothing). */
int nvmx_summary_add_breakdown_cycles(struct nvmx_summary *s, uint32_t isa, uint32_t reason,
				      uint64_t count, const uint64_t *sum_cycles);
int nvmx_summary_add_breakdown_l1(struct nvmx_summary *s, uint32_t isa, uint32_t reason,
				  uint32_t l1_reason, uint64_t count, uint64_t service_ns);
int nvmx_summary_add_vectoring(struct nvmx_summary *s, uint32_t isa, uint32_t type, uint32_t vector,
			       uint32_t outcome, uint64_t count);

/* Sorted entries; valid until the summary next changes. */
size_t nvmx_summary_breakdowns(const struct nvmx_summary *s, const struct nvmx_bd_entry **out);
size_t nvmx_summary_vectorings(const struct nvmx_summary *s, const struct nvmx_vec_entry **out);
const struct nvmx_bd_entry *nvmx_summary_breakdown_find(const struct nvmx_summary *s, uint32_t isa,
							uint32_t reason, uint32_t kind);
uint64_t nvmx_summary_vectoring_count(const struct nvmx_summary *s, uint32_t isa, uint32_t type,
				      uint32_t vector, uint32_t outcome);

/*
 * The p-quantile (0 < p < 1) of a log2 histogram (bucket i: values <= 2^i ns, bucket 0: <= 1):
 * the bucket holding the rank p*count, interpolated linearly between its bounds (as
 * Prometheus' histogram_quantile does). The same for replay and nvmxd, which fill the same
 * buckets. 0 when empty.
 */
double nvmx_hist_quantile(const uint64_t *buckets, double p);
/*
 * The same, for a histogram whose sum is known (every sink's quantile goes through this one): the
 * bucket bounds are only bounds, so the interpolation is clamped to what the sum allows. One
 * sample: exactly the sum (a row with one exit shows it as its p50 and p99, never a p50 above
 * its only value). More: at most the sum less the other samples' least possible values.
 */
double nvmx_hist_quantile_bounded(const uint64_t *buckets, double p, uint64_t sum_ns);

/*
 * The L1 exit reasons of a round-trip entry, the overflow left out, in the order every view
 * shows them: most exits first, then by name (nvmx_reason_name). A malloc'd array of n_l1
 * pointers into e (free it), *n set; NULL on ENOMEM. The overflow: nvmx_bd_l1_overflow.
 */
const struct nvmx_bd_l1 **nvmx_bd_l1_sorted(const struct nvmx_bd_entry *e, size_t *n);
/* The overflow slot of a round-trip entry (exits beyond NVMX_RT_L1_REASONS), or zeros. */
struct nvmx_bd_l1 nvmx_bd_l1_overflow(const struct nvmx_bd_entry *e);

const char *nvmx_vec_type_name(uint32_t type);
const char *nvmx_vec_outcome_name(uint32_t outcome);
const char *nvmx_bd_part_name(uint32_t part); /* "round_trip_ns", "l0_exit_ns", ... */

#endif /* NVMX_BREAKDOWN_H */
