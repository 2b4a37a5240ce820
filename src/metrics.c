// SPDX-License-Identifier: GPL-2.0
/* nvmxd's counts as Prometheus / OpenMetrics text (src/metrics.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "nvmx/bitmap_rules.h"
#include "nvmx/breakdown.h"
#include "nvmx/exit_reasons.h"
#include "metrics.h"
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

const char *nvmxd_metrics_content_type(enum nvmxd_metrics_format fmt)
{
	return fmt == NVMXD_METRICS_OPENMETRICS
		       ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
		       : "text/plain; version=0.0.4; charset=utf-8";
}

enum nvmxd_metrics_format nvmxd_metrics_negotiate(const char *accept)
{
	/* Prometheus asks for OpenMetrics first (with a q=) and text/plain as the fallback */
	return accept && strstr(accept, "application/openmetrics-text") ? NVMXD_METRICS_OPENMETRICS
									: NVMXD_METRICS_TEXT;
}

/* ---- the writer: one family at a time, in either format ---- */

enum mtype { M_COUNTER, M_GAUGE, M_HISTOGRAM, M_INFO };

struct mw {
	FILE *f;
	bool om;
	char fam[128];	  /* the family's name as TYPE names it */
	char sample[128]; /* the name of its plain samples */
};

static void family(struct mw *w, const char *base, enum mtype t, const char *unit, const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "info" };
	const char *type = types[t];

	/* OpenMetrics names a counter family without _total, the text format with it */
	if (t == M_COUNTER) {
		snprintf(w->sample, sizeof(w->sample), "%s_total", base);
		snprintf(w->fam, sizeof(w->fam), "%s", w->om ? base : w->sample);
	} else if (t == M_INFO) {
		snprintf(w->sample, sizeof(w->sample), "%s_info", base);
		snprintf(w->fam, sizeof(w->fam), "%s", w->om ? base : w->sample);
		if (!w->om)
			type = "gauge";
	} else {
		snprintf(w->sample, sizeof(w->sample), "%s", base);
		snprintf(w->fam, sizeof(w->fam), "%s", base);
	}
	fprintf(w->f, "# HELP %s %s\n# TYPE %s %s\n", w->fam, help, w->fam, type);
	if (w->om && unit)
		fprintf(w->f, "# UNIT %s %s\n", w->fam, unit);
}

/* Appends name="value" (escaped as both formats require) to a label list. */
static void label(char *buf, size_t len, const char *name, const char *value)
{
	size_t n = strlen(buf);

	if (n + 1 >= len)
		return;
	n += (size_t)snprintf(buf + n, len - n, "%s%s=\"", n ? "," : "", name);
	for (const char *p = value; *p && n + 3 < len; p++) {
		if (*p == '\\' || *p == '"') {
			buf[n++] = '\\';
			buf[n++] = *p;
		} else if (*p == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else {
			buf[n++] = *p;
		}
	}
	if (n + 1 < len)
		buf[n++] = '"';
	buf[n] = '\0';
}

static void sample_u64(struct mw *w, const char *suffix, const char *labels, uint64_t v)
{
	fprintf(w->f, "%s%s%s%s%s %" PRIu64 "\n", w->sample, suffix, *labels ? "{" : "", labels,
		*labels ? "}" : "", v);
}

static void sample_f(struct mw *w, const char *suffix, const char *labels, double v)
{
	fprintf(w->f, "%s%s%s%s%s %.17g\n", w->sample, suffix, *labels ? "{" : "", labels,
		*labels ? "}" : "", v);
}

/* A log2-ns histogram (bpf/nvmx.h) as cumulative `le` buckets in seconds. */
static void histogram(struct mw *w, const char *labels, const struct nvmx_hist *h)
{
	char l[1024];
	uint64_t cum = 0;

	for (uint32_t i = 0; i < NVMX_HIST_BUCKETS; i++) {
		char le[32];

		cum += h->buckets[i];
		if (i == NVMX_HIST_BUCKETS - 1)
			snprintf(le, sizeof(le), "+Inf");
		else
			snprintf(le, sizeof(le), "%.10g", (double)(1ull << i) * 1e-9);
		snprintf(l, sizeof(l), "%s", labels);
		label(l, sizeof(l), "le", le);
		sample_u64(w, "_bucket", l, cum);
	}
	sample_u64(w, "_count", labels, h->count);
	sample_f(w, "_sum", labels, (double)h->sum_ns / 1e9);
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
	a->sum_ns += b->sum_ns;
	for (uint32_t i = 0; i < NVMX_HIST_BUCKETS; i++)
		a->buckets[i] += b->buckets[i];
}

/*
 * The exits, keyed by (outcome, vm name, tid, isa, reason) with tid 0 unless per vCPU, sorted so
 * that each outcome (a metric family) is one run. drop_reason: reason 0 too.
 */
static struct agg *aggregate(const struct nvmxd_metrics_in *in, size_t *n)
{
	const struct nvmxd_counts *c = in->counts;
	struct agg *a = calloc(c->n_exits ? c->n_exits : 1, sizeof(*a));
	size_t m = 0;

	if (!a)
		return NULL;
	for (size_t i = 0; i < c->n_exits; i++) {
		const struct nvmxd_exit *x = &c->exits[i];
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
	enum mtype type;
	bool reason, handled_by;
	const char *help;
};

static void exit_labels(const struct nvmxd_metrics_in *in, const struct exit_family *f,
			const struct agg *e, char *l, size_t len)
{
	char buf[32], tid[16];

	l[0] = '\0';
	label(l, len, "vm", e->vm);
	if (in->per_vcpu) {
		snprintf(tid, sizeof(tid), "%" PRIu32, e->tid);
		label(l, len, "vcpu_thread", tid);
	}
	label(l, len, "isa", nvmx_isa_name(e->isa));
	if (f->reason)
		label(l, len, "reason", nvmx_reason_name(e->isa, e->reason, buf, sizeof(buf)));
	if (f->handled_by)
		label(l, len, "handled_by", e->outcome == NVMX_OUT_L2_BY_L1 ? "L1" : "L0");
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
static void write_per_vm(struct mw *w, const struct nvmxd_metrics_in *in,
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
		sample_u64(w, "", l, count);
	}
}

static void write_exits(struct mw *w, const struct nvmxd_metrics_in *in, const struct agg *a,
			size_t n, const struct agg *vcpus, size_t n_vcpus)
{
	static const struct exit_family fams[] = {
		{ NVMX_OUT_L2_BY_L0, NVMX_OUT_L2_BY_L1, "nvmx_l2_exits", M_COUNTER, true, true,
		  "Exits of nested guests (L2), by who handled them: L0 (this host's KVM) or L1 "
		  "(the guest hypervisor, the exit reflected to it)." },
		{ NVMX_OUT_L2_BY_L0, NVMX_OUT_L2_BY_L1, "nvmx_l2_exit_handling_seconds",
		  M_HISTOGRAM, true, true,
		  "Time from an L2 exit to its decision: L0's next entry (handled by L0), or the "
		  "reflection to L1." },
		{ NVMX_OUT_L1_EXIT, ~0u, "nvmx_l1_exits", M_COUNTER, true, false,
		  "Exits of guest hypervisors (L1) themselves, including their VMRUN/VMLAUNCH/"
		  "VMRESUME." },
		{ NVMX_OUT_L1_EXIT, ~0u, "nvmx_l1_exit_handling_seconds", M_HISTOGRAM, true, false,
		  "Time L0 took to handle an exit of L1, from the exit to L0's next entry." },
		{ NVMX_OUT_SYNTHESIZED_TO_L1, ~0u, "nvmx_synthesized_to_l1", M_COUNTER, true, false,
		  "Exits to L1 that L0 made up (no L2 exit of that reason), e.g. an interrupt for "
		  "L1 arriving while L2 runs." },
		{ NVMX_OUT_NESTED_ENTRY, ~0u, "nvmx_nested_entries", M_COUNTER, false, false,
		  "Entries into L2 that L0 emulated for L1's VMRUN/VMLAUNCH/VMRESUME." },
		{ NVMX_OUT_NESTED_ENTRY_FAILED, ~0u, "nvmx_nested_entries_failed", M_COUNTER, false,
		  false, "Nested entries that failed (kvm_nested_vmenter_failed)." },
		{ NVMX_OUT_UNATTRIBUTED, ~0u, "nvmx_unattributed_events", M_COUNTER, false, false,
		  "Exits and injections the model could not attribute (after lost events or "
		  "unknown state)." },
	};
	char l[1024];

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		const struct exit_family *fam = &fams[f];

		family(w, fam->name, fam->type, fam->type == M_HISTOGRAM ? "seconds" : NULL,
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
			if (fam->type == M_HISTOGRAM)
				histogram(w, l, &e->hist);
			else
				sample_u64(w, "", l, e->hist.count);
		}
	}
}

/* ---- MSR and port exits: the bounded top offenders (nvmx bitmap's numbers) ---- */

static int cmp_io_value(const struct nvmx_io_value *a, const struct nvmx_io_value *b)
{
	if (a->sum_ns != b->sum_ns)
		return a->sum_ns > b->sum_ns ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return 0;
}

static int cmp_msr_cost(const void *pa, const void *pb)
{
	return cmp_io_value(&(*(const struct nvmxd_msr *const *)pa)->v,
			    &(*(const struct nvmxd_msr *const *)pb)->v);
}

static int cmp_port_cost(const void *pa, const void *pb)
{
	return cmp_io_value(&(*(const struct nvmxd_port *const *)pa)->v,
			    &(*(const struct nvmxd_port *const *)pb)->v);
}

static bool msr_exported(const struct nvmxd_io_top *t, const struct nvmx_msr_key *k)
{
	for (size_t i = 0; i < t->n_msrs; i++)
		if (!memcmp(&t->msrs[i], k, sizeof(*k)))
			return true;
	return false;
}

static bool port_exported(const struct nvmxd_io_top *t, const struct nvmx_port_key *k)
{
	for (size_t i = 0; i < t->n_ports; i++)
		if (!memcmp(&t->ports[i], k, sizeof(*k)))
			return true;
	return false;
}

/*
 * Admits the costliest keys not yet exported while there is room (never removes one). Every key
 * with anything counted is admitted while there is room, so a key only ever lands in "other"
 * once the set is full and "other" never goes down. Without memory for the ranking, keys are
 * admitted in map order: still every key while there is room.
 */
static void io_top_update(struct nvmxd_io_top *t, const struct nvmxd_counts *c)
{
	/* once a set is full nothing joins it: no ranking to do at every scrape */
	bool msrs = t->n_msrs < NVMXD_IO_TOP, ports = t->n_ports < NVMXD_IO_TOP;
	const struct nvmxd_msr **ms = msrs ? calloc(c->n_msrs ? c->n_msrs : 1, sizeof(*ms)) : NULL;
	const struct nvmxd_port **ps =
		ports ? calloc(c->n_ports ? c->n_ports : 1, sizeof(*ps)) : NULL;

	for (size_t i = 0; ms && i < c->n_msrs; i++)
		ms[i] = &c->msrs[i];
	if (ms)
		qsort(ms, c->n_msrs, sizeof(*ms), cmp_msr_cost);
	for (size_t i = 0; i < c->n_msrs && t->n_msrs < NVMXD_IO_TOP; i++) {
		const struct nvmxd_msr *m = ms ? ms[i] : &c->msrs[i];

		if ((m->v.count || m->v.timed) && !msr_exported(t, &m->key))
			t->msrs[t->n_msrs++] = m->key;
	}
	for (size_t i = 0; ps && i < c->n_ports; i++)
		ps[i] = &c->ports[i];
	if (ps)
		qsort(ps, c->n_ports, sizeof(*ps), cmp_port_cost);
	for (size_t i = 0; i < c->n_ports && t->n_ports < NVMXD_IO_TOP; i++) {
		const struct nvmxd_port *p = ps ? ps[i] : &c->ports[i];

		if ((p->v.count || p->v.timed) && !port_exported(t, &p->key))
			t->ports[t->n_ports++] = p->key;
	}
	free(ms);
	free(ps);
}

/* handled_by of an MSR/port key as a label: an L2 exit's handler, or L1's own exit */
static const char *io_exit_level(__u32 by)
{
	return by == NVMX_V_BY_NONE ? "L1" : "L2";
}

static const char *io_handler(__u32 by)
{
	return by == NVMX_V_BY_L1 ? "L1" : by == NVMX_V_BY_L0 ? "L0" : "none";
}

static int summary_handler(__u32 by)
{
	return by == NVMX_V_BY_L1   ? NVMX_HANDLED_BY_L1
	       : by == NVMX_V_BY_L0 ? NVMX_HANDLED_BY_L0
				    : NVMX_HANDLED_BY_NONE;
}

/* One "other" series per isa and handler: the keys beyond the exported ones. */
struct io_other {
	__u32 isa, by;
	struct nvmx_io_value v;
};

static void other_add(struct io_other *o, size_t *n, size_t cap, __u32 isa, __u32 by,
		      const struct nvmx_io_value *v)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (o[i].isa == isa && o[i].by == by)
			break;
	if (i == *n) {
		if (*n == cap)
			return; /* 3 isas x 3 handlers: cannot happen */
		memset(&o[i], 0, sizeof(o[i]));
		o[i].isa = isa;
		o[i].by = by;
		(*n)++;
	}
	o[i].v.count += v->count;
	o[i].v.timed += v->timed;
	o[i].v.sum_ns += v->sum_ns;
}

enum io_value_field { IO_COUNT, IO_TIMED, IO_SECONDS };

static void io_sample(struct mw *w, const char *l, const struct nvmx_io_value *v,
		      enum io_value_field f)
{
	if (f == IO_SECONDS)
		sample_f(w, "", l, (double)v->sum_ns / 1e9);
	else
		sample_u64(w, "", l, f == IO_COUNT ? v->count : v->timed);
}

static void msr_labels(char *l, size_t len, const struct nvmx_msr_key *k, uint32_t kver)
{
	const char *name = k->msr == NVMX_MODEL_MSR_UNKNOWN ? NULL : nvmx_msr_name(k->msr);
	char buf[32];

	l[0] = '\0';
	label(l, len, "isa", nvmx_isa_name(k->isa));
	if (k->msr == NVMX_MODEL_MSR_UNKNOWN)
		snprintf(buf, sizeof(buf), "unknown");
	else
		snprintf(buf, sizeof(buf), "0x%" PRIx32, k->msr);
	label(l, len, "msr", buf);
	label(l, len, "name", name ? name : "");
	label(l, len, "access", k->write ? "write" : "read");
	label(l, len, "exit", io_exit_level(k->handled_by));
	label(l, len, "handled_by", io_handler(k->handled_by));
	label(l, len, "mechanism",
	      nvmx_bm_mechanism_id(nvmx_bm_msr_access_mechanism(
		      k->isa, k->msr, k->write, summary_handler(k->handled_by), kver)));
}

static void port_labels(char *l, size_t len, const struct nvmx_port_key *k, uint32_t kver)
{
	const char *name = nvmx_port_name(k->port);
	char buf[32];

	l[0] = '\0';
	label(l, len, "isa", nvmx_isa_name(k->isa));
	snprintf(buf, sizeof(buf), "0x%" PRIx32, (uint32_t)k->port);
	label(l, len, "port", buf);
	label(l, len, "name", name ? name : "");
	label(l, len, "direction", k->in ? "in" : "out");
	snprintf(buf, sizeof(buf), "%u", (unsigned int)k->size);
	label(l, len, "size", buf);
	label(l, len, "exit", io_exit_level(k->handled_by));
	label(l, len, "handled_by", io_handler(k->handled_by));
	label(l, len, "mechanism",
	      nvmx_bm_mechanism_id(nvmx_bm_port_mechanism(k->isa, k->port,
							  summary_handler(k->handled_by), kver)));
}

static void other_labels(char *l, size_t len, const char *what, const struct io_other *o)
{
	l[0] = '\0';
	label(l, len, "isa", nvmx_isa_name(o->isa));
	label(l, len, what, "other");
	label(l, len, "exit", io_exit_level(o->by));
	label(l, len, "handled_by", io_handler(o->by));
}

static void write_msrs_ports(struct mw *w, const struct nvmxd_metrics_in *in)
{
	static const struct {
		const char *msr_name, *port_name, *unit, *what;
		enum mtype type;
		enum io_value_field f;
	} fams[] = {
		{ "nvmx_msr_exits", "nvmx_io_exits", NULL, "how many", M_COUNTER, IO_COUNT },
		{ "nvmx_msr_exits_timed", "nvmx_io_exits_timed", NULL,
		  "how many have a cost (reflected: complete round trips)", M_COUNTER, IO_TIMED },
		{ "nvmx_msr_exit_cost_seconds", "nvmx_io_exit_cost_seconds", "seconds",
		  "the cost of the timed exits: L0's handling (kvm_exit -> kvm_entry), for a "
		  "reflected exit its whole round trip",
		  M_COUNTER, IO_SECONDS },
	};
	const struct nvmxd_counts *c = in->counts;
	struct nvmxd_io_top scratch = { 0 }, *top = in->io_top ? in->io_top : &scratch;
	struct io_other other[9];
	char l[512], help[512];
	size_t n_other;

	io_top_update(top, c);
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		snprintf(help, sizeof(help),
			 "RDMSR/WRMSR exits, all VMs, by MSR and handler (exit L2: handled_by L0 "
			 "or L1; "
			 "exit L1: L1's own), with KVM's bitmap mechanism (nvmx bitmap): %s. The "
			 "first %d keys by cost, then msr=\"other\".",
			 fams[f].what, NVMXD_IO_TOP);
		family(w, fams[f].msr_name, fams[f].type, fams[f].unit, help);
		n_other = 0;
		for (size_t i = 0; i < c->n_msrs; i++) {
			const struct nvmxd_msr *m = &c->msrs[i];

			if (!msr_exported(top, &m->key)) {
				other_add(other, &n_other, 9, m->key.isa, m->key.handled_by, &m->v);
				continue;
			}
			msr_labels(l, sizeof(l), &m->key, in->kver);
			io_sample(w, l, &m->v, fams[f].f);
		}
		for (size_t i = 0; i < n_other; i++) {
			other_labels(l, sizeof(l), "msr", &other[i]);
			io_sample(w, l, &other[i].v, fams[f].f);
		}
	}
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		snprintf(
			help, sizeof(help),
			"Port I/O exits, all VMs, by port, direction, size (bytes) and handler "
			"(exit "
			"L2: handled_by L0 or L1; exit L1: L1's own), with KVM's bitmap mechanism: "
			"%s. The first %d keys by cost, then port=\"other\".",
			fams[f].what, NVMXD_IO_TOP);
		family(w, fams[f].port_name, fams[f].type, fams[f].unit, help);
		n_other = 0;
		for (size_t i = 0; i < c->n_ports; i++) {
			const struct nvmxd_port *p = &c->ports[i];

			if (!port_exported(top, &p->key)) {
				other_add(other, &n_other, 9, p->key.isa, p->key.handled_by, &p->v);
				continue;
			}
			port_labels(l, sizeof(l), &p->key, in->kver);
			io_sample(w, l, &p->v, fams[f].f);
		}
		for (size_t i = 0; i < n_other; i++) {
			other_labels(l, sizeof(l), "port", &other[i]);
			io_sample(w, l, &other[i].v, fams[f].f);
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
	label(l, len, "vm", e->vm);
	label(l, len, "isa", nvmx_isa_name(e->k[0]));
	label(l, len, "reason", nvmx_reason_name(e->k[0], e->k[1], buf, sizeof(buf)));
}

/* The complete round trips of reflected L2 exits (kind NVMX_BD_ROUND_TRIP) and their parts. */
static void write_round_trips(struct mw *w, const struct nvmxd_metrics_in *in, struct bd_agg *a)
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
	const struct nvmxd_counts *c = in->counts;
	size_t m = 0, n;
	char l[1024], lp[1100];

	for (size_t i = 0; i < c->n_bds; i++) {
		const struct nvmxd_bd *b = &c->bds[i];
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
	family(w, "nvmx_nested_round_trips", M_COUNTER, NULL,
	       "Complete nested round trips: reflected L2 exits that L1 handled and resumed L2 "
	       "from, from the L2 exit to the next entry into L2 (the Turtles breakdown).");
	for (size_t i = 0; i < n; i++) {
		bd_labels(&a[i], l, sizeof(l));
		sample_u64(w, "", l, a[i].count);
	}
	family(w, "nvmx_nested_round_trip_part_seconds", M_COUNTER, "seconds",
	       "Time of the complete nested round trips by part: l0_exit (L2 exit to the "
	       "reflection), l0_reflect (to the entry into L1), l1_handler (L1's handler, its own "
	       "exits left out), l1_exit_service (L0 serving L1's exits in the handler), "
	       "l0_entry_emulation (L1's VMRUN/VMRESUME to the entry into L2). The parts add up "
	       "to nvmx_nested_round_trip_seconds_sum.");
	for (size_t i = 0; i < n; i++) {
		bd_labels(&a[i], l, sizeof(l));
		for (uint32_t p = NVMX_RT_L0_EXIT; p < NVMX_RT_PARTS; p++) {
			snprintf(lp, sizeof(lp), "%s", l);
			label(lp, sizeof(lp), "part", parts[p]);
			sample_f(w, "", lp, (double)a[i].sum_ns[p] / 1e9);
		}
	}
	family(w, "nvmx_nested_round_trip_seconds", M_HISTOGRAM, "seconds",
	       "Duration of the complete nested round trips, from the L2 exit to the next entry "
	       "into L2.");
	for (size_t i = 0; i < n; i++) {
		struct nvmx_hist h = { .count = a[i].count, .sum_ns = a[i].sum_ns[0] };

		memcpy(h.buckets, a[i].buckets, sizeof(h.buckets));
		bd_labels(&a[i], l, sizeof(l));
		histogram(w, l, &h);
	}
}

/* L1's exits inside the complete round trips: the exit multiplication. */
static void write_round_trip_l1(struct mw *w, const struct nvmxd_metrics_in *in, struct bd_agg *a)
{
	const struct nvmxd_counts *c = in->counts;
	size_t n;
	char l[1024], buf[32];

	for (size_t i = 0; i < c->n_bd_l1s; i++) {
		const struct nvmx_bd_l1_key *k = (const void *)c->bd_l1s[i].key;

		memset(&a[i], 0, sizeof(a[i]));
		a[i].vm = in->vm_name(in->ctx, k->tgid);
		a[i].k[0] = k->isa;
		a[i].k[1] = k->reason;
		a[i].k[2] = k->l1_reason;
		a[i].count = c->bd_l1s[i].count;
	}
	n = bd_merge(a, c->n_bd_l1s);
	family(w, "nvmx_nested_round_trip_l1_exits", M_COUNTER, NULL,
	       "Exits of L1 inside the complete nested round trips (exit multiplication), by the "
	       "reflected L2 exit's reason and L1's exit reason (l1_reason=\"other\": beyond the "
	       "4 distinct reasons a round trip keeps).");
	for (size_t i = 0; i < n; i++) {
		bd_labels(&a[i], l, sizeof(l));
		label(l, sizeof(l), "l1_reason",
		      a[i].k[2] == NVMX_BD_L1_OVERFLOW
			      ? "other"
			      : nvmx_reason_name(a[i].k[0], a[i].k[2], buf, sizeof(buf)));
		sample_u64(w, "", l, a[i].count);
	}
}

/* Interrupted event deliveries by outcome; the vector is 8 bits (0x00..0xff): bounded. */
static void write_vectoring(struct mw *w, const struct nvmxd_metrics_in *in, struct bd_agg *a)
{
	const struct nvmxd_counts *c = in->counts;
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
	family(w, "nvmx_interrupted_events", M_COUNTER, NULL,
	       "Event deliveries (interrupts, exceptions) interrupted by an L2 exit, by outcome: "
	       "reinjected_l2 (L0 reinjected it), handed_to_l1 (in the exit information L1 "
	       "gets), lost (neither: an anomaly, logged by nvmxd).");
	for (size_t i = 0; i < n; i++) {
		l[0] = '\0';
		label(l, sizeof(l), "vm", a[i].vm);
		label(l, sizeof(l), "isa", nvmx_isa_name(a[i].k[0]));
		label(l, sizeof(l), "type", nvmx_vec_type_name(a[i].k[1]));
		snprintf(buf, sizeof(buf), "0x%02" PRIx32, a[i].k[2]);
		label(l, sizeof(l), "vector", buf);
		label(l, sizeof(l), "outcome", nvmx_vec_outcome_name(a[i].k[3]));
		sample_u64(w, "", l, a[i].count);
	}
}

static int write_breakdown(struct mw *w, const struct nvmxd_metrics_in *in)
{
	const struct nvmxd_counts *c = in->counts;
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

static void write_programs(struct mw *w, const struct nvmxd_metrics_in *in)
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
	family(w, "nvmx_bpf_program_attached", M_GAUGE, NULL,
	       "1 if nvmx's program on this KVM tracepoint is attached, 0 if it is missing "
	       "(the tracepoint or its BTF type is not in this kernel, or attaching failed).");
	for (size_t i = 0; i < n; i++) {
		l[0] = '\0';
		label(l, sizeof(l), "tracepoint", in->progs[i].tracepoint);
		label(l, sizeof(l), "program", in->progs[i].program);
		sample_u64(w, "", l, in->progs[i].attached);
	}
	family(w, "nvmx_bpf_programs_missing", M_GAUGE, NULL,
	       "How many of nvmx's tracepoint programs are not attached (the --baseline program "
	       "not counted).");
	sample_u64(w, "", "", missing);
	family(w, "nvmx_bpf_stats_enabled", M_GAUGE, NULL,
	       "1 while the kernel counts BPF run time (kernel.bpf_stats_enabled=1 or nvmxd "
	       "--bpf-stats): only then are nvmx_bpf_program_run* there.");
	sample_u64(w, "", "", in->bpf_stats);
	if (in->bpf_stats) {
		family(w, "nvmx_bpf_program_runs", M_COUNTER, NULL,
		       "Runs of each attached program (kernel BPF statistics).");
		for (size_t i = 0; i < n; i++) {
			if (!have[i])
				continue;
			l[0] = '\0';
			label(l, sizeof(l), "program", in->progs[i].program);
			sample_u64(w, "", l, info[i].run_cnt);
		}
		family(w, "nvmx_bpf_program_run_seconds", M_COUNTER, "seconds",
		       "Time spent in each attached program (kernel BPF statistics).");
		for (size_t i = 0; i < n; i++) {
			if (!have[i])
				continue;
			l[0] = '\0';
			label(l, sizeof(l), "program", in->progs[i].program);
			sample_f(w, "", l, (double)info[i].run_time_ns / 1e9);
		}
	}
	family(w, "nvmx_bpf_program_recursion_misses", M_COUNTER, NULL,
	       "Times the kernel skipped a program because it was already running on that CPU "
	       "(an event not counted).");
	for (size_t i = 0; i < n; i++) {
		if (!have[i])
			continue;
		l[0] = '\0';
		label(l, sizeof(l), "program", in->progs[i].program);
		sample_u64(w, "", l, info[i].recursion_misses);
	}
}

static void write_self(struct mw *w, const struct nvmxd_metrics_in *in)
{
	static const struct {
		uint32_t slot;
		const char *map;
	} failures[] = {
		{ NVMX_SELF_STATE_UPDATE_FAILED, "nvmx_threads" },
		{ NVMX_SELF_EXIT_UPDATE_FAILED, "nvmx_exits" },
		{ NVMX_SELF_MSR_UPDATE_FAILED, "nvmx_msrs" },
		{ NVMX_SELF_PORT_UPDATE_FAILED, "nvmx_ports" },
		{ NVMX_SELF_SCRATCH_MISSING, "nvmx_scratch" },
	};
	const struct nvmxd_counts *c = in->counts;
	const struct nvmxd_http_stats *h = in->http;
	char l[256];

	family(w, "nvmx_bpf_events", M_COUNTER, NULL,
	       "KVM tracepoint events nvmx's programs handled.");
	sample_u64(w, "", "", c->self[NVMX_SELF_EVENTS]);
	family(w, "nvmx_map_update_failures", M_COUNTER, NULL,
	       "Events or verdicts not counted because a BPF map update failed (map full): "
	       "counts are low by this much.");
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
		l[0] = '\0';
		label(l, sizeof(l), "map", failures[i].map);
		sample_u64(w, "", l, c->self[failures[i].slot]);
	}
	family(w, "nvmx_ringbuf_dropped_events", M_COUNTER, NULL,
	       "Events not recorded (--record) because the ring buffer was full; counts are "
	       "not affected.");
	sample_u64(w, "", "", c->self[NVMX_SELF_RINGBUF_DROPPED]);
	family(w, "nvmx_ringbuf_records", M_COUNTER, NULL,
	       "Events sent to the ring buffer for --record.");
	sample_u64(w, "", "", c->self[NVMX_SELF_RINGBUF_SENT]);
	if (h) {
		family(w, "nvmx_http_requests", M_COUNTER, NULL,
		       "HTTP requests nvmxd answered, refused ones included.");
		sample_u64(w, "", "", h->requests);
		family(w, "nvmx_http_bad_requests", M_COUNTER, NULL,
		       "HTTP requests refused with a 4xx status, or connections closed for "
		       "sending no complete request in time, by reason.");
		for (int r = 0; r < NVMXD_BAD_COUNT; r++) {
			l[0] = '\0';
			label(l, sizeof(l), "reason", nvmxd_bad_request_name(r));
			sample_u64(w, "", l, h->bad[r]);
		}
		family(w, "nvmx_http_connections", M_COUNTER, NULL, "HTTP connections accepted.");
		sample_u64(w, "", "", h->connections);
	}
	family(w, "nvmx_privileges_dropped", M_GAUGE, NULL,
	       "1: nvmxd runs as an unprivileged user with no capabilities; 0: it kept root; "
	       "-1: unprivileged but CAP_BPF kept (kernels before 5.19 refuse map reads without "
	       "it).");
	fprintf(w->f, "%s %d\n", w->sample, in->privileges_dropped);
	family(w, "nvmx_start_time_seconds", M_GAUGE, "seconds",
	       "When nvmxd attached its programs, in seconds since the Unix epoch.");
	sample_f(w, "", "", in->start_time);
	family(w, "nvmx_build", M_INFO, NULL, "nvmx's version.");
	l[0] = '\0';
	label(l, sizeof(l), "version", NVMX_VERSION);
	sample_u64(w, "", l, 1);
}


int nvmxd_metrics_write(FILE *out, const struct nvmxd_metrics_in *in, enum nvmxd_metrics_format fmt)
{
	struct mw w = { .f = out, .om = fmt == NVMXD_METRICS_OPENMETRICS };
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
	qsort(vcpus, n, sizeof(*vcpus), cmp_vcpu);
	for (size_t i = 0; i < n; i++)
		if (!n_vcpus || cmp_vcpu(&vcpus[n_vcpus - 1], &vcpus[i]))
			vcpus[n_vcpus++] = vcpus[i];
	write_exits(&w, in, a, n, vcpus, n_vcpus);
	free(a);
	free(vcpus);
	if (write_breakdown(&w, in))
		return -ENOMEM;
	write_msrs_ports(&w, in);
	write_programs(&w, in);
	write_self(&w, in);
	family(&w, "nvmx_scrape_duration_seconds", M_GAUGE, "seconds",
	       "How long this scrape took to read nvmx's maps and write the metrics above.");
	sample_f(&w, "", "", (double)(nvmx_mono_ns() - in->scrape_start_ns) / 1e9);
	if (w.om)
		fputs("# EOF\n", out);
	return ferror(out) ? -EIO : 0;
}
