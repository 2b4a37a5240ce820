// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxtop connected to a running nvmxd: GET /api/v1/summary (nvmxd --listen, docs/api.md), the
 * document nvmxd --json writes, read at each refresh. Its "vms" → "vcpus" → "latency" entries
 * (outcome, isa, reason, count, timed, sum_ns) are nvmxd's counters' exit keys, each VM's
 * "summary" → "breakdown" its complete round trips: both go into lib's counters
 * (include/nvmx/counters.h), which become rows as every source's do; "nvmxd" has the lost counts
 * and, with --bpf-stats, the programs' run time. One request a refresh, over HTTP or HTTPS with
 * basic auth (cli/http_get.h: libcurl).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "nvmx/breakdown.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/input.h"
#include "collect.h"
#include "http_get.h"
#include "top_source.h"
#include "nvmx/util.h"

struct nvmxd_source {
	struct top_source src;
	struct nvmx_http http;
};

/*
 * The body of nvmxd's answer to GET path, or NULL with why set (advice on ECONNREFUSED) and
 * config_error said.
 */
static const char *get_body(struct nvmxd_source *ns, const char *path, int *err)
{
	const char *body;

	*err = nvmx_http_get_json(&ns->http, path, "nvmxtop", &body, ns->src.why,
				  sizeof(ns->src.why));
	ns->src.config_error = *err && ns->http.config_error;
	if (*err == -ECONNREFUSED)
		snprintf(ns->src.why, sizeof(ns->src.why),
			 "nvmxd at %s: connection refused (start it with 'sudo nvmxd --listen "
			 "%s', or run nvmxtop as root without --connect, or watch a capture with "
			 "--replay FILE)",
			 ns->http.where, ns->http.where);
	return *err ? NULL : body;
}

/*
 * The answer is not what nvmxtop reads: why says where ("vms[0].vcpus[1]: ...") and the
 * sample fails with -EPROTO (exit status 2: json-c asserted on a non-array before).
 */
__attribute__((format(printf, 2, 3))) static int bad_doc(struct nvmxd_source *ns, const char *fmt,
							 ...);

static int bad_doc(struct nvmxd_source *ns, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(ns->src.why, sizeof(ns->src.why),
		 "nvmxd's /api/v1/summary at %s is not the document nvmxtop reads: %s",
		 ns->http.where, what);
	ns->src.bad_input = true;
	return -EPROTO;
}

/* A count (nvmx_json_count: 0..INT64_MAX); -EPROTO else. */
static int count_value(struct json_object *v, __u64 *out)
{
	uint64_t x;
	int err = nvmx_json_count(v, &x);

	*out = x;
	return err ? -EPROTO : 0;
}

/* The count o[key]: 0 when absent, -EPROTO when not a count. */
static int count_of(struct json_object *o, const char *key, __u64 *out)
{
	struct json_object *v;

	*out = 0;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return count_value(v, out);
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* o[key] when it is an array, NULL when absent; -EPROTO when it is something else. */
static int array_of(struct json_object *o, const char *key, struct json_object **arr)
{
	*arr = NULL;
	if (!json_object_object_get_ex(o, key, arr) || !*arr)
		return 0;
	return json_object_is_type(*arr, json_type_array) ? 0 : -EPROTO;
}

static int outcome_of(const char *name, uint32_t *out)
{
	for (uint32_t k = 0; k < NVMX_OUT_COUNT; k++)
		if (name && !strcmp(name, nvmx_outcome_name(k))) {
			*out = k;
			return 0;
		}
	return -EINVAL;
}

/* One "latency" entry of a vCPU: an exit key of the counters and its value. */
static int add_latency(struct nvmxd_source *ns, struct nvmx_counters *c, uint32_t tgid,
		       uint32_t tid, struct json_object *l, const char *where)
{
	const char *outcome = str_of(l, "outcome"), *isa = str_of(l, "isa"),
		   *reason = str_of(l, "reason");
	struct nvmx_exit_key k = { .tgid = tgid, .tid = tid };
	struct nvmx_hist h = { 0 };
	static const char *const keys[] = { "count", "timed", "sum_ns" };
	__u64 *vals[] = { &h.count, &h.timed, &h.sum_ns };

	if (!json_object_is_type(l, json_type_object))
		return bad_doc(ns, "%s: not an object", where);
	if (outcome_of(outcome, &k.outcome) || !isa || nvmx_isa_from_name(isa, &k.isa) || !reason ||
	    nvmx_reason_from_name(reason, strlen(reason), &k.isa, &k.reason))
		return bad_doc(ns, "%s: outcome, isa or reason unknown", where);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (count_of(l, keys[i], vals[i]))
			return bad_doc(ns, "%s: \"%s\" is not a count", where, keys[i]);
	return h.count ? nvmx_counters_add_exit(c, &k, (const __u64 *)&h) : 0;
}

/*
 * One "breakdown" entry of a vCPU thread's summary: its complete round trips and the L1 exits in
 * them (nvmxd's breakdown keys carry the thread; a VM's is the sum over its vCPUs).
 */
static int add_round_trips(struct nvmxd_source *ns, struct nvmx_counters *c, uint32_t tgid,
			   uint32_t tid, struct json_object *b, const char *where)
{
	const char *isa = str_of(b, "isa"), *reason = str_of(b, "reason");
	struct nvmx_bd_key k = { .tgid = tgid, .tid = tid, .kind = NVMX_BD_ROUND_TRIP };
	struct nvmx_bd_l1_key lk = { .tgid = tgid, .tid = tid };
	struct nvmx_bd_value *v;
	struct json_object *l1;
	__u64 n;
	int err = 0;

	if (!json_object_is_type(b, json_type_object))
		return bad_doc(ns, "%s: not an object", where);
	if (!isa || nvmx_isa_from_name(isa, &k.isa) || !reason ||
	    nvmx_reason_from_name(reason, strlen(reason), &k.isa, &k.reason))
		return bad_doc(ns, "%s: isa or reason unknown", where);
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (count_of(b, "round_trips", &n))
		err = bad_doc(ns, "%s: \"round_trips\" is not a count", where);
	v->count = n;
	for (uint32_t p = 0; p < NVMX_RT_PARTS && !err; p++) {
		if (count_of(b, nvmx_bd_part_name(p), &n))
			err = bad_doc(ns, "%s: \"%s\" is not a count", where, nvmx_bd_part_name(p));
		v->sum_ns[p] = n;
	}
	if (!err && v->count)
		err = nvmx_counters_add_bd(c, &k, (const __u64 *)v);
	free(v);
	lk.isa = k.isa;
	lk.reason = k.reason;
	if (!err && json_object_object_get_ex(b, "l1_exits_overflow", &l1)) {
		struct nvmx_bd_l1_value o = { 0 };

		if (count_of(l1, "exits", &o.count) || count_of(l1, "service_ns", &o.sum_ns))
			return bad_doc(ns, "%s: \"l1_exits_overflow\" is not {exits, service_ns}",
				       where);
		lk.l1_reason = NVMX_BD_L1_OVERFLOW;
		if (o.count)
			err = nvmx_counters_add_bd_l1(c, &lk, (const __u64 *)&o);
	}
	if (err || !json_object_object_get_ex(b, "l1_exits", &l1))
		return err;
	if (!json_object_is_type(l1, json_type_array))
		return bad_doc(ns, "%s: \"l1_exits\" is not an array", where);
	for (size_t i = 0; i < json_object_array_length(l1); i++) {
		struct json_object *x = json_object_array_get_idx(l1, i);
		const char *name = str_of(x, "reason");
		struct nvmx_bd_l1_value v1 = { 0 };
		uint32_t l1_isa = k.isa;

		if (!name || nvmx_reason_from_name(name, strlen(name), &l1_isa, &lk.l1_reason))
			return bad_doc(ns, "%s: \"l1_exits\"[%zu]: not an exit reason", where, i);
		if (count_of(x, "exits", &v1.count) || count_of(x, "service_ns", &v1.sum_ns))
			return bad_doc(ns, "%s: \"l1_exits\": \"%s\" is not a count", where, name);
		err = nvmx_counters_add_bd_l1(c, &lk, (const __u64 *)&v1);
		if (err)
			return err;
	}
	return 0;
}

/* A vCPU's "summary": its "breakdown" entries into the counters. */
static int add_vcpu_breakdown(struct nvmxd_source *ns, struct nvmx_counters *c, uint32_t tgid,
			      uint32_t tid, struct json_object *vc, size_t i, size_t j)
{
	struct json_object *summary, *bds;
	char where[96];
	int err = 0;

	if (!json_object_object_get_ex(vc, "summary", &summary) ||
	    !json_object_is_type(summary, json_type_object) ||
	    !json_object_object_get_ex(summary, "breakdown", &bds))
		return 0;
	if (!json_object_is_type(bds, json_type_array))
		return bad_doc(ns, "vms[%zu].vcpus[%zu]: \"breakdown\" is not an array", i, j);
	for (size_t k = 0; k < json_object_array_length(bds) && !err; k++) {
		snprintf(where, sizeof(where), "vms[%zu].vcpus[%zu]: breakdown[%zu]", i, j, k);
		err = add_round_trips(ns, c, tgid, tid, json_object_array_get_idx(bds, k), where);
	}
	return err;
}

/* A VM's vCPUs: their "latency" and "breakdown" entries into the counters. */
static int add_vcpus(struct nvmxd_source *ns, struct nvmx_counters *c, uint32_t tgid,
		     struct json_object *vm, size_t i)
{
	struct json_object *vcpus;
	char where[96];
	int err = 0;

	if (array_of(vm, "vcpus", &vcpus))
		return bad_doc(ns, "vms[%zu]: \"vcpus\" is not an array", i);
	for (size_t j = 0; vcpus && j < json_object_array_length(vcpus) && !err; j++) {
		struct json_object *vc = json_object_array_get_idx(vcpus, j), *lat;
		__u64 tid;

		if (!json_object_is_type(vc, json_type_object))
			return bad_doc(ns, "vms[%zu].vcpus[%zu]: not an object", i, j);
		if (count_of(vc, "tid", &tid) || tid > UINT32_MAX)
			return bad_doc(ns, "vms[%zu].vcpus[%zu]: \"tid\" is not a thread id", i, j);
		if (array_of(vc, "latency", &lat))
			return bad_doc(ns, "vms[%zu].vcpus[%zu]: \"latency\" is not an array", i,
				       j);
		for (size_t k = 0; lat && k < json_object_array_length(lat) && !err; k++) {
			snprintf(where, sizeof(where), "vms[%zu].vcpus[%zu]: latency[%zu]", i, j,
				 k);
			err = add_latency(ns, c, tgid, (uint32_t)tid,
					  json_object_array_get_idx(lat, k), where);
		}
		if (!err)
			err = add_vcpu_breakdown(ns, c, tgid, (uint32_t)tid, vc, i, j);
	}
	return err;
}

static int parse_summary(struct nvmxd_source *ns, struct json_object *doc, struct top_sample *out)
{
	struct json_object *vms, *self, *progs;
	struct nvmx_counters c = { 0 };
	int err = 0;

	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "vms", &vms) ||
	    !json_object_is_type(vms, json_type_array))
		return bad_doc(ns, "no \"vms\" array");
	for (size_t i = 0; i < json_object_array_length(vms) && !err; i++) {
		struct json_object *vm = json_object_array_get_idx(vms, i);
		const char *name;
		__u64 pid;

		if (!json_object_is_type(vm, json_type_object)) {
			err = bad_doc(ns, "vms[%zu]: not an object", i);
			break;
		}
		if (count_of(vm, "pid", &pid) || pid > UINT32_MAX) {
			err = bad_doc(ns, "vms[%zu]: \"pid\" is not a process id", i);
			break;
		}
		name = str_of(vm, "name");
		err = top_sample_set_name(out, (uint32_t)pid, name ? name : "?");
		/* the VM's breakdown is its vCPUs' summed: read from them, not twice */
		if (!err)
			err = add_vcpus(ns, &c, (uint32_t)pid, vm, i);
	}
	/* the counters nvmxd has, as nvmxtop's other sources give them */
	if (!err)
		err = top_sample_add_counters(out, &c, false);
	nvmx_counters_free(&c);
	if (err)
		return err;
	if (json_object_object_get_ex(doc, "nvmxd", &self) &&
	    json_object_is_type(self, json_type_object)) {
		struct json_object *st;
		__u64 lost, ns_run;

		/* nvmxd's lost events (docs/model.md): ring-buffer drops affect only --record */
		if (count_of(self, "lost_events", &lost))
			return bad_doc(ns, "nvmxd: \"lost_events\" is not a count");
		out->lost_events = lost;
		out->overhead_known = json_object_object_get_ex(self, "bpf_stats_enabled", &st) &&
				      json_object_get_boolean(st);
		if (out->overhead_known && array_of(self, "programs", &progs))
			return bad_doc(ns, "nvmxd: \"programs\" is not an array");
		for (size_t i = 0;
		     out->overhead_known && progs && i < json_object_array_length(progs); i++) {
			struct json_object *p = json_object_array_get_idx(progs, i), *b;

			if (!json_object_is_type(p, json_type_object) ||
			    count_of(p, "run_time_ns", &ns_run))
				return bad_doc(ns, "nvmxd: programs[%zu]: not a program", i);
			/* the --baseline program is not nvmx's cost */
			if (json_object_object_get_ex(p, "baseline", &b) &&
			    json_object_get_boolean(b))
				continue;
			out->bpf_run_ns += ns_run;
		}
	}
	return 0;
}

static int nvmxd_sample(struct top_source *src, struct top_sample *out)
{
	struct nvmxd_source *ns = (struct nvmxd_source *)src;
	struct json_object *doc;
	const char *body;
	int err;

	body = get_body(ns, "/api/v1/summary", &err);
	if (!body)
		return err;
	doc = json_tokener_parse(body);
	if (!doc)
		return bad_doc(ns, "not JSON");
	src->bad_input = false;
	top_sample_reset(out);
	err = parse_summary(ns, doc, out);
	json_object_put(doc);
	if (err)
		return err;
	top_sample_sort(out);
	out->time_ns = nvmx_mono_ns();
	if (!out->n_entries)
		snprintf(src->note, sizeof(src->note),
			 "nvmxd at %.100s has counted no nested exits yet: no L1 hypervisor on its "
			 "host has run an L2 guest since nvmxd started (no nested host? nvmx up "
			 "--lab)",
			 ns->http.where);
	else
		src->note[0] = '\0';
	return 0;
}

static int nvmxd_finish(struct top_source *src, struct top_sample *out)
{
	/* nvmxd ends its threads' state itself, at its own exit */
	return nvmxd_sample(src, out);
}

static void nvmxd_free(struct top_source *src)
{
	struct nvmxd_source *ns = (struct nvmxd_source *)src;

	nvmx_http_free(&ns->http);
	free(ns);
}

static const struct top_source_ops nvmxd_ops = {
	.sample = nvmxd_sample,
	.finish = nvmxd_finish,
	.free = nvmxd_free,
};

int top_source_nvmxd_new(const char *addr, const struct nvmx_http_opts *http,
			 struct top_source **out, char *why, size_t why_len)
{
	struct nvmxd_source *ns;
	int err;

	*out = NULL;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	err = nvmx_http_init(&ns->http, addr, "--connect", http, why, why_len);
	if (err) {
		free(ns);
		return err;
	}
	ns->src.ops = &nvmxd_ops;
	ns->src.live = true;
	ns->src.retry = true;
	snprintf(ns->src.what, sizeof(ns->src.what), "nvmxd at %s", addr);
	*out = &ns->src;
	return 0;
}
