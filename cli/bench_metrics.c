// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx bench: the metrics of one repeat, from a summary JSON object (schema 1: nvmxd --json or
 * one VM of its "vms"). Names are dotted paths, spaces of exit reason names become '_':
 *
 *   count.l2_exits.ISA.REASON.L0|L1   L2 exits by handler          exact if "certain", else count
 *   count.l1_exits.ISA.REASON         L1's own exits               exact if "certain", else count
 *   count.synthesized_to_l1.ISA.REASON                              exact if "certain", else count
 *   count.nested_entries              exact
 *   count.nested_entries_failed, count.unattributed                 count
 *   ratio.reflect_share               L2 exits handled by L1 / all L2 exits
 *   ratio.exit_multiplication         L1 exits inside round trips / round trips
 *   ratio.mult.ISA.REASON             the same, per reflected reason
 *   ratio.mult.ISA.REASON.l1.L1REASON of those, L1's exits of one L1 exit reason per round trip
 *                                     (L1REASON "other": the overflow, docs/model.md)
 *   count.rt.ISA.REASON.round_trips   complete round trips                         count
 *   count.rt_l1.ISA.REASON.L1REASON   L1's exits of one L1 reason in them          count
 *   time.rt.ISA.REASON.l1.L1REASON.service_ns  L0's service time of those L1 exits per round trip
 *   time.rt.ISA.REASON.mean_ns|p50_ns|p99_ns   round trip of a reflected exit
 *   time.rt.ISA.REASON.PART           mean per round trip of each part (l0_exit_ns, ...)
 *   time.l0.ISA.REASON.mean_ns|p50_ns|p99_ns   L0-handled exits (time.l0vmm: out to the VMM)
 *
 * With a real L1 (nvmx bench run --l1 kvm) L1's own exits, the exits synthesised to it and the
 * nested entries are L1's to decide, not the workload's: they are never "exact" (l1_certain).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nvmx/derive.h"
#include "bench.h"
#include "nvmx/breakdown.h"

static void name_part(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = (src[i] == ' ' || src[i] == '.') ? '_' : src[i];
	dst[i] = 0;
}

/*
 * The L1 exits of a breakdown entry's "l1_exits" or "l1_exits_overflow", in every shape nvmx
 * writes: {"vmload": N, ...} or [{"reason": ..., "exits": N, ...}] or a count N or {"exits": N}.
 * The overflow belongs to the exit multiplication (docs/model.md): L1 exits of reasons past the
 * ones a round trip keeps apart.
 */
static uint64_t l1_exits_of(struct json_object *o)
{
	struct json_object *v;
	uint64_t n = 0;

	if (json_object_is_type(o, json_type_int))
		return json_object_get_uint64(o);
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			n += l1_exits_of(json_object_array_get_idx(o, i));
		return n;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	if (json_object_object_get_ex(o, "exits", &v))
		return json_object_is_type(v, json_type_int) ? json_object_get_uint64(v) : 0;
	json_object_object_foreach(o, k, val)
	{
		if (json_object_is_type(val, json_type_int))
			n += json_object_get_uint64(val);
		(void)k;
	}
	return n;
}

/* The metric NAME (created with R zero values if new); its value of repeat rep becomes v. */
static int put(struct json_object *metrics, const char *name, const char *kind, double v, int rep,
	       int repeats, bool add)
{
	struct json_object *m, *vals, *cur;
	bool integer = !strcmp(kind, "exact") || !strcmp(kind, "count");

	if (!json_object_object_get_ex(metrics, name, &m)) {
		m = json_object_new_object();
		vals = json_object_new_array();
		if (!m || !vals)
			return -ENOMEM;
		json_object_object_add(m, "kind", json_object_new_string(kind));
		for (int i = 0; i < repeats; i++)
			json_object_array_add(vals, integer ? json_object_new_int64(0)
							    : json_object_new_double(0));
		json_object_object_add(m, "values", vals);
		json_object_object_add(metrics, name, m);
	} else {
		struct json_object *k;

		/* certain in one repeat, not in another: the weaker kind wins */
		json_object_object_get_ex(m, "kind", &k);
		if (strcmp(json_object_get_string(k), kind) && !strcmp(kind, "count"))
			json_object_object_add(m, "kind", json_object_new_string(kind));
		json_object_object_get_ex(m, "values", &vals);
	}
	cur = json_object_array_get_idx(vals, (size_t)rep);
	if (add)
		v += json_object_get_double(cur);
	return json_object_array_put_idx(vals, (size_t)rep,
					 integer ? json_object_new_int64((int64_t)v)
						 : json_object_new_double(v));
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static bool u64_of(struct json_object *o, const char *key, double *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = (double)json_object_get_uint64(v);
	return true;
}

static bool bool_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int buckets_of(struct json_object *o, const char *key, uint64_t *b)
{
	struct json_object *a;

	memset(b, 0, NVMX_HIST_BUCKETS * sizeof(*b));
	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) != NVMX_HIST_BUCKETS)
		return -EINVAL;
	for (size_t i = 0; i < NVMX_HIST_BUCKETS; i++)
		b[i] = json_object_get_uint64(json_object_array_get_idx(a, i));
	return 0;
}

/* count.SECTION.ISA.REASON[.HANDLER] for each entry of an exit array */
static int add_exits(struct json_object *metrics, struct json_object *s, const char *section,
		     int rep, int repeats, bool certain, double *l2_all, double *l2_l1)
{
	struct json_object *arr;
	int r = 0;

	if (!json_object_object_get_ex(s, section, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return -EINVAL;
	for (size_t i = 0; i < json_object_array_length(arr) && !r; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *isa = str_of(e, "isa"), *reason = str_of(e, "reason");
		const char *by = str_of(e, "handled_by");
		char name[256], rs[128];
		double n;

		if (!isa || !reason || !u64_of(e, "count", &n))
			return -EINVAL;
		name_part(rs, sizeof(rs), reason);
		if (by)
			snprintf(name, sizeof(name), "count.%s.%s.%s.%s", section, isa, rs, by);
		else
			snprintf(name, sizeof(name), "count.%s.%s.%s", section, isa, rs);
		r = put(metrics, name, certain && bool_of(e, "certain") ? "exact" : "count", n, rep,
			repeats, true);
		if (l2_all) {
			*l2_all += n;
			if (by && !strcmp(by, "L1"))
				*l2_l1 += n;
		}
	}
	return r;
}

static int add_quantiles(struct json_object *metrics, const char *prefix, const uint64_t *b,
			 double sum, double n, int rep, int repeats)
{
	static const struct {
		const char *name;
		double p;
	} q[] = { { "p50_ns", 0.50 }, { "p99_ns", 0.99 } };
	char name[300];
	int r;

	snprintf(name, sizeof(name), "%s.mean_ns", prefix);
	r = put(metrics, name, "time", nvmx_mean((uint64_t)sum, (uint64_t)n), rep, repeats, false);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]) && !r; i++) {
		snprintf(name, sizeof(name), "%s.%s", prefix, q[i].name);
		r = put(metrics, name, "time", nvmx_hist_quantile_bounded(b, q[i].p, (uint64_t)sum),
			rep, repeats, false);
	}
	return r;
}

/*
 * One L1 exit reason of a round trip ({"reason", "exits", "service_ns"}; no reason: the overflow,
 * "other"): its count, its exits per round trip (its part of the exit multiplication) and L0's
 * time serving them per round trip.
 */
static int add_l1_reason(struct json_object *metrics, struct json_object *l, const char *isa,
			 const char *rs, uint64_t trips, int rep, int repeats)
{
	const char *reason = str_of(l, "reason");
	char lr[128], name[400];
	double exits, service;
	int r;

	if (!u64_of(l, "exits", &exits) || !u64_of(l, "service_ns", &service))
		return -EINVAL;
	name_part(lr, sizeof(lr), reason ? reason : "other");
	snprintf(name, sizeof(name), "count.rt_l1.%s.%s.%s", isa, rs, lr);
	r = put(metrics, name, "count", exits, rep, repeats, true);
	snprintf(name, sizeof(name), "ratio.mult.%s.%s.l1.%s", isa, rs, lr);
	r = r
		    ?: put(metrics, name, "ratio", nvmx_exit_multiplication((uint64_t)exits, trips),
			   rep, repeats, true);
	snprintf(name, sizeof(name), "time.rt.%s.%s.l1.%s.service_ns", isa, rs, lr);
	return r
		       ?: put(metrics, name, "time", nvmx_mean((uint64_t)service, trips), rep,
			      repeats, true);
}

/* Every L1 exit reason of a breakdown entry (the shape nvmx writes since the L1-exit view). */
static int add_l1_reasons(struct json_object *metrics, struct json_object *e, const char *isa,
			  const char *rs, uint64_t trips, int rep, int repeats)
{
	struct json_object *a, *o;
	int r = 0;

	if (json_object_object_get_ex(e, "l1_exits", &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a) && !r; i++)
			r = add_l1_reason(metrics, json_object_array_get_idx(a, i), isa, rs, trips,
					  rep, repeats);
	/* the overflow only when it holds exits: most runs have none */
	if (!r && json_object_object_get_ex(e, "l1_exits_overflow", &o) &&
	    json_object_is_type(o, json_type_object) && l1_exits_of(o))
		r = add_l1_reason(metrics, o, isa, rs, trips, rep, repeats);
	return r;
}

static int add_breakdown(struct json_object *metrics, struct json_object *s, int rep, int repeats)
{
	struct json_object *arr;
	uint64_t trips = 0, l1_in_trips = 0;
	uint64_t b[NVMX_HIST_BUCKETS];
	int r = 0;

	/* older nvmxd: no breakdown, only counts */
	if (!json_object_object_get_ex(s, "breakdown", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return -EINVAL;
	for (size_t i = 0; i < json_object_array_length(arr) && !r; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *l1;
		const char *isa = str_of(e, "isa"), *reason = str_of(e, "reason");
		char prefix[200], name[300], rs[128];
		double n, sum;
		uint64_t l1n = 0;

		if (!isa || !reason || !u64_of(e, "round_trips", &n) ||
		    !u64_of(e, "round_trip_ns", &sum) || buckets_of(e, "round_trip_buckets", b))
			return -EINVAL;
		name_part(rs, sizeof(rs), reason);
		snprintf(prefix, sizeof(prefix), "time.rt.%s.%s", isa, rs);
		r = add_quantiles(metrics, prefix, b, sum, n, rep, repeats);
		json_object_object_foreach(e, key, val)
		{
			size_t kl = strlen(key);
			double part;

			if (r || kl < 4 || strcmp(key + kl - 3, "_ns") ||
			    !strcmp(key, "round_trip_ns"))
				continue;
			if (!u64_of(e, key, &part))
				return -EINVAL;
			snprintf(name, sizeof(name), "%s.%s", prefix, key);
			r = put(metrics, name, "time", nvmx_mean((uint64_t)part, (uint64_t)n), rep,
				repeats, false);
			(void)val;
		}
		if (json_object_object_get_ex(e, "l1_exits", &l1))
			l1n = l1_exits_of(l1);
		if (json_object_object_get_ex(e, "l1_exits_overflow", &l1))
			l1n += l1_exits_of(l1);
		if (!r) {
			snprintf(name, sizeof(name), "count.rt.%s.%s.round_trips", isa, rs);
			r = put(metrics, name, "count", n, rep, repeats, false);
		}
		if (!r)
			r = add_l1_reasons(metrics, e, isa, rs, (uint64_t)n, rep, repeats);
		if (!r) {
			snprintf(name, sizeof(name), "ratio.mult.%s.%s", isa, rs);
			r = put(metrics, name, "ratio", nvmx_exit_multiplication(l1n, (uint64_t)n),
				rep, repeats, false);
		}
		trips += (uint64_t)n;
		l1_in_trips += l1n;
	}
	if (!r)
		r = put(metrics, "ratio.exit_multiplication", "ratio",
			nvmx_exit_multiplication(l1_in_trips, trips), rep, repeats, false);
	if (r || !json_object_object_get_ex(s, "l0_handled", &arr))
		return r;
	if (!json_object_is_type(arr, json_type_array))
		return -EINVAL;
	for (size_t i = 0; i < json_object_array_length(arr) && !r; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *isa = str_of(e, "isa"), *reason = str_of(e, "reason");
		char prefix[200], rs[128];
		double n, sum;

		if (!isa || !reason || !u64_of(e, "exits", &n) || !u64_of(e, "handling_ns", &sum) ||
		    buckets_of(e, "handling_buckets", b))
			return -EINVAL;
		name_part(rs, sizeof(rs), reason);
		snprintf(prefix, sizeof(prefix), "time.%s.%s.%s",
			 bool_of(e, "to_vmm") ? "l0vmm" : "l0", isa, rs);
		r = add_quantiles(metrics, prefix, b, sum, n, rep, repeats);
	}
	return r;
}

int nvmx_bench_add_summary(struct json_object *metrics, struct json_object *s, int rep, int repeats,
			   bool l1_certain)
{
	struct json_object *v;
	double all = 0, by_l1 = 0, n;
	int r;

	if (!json_object_is_type(s, json_type_object) ||
	    !json_object_object_get_ex(s, "schema", &v) || json_object_get_int(v) != 1)
		return -EINVAL;
	r = add_exits(metrics, s, "l2_exits", rep, repeats, true, &all, &by_l1);
	r = r ?: add_exits(metrics, s, "l1_exits", rep, repeats, l1_certain, NULL, NULL);
	r = r ?: add_exits(metrics, s, "synthesized_to_l1", rep, repeats, l1_certain, NULL, NULL);
	if (r)
		return r;
	if (!u64_of(s, "nested_entries", &n))
		return -EINVAL;
	r = put(metrics, "count.nested_entries", l1_certain ? "exact" : "count", n, rep, repeats,
		false);
	if (!r && u64_of(s, "nested_entries_failed", &n))
		r = put(metrics, "count.nested_entries_failed", "count", n, rep, repeats, false);
	if (!r && u64_of(s, "unattributed", &n))
		r = put(metrics, "count.unattributed", "count", n, rep, repeats, false);
	r = r
		    ?: put(metrics, "ratio.reflect_share", "ratio",
			   nvmx_reflected_share((uint64_t)(all - by_l1), (uint64_t)by_l1), rep,
			   repeats, false);
	return r ?: add_breakdown(metrics, s, rep, repeats);
}
