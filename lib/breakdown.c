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

static int lookup(const char *const *names, uint32_t n, const char *v, uint32_t *out)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(names[i], v)) {
			*out = i;
			return 0;
		}
	return -EINVAL;
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

/* ---- reading ---- */

static int get_isa_reason(struct nvmx_json_reader *r, struct json_object *o, const char *arr,
			  size_t i, uint32_t *isa, uint32_t *reason)
{
	const char *rs;
	uint32_t name_isa;

	if (nvmx_json_get_isa(r, o, arr, i, isa) ||
	    nvmx_json_get_string(r, o, arr, i, "reason", &rs))
		return -EINVAL;
	name_isa = *isa;
	if (nvmx_reason_from_name(rs, strlen(rs), &name_isa, reason) || name_isa != *isa)
		return nvmx_json_fail(r, "%s[%zu]: reason \"%s\" is not an exit reason of this isa",
				      arr, i, rs);
	return 0;
}

static int get_buckets(struct nvmx_json_reader *r, struct json_object *o, const char *arr, size_t i,
		       const char *key, uint64_t *b)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, key, &f))
		return 0; /* optional: a truth has no times */
	if (!json_object_is_type(f, json_type_array) ||
	    json_object_array_length(f) != NVMX_HIST_BUCKETS)
		return nvmx_json_fail(r, "%s[%zu]: \"%s\" is not an array of %u counts", arr, i,
				      key, NVMX_HIST_BUCKETS);
	for (size_t k = 0; k < NVMX_HIST_BUCKETS; k++) {
		struct json_object *x = json_object_array_get_idx(f, k);

		if (!json_object_is_type(x, json_type_int) || json_object_get_int64(x) < 0)
			return nvmx_json_fail(r, "%s[%zu]: \"%s\"[%zu] is not a count", arr, i, key,
					      k);
		b[k] = (uint64_t)json_object_get_int64(x);
	}
	return 0;
}

static int read_breakdown(struct nvmx_json_reader *r, struct json_object *root,
			  struct nvmx_summary *s)
{
	struct json_object *arr;
	int err = nvmx_json_get_array(r, root, "breakdown", &arr);

	for (size_t i = 0; !err && arr && i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *l1;
		uint64_t sums[NVMX_RT_PARTS] = { 0 }, buckets[NVMX_HIST_BUCKETS] = { 0 }, n,
			 ovf = 0;
		uint32_t isa, reason;

		if (!json_object_is_type(o, json_type_object))
			return nvmx_json_fail(r, "breakdown[%zu]: not an object", i);
		err = get_isa_reason(r, o, "breakdown", i, &isa, &reason) ||
		      nvmx_json_get_u64(r, o, "breakdown", i, "round_trips", &n);
		for (uint32_t p = 0; !err && p < NVMX_RT_PARTS; p++)
			err = nvmx_json_get_u64(r, o, "breakdown", i, part_names[p], &sums[p]);
		if (!err)
			err = get_buckets(r, o, "breakdown", i, "round_trip_buckets", buckets);
		if (!err && json_object_object_get_ex(o, "l1_exits_overflow", &l1))
			err = nvmx_json_get_u64(r, o, "breakdown", i, "l1_exits_overflow", &ovf);
		if (!err && json_object_object_get_ex(o, "cycles", &l1)) {
			uint64_t cyc[NVMX_RT_PARTS], nc = 0;
			char key[40];

			if (!json_object_is_type(l1, json_type_object))
				return nvmx_json_fail(
					r, "breakdown[%zu]: \"cycles\" is not an object", i);
			err = nvmx_json_get_u64(r, l1, "breakdown.cycles", i, "round_trips", &nc);
			for (uint32_t p = 0; !err && p < NVMX_RT_PARTS; p++) {
				nvmx_bd_cycles_key(p, key, sizeof(key));
				err = nvmx_json_get_u64(r, l1, "breakdown.cycles", i, key, &cyc[p]);
			}
			if (!err && nvmx_summary_add_breakdown_cycles(s, isa, reason, nc, cyc))
				return nvmx_json_fail(r, "breakdown[%zu]: out of memory", i);
		}
		if (err)
			return -EINVAL;
		if (nvmx_summary_add_breakdown(s, isa, reason, NVMX_BD_ROUND_TRIP, n, sums,
					       buckets) ||
		    nvmx_summary_add_breakdown_l1(s, isa, reason, NVMX_BD_L1_OVERFLOW, ovf))
			return nvmx_json_fail(r, "breakdown[%zu]: out of memory", i);
		if (!json_object_object_get_ex(o, "l1_exits", &l1) ||
		    !json_object_is_type(l1, json_type_object))
			return nvmx_json_fail(
				r, "breakdown[%zu]: \"l1_exits\" is missing or not an object", i);
		json_object_object_foreach(l1, name, val)
		{
			uint32_t l1_isa = isa, l1_reason;

			if (nvmx_reason_from_name(name, strlen(name), &l1_isa, &l1_reason) ||
			    l1_isa != isa || !json_object_is_type(val, json_type_int) ||
			    json_object_get_int64(val) < 0)
				return nvmx_json_fail(
					r, "breakdown[%zu]: l1_exits \"%s\" is not REASON: count",
					i, name);
			if (nvmx_summary_add_breakdown_l1(s, isa, reason, l1_reason,
							  (uint64_t)json_object_get_int64(val)))
				return nvmx_json_fail(r, "breakdown[%zu]: out of memory", i);
		}
	}
	return err;
}

static int read_l0(struct nvmx_json_reader *r, struct json_object *root, struct nvmx_summary *s)
{
	struct json_object *arr, *f;
	int err = nvmx_json_get_array(r, root, "l0_handled", &arr);

	for (size_t i = 0; !err && arr && i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		uint64_t sums[NVMX_RT_PARTS] = { 0 }, buckets[NVMX_HIST_BUCKETS] = { 0 }, n;
		uint32_t isa, reason;

		if (!json_object_is_type(o, json_type_object))
			return nvmx_json_fail(r, "l0_handled[%zu]: not an object", i);
		if (get_isa_reason(r, o, "l0_handled", i, &isa, &reason) ||
		    nvmx_json_get_u64(r, o, "l0_handled", i, "exits", &n) ||
		    nvmx_json_get_u64(r, o, "l0_handled", i, "handling_ns", &sums[0]) ||
		    get_buckets(r, o, "l0_handled", i, "handling_buckets", buckets))
			return -EINVAL;
		if (!json_object_object_get_ex(o, "to_vmm", &f) ||
		    !json_object_is_type(f, json_type_boolean))
			return nvmx_json_fail(
				r, "l0_handled[%zu]: \"to_vmm\" is missing or not a boolean", i);
		if (nvmx_summary_add_breakdown(s, isa, reason,
					       json_object_get_boolean(f) ? NVMX_BD_L0_TO_VMM
									  : NVMX_BD_L0_HANDLED,
					       n, sums, buckets))
			return nvmx_json_fail(r, "l0_handled[%zu]: out of memory", i);
	}
	return err;
}

static int read_vectoring(struct nvmx_json_reader *r, struct json_object *root,
			  struct nvmx_summary *s)
{
	struct json_object *arr, *f;
	int err = nvmx_json_get_array(r, root, "vectoring", &arr);

	for (size_t i = 0; !err && arr && i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *ts, *os;
		uint32_t isa, type, outcome;
		uint64_t n;
		int64_t vector;

		if (!json_object_is_type(o, json_type_object))
			return nvmx_json_fail(r, "vectoring[%zu]: not an object", i);
		if (nvmx_json_get_isa(r, o, "vectoring", i, &isa) ||
		    nvmx_json_get_string(r, o, "vectoring", i, "type", &ts) ||
		    nvmx_json_get_string(r, o, "vectoring", i, "outcome", &os) ||
		    nvmx_json_get_u64(r, o, "vectoring", i, "count", &n))
			return -EINVAL;
		if (lookup(type_names, NVMX_VEC_TYPES, ts, &type))
			return nvmx_json_fail(r, "vectoring[%zu]: type \"%s\" is not an event type",
					      i, ts);
		if (lookup(outcome_names, NVMX_VEC_OUTCOMES, os, &outcome))
			return nvmx_json_fail(
				r,
				"vectoring[%zu]: outcome \"%s\" is not reinjected_l2, "
				"handed_to_l1 or lost",
				i, os);
		if (!json_object_object_get_ex(o, "vector", &f) ||
		    !json_object_is_type(f, json_type_int) ||
		    (vector = json_object_get_int64(f)) < 0 || vector > 255)
			return nvmx_json_fail(r, "vectoring[%zu]: \"vector\" is not 0..255", i);
		if (nvmx_summary_add_vectoring(s, isa, type, (uint32_t)vector, outcome, n))
			return nvmx_json_fail(r, "vectoring[%zu]: out of memory", i);
	}
	return err;
}

int nvmx_bd_json_read(struct json_object *root, struct nvmx_summary *s, const char *path, char *err,
		      size_t errlen)
{
	struct nvmx_json_reader r = { path, err, errlen };

	if (read_breakdown(&r, root, s) || read_l0(&r, root, s) || read_vectoring(&r, root, s))
		return -EINVAL;
	return 0;
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
