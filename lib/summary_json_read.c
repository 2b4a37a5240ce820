// SPDX-License-Identifier: GPL-2.0
/*
 * Reading back what summary_json_write.c wrote (schema 1): the counts, MSR and port exits, and
 * the keys "breakdown", "l0_handled" and "vectoring" (include/nvmx/breakdown.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "nvmx/exit_reasons.h"
#include "nvmx/input.h"
#include "summary_int.h"

/*
 * Reading nvmx's JSON back: every error is one "path: what was wrong" line in err, and -EINVAL.
 * ARR[I] names the entry being read (e.g. "l2_exits", 3) in the messages.
 */
struct nvmx_json_reader {
	const char *path;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int nvmx_json_fail(struct nvmx_json_reader *r,
								const char *fmt, ...);

static int nvmx_json_fail(struct nvmx_json_reader *r, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "%s: %s", r->path, what);
	return -EINVAL;
}

static int nvmx_json_get_string(struct nvmx_json_reader *r, struct json_object *o, const char *arr,
				size_t i, const char *key, const char **v)
{
	struct json_object *f;

	*v = NULL; /* set on every path: callers read it only on success, -O3 cannot tell */
	if (!json_object_object_get_ex(o, key, &f))
		return nvmx_json_fail(r, "%s[%zu]: missing \"%s\"", arr, i, key);
	if (!json_object_is_type(f, json_type_string))
		return nvmx_json_fail(r, "%s[%zu]: \"%s\" is not a string", arr, i, key);
	*v = json_object_get_string(f);
	return 0;
}

static int nvmx_json_get_u64(struct nvmx_json_reader *r, struct json_object *o, const char *arr,
			     size_t i, const char *key, uint64_t *v)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, key, &f))
		return nvmx_json_fail(r, "%s[%zu]: missing \"%s\"", arr, i, key);
	switch (nvmx_json_count(f, v)) {
	case 0:
		return 0;
	case -EINVAL:
		return nvmx_json_fail(r, "%s[%zu]: \"%s\" is not an integer", arr, i, key);
	case -EDOM:
		return nvmx_json_fail(r, "%s[%zu]: \"%s\" is negative", arr, i, key);
	default:
		return nvmx_json_fail(r, "%s[%zu]: \"%s\" is out of range (above %" PRId64 ")", arr,
				      i, key, INT64_MAX);
	}
}

static int nvmx_json_get_isa(struct nvmx_json_reader *r, struct json_object *o, const char *arr,
			     size_t i, uint32_t *isa)
{
	const char *v;
	int err = nvmx_json_get_string(r, o, arr, i, "isa", &v);

	if (err)
		return err;
	if (nvmx_isa_from_name(v, isa))
		return nvmx_json_fail(r, "%s[%zu]: isa \"%s\" is not vmx or svm", arr, i, v);
	return 0;
}

static int get_handler(struct nvmx_json_reader *r, struct json_object *o, const char *arr, size_t i,
		       enum nvmx_handler *h)
{
	const char *v = NULL;
	int err = nvmx_json_get_string(r, o, arr, i, "handled_by", &v);

	if (err)
		return err;
	if (!strcmp(v, "L0"))
		*h = NVMX_HANDLED_BY_L0;
	else if (!strcmp(v, "L1"))
		*h = NVMX_HANDLED_BY_L1;
	else
		return nvmx_json_fail(r, "%s[%zu]: handled_by \"%s\" is not L0 or L1", arr, i, v);
	return 0;
}

/* handled_by of an MSR/port entry: "exit": "L1" (an exit of L1 itself) or an L2 exit's handler. */
static int get_io_handler(struct nvmx_json_reader *r, struct json_object *o, const char *arr,
			  size_t i, enum nvmx_handler *h)
{
	struct json_object *f;
	const char *v;

	/* files written before L1's own exits were counted have no "exit": all L2 */
	if (!json_object_object_get_ex(o, "exit", &f))
		return get_handler(r, o, arr, i, h);
	if (!json_object_is_type(f, json_type_string))
		return nvmx_json_fail(r, "%s[%zu]: exit is not a string", arr, i);
	v = json_object_get_string(f);
	if (!strcmp(v, "L1")) {
		*h = NVMX_HANDLED_BY_NONE;
		return 0;
	}
	if (strcmp(v, "L2"))
		return nvmx_json_fail(r, "%s[%zu]: exit \"%s\" is not L1 or L2", arr, i, v);
	return get_handler(r, o, arr, i, h);
}

/* The optional "timed" and "sum_ns" of an MSR/port entry (0 when absent). */
static int get_io_cost(struct nvmx_json_reader *r, struct json_object *o, const char *arr, size_t i,
		       uint64_t *timed, uint64_t *sum_ns)
{
	struct json_object *f;
	int err = 0;

	*timed = *sum_ns = 0;
	if (json_object_object_get_ex(o, "timed", &f))
		err = nvmx_json_get_u64(r, o, arr, i, "timed", timed);
	if (!err && json_object_object_get_ex(o, "sum_ns", &f))
		err = nvmx_json_get_u64(r, o, arr, i, "sum_ns", sum_ns);
	return err;
}

static int nvmx_json_get_array(struct nvmx_json_reader *r, struct json_object *root,
			       const char *key, struct json_object **arr)
{
	if (!json_object_object_get_ex(root, key, arr)) {
		*arr = NULL;
		return 0; /* an absent list is an empty one */
	}
	if (!json_object_is_type(*arr, json_type_array))
		return nvmx_json_fail(r, "\"%s\" is not an array", key);
	return 0;
}

static int read_exits(struct nvmx_json_reader *r, struct json_object *root, struct nvmx_summary *s,
		      enum nvmx_kind kind)
{
	const char *key = nvmx_kind_keys[kind];
	struct json_object *arr;
	int err = nvmx_json_get_array(r, root, key, &arr);

	if (err || !arr)
		return err;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		enum nvmx_handler h = NVMX_HANDLED_BY_NONE;
		uint32_t isa, name_isa, reason;
		const char *name = NULL;
		uint64_t count;

		if (!json_object_is_type(o, json_type_object))
			return nvmx_json_fail(r, "%s[%zu]: not an object", key, i);
		err = nvmx_json_get_isa(r, o, key, i, &isa);
		if (!err)
			err = nvmx_json_get_string(r, o, key, i, "reason", &name);
		if (!err)
			err = nvmx_json_get_u64(r, o, key, i, "count", &count);
		if (!err && kind == NVMX_KIND_L2_EXIT)
			err = get_handler(r, o, key, i, &h);
		if (err)
			return err;
		name_isa = isa;
		if (nvmx_reason_from_name(name, strlen(name), &name_isa, &reason) ||
		    name_isa != isa)
			return nvmx_json_fail(
				r, "%s[%zu]: reason \"%s\" is not an exit reason of this isa", key,
				i, name);
		err = nvmx_summary_add_exit(s, kind, isa, reason, h, count);
		if (err)
			return nvmx_json_fail(r, "%s[%zu]: out of memory", key, i);
	}
	return 0;
}

static int parse_hex(const char *v, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long x;

	if (strncmp(v, "0x", 2) || !v[2])
		return -EINVAL;
	errno = 0;
	x = strtoull(v + 2, &end, 16);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static int read_msrs(struct nvmx_json_reader *r, struct json_object *root, struct nvmx_summary *s)
{
	struct json_object *arr;
	int err = nvmx_json_get_array(r, root, "msrs", &arr);

	if (err || !arr)
		return err;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *msr_s, *access;
		enum nvmx_handler h;
		uint64_t count, timed, sum_ns;
		uint32_t isa, msr;

		if (!json_object_is_type(o, json_type_object))
			return nvmx_json_fail(r, "msrs[%zu]: not an object", i);
		err = nvmx_json_get_isa(r, o, "msrs", i, &isa);
		if (!err)
			err = nvmx_json_get_string(r, o, "msrs", i, "msr", &msr_s);
		if (!err)
			err = nvmx_json_get_string(r, o, "msrs", i, "access", &access);
		if (!err)
			err = get_io_handler(r, o, "msrs", i, &h);
		if (!err)
			err = nvmx_json_get_u64(r, o, "msrs", i, "count", &count);
		if (!err)
			err = get_io_cost(r, o, "msrs", i, &timed, &sum_ns);
		if (err)
			return err;
		if (!strcmp(msr_s, "unknown"))
			msr = NVMX_MSR_UNKNOWN;
		else if (parse_hex(msr_s, 0xfffffffeu, &msr))
			return nvmx_json_fail(r, "%s[%zu]: msr \"%s\" is not 0x<hex> or unknown",
					      "msrs", i, msr_s);
		if (strcmp(access, "read") && strcmp(access, "write"))
			return nvmx_json_fail(r, "%s[%zu]: access \"%s\" is not read or write",
					      "msrs", i, access);
		if (nvmx_summary_add_msr(s, isa, msr, !strcmp(access, "write"), h, count) ||
		    nvmx_summary_add_msr_cost(s, isa, msr, !strcmp(access, "write"), h, timed,
					      sum_ns))
			return nvmx_json_fail(r, "msrs[%zu]: out of memory", i);
	}
	return 0;
}

static int read_ports(struct nvmx_json_reader *r, struct json_object *root, struct nvmx_summary *s)
{
	struct json_object *arr;
	int err = nvmx_json_get_array(r, root, "ports", &arr);

	if (err || !arr)
		return err;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *port_s, *dir;
		enum nvmx_handler h;
		uint64_t count, size, timed, sum_ns;
		uint32_t isa, port;

		if (!json_object_is_type(o, json_type_object))
			return nvmx_json_fail(r, "ports[%zu]: not an object", i);
		err = nvmx_json_get_isa(r, o, "ports", i, &isa);
		if (!err)
			err = nvmx_json_get_string(r, o, "ports", i, "port", &port_s);
		if (!err)
			err = nvmx_json_get_string(r, o, "ports", i, "direction", &dir);
		if (!err)
			err = nvmx_json_get_u64(r, o, "ports", i, "size", &size);
		if (!err)
			err = get_io_handler(r, o, "ports", i, &h);
		if (!err)
			err = nvmx_json_get_u64(r, o, "ports", i, "count", &count);
		if (!err)
			err = get_io_cost(r, o, "ports", i, &timed, &sum_ns);
		if (err)
			return err;
		if (parse_hex(port_s, 0xffff, &port))
			return nvmx_json_fail(r,
					      "%s[%zu]: port \"%s\" is not 0x<hex> below 0x10000",
					      "ports", i, port_s);
		if (strcmp(dir, "in") && strcmp(dir, "out"))
			return nvmx_json_fail(r, "%s[%zu]: direction \"%s\" is not in or out",
					      "ports", i, dir);
		/* 0: the record did not say (struct nvmx_port_key), as replay writes it */
		if (size != 0 && size != 1 && size != 2 && size != 4)
			return nvmx_json_fail(r, "ports[%zu]: size is not 1, 2 or 4 (or 0)", i);
		if (nvmx_summary_add_port(s, isa, (uint16_t)port, !strcmp(dir, "in"), (uint8_t)size,
					  h, count) ||
		    nvmx_summary_add_port_cost(s, isa, (uint16_t)port, !strcmp(dir, "in"),
					       (uint8_t)size, h, timed, sum_ns))
			return nvmx_json_fail(r, "ports[%zu]: out of memory", i);
	}
	return 0;
}

static int read_top_u64(struct nvmx_json_reader *r, struct json_object *root, const char *key,
			uint64_t *v, bool *present)
{
	struct json_object *f;

	*present = json_object_object_get_ex(root, key, &f);
	if (!*present)
		return 0;
	if (nvmx_json_count(f, v))
		return nvmx_json_fail(r, "\"%s\" is not an integer 0..%" PRId64, key, INT64_MAX);
	return 0;
}

/* "filter" (absent: every thread): {"vm", "vcpu", "threads", "events"}, vm and vcpu optional. */
static int read_filter(struct nvmx_json_reader *r, struct json_object *root, struct nvmx_summary *s)
{
	struct nvmx_summary_filter f = { .vcpu = -1 };
	struct json_object *o, *v;
	const char *vm;
	uint64_t n;

	if (!json_object_object_get_ex(root, "filter", &o))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return nvmx_json_fail(r, "\"filter\" is not an object");
	if (nvmx_json_get_u64(r, o, "filter", 0, "threads", &f.threads) ||
	    nvmx_json_get_u64(r, o, "filter", 0, "events", &f.events))
		return -EINVAL;
	if (json_object_object_get_ex(o, "vcpu", &v)) {
		if (nvmx_json_get_u64(r, o, "filter", 0, "vcpu", &n))
			return -EINVAL;
		if (n > UINT32_MAX)
			return nvmx_json_fail(r, "filter[0]: \"vcpu\" is above %" PRIu32,
					      UINT32_MAX);
		f.vcpu = (int64_t)n;
	}
	if (json_object_object_get_ex(o, "vm", &v)) {
		if (nvmx_json_get_string(r, o, "filter", 0, "vm", &vm))
			return -EINVAL;
		snprintf(f.vm, sizeof(f.vm), "%s", vm);
	}
	nvmx_summary_set_filter(s, &f);
	return 0;
}

/* The index below n whose name (nvmx_vec_type_name, nvmx_vec_outcome_name) is v. */
static int lookup(const char *(*name)(uint32_t), uint32_t n, const char *v, uint32_t *out)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(name(i), v)) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

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

		if (nvmx_json_count(x, &b[k]))
			return nvmx_json_fail(r, "%s[%zu]: \"%s\"[%zu] is not a count", arr, i, key,
					      k);
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
			 ovf = 0, ovf_ns = 0;
		uint32_t isa, reason;

		if (!json_object_is_type(o, json_type_object))
			return nvmx_json_fail(r, "breakdown[%zu]: not an object", i);
		err = get_isa_reason(r, o, "breakdown", i, &isa, &reason) ||
		      nvmx_json_get_u64(r, o, "breakdown", i, "round_trips", &n);
		for (uint32_t p = 0; !err && p < NVMX_RT_PARTS; p++)
			err = nvmx_json_get_u64(r, o, "breakdown", i, nvmx_bd_part_name(p),
						&sums[p]);
		if (!err)
			err = get_buckets(r, o, "breakdown", i, "round_trip_buckets", buckets);
		if (!err && json_object_object_get_ex(o, "l1_exits_overflow", &l1)) {
			if (!json_object_is_type(l1, json_type_object))
				return nvmx_json_fail(
					r, "breakdown[%zu]: \"l1_exits_overflow\" is not an object",
					i);
			err = nvmx_json_get_u64(r, l1, "breakdown.l1_exits_overflow", i, "exits",
						&ovf) ||
			      nvmx_json_get_u64(r, l1, "breakdown.l1_exits_overflow", i,
						"service_ns", &ovf_ns);
		}
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
		    nvmx_summary_add_breakdown_l1(s, isa, reason, NVMX_BD_L1_OVERFLOW, ovf, ovf_ns))
			return nvmx_json_fail(r, "breakdown[%zu]: out of memory", i);
		if (!json_object_object_get_ex(o, "l1_exits", &l1) ||
		    !json_object_is_type(l1, json_type_array))
			return nvmx_json_fail(
				r, "breakdown[%zu]: \"l1_exits\" is missing or not an array", i);
		for (size_t k = 0; k < json_object_array_length(l1); k++) {
			struct json_object *x = json_object_array_get_idx(l1, k);
			uint32_t l1_isa = isa, l1_reason;
			uint64_t n_l1, ns_l1;
			const char *name;

			if (!json_object_is_type(x, json_type_object))
				return nvmx_json_fail(
					r, "breakdown[%zu]: l1_exits[%zu] is not an object", i, k);
			if (nvmx_json_get_string(r, x, "breakdown.l1_exits", k, "reason", &name) ||
			    nvmx_json_get_u64(r, x, "breakdown.l1_exits", k, "exits", &n_l1) ||
			    nvmx_json_get_u64(r, x, "breakdown.l1_exits", k, "service_ns", &ns_l1))
				return -EINVAL;
			if (nvmx_reason_from_name(name, strlen(name), &l1_isa, &l1_reason) ||
			    l1_isa != isa)
				return nvmx_json_fail(r,
						      "breakdown[%zu]: l1_exits[%zu]: \"%s\" is "
						      "not an exit reason",
						      i, k, name);
			if (nvmx_summary_add_breakdown_l1(s, isa, reason, l1_reason, n_l1, ns_l1))
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
		if (lookup(nvmx_vec_type_name, NVMX_VEC_TYPES, ts, &type))
			return nvmx_json_fail(r, "vectoring[%zu]: type \"%s\" is not an event type",
					      i, ts);
		if (lookup(nvmx_vec_outcome_name, NVMX_VEC_OUTCOMES, os, &outcome))
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

/* The summary of a parsed document (root), errors named after path. root stays the caller's. */
static struct nvmx_summary *read_root(struct json_object *root, const char *path, char *err,
				      size_t errlen)
{
	struct nvmx_json_reader r = { path, err, errlen };
	struct json_object *schema;
	struct nvmx_summary *s = NULL;
	uint64_t v = 0;
	bool present;

	if (!json_object_is_type(root, json_type_object)) {
		nvmx_json_fail(&r, "not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(root, "schema", &schema) ||
	    !json_object_is_type(schema, json_type_int) ||
	    json_object_get_int(schema) != NVMX_SCHEMA) {
		nvmx_json_fail(&r, "\"schema\" is missing or not %d", NVMX_SCHEMA);
		goto out;
	}
	s = nvmx_summary_new();
	if (!s) {
		nvmx_json_fail(&r, "out of memory");
		goto out;
	}
	if (read_exits(&r, root, s, NVMX_KIND_L2_EXIT) ||
	    read_exits(&r, root, s, NVMX_KIND_L1_EXIT) ||
	    read_exits(&r, root, s, NVMX_KIND_SYNTHESIZED_TO_L1) ||
	    read_exits(&r, root, s, NVMX_KIND_INJECTED_TO_L1) || read_msrs(&r, root, s) ||
	    read_ports(&r, root, s) || read_breakdown(&r, root, s) || read_l0(&r, root, s) ||
	    read_vectoring(&r, root, s) || read_filter(&r, root, s))
		goto fail_s;
	if (read_top_u64(&r, root, "nested_entries", &v, &present))
		goto fail_s;
	if (present)
		nvmx_summary_add_nested_entries(s, v);
	v = 0;
	if (read_top_u64(&r, root, "nested_entries_failed", &v, &present))
		goto fail_s;
	s->failed_entries = v;
	v = 0;
	if (read_top_u64(&r, root, "unattributed", &v, &present))
		goto fail_s;
	s->unattributed = v;
	v = 0;
	/* absent in files of nvmx before it was written: nothing said lost */
	if (read_top_u64(&r, root, "lost_events", &v, &present))
		goto fail_s;
	s->lost = v;
	if (json_object_object_get_ex(root, "l1_certain", &schema)) {
		if (!json_object_is_type(schema, json_type_boolean)) {
			nvmx_json_fail(&r, "\"l1_certain\" is not a boolean");
			goto fail_s;
		}
		s->l1_uncertain = !json_object_get_boolean(schema);
	}
	goto out;
fail_s:
	nvmx_summary_free(s);
	s = NULL;
out:
	return s;
}

struct nvmx_summary *nvmx_summary_read_json(const char *path, char *err, size_t errlen)
{
	struct json_object *root;
	struct nvmx_summary *s;

	if (nvmx_json_read_path(path, &root, err, errlen))
		return NULL;
	s = read_root(root, path, err, errlen);
	json_object_put(root);
	return s;
}

struct nvmx_summary *nvmx_summary_read_json_input(struct nvmx_input *in, const char *name,
						  char *err, size_t errlen)
{
	struct json_object *root;
	struct nvmx_summary *s;

	if (nvmx_input_read_json(in, name, &root, err, errlen))
		return NULL;
	s = read_root(root, name, err, errlen);
	json_object_put(root);
	return s;
}

struct nvmx_summary *nvmx_summary_from_json(struct json_object *root, const char *name, char *err,
					    size_t errlen)
{
	return read_root(root, name, err, errlen);
}
