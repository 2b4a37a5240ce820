// SPDX-License-Identifier: GPL-2.0
/*
 * The names of the Turtles breakdown's parts and of interrupted deliveries' types and outcomes,
 * and the quantiles of its histograms (include/nvmx/breakdown.h). The entries themselves live in
 * the summary (summary.c), which this file does not know.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nvmx/breakdown.h"
#include "nvmx/exit_reasons.h"

static const char *const part_names[NVMX_RT_PARTS] = {
	[NVMX_RT_ROUND_TRIP] = "round_trip_ns",
	[NVMX_RT_L0_EXIT] = "l0_exit_ns",
	[NVMX_RT_L0_REFLECT] = "l0_reflect_ns",
	[NVMX_RT_L1_HANDLER] = "l1_handler_ns",
	[NVMX_RT_L1_EXIT_SERVICE] = "l1_exit_service_ns",
	[NVMX_RT_L0_ENTRY_EMULATION] = "l0_entry_emulation_ns",
};

static const char *const type_names[NVMX_VEC_TYPES] = {
	[NVMX_VEC_EXT_INTR] = "ext_intr",	  [NVMX_VEC_NMI] = "nmi",
	[NVMX_VEC_HW_EXCEPTION] = "hw_exception", [NVMX_VEC_SW_INTERRUPT] = "sw_interrupt",
	[NVMX_VEC_SW_EXCEPTION] = "sw_exception",
};

static const char *const outcome_names[NVMX_VEC_OUTCOMES] = {
	[NVMX_VEC_REINJECTED_L2] = "reinjected_l2",
	[NVMX_VEC_HANDED_TO_L1] = "handed_to_l1",
	[NVMX_VEC_LOST] = "lost",
};

/* a before b: more exits, then the name */
static int l1_before(uint32_t isa, const struct nvmx_bd_l1 *a, const struct nvmx_bd_l1 *b)
{
	char an[24], bn[24];

	if (a->count != b->count)
		return a->count > b->count;
	return strcmp(nvmx_reason_name(isa, a->reason, an, sizeof(an)),
		      nvmx_reason_name(isa, b->reason, bn, sizeof(bn))) < 0;
}

const struct nvmx_bd_l1 **nvmx_bd_l1_sorted(const struct nvmx_bd_entry *e, size_t *n)
{
	const struct nvmx_bd_l1 **out = calloc(e->n_l1 ? e->n_l1 : 1, sizeof(*out));

	*n = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < e->n_l1; i++) {
		const struct nvmx_bd_l1 *l = &e->l1[i];
		size_t at = *n;

		if (l->reason == NVMX_BD_L1_OVERFLOW)
			continue;
		/* insertion: a breakdown entry has a few dozen L1 reasons at most */
		for (; at > 0 && l1_before(e->isa, l, out[at - 1]); at--)
			out[at] = out[at - 1];
		out[at] = l;
		(*n)++;
	}
	return out;
}

struct nvmx_bd_l1 nvmx_bd_l1_overflow(const struct nvmx_bd_entry *e)
{
	struct nvmx_bd_l1 o = { .reason = NVMX_BD_L1_OVERFLOW };

	for (size_t i = 0; i < e->n_l1; i++)
		if (e->l1[i].reason == NVMX_BD_L1_OVERFLOW) {
			o.count += e->l1[i].count;
			o.service_ns += e->l1[i].service_ns;
		}
	return o;
}

const char *nvmx_bd_part_name(uint32_t part)
{
	return part < NVMX_RT_PARTS ? part_names[part] : "?";
}

const char *nvmx_vec_type_name(uint32_t type)
{
	return type < NVMX_VEC_TYPES ? type_names[type] : "?";
}

const char *nvmx_vec_outcome_name(uint32_t outcome)
{
	return outcome < NVMX_VEC_OUTCOMES ? outcome_names[outcome] : "?";
}

double nvmx_hist_quantile(const uint64_t *buckets, double p)
{
	uint64_t total = 0, below = 0;
	double rank;

	for (uint32_t i = 0; i < NVMX_HIST_BUCKETS; i++)
		total += buckets[i];
	if (!total)
		return 0;
	rank = p * (double)total;
	for (uint32_t i = 0; i < NVMX_HIST_BUCKETS; i++) {
		double lo = i ? (double)(1ull << (i - 1)) : 0, hi = (double)(1ull << i);

		if (!buckets[i] || (double)(below + buckets[i]) < rank) {
			below += buckets[i];
			continue;
		}
		return lo + (hi - lo) * ((rank - (double)below) / (double)buckets[i]);
	}
	/* rank beyond the last bucket cannot happen (p < 1); its lower bound otherwise */
	return (double)(1ull << (NVMX_HIST_BUCKETS - 2));
}

double nvmx_hist_quantile_bounded(const uint64_t *buckets, double p, uint64_t sum_ns)
{
	uint64_t n = 0;
	double q = nvmx_hist_quantile(buckets, p), lo_min = 0, max;
	bool lowest = true;

	for (uint32_t i = 0; i < NVMX_HIST_BUCKETS; i++) {
		if (buckets[i] && lowest) {
			lo_min = i ? (double)(1ull << (i - 1)) : 0;
			lowest = false;
		}
		n += buckets[i];
	}
	if (!n)
		return 0;
	/* one sample: the sum is that sample, exactly */
	if (n == 1)
		return (double)sum_ns;
	/* the largest sample: at most the sum less the n-1 others, each at least lo_min */
	max = (double)sum_ns - (double)(n - 1) * lo_min;
	return q > max && max >= lo_min ? max : q;
}
