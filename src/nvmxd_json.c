// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd's JSON document (--json, GET /api/v1/summary): the keys of `nvmx replay --json`
 * (schema 1), plus "vms" (per VM and per vCPU thread, with latency histograms) and "nvmxd" (its
 * self-metrics). src/nvmxd.h.
 */
#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "nvmx/exit_reasons.h"
#include "nvmx/record.h"
#include "nvmx/util.h"
#include "nvmxd.h"

static struct json_object *summary_object(const struct nvmx_counters *c, __u32 tgid, __u32 tid)
{
	struct nvmx_summary *s = nvmx_summary_new();
	struct json_object *o = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (!s)
		return NULL;
	mem = open_memstream(&text, &len);
	if (mem) {
		if (!nvmx_counters_to_summary(c, tgid, tid, s) &&
		    !nvmx_summary_write_json(s, mem)) {
			fclose(mem);
			mem = NULL;
			o = json_tokener_parse(text);
		}
		if (mem)
			fclose(mem);
	}
	free(text);
	nvmx_summary_free(s);
	return o;
}

static struct json_object *hist_object(const struct nvmx_counters_exit *x)
{
	struct json_object *o = json_object_new_object(), *b = json_object_new_array();
	char buf[32];

	if (!o || !b) {
		json_object_put(o);
		json_object_put(b);
		return NULL;
	}
	json_object_object_add(o, "outcome",
			       json_object_new_string(nvmx_outcome_name(x->key.outcome)));
	json_object_object_add(o, "isa", json_object_new_string(nvmx_isa_name(x->key.isa)));
	json_object_object_add(o, "reason",
			       json_object_new_string(nvmx_reason_name(x->key.isa, x->key.reason,
								       buf, sizeof(buf))));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)x->hist.count));
	/* of count, those with a handling time (counts.h nvmx_verdict_timed): sum and buckets */
	json_object_object_add(o, "timed", json_object_new_int64((int64_t)x->hist.timed));
	json_object_object_add(o, "sum_ns", json_object_new_int64((int64_t)x->hist.sum_ns));
	/* non-cumulative: bucket i holds latencies in (2^(i-1), 2^i] ns; the last is +Inf */
	for (__u32 i = 0; i < NVMX_HIST_BUCKETS; i++) {
		struct json_object *e;

		if (!x->hist.buckets[i])
			continue;
		e = json_object_new_object();
		if (!e)
			continue;
		if (i == NVMX_HIST_BUCKETS - 1)
			json_object_object_add(e, "le_ns", json_object_new_string("+Inf"));
		else
			json_object_object_add(e, "le_ns", json_object_new_int64((int64_t)1 << i));
		json_object_object_add(e, "count",
				       json_object_new_int64((int64_t)x->hist.buckets[i]));
		json_object_array_add(b, e);
	}
	json_object_object_add(o, "latency_buckets", b);
	return o;
}

static struct json_object *vms_object(struct nvmxd *d, const struct nvmx_counters *c)
{
	struct json_object *vms = json_object_new_array();

	for (size_t i = 0; vms && i < c->n_exits;) {
		__u32 tgid = c->exits[i].key.tgid;
		struct json_object *vm = json_object_new_object(), *vcpus = json_object_new_array();

		if (!vm || !vcpus) {
			json_object_put(vm);
			json_object_put(vcpus);
			json_object_put(vms);
			return NULL;
		}
		json_object_object_add(vm, "pid", json_object_new_int64(tgid));
		json_object_object_add(vm, "name", json_object_new_string(nvmxd_vm_name(d, tgid)));
		json_object_object_add(vm, "summary", summary_object(c, tgid, 0));
		while (i < c->n_exits && c->exits[i].key.tgid == tgid) {
			__u32 tid = c->exits[i].key.tid;
			struct json_object *v = json_object_new_object(),
					   *lat = json_object_new_array();

			for (; i < c->n_exits && c->exits[i].key.tgid == tgid &&
			       c->exits[i].key.tid == tid;
			     i++)
				if (lat && c->exits[i].hist.count)
					json_object_array_add(lat, hist_object(&c->exits[i]));
			if (!v) {
				json_object_put(lat);
				continue;
			}
			json_object_object_add(v, "tid", json_object_new_int64(tid));
			json_object_object_add(v, "summary", summary_object(c, tgid, tid));
			json_object_object_add(v, "latency", lat);
			json_object_array_add(vcpus, v);
		}
		json_object_object_add(vm, "vcpus", vcpus);
		json_object_array_add(vms, vm);
	}
	return vms;
}

/*
 * "nested_state": KVM_GET/SET_NESTED_STATE per VMM process (docs/model.md), only when nvmxd
 * counts them (NULL otherwise: the key is absent, as in a replay's document).
 */
static struct json_object *nested_state_object(struct nvmxd *d, const struct nvmx_counters *c)
{
	struct json_object *a;

	if (!d->ns)
		return NULL;
	a = json_object_new_array();
	for (size_t i = 0; a && i < c->n_ns; i++) {
		struct json_object *vm = json_object_new_object();

		if (!vm)
			break;
		json_object_object_add(vm, "pid", json_object_new_int64(c->ns[i].tgid));
		json_object_object_add(vm, "name",
				       json_object_new_string(nvmxd_vm_name(d, c->ns[i].tgid)));
		for (__u32 k = 0; k < NVMX_NS_COUNT; k++)
			json_object_object_add(vm, nvmx_ns_slot_name(k),
					       json_object_new_int64((int64_t)c->ns[i].n[k]));
		json_object_array_add(a, vm);
	}
	return a;
}

bool nvmxd_bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

static struct json_object *self_object(struct nvmxd *d, const struct nvmx_counters *c)
{
	struct json_object *o = json_object_new_object(), *progs = json_object_new_array();
	size_t missing, attached = nvmx_loader__attached(d->loader, &missing);
	bool stats = d->stats_fd >= 0 || nvmxd_bpf_stats_enabled(), mounted;
	const char *tracefs = nvmx_loader__tracefs(d->loader, &mounted);

	if (!o || !progs) {
		json_object_put(o);
		json_object_put(progs);
		return NULL;
	}
	for (size_t i = 0; i < nvmx_loader__prog_count(d->loader); i++) {
		const struct nvmx_loader_prog *p = nvmx_loader__prog(d->loader, i);
		struct json_object *e = json_object_new_object();
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd;

		if (!e)
			continue;
		json_object_object_add(e, "tracepoint", json_object_new_string(p->tracepoint));
		json_object_object_add(e, "program", json_object_new_string(p->name));
		json_object_object_add(e, "baseline", json_object_new_boolean(p->baseline != NULL));
		json_object_object_add(e, "attached", json_object_new_boolean(p->attached));
		if (!p->attached)
			json_object_object_add(e, "missing", json_object_new_string(p->missing));
		fd = p->attached ? p->fd : -1;
		memset(&info, 0, sizeof(info));
		/* libbpf 1.1 has no bpf_prog_get_info_by_fd (1.2+); this is the same call */
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
			if (stats) {
				json_object_object_add(
					e, "run_cnt", json_object_new_int64((int64_t)info.run_cnt));
				json_object_object_add(
					e, "run_time_ns",
					json_object_new_int64((int64_t)info.run_time_ns));
			}
			json_object_object_add(
				e, "recursion_misses",
				json_object_new_int64((int64_t)info.recursion_misses));
		}
		json_object_array_add(progs, e);
	}
	json_object_object_add(o, "programs", progs);
	json_object_object_add(o, "programs_attached", json_object_new_int64((int64_t)attached));
	json_object_object_add(o, "programs_missing", json_object_new_int64((int64_t)missing));
	json_object_object_add(o, "bpf_stats_enabled", json_object_new_boolean(stats));
	json_object_object_add(o, "events",
			       json_object_new_int64((int64_t)c->self[NVMX_SELF_EVENTS]));
	json_object_object_add(o, "lost_events",
			       json_object_new_int64((int64_t)nvmx_counters_lost(c)));
	json_object_object_add(o, "skipped_events", json_object_new_int64((int64_t)c->skipped));
	json_object_object_add(o, "map_update_failures",
			       json_object_new_int64((int64_t)nvmx_counters_update_failures(c)));
	json_object_object_add(o, "cycles",
			       json_tokener_parse(nvmxd_turtles_cycles_json(d->turtles)));
	json_object_object_add(
		o, "lost_deliveries",
		json_object_new_int64((int64_t)nvmxd_turtles_lost_events(d->turtles)));
	json_object_object_add(o, "ringbuf_drops",
			       json_object_new_int64((int64_t)c->self[NVMX_SELF_RINGBUF_DROPPED]));
	json_object_object_add(o, "ringbuf_records",
			       json_object_new_int64((int64_t)c->self[NVMX_SELF_RINGBUF_SENT]));
	json_object_object_add(o, "recorded_lines", json_object_new_int64((int64_t)d->recorded));
	json_object_object_add(o, "threads_ended",
			       json_object_new_int64((int64_t)d->threads_ended));
	json_object_object_add(o, "nested_state_attached", json_object_new_boolean(d->ns != NULL));
	if (!d->ns)
		json_object_object_add(o, "nested_state_missing",
				       json_object_new_string(d->ns_missing));
	else
		json_object_object_add(
			o, "nested_state_programs",
			json_object_new_string(nvmxd_ns_fexit(d->ns) ? "fexit" : "classic"));
	json_object_object_add(o, "nested_state_update_failures",
			       json_object_new_int64((int64_t)c->ns_update_failures));
	json_object_object_add(o, "nested_state_skipped",
			       json_object_new_int64((int64_t)c->ns_skipped));
	/* --json: false in a --checkpoint document (the run goes on), true in the last one */
	json_object_object_add(o, "final", json_object_new_boolean(d->writing_final));
	json_object_object_add(o, "checkpoints", json_object_new_int64((int64_t)d->checkpoints));
	json_object_object_add(o, "vcpus_at_attach",
			       json_object_new_int64((int64_t)d->vcpus_at_attach));
	json_object_object_add(o, "vms_at_attach",
			       json_object_new_int64((int64_t)d->vms_at_attach));
	json_object_object_add(o, "tracefs", json_object_new_string(tracefs));
	json_object_object_add(o, "tracefs_mounted_by_nvmxd", json_object_new_boolean(mounted));
	json_object_object_add(o, "btf", json_object_new_string(nvmx_loader__btf(d->loader)));
	{
		struct utsname u;

		/* this kernel: KVM's bitmap rules for nvmx bitmap of this document */
		json_object_object_add(o, "kernel",
				       json_object_new_string(uname(&u) ? "" : u.release));
	}
	/* how long the counts cover: rates (nvmx bitmap) */
	json_object_object_add(
		o, "counted_seconds",
		json_object_new_double(d->start_ns ? (double)(nvmx_mono_ns() - d->start_ns) / 1e9
						   : 0));
	return o;
}

/* The --json document of counts c; also GET /api/v1/summary (from the HTTP thread). */
int nvmxd_write_summary(struct nvmxd *d, const struct nvmx_counters *c, FILE *f)
{
	const char *keys[3] = { "nvmxd", "vms", "nested_state" };
	const char *values[3] = { NULL, NULL, NULL };
	struct json_object *self = self_object(d, c), *vms = vms_object(d, c),
			   *ns = nested_state_object(d, c);
	struct nvmx_summary *s = nvmx_summary_new();
	int err = -ENOMEM;

	if (self && vms && s)
		err = nvmx_counters_to_summary(c, 0, 0, s);
	if (!err) {
		values[0] = json_object_to_json_string_ext(self, JSON_C_TO_STRING_PLAIN);
		values[1] = json_object_to_json_string_ext(vms, JSON_C_TO_STRING_PLAIN);
		values[2] = ns ? json_object_to_json_string_ext(ns, JSON_C_TO_STRING_PLAIN) : NULL;
		err = nvmx_summary_write_json_extra(s, keys, values, ns ? 3 : 2, f);
	}
	json_object_put(self);
	json_object_put(vms);
	json_object_put(ns);
	nvmx_summary_free(s);
	return err;
}

int nvmxd_write_json(struct nvmxd *d, bool final)
{
	char *text = NULL, msg[512];
	size_t len = 0;
	FILE *mem;
	int err;

	/*
	 * The document is made in memory, then the file is replaced whole (src/outfile.h): a
	 * reader never sees half of it, and a write error keeps its real errno (ENOSPC), which a
	 * stdio stream on the file would have turned into a bare failure.
	 */
	d->writing_final = final;
	mem = open_memstream(&text, &len);
	if (!mem)
		return nvmxd_fail(-ENOMEM, "writing %s failed: out of memory", d->o.json_path);
	err = nvmxd_write_summary(d, &d->counts, mem);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (err) {
		free(text);
		return nvmxd_fail(err, "writing %s failed: %s", d->o.json_path, strerror(-err));
	}
	err = nvmxd_outfile_replace(&d->json, text, len, msg, sizeof(msg));
	free(text);
	if (err)
		return nvmxd_fail_output(err, "%s", msg);
	if (!final)
		d->checkpoints++;
	return 0;
}
