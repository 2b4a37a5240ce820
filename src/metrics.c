// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx's metric families (src/metrics.h): which exist, their names, labels and values from nvmxd's
 * counts. Written through src/promtext.h, which knows the formats; the MSR and port families are
 * in metrics_io.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "nvmx/breakdown.h"
#include "nvmx/exit_reasons.h"
#include "metrics.h"
#include "procself.h"
#include "nvmx/util.h"

#ifndef NVMX_VERSION
#error "NVMX_VERSION must be defined by the build"
#endif

const char *nvmxd_bad_request_name(enum nvmxd_bad_request r)
{
	static const char *const names[NVMXD_BAD_COUNT] = {
		[NVMXD_BAD_MALFORMED] = "malformed",
		[NVMXD_BAD_TOO_LARGE] = "too_large",
		[NVMXD_BAD_METHOD] = "method",
		[NVMXD_BAD_NOT_FOUND] = "not_found",
		[NVMXD_BAD_UNAUTHORIZED] = "unauthorized",
		[NVMXD_BAD_TIMEOUT] = "timeout",
	};

	return r < NVMXD_BAD_COUNT ? names[r] : "unknown";
}

/*
 * A log2-ns histogram (include/nvmx/counts.h: bucket i counts latencies <= 2^i ns, rounded up) as Prometheus
 * buckets in seconds: each map bucket is exactly one `le` bound.
 */
static void hist_seconds(struct prom_writer *w, const char *labels, const struct nvmx_hist *h)
{
	double le[NVMX_HIST_BUCKETS - 1];
	uint64_t buckets[NVMX_HIST_BUCKETS]; /* __u64 is not uint64_t on every ABI */

	for (uint32_t i = 0; i < NVMX_HIST_BUCKETS; i++) {
		buckets[i] = h->buckets[i];
		if (i < NVMX_HIST_BUCKETS - 1)
			le[i] = (double)(1ull << i) * 1e-9;
	}
	/* only timed exits have a time: the buckets add up to timed (include/nvmx/maps.h) */
	prom_histogram(w, labels, le, buckets, NVMX_HIST_BUCKETS, h->timed,
		       (double)h->sum_ns / 1e9);
}

/* ---- the exits map, by VM name ---- */

struct agg {
	const char *vm;
	uint32_t tid, isa, reason, outcome;
	struct nvmx_hist hist;
};

static int cmp_agg(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;
	const uint32_t xs[] = { x->outcome, 0, x->tid, x->isa, x->reason };
	const uint32_t ys[] = { y->outcome, 0, y->tid, y->isa, y->reason };
	int c;

	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		if (i == 1) {
			c = strcmp(x->vm, y->vm);
			if (c)
				return c;
			continue;
		}
		if (xs[i] != ys[i])
			return xs[i] < ys[i] ? -1 : 1;
	}
	return 0;
}

static void hist_add(struct nvmx_hist *a, const struct nvmx_hist *b)
{
	a->count += b->count;
	a->timed += b->timed;
	a->sum_ns += b->sum_ns;
	for (uint32_t i = 0; i < NVMX_HIST_BUCKETS; i++)
		a->buckets[i] += b->buckets[i];
}

/*
 * arm64's injections into L1 itself (nvmx_injs) are no exit and have no outcome of the model:
 * they take this one, past the model's, in the aggregate (docs/model.md, injected_to_l1).
 */
#define AGG_INJECTED_TO_L1 NVMX_OUT_COUNT

/*
 * The exits (and injections into L1), keyed by (outcome, vm name, tid, isa, reason) with tid 0 unless per vCPU, sorted so
 * that each outcome (a metric family) is one run. Outcomes without a reason of their own get 0.
 */
static struct agg *aggregate(const struct nvmxd_metrics_in *in, size_t *n)
{
	const struct nvmx_counters *c = in->counts;
	size_t m = 0, cap = c->n_exits + c->n_injs;
	struct agg *a = calloc(cap ? cap : 1, sizeof(*a));

	if (!a)
		return NULL;
	for (size_t i = 0; i < c->n_exits; i++) {
		const struct nvmx_counters_exit *x = &c->exits[i];
		struct agg *e = &a[m++];

		e->vm = in->vm_name(in->ctx, x->key.tgid);
		e->tid = in->per_vcpu ? x->key.tid : 0;
		e->isa = x->key.isa;
		e->outcome = x->key.outcome;
		/* these outcomes have no reason of their own (model.h: 0, or the exit's) */
		e->reason = (e->outcome == NVMX_OUT_NESTED_ENTRY ||
			     e->outcome == NVMX_OUT_NESTED_ENTRY_FAILED ||
			     e->outcome == NVMX_OUT_UNATTRIBUTED)
				    ? 0
				    : x->key.reason;
		e->hist = x->hist;
	}
	for (size_t i = 0; i < c->n_injs; i++) {
		const struct nvmx_inj_key *k = (const void *)c->injs[i].key;
		struct agg *e = &a[m++];

		e->vm = in->vm_name(in->ctx, k->tgid);
		e->tid = in->per_vcpu ? k->tid : 0;
		e->isa = k->isa;
		e->outcome = AGG_INJECTED_TO_L1;
		e->reason = k->reason;
		e->hist.count = c->injs[i].count;
	}
	if (m > 1) /* qsort wants a valid array even for 0 elements */
		qsort(a, m, sizeof(*a), cmp_agg);
	*n = 0;
	for (size_t i = 0; i < m; i++) {
		if (*n && !cmp_agg(&a[*n - 1], &a[i]))
			hist_add(&a[*n - 1].hist, &a[i].hist);
		else
			a[(*n)++] = a[i];
	}
	return a;
}

struct exit_family {
	uint32_t outcome, outcome2; /* outcome2: a second outcome in the same family, or ~0 */
	const char *name;
	enum prom_type type;
	bool reason, handled_by;
	const char *help;
};

static void exit_labels(const struct nvmxd_metrics_in *in, const struct exit_family *f,
			const struct agg *e, char *l, size_t len)
{
	char buf[32], tid[16];

	l[0] = '\0';
	prom_label(l, len, "vm", e->vm);
	if (in->per_vcpu) {
		snprintf(tid, sizeof(tid), "%" PRIu32, e->tid);
		prom_label(l, len, "vcpu_thread", tid);
	}
	prom_label(l, len, "isa", nvmx_isa_name(e->isa));
	if (f->reason)
		prom_label(l, len, "reason", nvmx_reason_name(e->isa, e->reason, buf, sizeof(buf)));
	if (f->handled_by)
		prom_label(l, len, "handled_by", e->outcome == NVMX_OUT_L2_BY_L1 ? "L1" : "L0");
}

static int cmp_vcpu(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;
	int c = strcmp(x->vm, y->vm);

	if (c)
		return c;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->isa < y->isa ? -1 : x->isa > y->isa;
}

/*
 * A family without a reason label (nested entries, failed entries, unattributed) has a sample
 * for every (vm, vcpu_thread, isa) that has any exit, 0 when none of its outcome happened: a
 * rule like increase(nvmx_unattributed_events_total[10m]) > 0 then has a series to watch.
 */
static void write_per_vm(struct prom_writer *w, const struct nvmxd_metrics_in *in,
			 const struct exit_family *fam, const struct agg *a, size_t n,
			 const struct agg *vcpus, size_t n_vcpus)
{
	char l[1024];

	for (size_t v = 0; v < n_vcpus; v++) {
		struct agg e = vcpus[v];
		uint64_t count = 0;

		for (size_t i = 0; i < n; i++)
			if (a[i].outcome == fam->outcome && !cmp_vcpu(&a[i], &e))
				count += a[i].hist.count;
		e.outcome = fam->outcome;
		exit_labels(in, fam, &e, l, sizeof(l));
		prom_sample_u64(w, l, count);
	}
}

static void write_exits(struct prom_writer *w, const struct nvmxd_metrics_in *in,
			const struct agg *a, size_t n, const struct agg *vcpus, size_t n_vcpus)
{
	static const struct exit_family fams[] = {
		{ NVMX_OUT_L2_BY_L0, NVMX_OUT_L2_BY_L1, "nvmx_l2_exits", PROM_COUNTER, true, true,
		  "Exits of nested guests (L2), by who handled them: L0 (this host's KVM) or L1 "
		  "(the guest hypervisor, the exit reflected to it)." },
		{ NVMX_OUT_L2_BY_L0, ~0u, "nvmx_l2_exit_handling_seconds", PROM_HISTOGRAM, true,
		  true,
		  "Time L0 took to handle an L2 exit itself: from the exit to L0's next entry (to "
		  "L0's decision when it went out to the VMM). Only handled_by=\"L0\": a "
		  "reflected exit's cost is its round trip (nvmx_nested_round_trip_seconds)." },
		{ NVMX_OUT_L1_EXIT, ~0u, "nvmx_l1_exits", PROM_COUNTER, true, false,
		  "Exits of guest hypervisors (L1) themselves, including their VMRUN/VMLAUNCH/"
		  "VMRESUME." },
		{ NVMX_OUT_L1_EXIT, ~0u, "nvmx_l1_exit_handling_seconds", PROM_HISTOGRAM, true,
		  false,
		  "Time L0 took to handle an exit of L1, from the exit to L0's next entry into L1 "
		  "(L1's VMRUN/VMRESUME, which enters L2, and exits still open are not timed)." },
		{ NVMX_OUT_SYNTHESIZED_TO_L1, ~0u, "nvmx_synthesized_to_l1", PROM_COUNTER, true,
		  false,
		  "Exits to L1 that L0 made up (no L2 exit of that reason), e.g. an interrupt for "
		  "L1 arriving while L2 runs." },
		{ AGG_INJECTED_TO_L1, ~0u, "nvmx_injected_to_l1", PROM_COUNTER, true, false,
		  "arm64: exceptions L0 injected into L1 itself (from L1's vEL2, or its own EL0), "
		  "by reason (IRQ, FIQ, SERROR or a SYNC's EC): no exit of L2 and none made up "
		  "for L1." },
		{ NVMX_OUT_NESTED_ENTRY, ~0u, "nvmx_nested_entries", PROM_COUNTER, false, false,
		  "Entries into L2 that L0 emulated for L1's VMRUN/VMLAUNCH/VMRESUME." },
		{ NVMX_OUT_NESTED_ENTRY_FAILED, ~0u, "nvmx_nested_entries_failed", PROM_COUNTER,
		  false, false, "Nested entries that failed (kvm_nested_vmenter_failed)." },
		{ NVMX_OUT_UNATTRIBUTED, ~0u, "nvmx_unattributed_events", PROM_COUNTER, false,
		  false,
		  "Exits and injections the model could not attribute (after lost events or "
		  "unknown state)." },
	};
	char l[1024];

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		const struct exit_family *fam = &fams[f];

		prom_family(w, fam->name, fam->type, fam->type == PROM_HISTOGRAM ? "seconds" : NULL,
			    fam->help);
		if (!fam->reason) {
			write_per_vm(w, in, fam, a, n, vcpus, n_vcpus);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			const struct agg *e = &a[i];

			if (e->outcome != fam->outcome && e->outcome != fam->outcome2)
				continue;
			exit_labels(in, fam, e, l, sizeof(l));
			if (fam->type == PROM_HISTOGRAM)
				hist_seconds(w, l, &e->hist);
			else
				prom_sample_u64(w, l, e->hist.count);
		}
	}
}

/* ---- the Turtles breakdown and the interrupted events, by VM name ---- */

/* One series of the breakdown maps, keyed by (vm name, k[]), values summed over same-named VMs. */
struct bd_agg {
	const char *vm;
	uint32_t k[4];
	uint64_t count;
	uint64_t sum_ns[NVMX_RT_PARTS];
	uint64_t buckets[NVMX_HIST_BUCKETS]; /* of the whole round trip */
};

static int cmp_bd_agg(const void *a, const void *b)
{
	const struct bd_agg *x = a, *y = b;
	int c = strcmp(x->vm, y->vm);

	if (c)
		return c;
	for (size_t i = 0; i < 4; i++)
		if (x->k[i] != y->k[i])
			return x->k[i] < y->k[i] ? -1 : 1;
	return 0;
}

/* Sorts a[0..m) and sums the entries of equal keys; returns how many are left. */
static size_t bd_merge(struct bd_agg *a, size_t m)
{
	size_t n = 0;

	if (m > 1) /* a may be NULL when there is nothing to sort */
		qsort(a, m, sizeof(*a), cmp_bd_agg);
	for (size_t i = 0; i < m; i++) {
		struct bd_agg *p = n ? &a[n - 1] : NULL;

		if (!p || cmp_bd_agg(p, &a[i])) {
			a[n++] = a[i];
			continue;
		}
		p->count += a[i].count;
		for (uint32_t j = 0; j < NVMX_RT_PARTS; j++)
			p->sum_ns[j] += a[i].sum_ns[j];
		for (uint32_t j = 0; j < NVMX_HIST_BUCKETS; j++)
			p->buckets[j] += a[i].buckets[j];
	}
	return n;
}

static void bd_labels(const struct bd_agg *e, char *l, size_t len)
{
	char buf[32];

	l[0] = '\0';
	prom_label(l, len, "vm", e->vm);
	prom_label(l, len, "isa", nvmx_isa_name(e->k[0]));
	prom_label(l, len, "reason", nvmx_reason_name(e->k[0], e->k[1], buf, sizeof(buf)));
}

/* The complete round trips of reflected L2 exits (kind NVMX_BD_ROUND_TRIP) and their parts. */
static void write_round_trips(struct prom_writer *w, const struct nvmxd_metrics_in *in,
			      struct bd_agg *a)
{
	/* the JSON keys (nvmx_bd_part_name) without their _ns */
	static const char *const parts[NVMX_RT_PARTS] = {
		[NVMX_RT_ROUND_TRIP] = "round_trip",
		[NVMX_RT_L0_EXIT] = "l0_exit",
		[NVMX_RT_L0_REFLECT] = "l0_reflect",
		[NVMX_RT_L1_HANDLER] = "l1_handler",
		[NVMX_RT_L1_EXIT_SERVICE] = "l1_exit_service",
		[NVMX_RT_L0_ENTRY_EMULATION] = "l0_entry_emulation",
	};
	const struct nvmx_counters *c = in->counts;
	size_t m = 0, n;
	char l[1024], lp[1100];

	for (size_t i = 0; i < c->n_bds; i++) {
		const struct nvmx_counters_bd *b = &c->bds[i];
		struct bd_agg *e;

		if (b->key.kind != NVMX_BD_ROUND_TRIP)
			continue;
		e = &a[m++];
		memset(e, 0, sizeof(*e));
		e->vm = in->vm_name(in->ctx, b->key.tgid);
		e->k[0] = b->key.isa;
		e->k[1] = b->key.reason;
		e->count = b->v.count;
		memcpy(e->sum_ns, b->v.sum_ns, sizeof(e->sum_ns));
		memcpy(e->buckets, b->v.buckets[NVMX_RT_ROUND_TRIP], sizeof(e->buckets));
	}
	n = bd_merge(a, m);
	prom_family(
		w, "nvmx_nested_round_trips", PROM_COUNTER, NULL,
		"Complete nested round trips: reflected L2 exits that L1 handled and resumed L2 "
		"from, from the L2 exit to the next entry into L2 (the Turtles breakdown).");
	for (size_t i = 0; i < n; i++) {
		bd_labels(&a[i], l, sizeof(l));
		prom_sample_u64(w, l, a[i].count);
	}
	prom_family(
		w, "nvmx_nested_round_trip_part_seconds", PROM_COUNTER, "seconds",
		"Time of the complete nested round trips by part: l0_exit (L2 exit to the "
		"reflection), l0_reflect (to the entry into L1), l1_handler (L1's handler, its own "
		"exits left out), l1_exit_service (L0 serving L1's exits in the handler), "
		"l0_entry_emulation (L1's VMRUN/VMRESUME to the entry into L2). The parts add up "
		"to nvmx_nested_round_trip_seconds_sum.");
	for (size_t i = 0; i < n; i++) {
		bd_labels(&a[i], l, sizeof(l));
		for (uint32_t p = NVMX_RT_L0_EXIT; p < NVMX_RT_PARTS; p++) {
			snprintf(lp, sizeof(lp), "%s", l);
			prom_label(lp, sizeof(lp), "part", parts[p]);
			prom_sample_double(w, lp, (double)a[i].sum_ns[p] / 1e9);
		}
	}
	prom_family(
		w, "nvmx_nested_round_trip_seconds", PROM_HISTOGRAM, "seconds",
		"Duration of the complete nested round trips, from the L2 exit to the next entry "
		"into L2.");
	for (size_t i = 0; i < n; i++) {
		struct nvmx_hist h = { .count = a[i].count,
				       .timed = a[i].count,
				       .sum_ns = a[i].sum_ns[0] };

		memcpy(h.buckets, a[i].buckets, sizeof(h.buckets));
		bd_labels(&a[i], l, sizeof(l));
		hist_seconds(w, l, &h);
	}
}

#define NVMX_STR_(x) #x
#define NVMX_STR(x)  NVMX_STR_(x)

/* The l1_reason label of an L1 exit reason of the breakdown ("other": the overflow). */
static void l1_reason_label(const struct bd_agg *e, char *l, size_t len)
{
	char buf[32];

	bd_labels(e, l, len);
	prom_label(l, len, "l1_reason",
		   e->k[2] == NVMX_BD_L1_OVERFLOW
			   ? "other"
			   : nvmx_reason_name(e->k[0], e->k[2], buf, sizeof(buf)));
}

/*
 * L1's exits inside the complete round trips (the exit multiplication) and L0's time serving
 * them, by L1 exit reason.
 */
static void write_round_trip_l1(struct prom_writer *w, const struct nvmxd_metrics_in *in,
				struct bd_agg *a)
{
	const struct nvmx_counters *c = in->counts;
	size_t n;
	char l[1024];

	for (size_t i = 0; i < c->n_bd_l1s; i++) {
		const struct nvmx_bd_l1_key *k = (const void *)c->bd_l1s[i].key;

		memset(&a[i], 0, sizeof(a[i]));
		a[i].vm = in->vm_name(in->ctx, k->tgid);
		a[i].k[0] = k->isa;
		a[i].k[1] = k->reason;
		a[i].k[2] = k->l1_reason;
		a[i].count = c->bd_l1s[i].count;
		a[i].sum_ns[0] = c->bd_l1s[i].sum_ns;
	}
	n = bd_merge(a, c->n_bd_l1s);
	prom_family(
		w, "nvmx_nested_round_trip_l1_exits", PROM_COUNTER, NULL,
		"Exits of L1 inside the complete nested round trips (exit multiplication), by the "
		"reflected L2 exit's reason and L1's exit reason (l1_reason=\"other\": beyond the "
		"" NVMX_STR(NVMX_RT_L1_REASONS) " distinct reasons a round trip keeps).");
	for (size_t i = 0; i < n; i++) {
		l1_reason_label(&a[i], l, sizeof(l));
		prom_sample_u64(w, l, a[i].count);
	}
	prom_family(w, "nvmx_nested_round_trip_l1_exit_service_seconds", PROM_COUNTER, "seconds",
		    "Time L0 took serving the exits of L1 counted in "
		    "nvmx_nested_round_trip_l1_exits_total (kvm_exit to kvm_entry of each), by the "
		    "same labels; summed over l1_reason it is the l1_exit_service part of "
		    "nvmx_nested_round_trip_part_seconds_total.");
	for (size_t i = 0; i < n; i++) {
		l1_reason_label(&a[i], l, sizeof(l));
		prom_sample_double(w, l, (double)a[i].sum_ns[0] / 1e9);
	}
}

/* Interrupted event deliveries by outcome; the vector is 8 bits (0x00..0xff): bounded. */
static void write_vectoring(struct prom_writer *w, const struct nvmxd_metrics_in *in,
			    struct bd_agg *a)
{
	const struct nvmx_counters *c = in->counts;
	size_t n;
	char l[1024], buf[16];

	for (size_t i = 0; i < c->n_vecs; i++) {
		const struct nvmx_vec_key *k = (const void *)c->vecs[i].key;

		memset(&a[i], 0, sizeof(a[i]));
		a[i].vm = in->vm_name(in->ctx, k->tgid);
		a[i].k[0] = k->isa;
		a[i].k[1] = k->type;
		a[i].k[2] = k->vector & 0xff;
		a[i].k[3] = k->outcome;
		a[i].count = c->vecs[i].count;
	}
	n = bd_merge(a, c->n_vecs);
	prom_family(
		w, "nvmx_interrupted_events", PROM_COUNTER, NULL,
		"Event deliveries (interrupts, exceptions) interrupted by an L2 exit, by outcome: "
		"reinjected_l2 (L0 reinjected it), handed_to_l1 (in the exit information L1 "
		"gets), lost (neither: an anomaly, logged by nvmxd).");
	for (size_t i = 0; i < n; i++) {
		l[0] = '\0';
		prom_label(l, sizeof(l), "vm", a[i].vm);
		prom_label(l, sizeof(l), "isa", nvmx_isa_name(a[i].k[0]));
		prom_label(l, sizeof(l), "type", nvmx_vec_type_name(a[i].k[1]));
		snprintf(buf, sizeof(buf), "0x%02" PRIx32, a[i].k[2]);
		prom_label(l, sizeof(l), "vector", buf);
		prom_label(l, sizeof(l), "outcome", nvmx_vec_outcome_name(a[i].k[3]));
		prom_sample_u64(w, l, a[i].count);
	}
}

static int write_breakdown(struct prom_writer *w, const struct nvmxd_metrics_in *in)
{
	const struct nvmx_counters *c = in->counts;
	size_t m = c->n_bds;
	struct bd_agg *a;

	if (c->n_bd_l1s > m)
		m = c->n_bd_l1s;
	if (c->n_vecs > m)
		m = c->n_vecs;
	a = calloc(m ? m : 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	write_round_trips(w, in, a);
	write_round_trip_l1(w, in, a);
	write_vectoring(w, in, a);
	free(a);
	return 0;
}

/* ---- self-metrics ---- */

static void write_programs(struct prom_writer *w, const struct nvmxd_metrics_in *in)
{
	struct bpf_prog_info info[32];
	bool have[32] = { false };
	size_t n = in->n_progs < 32 ? in->n_progs : 32, missing = 0;
	char l[256];

	for (size_t i = 0; i < n; i++) {
		__u32 len = sizeof(info[i]);

		memset(&info[i], 0, sizeof(info[i]));
		/* libbpf 1.1 has no bpf_prog_get_info_by_fd (1.2+); this is the same call */
		have[i] = in->progs[i].attached && in->progs[i].fd >= 0 &&
			  !bpf_obj_get_info_by_fd(in->progs[i].fd, &info[i], &len);
		missing += !in->progs[i].attached && !in->progs[i].baseline;
	}
	prom_family(w, "nvmx_bpf_program_attached", PROM_GAUGE, NULL,
		    "1 if nvmx's program on this KVM tracepoint is attached, 0 if it is missing "
		    "(the tracepoint or its BTF type is not in this kernel, or attaching failed).");
	for (size_t i = 0; i < n; i++) {
		l[0] = '\0';
		prom_label(l, sizeof(l), "tracepoint", in->progs[i].tracepoint);
		prom_label(l, sizeof(l), "program", in->progs[i].program);
		prom_sample_u64(w, l, in->progs[i].attached);
	}
	prom_family(
		w, "nvmx_bpf_programs_missing", PROM_GAUGE, NULL,
		"How many of nvmx's tracepoint programs are not attached (the --baseline program "
		"not counted).");
	prom_sample_u64(w, "", missing);
	prom_family(w, "nvmx_bpf_stats_enabled", PROM_GAUGE, NULL,
		    "1 while the kernel counts BPF run time (kernel.bpf_stats_enabled=1 or nvmxd "
		    "--bpf-stats): only then are nvmx_bpf_program_run* there.");
	prom_sample_u64(w, "", in->bpf_stats);
	if (in->bpf_stats) {
		prom_family(w, "nvmx_bpf_program_runs", PROM_COUNTER, NULL,
			    "Runs of each attached program (kernel BPF statistics).");
		for (size_t i = 0; i < n; i++) {
			if (!have[i])
				continue;
			l[0] = '\0';
			prom_label(l, sizeof(l), "program", in->progs[i].program);
			prom_sample_u64(w, l, info[i].run_cnt);
		}
		prom_family(w, "nvmx_bpf_program_run_seconds", PROM_COUNTER, "seconds",
			    "Time spent in each attached program (kernel BPF statistics).");
		for (size_t i = 0; i < n; i++) {
			if (!have[i])
				continue;
			l[0] = '\0';
			prom_label(l, sizeof(l), "program", in->progs[i].program);
			prom_sample_double(w, l, (double)info[i].run_time_ns / 1e9);
		}
	}
	prom_family(w, "nvmx_bpf_program_recursion_misses", PROM_COUNTER, NULL,
		    "Times the kernel skipped a program because it was already running on that CPU "
		    "(an event not counted).");
	for (size_t i = 0; i < n; i++) {
		if (!have[i])
			continue;
		l[0] = '\0';
		prom_label(l, sizeof(l), "program", in->progs[i].program);
		prom_sample_u64(w, l, info[i].recursion_misses);
	}
}

/* What nvmx's programs counted about themselves (the nvmx_self map). */
static void write_bpf_self(struct prom_writer *w, const struct nvmxd_metrics_in *in)
{
	const struct nvmx_counters *c = in->counts;
	char l[256];

	prom_family(w, "nvmx_bpf_events", PROM_COUNTER, NULL,
		    "KVM tracepoint events nvmx's programs handled.");
	prom_sample_u64(w, "", c->self[NVMX_SELF_EVENTS]);
	prom_family(w, "nvmx_lost_events", PROM_COUNTER, NULL,
		    "Events the counts miss (docs/model.md, lost events): runs of nvmx's programs "
		    "the kernel skipped (nvmx_bpf_program_recursion_misses_total) plus counts not "
		    "made (nvmx_map_update_failures_total) plus KVM_GET/SET_NESTED_STATE calls "
		    "missed (runs of the nested-state programs skipped, counts not made). Above 0, "
		    "every count may be short.");
	prom_sample_u64(w, "", nvmx_counters_lost(c));
	prom_family(w, "nvmx_map_update_failures", PROM_COUNTER, NULL,
		    "Events or verdicts not counted because a BPF map update failed (map full): "
		    "counts are low by this much.");
	for (uint32_t slot = 0; slot < NVMX_SELF_COUNT; slot++) {
		const char *map = nvmx_self_failure_map(slot);

		if (!map)
			continue;
		l[0] = '\0';
		prom_label(l, sizeof(l), "map", map);
		prom_sample_u64(w, l, c->self[slot]);
	}
	prom_family(w, "nvmx_ringbuf_dropped_events", PROM_COUNTER, NULL,
		    "Events not recorded (--record) because the ring buffer was full; counts are "
		    "not affected.");
	prom_sample_u64(w, "", c->self[NVMX_SELF_RINGBUF_DROPPED]);
	prom_family(w, "nvmx_ringbuf_records", PROM_COUNTER, NULL,
		    "Events sent to the ring buffer for --record.");
	prom_sample_u64(w, "", c->self[NVMX_SELF_RINGBUF_SENT]);
}

/* The HTTP server's own counts; none without a server (in->http NULL). */
static void write_http(struct prom_writer *w, const struct nvmxd_metrics_in *in)
{
	const struct nvmxd_http_stats *h = in->http;
	char l[256];

	if (!h)
		return;
	prom_family(w, "nvmx_http_requests", PROM_COUNTER, NULL,
		    "HTTP requests nvmxd answered, refused ones included.");
	prom_sample_u64(w, "", h->requests);
	prom_family(w, "nvmx_http_bad_requests", PROM_COUNTER, NULL,
		    "HTTP requests refused with a 4xx status, or connections closed for "
		    "sending no complete request in time (the request deadline) or going idle, by "
		    "reason.");
	for (int r = 0; r < NVMXD_BAD_COUNT; r++) {
		l[0] = '\0';
		prom_label(l, sizeof(l), "reason", nvmxd_bad_request_name(r));
		prom_sample_u64(w, l, h->bad[r]);
	}
	prom_family(w, "nvmx_http_connections", PROM_COUNTER, NULL, "HTTP connections accepted.");
	prom_sample_u64(w, "", h->connections);
	prom_family(w, "nvmx_http_connections_refused", PROM_COUNTER, NULL,
		    "HTTP connections refused at accept: over the limit of connections in all or "
		    "from one client address.");
	prom_sample_u64(w, "", h->connections_refused);
}

/*
 * The process itself, named and defined as the Prometheus client libraries export it
 * (client_golang's process collector), so node_exporter's dashboards and alerts work on nvmxd.
 * None of them when /proc cannot be read: no value rather than a wrong one.
 */
static void write_process_self(struct prom_writer *w)
{
	struct nvmxd_procself p;

	if (nvmxd_procself_read("/proc", &p))
		return;
	prom_family(w, "process_cpu_seconds", PROM_COUNTER, "seconds",
		    "Total user and system CPU time spent in seconds.");
	prom_sample_double(w, "", p.cpu_seconds);
	prom_family(w, "process_resident_memory_bytes", PROM_GAUGE, "bytes",
		    "Resident memory size in bytes.");
	prom_sample_u64(w, "", p.resident_bytes);
	prom_family(w, "process_virtual_memory_bytes", PROM_GAUGE, "bytes",
		    "Virtual memory size in bytes.");
	prom_sample_u64(w, "", p.virtual_bytes);
	prom_family(w, "process_open_fds", PROM_GAUGE, NULL, "Number of open file descriptors.");
	prom_sample_u64(w, "", p.open_fds);
	prom_family(w, "process_max_fds", PROM_GAUGE, NULL,
		    "Maximum number of open file descriptors.");
	prom_sample_u64(w, "", p.max_fds); /* "unlimited": 2^64 - 1, as client_golang's procfs */
	prom_family(w, "process_start_time_seconds", PROM_GAUGE, "seconds",
		    "Start time of the process since unix epoch in seconds.");
	prom_sample_double(w, "", p.start_time_seconds);
}

/* The daemon: its privileges, when it started, its version. */
static void write_process(struct prom_writer *w, const struct nvmxd_metrics_in *in)
{
	char l[256];

	write_process_self(w);

	prom_family(
		w, "nvmx_privileges_dropped", PROM_GAUGE, NULL,
		"1: nvmxd runs as an unprivileged user with no capabilities; 0: it kept root; "
		"-1: unprivileged but CAP_BPF kept (kernels before 5.19 refuse map reads without "
		"it).");
	prom_sample_i64(w, "", in->privileges_dropped);
	prom_family(w, "nvmx_start_time_seconds", PROM_GAUGE, "seconds",
		    "When nvmxd attached its programs, in seconds since the Unix epoch.");
	prom_sample_double(w, "", in->start_time);
	prom_family(w, "nvmx_build", PROM_INFO, NULL, "nvmx's version.");
	l[0] = '\0';
	prom_label(l, sizeof(l), "version", NVMX_VERSION);
	prom_sample_u64(w, l, 1);
}

/*
 * KVM_GET/SET_NESTED_STATE per VM (docs/model.md): processes of one name summed, as every family
 * here is labelled by VM name; 2 requests x 2 results per VM: bounded as the VMs are.
 */
static int write_nested_state(struct prom_writer *w, const struct nvmxd_metrics_in *in)
{
	const struct nvmx_counters *c = in->counts;
	struct ns_vm {
		const char *vm;
		uint64_t n[NVMX_NS_COUNT];
	} *v = calloc(c->n_ns ? c->n_ns : 1, sizeof(*v));
	size_t n = 0;
	char l[1024];

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_ns; i++) {
		const char *vm = in->vm_name(in->ctx, c->ns[i].tgid);
		size_t j;

		for (j = 0; j < n && strcmp(v[j].vm, vm); j++)
			;
		if (j == n)
			v[n++].vm = vm;
		for (__u32 k = 0; k < NVMX_NS_COUNT; k++)
			v[j].n[k] += c->ns[i].n[k];
	}
	prom_family(w, "nvmx_nested_state_ioctls", PROM_COUNTER, NULL,
		    "KVM_GET_NESTED_STATE (request=\"get\") and KVM_SET_NESTED_STATE "
		    "(request=\"set\") calls of the VM's VMM, by result: how a VMM saves and "
		    "restores nested state (migration, snapshots; QEMU also at vCPU reset and full "
		    "register syncs).");
	for (size_t i = 0; i < n; i++)
		for (int set = 0; set < 2; set++)
			for (int failed = 0; failed < 2; failed++) {
				__u32 calls = set ? NVMX_NS_SET : NVMX_NS_GET;
				uint64_t f = v[i].n[set ? NVMX_NS_SET_FAILED : NVMX_NS_GET_FAILED];

				l[0] = '\0';
				prom_label(l, sizeof(l), "vm", v[i].vm);
				prom_label(l, sizeof(l), "request", set ? "set" : "get");
				prom_label(l, sizeof(l), "result", failed ? "failed" : "ok");
				prom_sample_u64(w, l, failed ? f : v[i].n[calls] - f);
			}
	prom_family(w, "nvmx_nested_state_guest_mode", PROM_COUNTER, NULL,
		    "Successful KVM_GET_NESTED_STATE / KVM_SET_NESTED_STATE calls whose state has "
		    "KVM_STATE_NESTED_GUEST_MODE: a vCPU saved, or restored, while running L2.");
	for (size_t i = 0; i < n; i++)
		for (int set = 0; set < 2; set++) {
			l[0] = '\0';
			prom_label(l, sizeof(l), "vm", v[i].vm);
			prom_label(l, sizeof(l), "request", set ? "set" : "get");
			prom_sample_u64(
				w, l,
				v[i].n[set ? NVMX_NS_SET_GUEST_MODE : NVMX_NS_GET_GUEST_MODE]);
		}
	free(v);
	return 0;
}

int nvmxd_metrics_write(FILE *out, const struct nvmxd_metrics_in *in, enum prom_format fmt)
{
	struct prom_writer w = { .f = out, .fmt = fmt };
	struct agg *a, *vcpus;
	size_t n = 0, n_vcpus = 0;

	a = aggregate(in, &n);
	vcpus = calloc(n ? n : 1, sizeof(*vcpus));
	if (!a || !vcpus) {
		free(a);
		free(vcpus);
		return -ENOMEM;
	}
	memcpy(vcpus, a, n * sizeof(*a));
	if (n > 1)
		qsort(vcpus, n, sizeof(*vcpus), cmp_vcpu);
	for (size_t i = 0; i < n; i++)
		if (!n_vcpus || cmp_vcpu(&vcpus[n_vcpus - 1], &vcpus[i]))
			vcpus[n_vcpus++] = vcpus[i];
	write_exits(&w, in, a, n, vcpus, n_vcpus);
	free(a);
	free(vcpus);
	if (write_breakdown(&w, in))
		return -ENOMEM;
	nvmxd_metrics_write_io(&w, in);
	if (write_nested_state(&w, in))
		return -ENOMEM;
	write_programs(&w, in);
	write_bpf_self(&w, in);
	write_http(&w, in);
	write_process(&w, in);
	prom_family(&w, "nvmx_scrape_duration_seconds", PROM_GAUGE, "seconds",
		    "How long this scrape took to read nvmx's maps and write the metrics above.");
	prom_sample_double(&w, "", (double)(nvmx_mono_ns() - in->scrape_start_ns) / 1e9);
	prom_end(&w);
	return ferror(out) ? -EIO : 0;
}
