// SPDX-License-Identifier: GPL-2.0
/* The Turtles breakdown and interrupted event deliveries of a summary (include/nvmx/breakdown.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "nvmx/exit_reasons.h"
#include "summary_int.h"

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

/* ---- comparing ---- */

static void diff(FILE *out, const char *what, const char *an, uint64_t a, const char *bn,
		 uint64_t b)
{
	if (out)
		fprintf(out, "%s: %s %" PRIu64 ", %s %" PRIu64 "\n", what, an, a, bn, b);
}

static uint64_t l1_count(const struct nvmx_bd_entry *e, uint32_t reason)
{
	for (size_t i = 0; e && i < e->n_l1; i++)
		if (e->l1[i].reason == reason)
			return e->l1[i].count;
	return 0;
}

/* Every count of a's breakdown entries against b's (one direction). */
static int bd_counts_one_way(const struct nvmx_summary *a, const struct nvmx_summary *b,
			     bool missing_only, const char *an, const char *bn, FILE *out,
			     bool swap)
{
	char label[160], rbuf[24], lbuf[24];
	const char *rb, *lb;
	int n = 0;

	for (size_t i = 0; i < a->n_bds; i++) {
		const struct nvmx_bd_entry *e = &a->bds[i];
		const struct nvmx_bd_entry *o =
			nvmx_summary_breakdown_find(b, e->isa, e->reason, e->kind);
		static const char *const kinds[] = { "breakdown", "l0_handled",
						     "l0_handled to_vmm" };

		rb = nvmx_reason_name(e->isa, e->reason, rbuf, sizeof(rbuf));
		if ((!o || !missing_only) && (o ? o->count : 0) != e->count) {
			snprintf(label, sizeof(label), "%s %s %s count", kinds[e->kind],
				 nvmx_isa_name(e->isa), rb);
			swap ? diff(out, label, an, o ? o->count : 0, bn, e->count)
			     : diff(out, label, an, e->count, bn, o ? o->count : 0);
			n++;
		}
		for (size_t k = 0; k < e->n_l1; k++) {
			uint64_t other = l1_count(o, e->l1[k].reason);

			if ((other && missing_only) || other == e->l1[k].count)
				continue;
			if (e->l1[k].reason == NVMX_BD_L1_OVERFLOW)
				lb = "overflow";
			else
				lb = nvmx_reason_name(e->isa, e->l1[k].reason, lbuf, sizeof(lbuf));
			snprintf(label, sizeof(label), "breakdown %s %s l1_exits %s",
				 nvmx_isa_name(e->isa), rb, lb);
			swap ? diff(out, label, an, other, bn, e->l1[k].count)
			     : diff(out, label, an, e->l1[k].count, bn, other);
			n++;
		}
	}
	return n;
}

static void vec_label(const struct nvmx_vec_entry *v, char *buf, size_t len)
{
	snprintf(buf, len, "vectoring %s %s 0x%x %s", nvmx_isa_name(v->isa),
		 nvmx_vec_type_name(v->type), v->vector, nvmx_vec_outcome_name(v->outcome));
}

/* Whether the truth names this event (isa, type, vector) at all. */
static bool named(const struct nvmx_summary *t, const struct nvmx_vec_entry *v)
{
	for (size_t i = 0; i < t->n_vecs; i++)
		if (t->vecs[i].isa == v->isa && t->vecs[i].type == v->type &&
		    t->vecs[i].vector == v->vector)
			return true;
	return false;
}

int nvmx_bd_compare(const struct nvmx_summary *a, const struct nvmx_summary *b, bool all,
		    const char *an, const char *bn, FILE *out)
{
	char label[128];
	int n = 0;

	if (all) {
		n += bd_counts_one_way(a, b, false, an, bn, out, false);
		n += bd_counts_one_way(b, a, true, an, bn, out, true);
	}
	for (size_t i = 0; i < a->n_vecs; i++) {
		const struct nvmx_vec_entry *v = &a->vecs[i];
		uint64_t seen =
			nvmx_summary_vectoring_count(b, v->isa, v->type, v->vector, v->outcome);

		if (seen != v->count) {
			vec_label(v, label, sizeof(label));
			diff(out, label, an, v->count, bn, seen);
			n++;
		}
	}
	for (size_t i = 0; i < b->n_vecs; i++) {
		const struct nvmx_vec_entry *v = &b->vecs[i];

		/* truth against observed: an event the truth does not name is not certain,
		 * but a lost event is always an anomaly */
		if (!all && !named(a, v) && v->outcome != NVMX_VEC_LOST)
			continue;
		if (nvmx_summary_vectoring_count(a, v->isa, v->type, v->vector, v->outcome))
			continue;
		vec_label(v, label, sizeof(label));
		diff(out, label, an, 0, bn, v->count);
		n++;
	}
	return n;
}
