// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxtop connected to a running nvmxd: GET /api/v1/summary (nvmxd --listen, docs/api.md), the
 * document nvmxd --json writes, read at each refresh. Its "vms" → "vcpus" → "latency" entries
 * (outcome, isa, reason, count, timed, sum_ns) are nvmxd's counters' exit keys, each VM's
 * "summary" → "breakdown" its complete round trips: both go into lib's counters
 * (include/nvmx/counters.h), which become rows as every source's do; "nvmxd" has the lost counts
 * and, with --bpf-stats, the programs' run time. Plain HTTP/1.0, one request a refresh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "nvmx/breakdown.h"
#include "nvmx/exit_reasons.h"
#include "collect.h"
#include "http_get.h"
#include "top_source.h"
#include "nvmx/util.h"

struct nvmxd_source {
	struct top_source src;
	struct nvmx_http http;
};

/* The body of nvmxd's answer to GET path, or NULL with why set (advice on ECONNREFUSED). */
static const char *get_body(struct nvmxd_source *ns, const char *path, int *err)
{
	const char *body;

	*err = nvmx_http_get_json(&ns->http, path, "nvmxtop", &body, ns->src.why,
				  sizeof(ns->src.why));
	if (*err == -ECONNREFUSED)
		snprintf(ns->src.why, sizeof(ns->src.why),
			 "nvmxd is not reachable at %s:%s (connection refused): start it with "
			 "'sudo nvmxd --listen %s:%s', or run nvmxtop as root without --connect "
			 "(standalone), or watch a capture with --replay FILE",
			 ns->http.host, ns->http.port, ns->http.host, ns->http.port);
	return *err ? NULL : body;
}

static uint64_t u64_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return (uint64_t)json_object_get_int64(v);
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
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
static int add_latency(struct nvmx_counters *c, uint32_t tgid, uint32_t tid, struct json_object *l)
{
	const char *outcome = str_of(l, "outcome"), *isa = str_of(l, "isa"),
		   *reason = str_of(l, "reason");
	struct nvmx_exit_key k = { .tgid = tgid, .tid = tid };
	struct nvmx_hist h = { 0 };

	if (outcome_of(outcome, &k.outcome) || !isa || nvmx_isa_from_name(isa, &k.isa) || !reason ||
	    nvmx_reason_from_name(reason, strlen(reason), &k.isa, &k.reason))
		return -EINVAL;
	h.count = u64_of(l, "count");
	h.timed = u64_of(l, "timed");
	h.sum_ns = u64_of(l, "sum_ns");
	return h.count ? nvmx_counters_add_exit(c, &k, (const __u64 *)&h) : 0;
}

/*
 * One "breakdown" entry of a VM's summary: its complete round trips and the L1 exits in them, per
 * VM only (nvmxd's maps have no vCPU in the breakdown key).
 */
static int add_round_trips(struct nvmx_counters *c, uint32_t tgid, struct json_object *b)
{
	const char *isa = str_of(b, "isa"), *reason = str_of(b, "reason");
	struct nvmx_bd_key k = { .tgid = tgid, .kind = NVMX_BD_ROUND_TRIP };
	struct nvmx_bd_l1_key lk = { .tgid = tgid };
	struct nvmx_bd_value *v;
	struct json_object *l1;
	__u64 n;
	int err;

	if (!isa || nvmx_isa_from_name(isa, &k.isa) || !reason ||
	    nvmx_reason_from_name(reason, strlen(reason), &k.isa, &k.reason))
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->count = u64_of(b, "round_trips");
	for (uint32_t p = 0; p < NVMX_RT_PARTS; p++)
		v->sum_ns[p] = u64_of(b, nvmx_bd_part_name(p));
	err = v->count ? nvmx_counters_add_bd(c, &k, (const __u64 *)v) : 0;
	free(v);
	lk.isa = k.isa;
	lk.reason = k.reason;
	if (!err && (n = u64_of(b, "l1_exits_overflow"))) {
		lk.l1_reason = NVMX_BD_L1_OVERFLOW;
		err = nvmx_counters_add_bd_l1(c, &lk, &n);
	}
	if (err || !json_object_object_get_ex(b, "l1_exits", &l1) ||
	    !json_object_is_type(l1, json_type_object))
		return err;
	json_object_object_foreach(l1, name, count)
	{
		uint32_t l1_isa = k.isa;

		if (nvmx_reason_from_name(name, strlen(name), &l1_isa, &lk.l1_reason))
			return -EINVAL;
		n = (__u64)json_object_get_int64(count);
		err = nvmx_counters_add_bd_l1(c, &lk, &n);
		if (err)
			return err;
	}
	return 0;
}

static int parse_summary(struct nvmxd_source *ns, struct json_object *doc, struct top_sample *out)
{
	struct json_object *vms, *self, *progs;
	struct nvmx_counters c = { 0 };
	int err = 0;

	if (!json_object_object_get_ex(doc, "vms", &vms) ||
	    !json_object_is_type(vms, json_type_array)) {
		snprintf(ns->src.why, sizeof(ns->src.why),
			 "nvmxd's /api/v1/summary has no \"vms\": not the document nvmxtop reads");
		return -EPROTO;
	}
	for (size_t i = 0; i < json_object_array_length(vms) && !err; i++) {
		struct json_object *vm = json_object_array_get_idx(vms, i), *vcpus, *summary, *bds;
		uint32_t tgid = (uint32_t)u64_of(vm, "pid");
		const char *name = str_of(vm, "name");

		err = top_sample_set_name(out, tgid, name ? name : "?");
		if (!err && json_object_object_get_ex(vm, "summary", &summary) &&
		    json_object_object_get_ex(summary, "breakdown", &bds) &&
		    json_object_is_type(bds, json_type_array))
			for (size_t k = 0; k < json_object_array_length(bds) && !err; k++)
				err = add_round_trips(&c, tgid, json_object_array_get_idx(bds, k));
		if (err || !json_object_object_get_ex(vm, "vcpus", &vcpus))
			continue;
		for (size_t j = 0; j < json_object_array_length(vcpus) && !err; j++) {
			struct json_object *vc = json_object_array_get_idx(vcpus, j), *lat;
			uint32_t tid = (uint32_t)u64_of(vc, "tid");

			if (!json_object_object_get_ex(vc, "latency", &lat))
				continue;
			for (size_t k = 0; k < json_object_array_length(lat) && !err; k++)
				err = add_latency(&c, tgid, tid, json_object_array_get_idx(lat, k));
		}
	}
	/* the counters nvmxd has, as nvmxtop's other sources give them */
	if (!err)
		err = top_sample_add_counters(out, &c, false);
	nvmx_counters_free(&c);
	if (err) {
		if (err == -EINVAL)
			snprintf(ns->src.why, sizeof(ns->src.why),
				 "nvmxd's /api/v1/summary has a latency or breakdown entry nvmxtop "
				 "cannot read (outcome, isa or reason unknown)");
		return err;
	}
	if (json_object_object_get_ex(doc, "nvmxd", &self)) {
		struct json_object *st;

		out->lost_events =
			u64_of(self, "map_update_failures") + u64_of(self, "ringbuf_drops");
		out->overhead_known = json_object_object_get_ex(self, "bpf_stats_enabled", &st) &&
				      json_object_get_boolean(st);
		if (out->overhead_known && json_object_object_get_ex(self, "programs", &progs))
			for (size_t i = 0; i < json_object_array_length(progs); i++) {
				struct json_object *p = json_object_array_get_idx(progs, i), *b;

				/* the --baseline program is not nvmx's cost */
				if (json_object_object_get_ex(p, "baseline", &b) &&
				    json_object_get_boolean(b))
					continue;
				out->bpf_run_ns += u64_of(p, "run_time_ns");
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
	if (!doc) {
		snprintf(src->why, sizeof(src->why), "nvmxd's /api/v1/summary is not JSON");
		return -EPROTO;
	}
	top_sample_reset(out);
	err = parse_summary(ns, doc, out);
	json_object_put(doc);
	if (err)
		return err;
	top_sample_sort(out);
	out->time_ns = nvmx_mono_ns();
	if (!out->n_entries)
		snprintf(src->note, sizeof(src->note),
			 "nvmxd at %s:%s has counted no nested exits yet: no L1 hypervisor on its "
			 "host has run an L2 guest since nvmxd started (no nested host? nvmx up "
			 "--lab)",
			 ns->http.host, ns->http.port);
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

int top_source_nvmxd_new(const char *addr, struct top_source **out, char *why, size_t why_len)
{
	struct nvmxd_source *ns;
	int err;

	*out = NULL;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	err = nvmx_http_init(&ns->http, addr, "--connect", why, why_len);
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
