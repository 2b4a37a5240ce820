// SPDX-License-Identifier: GPL-2.0
/*
 * Writing a summary as JSON, schema 1 (include/nvmx/summary.h): its counts, MSR and port exits,
 * and the keys "breakdown", "l0_handled" and "vectoring" (include/nvmx/breakdown.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "nvmx/exit_reasons.h"
#include "summary_int.h"

/* json-c's add functions only fail on allocation failure. */
static int add_key(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int append(struct json_object *arr, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_array_add(arr, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* Keys inserted in alphabetical order: json-c keeps insertion order, so the output is sorted. */
static struct json_object *exit_json(const struct nvmx_summary_exit *e)
{
	struct json_object *o = json_object_new_object();
	char buf[24];
	int err = 0;

	if (!o)
		return NULL;
	err |= add_key(o, "certain",
		       json_object_new_boolean(nvmx_exit_certain(e->kind, e->isa, e->reason)));
	err |= add_key(o, "count", json_object_new_int64((int64_t)e->count));
	if (e->kind == NVMX_KIND_L2_EXIT)
		err |= add_key(o, "handled_by",
			       json_object_new_string(nvmx_handler_name(e->handled_by)));
	err |= add_key(o, "isa", json_object_new_string(nvmx_isa_name(e->isa)));
	err |= add_key(
		o, "reason",
		json_object_new_string(nvmx_reason_name(e->isa, e->reason, buf, sizeof(buf))));
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* "exit": "L2" with its handled_by, or "exit": "L1" for L1's own exits (handled_by NONE). */
static int add_io_level(struct json_object *o, enum nvmx_handler h)
{
	int err = add_key(o, "exit", json_object_new_string(nvmx_exit_level_name(h)));

	if (h != NVMX_HANDLED_BY_NONE)
		err |= add_key(o, "handled_by", json_object_new_string(nvmx_handler_name(h)));
	return err;
}

/* The cost of an MSR/port entry, only when something was timed (truth files have none). */
static int add_io_cost(struct json_object *o, uint64_t timed, uint64_t sum_ns)
{
	int err = 0;

	if (!timed)
		return 0;
	err |= add_key(o, "sum_ns", json_object_new_int64((int64_t)sum_ns));
	err |= add_key(o, "timed", json_object_new_int64((int64_t)timed));
	return err;
}

static struct json_object *msr_json(const struct nvmx_summary_msr *m)
{
	struct json_object *o = json_object_new_object();
	char buf[24];
	int err = 0;

	if (!o)
		return NULL;
	if (m->msr == NVMX_MSR_UNKNOWN)
		snprintf(buf, sizeof(buf), "unknown");
	else
		snprintf(buf, sizeof(buf), "0x%x", m->msr);
	err |= add_key(o, "access", json_object_new_string(m->write ? "write" : "read"));
	err |= add_key(o, "certain", json_object_new_boolean(nvmx_msr_certain(m)));
	err |= add_key(o, "count", json_object_new_int64((int64_t)m->count));
	err |= add_io_level(o, m->handled_by);
	err |= add_key(o, "isa", json_object_new_string(nvmx_isa_name(m->isa)));
	err |= add_key(o, "msr", json_object_new_string(buf));
	err |= add_io_cost(o, m->timed, m->sum_ns);
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* "filter": which vCPU threads a replay kept (--vm, --vcpu) and how many, with their events. */
struct json_object *nvmx_summary_filter_json(const struct nvmx_summary *s)
{
	const struct nvmx_summary_filter *f = &s->filter;
	struct json_object *o;
	int err = 0;

	if (!s->filtered)
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	err |= add_key(o, "events", json_object_new_int64((int64_t)f->events));
	err |= add_key(o, "threads", json_object_new_int64((int64_t)f->threads));
	if (f->vcpu >= 0)
		err |= add_key(o, "vcpu", json_object_new_int64(f->vcpu));
	if (f->vm[0])
		err |= add_key(o, "vm", json_object_new_string(f->vm));
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *port_json(const struct nvmx_summary_port *p)
{
	struct json_object *o = json_object_new_object();
	char buf[16];
	int err = 0;

	if (!o)
		return NULL;
	snprintf(buf, sizeof(buf), "0x%x", p->port);
	err |= add_key(o, "certain", json_object_new_boolean(nvmx_port_certain(p)));
	err |= add_key(o, "count", json_object_new_int64((int64_t)p->count));
	err |= add_key(o, "direction", json_object_new_string(p->in ? "in" : "out"));
	err |= add_io_level(o, p->handled_by);
	err |= add_key(o, "isa", json_object_new_string(nvmx_isa_name(p->isa)));
	err |= add_key(o, "port", json_object_new_string(buf));
	err |= add_key(o, "size", json_object_new_int(p->size));
	err |= add_io_cost(o, p->timed, p->sum_ns);
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *u64_array(const uint64_t *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_object_array_add(a, json_object_new_int64((int64_t)v[i]))) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

/* The round trips that had cycle figures: their number and parts, in alphabetical order. */
static struct json_object *cycles_json(const struct nvmx_bd_entry *e)
{
	static const uint32_t order[NVMX_RT_PARTS] = {
		NVMX_RT_L0_ENTRY_EMULATION, NVMX_RT_L0_EXIT,	NVMX_RT_L0_REFLECT,
		NVMX_RT_L1_EXIT_SERVICE,    NVMX_RT_L1_HANDLER, NVMX_RT_ROUND_TRIP,
	};
	struct json_object *o = json_object_new_object();
	char key[40];
	int err = 0;

	if (!o)
		return NULL;
	for (uint32_t i = 0; i < NVMX_RT_PARTS; i++) {
		nvmx_bd_cycles_key(order[i], key, sizeof(key));
		err |= add_key(o, key, json_object_new_int64((int64_t)e->sum_cycles[order[i]]));
	}
	err |= add_key(o, "round_trips", json_object_new_int64((int64_t)e->cycles_count));
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* {"exits": N, "service_ns": T}: L1's exits of one reason in the round trips, L0's time on them */
static struct json_object *l1_exits_json(const struct nvmx_bd_l1 *l, const char *reason)
{
	struct json_object *o = json_object_new_object();
	int err = 0;

	if (!o)
		return NULL;
	err |= add_key(o, "exits", json_object_new_int64((int64_t)l->count));
	if (reason)
		err |= add_key(o, "reason", json_object_new_string(reason));
	err |= add_key(o, "service_ns", json_object_new_int64((int64_t)l->service_ns));
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Keys added in alphabetical order: json-c keeps insertion order. */
static struct json_object *round_trip_json(const struct nvmx_bd_entry *e)
{
	struct json_object *o = json_object_new_object(), *l1 = json_object_new_array();
	struct nvmx_bd_l1 overflow = nvmx_bd_l1_overflow(e);
	const struct nvmx_bd_l1 **sorted;
	size_t n_sorted;
	char buf[24];
	int err = 0;

	sorted = nvmx_bd_l1_sorted(e, &n_sorted);
	if (!o || !l1 || !sorted) {
		json_object_put(o);
		json_object_put(l1);
		free(sorted);
		return NULL;
	}
	for (size_t i = 0; i < n_sorted; i++)
		err |= append(l1,
			      l1_exits_json(sorted[i], nvmx_reason_name(e->isa, sorted[i]->reason,
									buf, sizeof(buf))));
	free(sorted);
	if (e->cycles_count)
		err |= add_key(o, "cycles", cycles_json(e));
	err |= add_key(o, "isa", json_object_new_string(nvmx_isa_name(e->isa)));
	err |= add_key(o, "l0_entry_emulation_ns",
		       json_object_new_int64((int64_t)e->sum_ns[NVMX_RT_L0_ENTRY_EMULATION]));
	err |= add_key(o, "l0_exit_ns", json_object_new_int64((int64_t)e->sum_ns[NVMX_RT_L0_EXIT]));
	err |= add_key(o, "l0_reflect_ns",
		       json_object_new_int64((int64_t)e->sum_ns[NVMX_RT_L0_REFLECT]));
	err |= add_key(o, "l1_exit_service_ns",
		       json_object_new_int64((int64_t)e->sum_ns[NVMX_RT_L1_EXIT_SERVICE]));
	err |= add_key(o, "l1_exits", l1);
	err |= add_key(o, "l1_exits_overflow", l1_exits_json(&overflow, NULL));
	err |= add_key(o, "l1_handler_ns",
		       json_object_new_int64((int64_t)e->sum_ns[NVMX_RT_L1_HANDLER]));
	err |= add_key(
		o, "reason",
		json_object_new_string(nvmx_reason_name(e->isa, e->reason, buf, sizeof(buf))));
	err |= add_key(o, "round_trip_buckets", u64_array(e->buckets, NVMX_HIST_BUCKETS));
	err |= add_key(o, "round_trip_ns",
		       json_object_new_int64((int64_t)e->sum_ns[NVMX_RT_ROUND_TRIP]));
	err |= add_key(o, "round_trips", json_object_new_int64((int64_t)e->count));
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *l0_json(const struct nvmx_bd_entry *e)
{
	struct json_object *o = json_object_new_object();
	char buf[24];
	int err = 0;

	if (!o)
		return NULL;
	err |= add_key(o, "exits", json_object_new_int64((int64_t)e->count));
	err |= add_key(o, "handling_buckets", u64_array(e->buckets, NVMX_HIST_BUCKETS));
	err |= add_key(o, "handling_ns", json_object_new_int64((int64_t)e->sum_ns[0]));
	err |= add_key(o, "isa", json_object_new_string(nvmx_isa_name(e->isa)));
	err |= add_key(
		o, "reason",
		json_object_new_string(nvmx_reason_name(e->isa, e->reason, buf, sizeof(buf))));
	err |= add_key(o, "to_vmm", json_object_new_boolean(e->kind == NVMX_BD_L0_TO_VMM));
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *vec_json(const struct nvmx_vec_entry *v)
{
	struct json_object *o = json_object_new_object();
	int err = 0;

	if (!o)
		return NULL;
	err |= add_key(o, "count", json_object_new_int64((int64_t)v->count));
	err |= add_key(o, "isa", json_object_new_string(nvmx_isa_name(v->isa)));
	err |= add_key(o, "outcome", json_object_new_string(nvmx_vec_outcome_name(v->outcome)));
	err |= add_key(o, "type", json_object_new_string(nvmx_vec_type_name(v->type)));
	err |= add_key(o, "vector", json_object_new_int((int32_t)v->vector));
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int bd_json_add(struct json_object *root, const struct nvmx_summary *s, const char *key)
{
	struct json_object *arr = json_object_new_array();
	bool breakdown = !strcmp(key, "breakdown"), vectoring = !strcmp(key, "vectoring");
	int err = 0;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; !vectoring && i < s->n_bds && !err; i++) {
		const struct nvmx_bd_entry *e = &s->bds[i];
		struct json_object *o;

		if (breakdown != (e->kind == NVMX_BD_ROUND_TRIP))
			continue;
		o = breakdown ? round_trip_json(e) : l0_json(e);
		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			err = -ENOMEM;
		}
	}
	for (size_t i = 0; vectoring && i < s->n_vecs && !err; i++) {
		struct json_object *o = vec_json(&s->vecs[i]);

		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			err = -ENOMEM;
		}
	}
	if (err) {
		json_object_put(arr);
		return err;
	}
	return add_key(root, key, arr);
}

static struct json_object *summary_json(const struct nvmx_summary *s)
{
	struct json_object *root = json_object_new_object();
	struct json_object *kinds[4] = { NULL, NULL, NULL, NULL };
	struct json_object *msrs = NULL, *ports = NULL;
	int err = 0;

	if (!root)
		return NULL;
	for (int k = 0; k < 4; k++) {
		kinds[k] = json_object_new_array();
		if (!kinds[k])
			goto fail;
	}
	msrs = json_object_new_array();
	ports = json_object_new_array();
	if (!msrs || !ports)
		goto fail;
	for (size_t i = 0; i < s->n_exits && !err; i++)
		err = append(kinds[s->exits[i].kind], exit_json(&s->exits[i]));
	for (size_t i = 0; i < s->n_msrs && !err; i++)
		err = append(msrs, msr_json(&s->msrs[i]));
	for (size_t i = 0; i < s->n_ports && !err; i++)
		err = append(ports, port_json(&s->ports[i]));
	if (err)
		goto fail;

	/* alphabetical; each add_key takes ownership even when it fails */
	err |= bd_json_add(root, s, "breakdown");
	if (s->filtered)
		err |= add_key(root, "filter", nvmx_summary_filter_json(s));
	err |= bd_json_add(root, s, "l0_handled");
	/* arm64 only: absent rather than empty, so that an x86 summary stays as it was */
	if (json_object_array_length(kinds[NVMX_KIND_INJECTED_TO_L1]))
		err |= add_key(root, "injected_to_l1", kinds[NVMX_KIND_INJECTED_TO_L1]);
	else
		json_object_put(kinds[NVMX_KIND_INJECTED_TO_L1]);
	if (s->l1_uncertain)
		err |= add_key(root, "l1_certain", json_object_new_boolean(0));
	err |= add_key(root, "l1_exits", kinds[NVMX_KIND_L1_EXIT]);
	err |= add_key(root, "l2_exits", kinds[NVMX_KIND_L2_EXIT]);
	err |= add_key(root, "lost_events", json_object_new_int64((int64_t)s->lost));
	err |= add_key(root, "msrs", msrs);
	err |= add_key(root, "nested_entries", json_object_new_int64((int64_t)s->nested_entries));
	err |= add_key(root, "nested_entries_failed",
		       json_object_new_int64((int64_t)s->failed_entries));
	err |= add_key(root, "ports", ports);
	err |= add_key(root, "schema", json_object_new_int(NVMX_SCHEMA));
	err |= add_key(root, "synthesized_to_l1", kinds[NVMX_KIND_SYNTHESIZED_TO_L1]);
	err |= add_key(root, "unattributed", json_object_new_int64((int64_t)s->unattributed));
	err |= bd_json_add(root, s, "vectoring");
	if (err) {
		json_object_put(root);
		return NULL;
	}
	return root;
fail:
	for (int k = 0; k < 4; k++)
		json_object_put(kinds[k]);
	json_object_put(msrs);
	json_object_put(ports);
	json_object_put(root);
	return NULL;
}

int nvmx_summary_write_json(const struct nvmx_summary *s, FILE *out)
{
	struct json_object *root = summary_json(s);
	const char *text;
	int err = 0;

	if (!root)
		return -ENOMEM;
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_SPACED |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		err = -ENOMEM;
	else if (fputs(text, out) == EOF || fputc('\n', out) == EOF || fflush(out) == EOF)
		err = -EIO;
	json_object_put(root);
	return err;
}
