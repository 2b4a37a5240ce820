// SPDX-License-Identifier: GPL-2.0
/* nvmxtop's batch outputs: plain text (top -b, kvm_stat -l) and JSON lines, one refresh each. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <json-c/json.h>

#include "nvmx/derive.h"
#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/breakdown.h"
#include "nvmx/exit_reasons.h"
#include "top_out.h"

int top_print_text(FILE *out, const struct top_view *v, const struct top_where *w, const char *note)
{
	struct top_fmt f = { .width = 0, .rate = false };
	char head[TOP_HEADER_LINES][TOP_LINE_MAX], line[TOP_LINE_MAX], name[128];

	top_fmt_header(&f, v, w, head);
	for (int i = 0; i < TOP_HEADER_LINES; i++)
		fprintf(out, "%s\n", head[i]);
	if (!v->n_vms) {
		fprintf(out, "%s\n", note && note[0] ? note : "no nested exits yet");
		fprintf(out, "\n");
		return fflush(out) ? -errno : 0;
	}
	top_fmt_titles(&f, line, sizeof(line));
	fprintf(out, "%s\n", line);
	for (size_t i = 0; i < v->n_vms; i++) {
		const struct top_vm *vm = &v->vms[i];

		top_fmt_vm_name(vm, name, sizeof(name));
		top_fmt_row(&f, v, name, &vm->st, line, sizeof(line));
		fprintf(out, "%s\n", line);
		for (size_t j = 0; j < vm->n_vcpus; j++) {
			const struct top_vcpu *vc = &vm->vcpus[j];

			snprintf(name, sizeof(name), "  thread %" PRIu32, vc->tid);
			top_fmt_row(&f, v, name, &vc->st, line, sizeof(line));
			fprintf(out, "%s\n", line);
			for (size_t k = 0; k < vc->n_reasons; k++) {
				snprintf(name, sizeof(name), "    %s %s",
					 nvmx_isa_name(vc->reasons[k].isa), vc->reasons[k].name);
				top_fmt_row(&f, v, name, &vc->reasons[k].st, line, sizeof(line));
				fprintf(out, "%s\n", line);
			}
		}
	}
	fprintf(out, "\n");
	return fflush(out) ? -errno : 0;
}

int top_print_l1_text(FILE *out, const struct top_view *v)
{
	struct top_fmt f = { .width = 0, .rate = false };
	char line[TOP_LINE_MAX];

	fprintf(out, "L1's exits inside the round trips (L0svc: L0's kvm_exit -> kvm_entry):\n");
	top_fmt_l1_titles(&f, line, sizeof(line));
	fprintf(out, "%s\n", line);
	for (size_t i = 0; i < v->n_vms; i++)
		for (size_t k = 0; k < v->vms[i].n_l1s; k++) {
			top_fmt_l1_row(&f, v, &v->vms[i], &v->vms[i].l1s[k], line, sizeof(line));
			fprintf(out, "%s\n", line);
		}
	fprintf(out, "\n");
	return fflush(out) ? -errno : 0;
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

/* {"l2_by_l0": {"total": N, "delta": N, "sum_ns": N, "delta_sum_ns": N}, ...} */
static struct json_object *stats_object(const struct top_stats *st)
{
	static const char *const names[TOP_SLOTS] = {
		[TOP_L2_BY_L0] = "l2_exit_handled_by_l0",
		[TOP_L2_BY_L1] = "l2_exit_reflected_to_l1",
		[TOP_SYNTHESIZED_TO_L1] = "synthesized_to_l1",
		[TOP_L1_EXIT] = "l1_exit",
		[TOP_NESTED_ENTRY] = "nested_entry",
		[TOP_UNATTRIBUTED] = "unattributed",
		[TOP_NESTED_ENTRY_FAILED] = "nested_entry_failed",
		[TOP_ROUND_TRIP] = "round_trip",
	};
	struct json_object *o = json_object_new_object();

	for (int k = 0; o && k < TOP_SLOTS; k++) {
		struct json_object *c;

		if (!st->n[k])
			continue;
		c = json_object_new_object();
		if (!c)
			continue;
		add_u64(c, "total", st->n[k]);
		add_u64(c, "delta", st->dn[k]);
		/*
		 * A reflected exit's time to its delivery to L1 is only the l0_exit part: its
		 * cost is the round trip (docs/model.md's glossary), so no sum here.
		 */
		if (k != TOP_L2_BY_L1) {
			add_u64(c, "timed", st->t[k]);
			add_u64(c, "sum_ns", st->ns[k]);
			add_u64(c, "delta_timed", st->dt[k]);
			add_u64(c, "delta_sum_ns", st->dns[k]);
		}
		if (k == TOP_ROUND_TRIP) {
			struct json_object *p = json_object_new_object(),
					   *dp = json_object_new_object();

			for (int i = 0; p && dp && i < TOP_RT_PARTS; i++) {
				add_u64(p, nvmx_bd_part_name((uint32_t)i), st->part_ns[i]);
				add_u64(dp, nvmx_bd_part_name((uint32_t)i), st->dpart_ns[i]);
			}
			json_object_object_add(c, "parts_sum_ns", p);
			json_object_object_add(c, "delta_parts_sum_ns", dp);
			add_u64(c, "l1_exits", st->l1_exits);
			add_u64(c, "delta_l1_exits", st->dl1_exits);
			json_object_object_add(
				c, "mean_ns",
				json_object_new_double(nvmx_mean(st->ns[k], st->n[k])));
			json_object_object_add(c, "multiplication",
					       json_object_new_double(nvmx_exit_multiplication(
						       st->l1_exits, st->n[k])));
		}
		json_object_object_add(o, names[k], c);
	}
	return o;
}

/* A VM's L1-exit rows (top_print_json's comment in top_out.h). */
static struct json_object *l1_exits_array(const struct top_vm *vm)
{
	struct json_object *a = json_object_new_array();

	for (size_t k = 0; a && k < vm->n_l1s; k++) {
		const struct top_l1_row *r = &vm->l1s[k];
		struct json_object *o = json_object_new_object();

		if (!o)
			continue;
		add_u64(o, "delta_exits", r->dn);
		add_u64(o, "delta_round_trips", r->dround_trips);
		add_u64(o, "delta_service_ns", r->dns);
		add_u64(o, "exits", r->n);
		json_object_object_add(
			o, "exits_per_round_trip",
			json_object_new_double(nvmx_exit_multiplication(r->n, r->round_trips)));
		json_object_object_add(o, "isa", json_object_new_string(nvmx_isa_name(r->isa)));
		json_object_object_add(o, "l1_reason",
				       r->l1_reason == NVMX_BD_L1_OVERFLOW
					       ? NULL
					       : json_object_new_string(r->l1_name));
		json_object_object_add(o, "mean_service_ns",
				       json_object_new_double(nvmx_mean(r->ns, r->n)));
		json_object_object_add(o, "reason", json_object_new_string(r->name));
		add_u64(o, "round_trips", r->round_trips);
		add_u64(o, "service_ns", r->ns);
		json_object_array_add(a, o);
	}
	return a;
}

int top_print_json(FILE *out, const struct top_view *v, const struct top_where *w)
{
	struct json_object *o = json_object_new_object(), *vms = json_object_new_array();
	int err = 0;

	if (!o || !vms) {
		json_object_put(o);
		json_object_put(vms);
		return -ENOMEM;
	}
	json_object_object_add(o, "source", json_object_new_string(w->what));
	add_u64(o, "refresh", w->refresh);
	json_object_object_add(o, "since_start_s", json_object_new_double(w->since_start_s));
	json_object_object_add(o, "interval_s", json_object_new_double(v->interval_s));
	json_object_object_add(o, "ended", json_object_new_boolean(v->ended));
	add_u64(o, "lost_events", v->lost_events);
	add_u64(o, "lost_events_delta", v->dlost_events);
	json_object_object_add(o, "nvmx_overhead_cpu",
			       v->overhead_known ? json_object_new_double(v->overhead_cpu) : NULL);
	json_object_object_add(o, "all", stats_object(&v->all));
	for (size_t i = 0; i < v->n_vms; i++) {
		const struct top_vm *vm = &v->vms[i];
		struct json_object *jv = json_object_new_object(), *vcpus = json_object_new_array();

		if (!jv || !vcpus) {
			json_object_put(jv);
			json_object_put(vcpus);
			err = -ENOMEM;
			break;
		}
		add_u64(jv, "pid", vm->tgid);
		json_object_object_add(jv, "name", json_object_new_string(vm->name));
		json_object_object_add(jv, "counts", stats_object(&vm->st));
		for (size_t j = 0; j < vm->n_vcpus; j++) {
			const struct top_vcpu *vc = &vm->vcpus[j];
			struct json_object *jc = json_object_new_object(),
					   *rs = json_object_new_array();

			if (!jc || !rs) {
				json_object_put(jc);
				json_object_put(rs);
				err = -ENOMEM;
				break;
			}
			add_u64(jc, "tid", vc->tid);
			json_object_object_add(jc, "counts", stats_object(&vc->st));
			for (size_t k = 0; k < vc->n_reasons; k++) {
				struct json_object *jr = json_object_new_object();

				if (!jr)
					continue;
				json_object_object_add(
					jr, "isa",
					json_object_new_string(nvmx_isa_name(vc->reasons[k].isa)));
				json_object_object_add(jr, "reason",
						       json_object_new_string(vc->reasons[k].name));
				json_object_object_add(jr, "counts",
						       stats_object(&vc->reasons[k].st));
				json_object_array_add(rs, jr);
			}
			json_object_object_add(jc, "reasons", rs);
			json_object_array_add(vcpus, jc);
		}
		json_object_object_add(jv, "vcpus", vcpus);
		json_object_object_add(jv, "l1_exits", l1_exits_array(vm));
		json_object_array_add(vms, jv);
	}
	json_object_object_add(o, "vms", vms);
	if (!err &&
	    fprintf(out, "%s\n",
		    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		err = -EIO;
	json_object_put(o);
	if (!err && fflush(out))
		err = -errno;
	return err;
}
