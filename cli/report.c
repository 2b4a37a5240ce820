// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx report: the Turtles-style cost table of nested exits, from a capture (replayed) or from
 * an attribution JSON (nvmxd --json, nvmx replay --json, nvmx report --json), and two of them
 * side by side (--diff).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "commands.h"
#include "load.h"
#include "nvmx/breakdown.h"
#include "nvmx/derive.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/record.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"
#include "report.h"
#include "table.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx report FILE [--json] [--html PAGE] [--vm NAME|PID] [--vcpu N]\n"
		"       nvmx report --diff A B [--json] [--html PAGE] [--vm NAME|PID] [--vcpu N]\n"
		"\n"
		"The cost of nested (L2) exits, per exit reason, as the Turtles paper breaks it\n"
		"down. FILE is a KVM capture (replayed, as nvmx replay does) or an attribution "
		"JSON\n"
		"file (nvmxd --json, nvmx replay --json, nvmx report --json).\n"
		"\n"
		"One row per exit reason and handler:\n"
		"  L1 rows: complete round trips of reflected exits, L2 exit to the next entry "
		"into\n"
		"      L2 (a round trip still open when the capture ends is not counted); its\n"
		"      parts as shares of the round trip: L0exit (L2 exit -> the inject, L0's\n"
		"      decision and the vmcs12/vmcb12 sync), reflect (inject -> entry into L1),\n"
		"      L1hdl (L1's handler, minus L1's own exits), L1svc (L0 serving L1's exits\n"
		"      in the handler), L0entry (L1's VMRUN/VMRESUME exit -> entry into L2);\n"
		"      mult: the exit multiplication, L1 exits inside the handler per round trip\n"
		"      (the exit that resumes L2 not counted; names: docs/model.md's glossary)\n"
		"  L0 rows: exits L0 handled, kvm_exit -> kvm_entry; 'L0>VMM' rows went out to\n"
		"      the VMM (kvm_userspace_exit), timed to L0's decision\n"
		"  count; share: of the time of all rows; mean; p50 and p99\n"
		"\n"
		"Then, per L1 row, L1's exits inside its round trips by L1 exit reason (vmload,\n"
		"vmsave, stgi, vmread, vmwrite...): exits, exits per round trip and the mean L0\n"
		"service time of one (kvm_exit -> kvm_entry); '(other)' counts the exits beyond\n"
		"the distinct reasons a round trip keeps (docs/model.md). Their service times add\n"
		"up to the row's L1svc.\n"
		"\n"
		"Quantiles: from log2 histograms (bucket i holds ns <= 2^i), the rank's bucket\n"
		"interpolated linearly between its bounds, as Prometheus' histogram_quantile "
		"does.\n"
		"Replay and nvmxd fill the same buckets, so a capture and nvmxd's JSON of the "
		"same\n"
		"run give the same quantiles; they are estimates within a factor of 2, not exact\n"
		"order statistics. Times are ns; where nvmxd had hardware cycle counters, the\n"
		"round trips whose boundaries all ran on one CPU are also shown in CPU cycles\n"
		"(nvmxd's JSON says under nvmxd.cycles whether counters were available: on\n"
		"emulated CPUs they are not; a tracefs capture has no cycles).\n"
		"\n"
		"Then interrupted event deliveries by outcome: reinjected_l2, handed_to_l1, lost.\n"
		"\n"
		"Options:\n"
		"  --json        the attribution JSON (schema 1) with a \"report\" key of the "
		"rows\n"
		"  --diff A B    the rows of A and B side by side (mean and count change)\n"
		"  --html PAGE   also write the report to PAGE as one self-contained HTML page\n"
		"                (inline CSS and SVG: no script, nothing fetched): the breakdown\n"
		"                as stacked bars, one per reflected reason, one segment per part,\n"
		"                the bar as high as the mean round trip; the time histograms of\n"
		"                every row with p50 and p99; with --diff, A and B side by side on\n"
		"                one scale. The same numbers as the text and JSON "
		"(docs/model.md)\n" NVMX_USAGE_FILTER
		"                 With --diff, the same filter for A and B.\n"
		"\n"
		"Exit status: 0; 2 on a usage error or when a FILE cannot be used (one line on\n"
		"stderr: 'nvmx report: FILE[:LINE]: what is wrong'): unreadable, not nvmx's JSON,\n"
		"or not a usable capture (the malformed-line policy of nvmx replay --help), or\n"
		"--vm/--vcpu match no vCPU thread of it.\n"
		"\n"
		"Example: nvmx report capture.txt.xz --vcpu 1   (vCPU 1's round trips only)\n");
	fputs(NVMX_USAGE_COMMON, f);
}

const char *const nvmx_report_part_label[NVMX_RT_PARTS] = {
	[NVMX_RT_ROUND_TRIP] = "round trip", [NVMX_RT_L0_EXIT] = "L0exit",
	[NVMX_RT_L0_REFLECT] = "reflect",    [NVMX_RT_L1_HANDLER] = "L1hdl",
	[NVMX_RT_L1_EXIT_SERVICE] = "L1svc", [NVMX_RT_L0_ENTRY_EMULATION] = "L0entry",
};

static const char *const handler_of_kind[NVMX_BD_KINDS] = {
	[NVMX_BD_ROUND_TRIP] = "L1",
	[NVMX_BD_L0_HANDLED] = "L0",
	[NVMX_BD_L0_TO_VMM] = "L0>VMM",
};

static size_t rows_of(const struct nvmx_summary *s, struct row **out)
{
	const struct nvmx_bd_entry *e;
	size_t n = nvmx_summary_breakdowns(s, &e);
	struct row *r = calloc(n ? n : 1, sizeof(*r));

	*out = r;
	if (!r)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t l1 = 0;

		r[i].isa = e[i].isa;
		r[i].reason = e[i].reason;
		r[i].handler = handler_of_kind[e[i].kind];
		r[i].count = e[i].count;
		r[i].ns = e[i].sum_ns[0];
		r[i].mean = nvmx_mean(e[i].sum_ns[0], e[i].count);
		r[i].p50 = nvmx_hist_quantile_bounded(e[i].buckets, 0.50, e[i].sum_ns[0]);
		r[i].p99 = nvmx_hist_quantile_bounded(e[i].buckets, 0.99, e[i].sum_ns[0]);
		r[i].round_trip = e[i].kind == NVMX_BD_ROUND_TRIP;
		r[i].e = &e[i];
		for (uint32_t p = 1; r[i].round_trip && p < NVMX_RT_PARTS; p++)
			r[i].part_share[p] = nvmx_share(e[i].sum_ns[p], e[i].sum_ns[0]);
		l1 = nvmx_bd_l1_exits(&e[i]);
		r[i].mult = nvmx_exit_multiplication(l1, e[i].count);
		r[i].l0_exits = nvmx_l0_exits_per_round_trip(l1, e[i].count);
		r[i].cycles_count = e[i].cycles_count;
		r[i].mean_cycles = e[i].cycles_count
					   ? (double)e[i].sum_cycles[0] / (double)e[i].cycles_count
					   : 0;
	}
	return n;
}

static uint64_t total_ns(const struct row *r, size_t n)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += r[i].ns;
	return t;
}

static void fmt_us(char *buf, size_t len, double ns)
{
	snprintf(buf, len, "%.1f", ns / 1e3);
}

/* The isa column fits its longest name: 4 for svm/vmx (the x86 outputs), 5 for arm64. */
static int isa_width(const struct row *r, size_t n)
{
	int w = 4;

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(nvmx_isa_name(r[i].isa)) > w)
			w = (int)strlen(nvmx_isa_name(r[i].isa));
	return w;
}

static void print_rows(FILE *f, const struct row *r, size_t n)
{
	uint64_t all = total_ns(r, n);
	char rbuf[24], mean[24], p50[24], p99[24];
	const char *reason;
	int iw = isa_width(r, n);

	fprintf(f, "%-*s %-20s %-6s %9s %6s %10s %10s %10s | %6s %7s %7s %7s %7s | %6s\n", iw,
		"isa", "reason", "by", "count", "share", "mean us", "p50 us", "p99 us",
		nvmx_report_part_label[NVMX_RT_L0_EXIT], nvmx_report_part_label[NVMX_RT_L0_REFLECT],
		nvmx_report_part_label[NVMX_RT_L1_HANDLER],
		nvmx_report_part_label[NVMX_RT_L1_EXIT_SERVICE],
		nvmx_report_part_label[NVMX_RT_L0_ENTRY_EMULATION], "mult");
	for (size_t i = 0; i < n; i++) {
		const struct row *x = &r[i];

		reason = nvmx_reason_name(x->isa, x->reason, rbuf, sizeof(rbuf));
		fmt_us(mean, sizeof(mean), x->mean);
		fmt_us(p50, sizeof(p50), x->p50);
		fmt_us(p99, sizeof(p99), x->p99);
		fprintf(f, "%-*s %-20s %-6s %9" PRIu64 " %5.1f%% %10s %10s %10s", iw,
			nvmx_isa_name(x->isa), reason, x->handler, x->count,
			all ? 100.0 * (double)x->ns / (double)all : 0, mean, p50, p99);
		if (x->round_trip)
			fprintf(f, " | %5.1f%% %6.1f%% %6.1f%% %6.1f%% %6.1f%% | %6.2f\n",
				100 * x->part_share[NVMX_RT_L0_EXIT],
				100 * x->part_share[NVMX_RT_L0_REFLECT],
				100 * x->part_share[NVMX_RT_L1_HANDLER],
				100 * x->part_share[NVMX_RT_L1_EXIT_SERVICE],
				100 * x->part_share[NVMX_RT_L0_ENTRY_EMULATION], x->mult);
		else
			fprintf(f, " | %6s %7s %7s %7s %7s | %6s\n", "", "", "", "", "", "");
	}
	if (!n)
		fprintf(f, "(no complete round trip and no L0-handled L2 exit)\n");
	for (size_t i = 0, first = 1; i < n; i++) {
		if (!r[i].cycles_count)
			continue;
		if (first)
			fprintf(f,
				"\nin CPU cycles (round trips whose boundaries ran on one CPU):\n");
		first = 0;
		fprintf(f, "%-*s %-20s %-6s %9" PRIu64 " round %s, mean %.0f cycles\n", iw,
			nvmx_isa_name(r[i].isa),
			nvmx_reason_name(r[i].isa, r[i].reason, rbuf, sizeof(rbuf)), r[i].handler,
			r[i].cycles_count, r[i].cycles_count == 1 ? "trip" : "trips",
			r[i].mean_cycles);
	}
}

/* One L1 exit reason of a round-trip row: exits, per round trip, mean service, total service */
static void print_l1_exit(FILE *f, int iw, const struct row *x, const char *l1,
			  const struct nvmx_bd_l1 *l)
{
	char rbuf[24], mean[24], total[24];

	fmt_us(mean, sizeof(mean), nvmx_mean(l->service_ns, l->count));
	fmt_us(total, sizeof(total), (double)l->service_ns);
	fprintf(f, "%-*s %-20s %-20s %9" PRIu64 " %9.2f %10s %12s\n", iw, nvmx_isa_name(x->isa),
		nvmx_reason_name(x->isa, x->reason, rbuf, sizeof(rbuf)), l1, l->count,
		nvmx_exit_multiplication(l->count, x->count), mean, total);
}

/* L1's exits inside the round trips, by L1 exit reason (the Hyper-V way: count and time each) */
static int print_l1_exits(FILE *f, const struct row *r, size_t n)
{
	char lbuf[24];
	bool first = true;
	int iw = isa_width(r, n);

	for (size_t i = 0; i < n; i++) {
		const struct row *x = &r[i];
		const struct nvmx_bd_l1 **l;
		struct nvmx_bd_l1 ovf;
		size_t nl;

		if (!x->round_trip || !x->e->n_l1)
			continue;
		l = nvmx_bd_l1_sorted(x->e, &nl);
		if (!l)
			return -ENOMEM;
		if (first)
			fprintf(f,
				"\nL1's exits inside the round trips (service: L0's kvm_exit -> "
				"kvm_entry):\n%-*s %-20s %-20s %9s %9s %10s %12s\n",
				iw, "isa", "reason", "L1 exit", "exits", "per trip", "mean us",
				"service us");
		first = false;
		for (size_t k = 0; k < nl; k++)
			print_l1_exit(f, iw, x,
				      nvmx_reason_name(x->isa, l[k]->reason, lbuf, sizeof(lbuf)),
				      l[k]);
		ovf = nvmx_bd_l1_overflow(x->e);
		if (ovf.count)
			print_l1_exit(f, iw, x, "(other)", &ovf);
		free(l);
	}
	return 0;
}

static void print_vectoring(FILE *f, const struct nvmx_summary *s)
{
	const struct nvmx_vec_entry *v;
	size_t n = nvmx_summary_vectorings(s, &v);

	if (!n)
		return;
	fprintf(f, "\ninterrupted event deliveries:\n%-4s %-13s %7s %-14s %9s\n", "isa", "type",
		"vector", "outcome", "count");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-4s %-13s %#7x %-14s %9" PRIu64 "%s\n", nvmx_isa_name(v[i].isa),
			nvmx_vec_type_name(v[i].type), v[i].vector,
			nvmx_vec_outcome_name(v[i].outcome), v[i].count,
			v[i].outcome == NVMX_VEC_LOST ? "  <- anomaly" : "");
}

/*
 * {"exits", "exits_per_round_trip", "mean_service_ns", "reason" (absent for the overflow),
 * "service_ns"} of one L1 exit reason of a round-trip row.
 */
static struct json_object *l1_exit_json(const struct row *x, const struct nvmx_bd_l1 *l)
{
	struct json_object *o = json_object_new_object();
	char buf[24];

	if (!o)
		return NULL;
	json_object_object_add(o, "exits", json_object_new_int64((int64_t)l->count));
	json_object_object_add(
		o, "exits_per_round_trip",
		json_object_new_double(nvmx_exit_multiplication(l->count, x->count)));
	json_object_object_add(o, "mean_service_ns",
			       json_object_new_double(nvmx_mean(l->service_ns, l->count)));
	if (l->reason != NVMX_BD_L1_OVERFLOW)
		json_object_object_add(o, "reason",
				       json_object_new_string(nvmx_reason_name(x->isa, l->reason,
									       buf, sizeof(buf))));
	json_object_object_add(o, "service_ns", json_object_new_int64((int64_t)l->service_ns));
	return o;
}

/* "l1_exits" and "l1_exits_overflow" of a round-trip row, most exits first; 0 or -ENOMEM */
static int add_l1_exits_json(struct json_object *o, const struct row *x)
{
	struct json_object *arr = json_object_new_array();
	struct nvmx_bd_l1 ovf = nvmx_bd_l1_overflow(x->e);
	const struct nvmx_bd_l1 **l;
	size_t nl;

	l = nvmx_bd_l1_sorted(x->e, &nl);
	if (!arr || !l) {
		json_object_put(arr);
		free(l);
		return -ENOMEM;
	}
	for (size_t k = 0; k < nl; k++)
		json_object_array_add(arr, l1_exit_json(x, l[k]));
	free(l);
	json_object_object_add(o, "l1_exits", arr);
	json_object_object_add(o, "l1_exits_overflow", l1_exit_json(x, &ovf));
	return 0;
}

/*
 * nvmxd's "nested_state" (KVM_GET/SET_NESTED_STATE per VMM process, docs/model.md), when the
 * input has it: a replay's document and a capture never do. NULL: absent; a malformed one makes
 * the input unusable (exit 2, one line).
 */
static const char *const ns_keys[] = { "get", "get_failed", "get_guest_mode",
				       "set", "set_failed", "set_guest_mode" };

static int nested_state_of(const char *path, struct json_object *root, struct json_object **out)
{
	struct json_object *a, *v;

	*out = NULL;
	if (!root || !json_object_object_get_ex(root, "nested_state", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		goto bad;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "pid", &v) ||
		    !json_object_is_type(v, json_type_int))
			goto bad;
		for (size_t k = 0; k < sizeof(ns_keys) / sizeof(ns_keys[0]); k++)
			if (!json_object_object_get_ex(e, ns_keys[k], &v) ||
			    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
				goto bad;
	}
	*out = json_object_get(a);
	return 0;
bad:
	fprintf(stderr,
		"nvmx report: %s: \"nested_state\" is not an array of objects with pid and the "
		"counts %s, %s, %s, %s, %s, %s\n",
		path, ns_keys[0], ns_keys[1], ns_keys[2], ns_keys[3], ns_keys[4], ns_keys[5]);
	return -EINVAL;
}

static void print_nested_state(FILE *f, struct json_object *a)
{
	struct json_object *v;

	if (!a)
		return;
	fprintf(f,
		"\nKVM nested state ioctls, per VMM process (nvmxd):\n%8s %-20s %9s %7s %10s %9s "
		"%7s %10s\n",
		"pid", "name", "GET calls", "failed", "guest mode", "SET calls", "failed",
		"guest mode");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		int64_t n[6];
		const char *name = "?";

		if (json_object_object_get_ex(e, "name", &v) &&
		    json_object_is_type(v, json_type_string))
			name = json_object_get_string(v);
		for (size_t k = 0; k < 6; k++)
			n[k] = json_object_object_get_ex(e, ns_keys[k], &v)
				       ? json_object_get_int64(v)
				       : 0;
		json_object_object_get_ex(e, "pid", &v);
		fprintf(f,
			"%8" PRId64 " %-20.20s %9" PRId64 " %7" PRId64 " %10" PRId64 " %9" PRId64
			" %7" PRId64 " %10" PRId64 "\n",
			json_object_get_int64(v), name, n[0], n[1], n[2], n[3], n[4], n[5]);
	}
}

static struct json_object *row_json(const struct row *x, uint64_t all)
{
	struct json_object *o = json_object_new_object();
	char reason[24];

	if (!o)
		return NULL;
	/* alphabetical, as every nvmx JSON */
	json_object_object_add(o, "count", json_object_new_int64((int64_t)x->count));
	json_object_object_add(o, "handled_by", json_object_new_string(x->handler));
	json_object_object_add(o, "isa", json_object_new_string(nvmx_isa_name(x->isa)));
	if (x->round_trip) {
		json_object_object_add(
			o, "l0_entry_emulation_share",
			json_object_new_double(x->part_share[NVMX_RT_L0_ENTRY_EMULATION]));
		json_object_object_add(o, "l0_exit_share",
				       json_object_new_double(x->part_share[NVMX_RT_L0_EXIT]));
		json_object_object_add(o, "l0_exits_per_round_trip",
				       json_object_new_double(x->l0_exits));
		json_object_object_add(o, "l0_reflect_share",
				       json_object_new_double(x->part_share[NVMX_RT_L0_REFLECT]));
		json_object_object_add(
			o, "l1_exit_service_share",
			json_object_new_double(x->part_share[NVMX_RT_L1_EXIT_SERVICE]));
		json_object_object_add(o, "l1_handler_share",
				       json_object_new_double(x->part_share[NVMX_RT_L1_HANDLER]));
		if (add_l1_exits_json(o, x)) {
			json_object_put(o);
			return NULL;
		}
	}
	if (x->cycles_count) {
		json_object_object_add(o, "mean_cycles", json_object_new_double(x->mean_cycles));
		json_object_object_add(o, "cycles_round_trips",
				       json_object_new_int64((int64_t)x->cycles_count));
	}
	json_object_object_add(o, "mean_ns", json_object_new_double(x->mean));
	if (x->round_trip)
		json_object_object_add(o, "multiplication", json_object_new_double(x->mult));
	json_object_object_add(o, "p50_ns", json_object_new_double(x->p50));
	json_object_object_add(o, "p99_ns", json_object_new_double(x->p99));
	json_object_object_add(o, "reason",
			       json_object_new_string(nvmx_reason_name(x->isa, x->reason, reason,
								       sizeof(reason))));
	json_object_object_add(o, "share",
			       json_object_new_double(all ? (double)x->ns / (double)all : 0));
	json_object_object_add(o, "total_ns", json_object_new_int64((int64_t)x->ns));
	return o;
}

static int write_json(const struct nvmx_summary *s, const struct row *r, size_t n,
		      struct json_object *ns, FILE *f)
{
	struct json_object *rep = json_object_new_object(), *rows = json_object_new_array();
	const char *keys[2] = { "report", "nested_state" }, *values[2];
	uint64_t all = total_ns(r, n);
	int err;

	if (!rep || !rows) {
		json_object_put(rep);
		json_object_put(rows);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		json_object_array_add(rows, row_json(&r[i], all));
	json_object_object_add(
		rep, "quantiles",
		json_object_new_string("log2 histogram buckets, linear interpolation "
				       "within the rank's bucket"));
	json_object_object_add(rep, "rows", rows);
	json_object_object_add(rep, "unit", json_object_new_string("ns"));
	values[0] = json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN);
	values[1] = ns ? json_object_to_json_string_ext(ns, JSON_C_TO_STRING_PLAIN) : NULL;
	err = values[0] && (!ns || values[1])
		      ? nvmx_summary_write_json_extra(s, keys, values, ns ? 2 : 1, f)
		      : -ENOMEM;
	json_object_put(rep);
	return err;
}

/* The summary of path (of filter's threads), and its "nested_state" (*ns, NULL when absent). */
static struct nvmx_summary *load(const char *path, const struct nvmx_replay_filter *filter,
				 struct json_object **ns)
{
	struct nvmx_summary *s;
	struct nvmx_loaded in;

	*ns = NULL;
	if (nvmx_load_filtered("nvmx report", path, true, filter, &in))
		return NULL;
	s = in.sum;
	in.sum = NULL;
	if (nested_state_of(path, in.root, ns)) {
		nvmx_summary_free(s);
		s = NULL;
	}
	nvmx_loaded_free(&in);
	return s;
}

static const struct row *find_row(const struct row *r, size_t n, const struct row *k)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].isa == k->isa && r[i].reason == k->reason &&
		    !strcmp(r[i].handler, k->handler))
			return &r[i];
	return NULL;
}

/* A number of the diff's text, or `absent` (count) and "-" (the rest) on the side without the row */
static const char *diff_cell(char *buf, size_t len, const struct row *x, double v, const char *fmt)
{
	if (!x)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, fmt, v);
	return buf;
}

static void print_diff(FILE *f, const char *an, const struct row *a, size_t na, const char *bn,
		       const struct row *b, size_t nb)
{
	char rbuf[24], c[6][24];
	const char *reason;
	bool absent = false;

	fprintf(f, "A: %s\nB: %s\n", an, bn);
	fprintf(f, "%-4s %-20s %-6s %9s %9s %10s %10s %8s %10s %10s %7s %7s\n", "isa", "reason",
		"by", "count A", "count B", "mean A us", "mean B us", "change", "p99 A us",
		"p99 B us", "mult A", "mult B");
	for (int side = 0; side < 2; side++) {
		const struct row *r = side ? b : a;
		size_t n = side ? nb : na;

		for (size_t i = 0; i < n; i++) {
			const struct row *x = side ? find_row(a, na, &r[i]) : &r[i];
			const struct row *y = side ? &r[i] : find_row(b, nb, &r[i]);

			if (side && x)
				continue; /* printed from A's side */
			absent |= !x || !y;
			reason = nvmx_reason_name(r[i].isa, r[i].reason, rbuf, sizeof(rbuf));
			fprintf(f, "%-4s %-20s %-6s %9s %9s %10s %10s ", nvmx_isa_name(r[i].isa),
				reason, r[i].handler,
				x ? diff_cell(c[0], sizeof(c[0]), x, (double)x->count, "%.0f")
				  : "absent",
				y ? diff_cell(c[1], sizeof(c[1]), y, (double)y->count, "%.0f")
				  : "absent",
				diff_cell(c[2], sizeof(c[2]), x, x ? x->mean / 1e3 : 0, "%.1f"),
				diff_cell(c[3], sizeof(c[3]), y, y ? y->mean / 1e3 : 0, "%.1f"));
			if (x && y && x->mean > 0)
				fprintf(f, "%+7.1f%%", 100.0 * (y->mean - x->mean) / x->mean);
			else
				fprintf(f, "%8s", "-");
			fprintf(f, " %10s %10s %7s %7s\n",
				diff_cell(c[2], sizeof(c[2]), x, x ? x->p99 / 1e3 : 0, "%.1f"),
				diff_cell(c[3], sizeof(c[3]), y, y ? y->p99 / 1e3 : 0, "%.1f"),
				diff_cell(c[4], sizeof(c[4]), x, x ? x->mult : 0, "%.2f"),
				diff_cell(c[5], sizeof(c[5]), y, y ? y->mult : 0, "%.2f"));
		}
	}
	if (absent)
		fprintf(f, "absent: no such row in that file ('-': nothing to show)\n");
}

static int diff_json(FILE *f, const char *an, const struct row *a, size_t na, const char *bn,
		     const struct row *b, size_t nb)
{
	struct json_object *o = json_object_new_object(), *rows = json_object_new_array();
	uint64_t ta = total_ns(a, na), tb = total_ns(b, nb);
	const char *text;
	int err = 0;

	if (!o || !rows) {
		json_object_put(o);
		json_object_put(rows);
		return -ENOMEM;
	}
	for (int side = 0; side < 2; side++) {
		const struct row *r = side ? b : a;
		size_t n = side ? nb : na;

		for (size_t i = 0; i < n; i++) {
			const struct row *x = side ? find_row(a, na, &r[i]) : &r[i];
			const struct row *y = side ? &r[i] : find_row(b, nb, &r[i]);
			struct json_object *e = json_object_new_object();
			char reason[24];

			if (side && x) {
				json_object_put(e);
				continue;
			}
			json_object_object_add(e, "a", x ? row_json(x, ta) : NULL);
			json_object_object_add(e, "b", y ? row_json(y, tb) : NULL);
			json_object_object_add(e, "handled_by",
					       json_object_new_string(r[i].handler));
			json_object_object_add(e, "isa",
					       json_object_new_string(nvmx_isa_name(r[i].isa)));
			json_object_object_add(
				e, "reason",
				json_object_new_string(nvmx_reason_name(r[i].isa, r[i].reason,
									reason, sizeof(reason))));
			json_object_array_add(rows, e);
		}
	}
	json_object_object_add(o, "a", json_object_new_string(an));
	json_object_object_add(o, "b", json_object_new_string(bn));
	json_object_object_add(o, "rows", rows);
	json_object_object_add(o, "unit", json_object_new_string("ns"));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text || fprintf(f, "%s\n", text) < 0)
		err = -EIO;
	json_object_put(o);
	return err;
}

int nvmx_cmd_report(int argc, char **argv)
{
	const char *paths[2] = { NULL, NULL }, *html = NULL;
	struct nvmx_summary *s[2] = { NULL, NULL };
	struct json_object *ns[2] = { NULL, NULL };
	struct row *rows[2] = { NULL, NULL };
	size_t n[2] = { 0, 0 };
	struct nvmx_replay_filter filter = { NULL, -1 };
	bool json = false, diff = false;
	int n_paths = 0, ret = 2, err = 0;

	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "diff", no_argument, NULL, 'd' },
		{ "html", required_argument, NULL, 'H' },
		NVMX_FILTER_LONGOPTS,
		NVMX_COMMON_LONGOPTS,
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'd':
			diff = true;
			break;
		case 'H':
			html = optarg;
			break;
		case 'M':
		case 'U':
			if (nvmx_filter_opt("nvmx report", c, optarg, &filter))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmx");
		default:
			return nvmx_getopt_error("nvmx report", c, argv);
		}
	}
	n_paths = argc - optind;
	if (n_paths != (diff ? 2 : 1))
		return nvmx_usage_error("nvmx report",
					diff ? "--diff takes two files, A and B (%d given)"
					     : "expected one FILE (%d given; two with --diff)",
					n_paths);
	paths[0] = argv[optind];
	if (diff)
		paths[1] = argv[optind + 1];
	for (int i = 0; i < n_paths; i++) {
		s[i] = load(paths[i], &filter, &ns[i]);
		if (!s[i])
			goto out;
		n[i] = rows_of(s[i], &rows[i]);
		if (!rows[i]) {
			fprintf(stderr, "nvmx report: out of memory\n");
			goto out;
		}
	}
	if (html) {
		const struct row *const sides[2] = { rows[0], rows[1] };
		/* the page names each side's file, and the filter when there is one */
		char shown[2][1024], flt[256];
		const char *names[2] = { shown[0], shown[1] };
		FILE *f = fopen(html, "w");

		for (int i = 0; i < n_paths; i++) {
			if (nvmx_filter_text(s[i], flt, sizeof(flt)))
				snprintf(shown[i], sizeof(shown[i]), "%s (%s)", paths[i], flt);
			else
				snprintf(shown[i], sizeof(shown[i]), "%s", paths[i]);
		}

		if (!f) {
			fprintf(stderr, "nvmx report: %s: cannot write the page: %s\n", html,
				strerror(errno));
			goto out;
		}
		err = nvmx_report_html(f, n_paths, names, sides, n);
		if (fclose(f) && !err)
			err = -EIO;
		if (err) {
			fprintf(stderr, "nvmx report: %s: writing the page failed: %s\n", html,
				strerror(-err));
			ret = 1;
			goto out;
		}
	}
	if (diff && json)
		err = diff_json(stdout, paths[0], rows[0], n[0], paths[1], rows[1], n[1]);
	else if (diff) {
		nvmx_print_filter(stdout, s[0]);
		print_diff(stdout, paths[0], rows[0], n[0], paths[1], rows[1], n[1]);
	} else if (json)
		err = write_json(s[0], rows[0], n[0], ns[0], stdout);
	else {
		nvmx_print_filter(stdout, s[0]);
		print_rows(stdout, rows[0], n[0]);
		err = print_l1_exits(stdout, rows[0], n[0]);
		print_vectoring(stdout, s[0]);
		print_nested_state(stdout, ns[0]);
	}
	if (err) {
		fprintf(stderr, "nvmx report: writing the report failed: %s\n", strerror(-err));
		ret = 1;
	} else {
		ret = 0;
	}
out:
	for (int i = 0; i < 2; i++) {
		nvmx_summary_free(s[i]);
		json_object_put(ns[i]);
		free(rows[i]);
	}
	return ret;
}
