// SPDX-License-Identifier: GPL-2.0
/*
 * Comparing two summaries (include/nvmx/summary.h): a truth against an observation, or two
 * observations of the same events, one line per difference.
 */
#include <inttypes.h>
#include <stdio.h>

#include "nvmx/exit_reasons.h"
#include "summary_int.h"

/* Where differences go, and what the two sides are called in them. */
struct cmp {
	FILE *out;
	const char *a, *b;
};

static void diff_line(const struct cmp *diffs, const char *what, uint64_t a, uint64_t b)
{
	if (diffs->out)
		fprintf(diffs->out, "%s: %s %" PRIu64 ", %s %" PRIu64 "\n", what, diffs->a, a,
			diffs->b, b);
}

static void exit_label(const struct nvmx_summary_exit *e, char *buf, size_t len)
{
	char rb[24];
	const char *name = nvmx_reason_name(e->isa, e->reason, rb, sizeof(rb));

	if (e->kind == NVMX_KIND_L2_EXIT)
		snprintf(buf, len, "%s %s %s %s", nvmx_kind_keys[e->kind], nvmx_isa_name(e->isa),
			 name, nvmx_handler_name(e->handled_by));
	else
		snprintf(buf, len, "%s %s %s", nvmx_kind_keys[e->kind], nvmx_isa_name(e->isa),
			 name);
}

/* An MSR/port entry's handler in a diff line: L2 exits by L0 or L1, or L1's own exits. */
static const char *io_level_name(enum nvmx_handler h)
{
	return h == NVMX_HANDLED_BY_NONE ? "L1-exit" : nvmx_handler_name(h);
}

static void msr_label(const struct nvmx_summary_msr *m, char *buf, size_t len)
{
	char ms[16];

	if (m->msr == NVMX_MSR_UNKNOWN)
		snprintf(ms, sizeof(ms), "unknown");
	else
		snprintf(ms, sizeof(ms), "0x%x", m->msr);
	snprintf(buf, len, "msrs %s %s %s %s", nvmx_isa_name(m->isa), ms,
		 m->write ? "write" : "read", io_level_name(m->handled_by));
}

static void port_label(const struct nvmx_summary_port *p, char *buf, size_t len)
{
	snprintf(buf, len, "ports %s 0x%x %s %u %s", nvmx_isa_name(p->isa), p->port,
		 p->in ? "in" : "out", p->size, io_level_name(p->handled_by));
}

/*
 * What a truth against an observation compares: certain entries, and with a real hypervisor as
 * L1 (nvmx_summary_set_l1_uncertain()) only those of L2 exits.
 */
static bool exit_compared(const struct nvmx_summary *t, const struct nvmx_summary_exit *e)
{
	return nvmx_exit_certain(e->kind, e->isa, e->reason) &&
	       (!t->l1_uncertain || e->kind == NVMX_KIND_L2_EXIT);
}

static bool io_compared(const struct nvmx_summary *t, enum nvmx_handler h)
{
	return !t->l1_uncertain || h != NVMX_HANDLED_BY_NONE;
}

static int compare_exits(const struct nvmx_summary *t, const struct nvmx_summary *o, bool all,
			 const struct cmp *diffs)
{
	char label[128];
	int n = 0;
	bool found;
	size_t at;

	for (size_t i = 0; i < t->n_exits; i++) {
		const struct nvmx_summary_exit *e = &t->exits[i];
		uint64_t seen;

		if (!all && !exit_compared(t, e))
			continue;
		at = nvmx_find_exit(o->exits, o->n_exits, e, &found);
		seen = found ? o->exits[at].count : 0;
		if (seen != e->count) {
			exit_label(e, label, sizeof(label));
			diff_line(diffs, label, e->count, seen);
			n++;
		}
	}
	for (size_t i = 0; i < o->n_exits; i++) {
		const struct nvmx_summary_exit *e = &o->exits[i];

		if (!all && !exit_compared(t, e))
			continue;
		nvmx_find_exit(t->exits, t->n_exits, e, &found);
		if (!found) {
			exit_label(e, label, sizeof(label));
			diff_line(diffs, label, 0, e->count);
			n++;
		}
	}
	return n;
}

/*
 * A tracefs capture cannot see the index of a reflected RDMSR/WRMSR (it lives in guest RCX), so it
 * reports msr "unknown" for (isa, access, L1). Truth's L1 entries without an exact observed match
 * are summed against that observed "unknown" entry.
 */
static int compare_msrs(const struct nvmx_summary *t, const struct nvmx_summary *o,
			const struct cmp *diffs)
{
	uint64_t sums[16]; /* per observed unknown L1 entry, by index below */
	const struct nvmx_summary_msr *unknowns[16];
	size_t n_unknown = 0;
	char label[128];
	int n = 0;
	bool found;
	size_t at;

	for (size_t i = 0; i < o->n_msrs && n_unknown < 16; i++)
		if (o->msrs[i].msr == NVMX_MSR_UNKNOWN &&
		    o->msrs[i].handled_by == NVMX_HANDLED_BY_L1) {
			unknowns[n_unknown] = &o->msrs[i];
			sums[n_unknown++] = 0;
		}
	for (size_t i = 0; i < t->n_msrs; i++) {
		const struct nvmx_summary_msr *m = &t->msrs[i];
		size_t u;

		if (m->msr == NVMX_MSR_UNKNOWN) {
			/* a truth as blind as the observation: its count joins the sum */
			at = nvmx_find_msr(o->msrs, o->n_msrs, m, &found);
			for (u = 0; found && u < n_unknown; u++)
				if (unknowns[u] == &o->msrs[at])
					sums[u] += m->count;
			continue;
		}
		if (!nvmx_msr_certain(m) || !io_compared(t, m->handled_by))
			continue;
		at = nvmx_find_msr(o->msrs, o->n_msrs, m, &found);
		if (found) {
			if (o->msrs[at].count != m->count) {
				msr_label(m, label, sizeof(label));
				diff_line(diffs, label, m->count, o->msrs[at].count);
				n++;
			}
			continue;
		}
		for (u = 0; u < n_unknown; u++)
			if (m->handled_by == NVMX_HANDLED_BY_L1 && unknowns[u]->isa == m->isa &&
			    unknowns[u]->write == m->write)
				break;
		if (u < n_unknown) {
			sums[u] += m->count;
			continue;
		}
		msr_label(m, label, sizeof(label));
		diff_line(diffs, label, m->count, 0);
		n++;
	}
	for (size_t u = 0; u < n_unknown; u++)
		if (sums[u] != unknowns[u]->count) {
			msr_label(unknowns[u], label, sizeof(label));
			diff_line(diffs, label, sums[u], unknowns[u]->count);
			n++;
		}
	for (size_t i = 0; i < o->n_msrs; i++) {
		const struct nvmx_summary_msr *m = &o->msrs[i];

		if (!nvmx_msr_certain(m) || !io_compared(t, m->handled_by))
			continue;
		nvmx_find_msr(t->msrs, t->n_msrs, m, &found);
		if (!found) {
			msr_label(m, label, sizeof(label));
			diff_line(diffs, label, 0, m->count);
			n++;
		}
	}
	return n;
}

static int compare_ports(const struct nvmx_summary *t, const struct nvmx_summary *o, bool all,
			 const struct cmp *diffs)
{
	char label[128];
	int n = 0;
	bool found;
	size_t at;

	for (size_t i = 0; i < t->n_ports; i++) {
		const struct nvmx_summary_port *p = &t->ports[i];
		uint64_t seen;

		if (!all && (!nvmx_port_certain(p) || !io_compared(t, p->handled_by)))
			continue;
		at = nvmx_find_port(o->ports, o->n_ports, p, &found);
		seen = found ? o->ports[at].count : 0;
		if (seen != p->count) {
			port_label(p, label, sizeof(label));
			diff_line(diffs, label, p->count, seen);
			n++;
		}
	}
	for (size_t i = 0; i < o->n_ports; i++) {
		const struct nvmx_summary_port *p = &o->ports[i];

		if (!all && (!nvmx_port_certain(p) || !io_compared(t, p->handled_by)))
			continue;
		nvmx_find_port(t->ports, t->n_ports, p, &found);
		if (!found) {
			port_label(p, label, sizeof(label));
			diff_line(diffs, label, 0, p->count);
			n++;
		}
	}
	return n;
}

static uint64_t l1_count(const struct nvmx_bd_entry *e, uint32_t reason)
{
	for (size_t i = 0; e && i < e->n_l1; i++)
		if (e->l1[i].reason == reason)
			return e->l1[i].count;
	return 0;
}

/* Every count of a's breakdown entries against b's (one direction). */
static int bd_counts_one_way(const struct nvmx_summary *a, const struct nvmx_summary *b,
			     bool missing_only, const struct cmp *diffs, bool swap)
{
	char label[160], rbuf[24], lbuf[24];
	const char *rb, *lb;
	int n = 0;

	for (size_t i = 0; i < a->n_bds; i++) {
		const struct nvmx_bd_entry *e = &a->bds[i];
		const struct nvmx_bd_entry *o =
			nvmx_summary_breakdown_find(b, e->isa, e->reason, e->kind);
		static const char *const kinds[] = { "breakdown", "l0_handled",
						     "l0_handled to_vmm" };

		rb = nvmx_reason_name(e->isa, e->reason, rbuf, sizeof(rbuf));
		if ((!o || !missing_only) && (o ? o->count : 0) != e->count) {
			snprintf(label, sizeof(label), "%s %s %s count", kinds[e->kind],
				 nvmx_isa_name(e->isa), rb);
			swap ? diff_line(diffs, label, o ? o->count : 0, e->count)
			     : diff_line(diffs, label, e->count, o ? o->count : 0);
			n++;
		}
		for (size_t k = 0; k < e->n_l1; k++) {
			uint64_t other = l1_count(o, e->l1[k].reason);

			if ((other && missing_only) || other == e->l1[k].count)
				continue;
			if (e->l1[k].reason == NVMX_BD_L1_OVERFLOW)
				lb = "overflow";
			else
				lb = nvmx_reason_name(e->isa, e->l1[k].reason, lbuf, sizeof(lbuf));
			snprintf(label, sizeof(label), "breakdown %s %s l1_exits %s",
				 nvmx_isa_name(e->isa), rb, lb);
			swap ? diff_line(diffs, label, other, e->l1[k].count)
			     : diff_line(diffs, label, e->l1[k].count, other);
			n++;
		}
	}
	return n;
}

static void vec_label(const struct nvmx_vec_entry *v, char *buf, size_t len)
{
	snprintf(buf, len, "vectoring %s %s 0x%x %s", nvmx_isa_name(v->isa),
		 nvmx_vec_type_name(v->type), v->vector, nvmx_vec_outcome_name(v->outcome));
}

/* Whether the truth names this event (isa, type, vector) at all. */
static bool named(const struct nvmx_summary *t, const struct nvmx_vec_entry *v)
{
	for (size_t i = 0; i < t->n_vecs; i++)
		if (t->vecs[i].isa == v->isa && t->vecs[i].type == v->type &&
		    t->vecs[i].vector == v->vector)
			return true;
	return false;
}

/*
 * Counts only, never times (two observations of one run have different clocks). all: every
 * breakdown count and vectoring entry; else (truth against observed) the vectoring entries of
 * every (isa, type, vector) the truth names, and every lost event. Returns differences.
 */
static int compare_breakdowns(const struct nvmx_summary *a, const struct nvmx_summary *b, bool all,
			      const struct cmp *diffs)
{
	char label[128];
	int n = 0;

	if (all) {
		n += bd_counts_one_way(a, b, false, diffs, false);
		n += bd_counts_one_way(b, a, true, diffs, true);
	}
	for (size_t i = 0; i < a->n_vecs; i++) {
		const struct nvmx_vec_entry *v = &a->vecs[i];
		uint64_t seen =
			nvmx_summary_vectoring_count(b, v->isa, v->type, v->vector, v->outcome);

		if (seen != v->count) {
			vec_label(v, label, sizeof(label));
			diff_line(diffs, label, v->count, seen);
			n++;
		}
	}
	for (size_t i = 0; i < b->n_vecs; i++) {
		const struct nvmx_vec_entry *v = &b->vecs[i];

		/* truth against observed: an event the truth does not name is not certain,
		 * but a lost event is always an anomaly */
		if (!all && !named(a, v) && v->outcome != NVMX_VEC_LOST)
			continue;
		if (nvmx_summary_vectoring_count(a, v->isa, v->type, v->vector, v->outcome))
			continue;
		vec_label(v, label, sizeof(label));
		diff_line(diffs, label, 0, v->count);
		n++;
	}
	return n;
}

int nvmx_summary_compare_certain(const struct nvmx_summary *truth,
				 const struct nvmx_summary *observed, FILE *out)
{
	const struct cmp c = { out, "truth", "observed" }, *diffs = &c;
	int n = compare_exits(truth, observed, false, diffs);

	n += compare_msrs(truth, observed, diffs);
	n += compare_ports(truth, observed, false, diffs);
	if (truth->has_nested_entries && !truth->l1_uncertain &&
	    truth->nested_entries != observed->nested_entries) {
		diff_line(diffs, "nested_entries", truth->nested_entries, observed->nested_entries);
		n++;
	}
	n += compare_breakdowns(truth, observed, false, diffs);
	return n;
}

/* Whether s has an "unknown" entry of m's group (isa, access, handler): a side blind to indexes. */
static bool has_unknown_of(const struct nvmx_summary *s, const struct nvmx_summary_msr *m)
{
	struct nvmx_summary_msr k = *m;
	bool found;

	k.msr = NVMX_MSR_UNKNOWN;
	nvmx_find_msr(s->msrs, s->n_msrs, &k, &found);
	return found;
}

/*
 * Entries of a that b cannot tell apart: a knows the index, b counted the same group as
 * "unknown" (a tracefs capture never sees a reflected access's RCX; nvmxd does) and a has no
 * unknown entry of its own in that group. They are compared as the group's sum.
 */
static bool folded(const struct nvmx_summary *a, const struct nvmx_summary *b,
		   const struct nvmx_summary_msr *m)
{
	return m->msr != NVMX_MSR_UNKNOWN && has_unknown_of(b, m) && !has_unknown_of(a, m);
}

/* One side's sum for an "unknown" entry: its own unknown count plus what it folds into it. */
static uint64_t group_sum(const struct nvmx_summary *s, const struct nvmx_summary *other,
			  const struct nvmx_summary_msr *unknown)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < s->n_msrs; i++) {
		const struct nvmx_summary_msr *m = &s->msrs[i];

		if (m->isa != unknown->isa || m->write != unknown->write ||
		    m->handled_by != unknown->handled_by)
			continue;
		if (m->msr == NVMX_MSR_UNKNOWN || folded(s, other, m))
			sum += m->count;
	}
	return sum;
}

/*
 * Every MSR entry by its exact key: two observations of the same events. Where one side knows
 * indexes the other saw as "unknown", the group's sums are compared instead.
 */
static int compare_msrs_exact(const struct nvmx_summary *a, const struct nvmx_summary *b,
			      const struct cmp *diffs)
{
	char label[128];
	int n = 0;
	bool found;
	size_t at;

	for (size_t i = 0; i < a->n_msrs; i++) {
		const struct nvmx_summary_msr *m = &a->msrs[i];
		uint64_t seen, want = m->count;

		if (folded(a, b, m))
			continue;
		at = nvmx_find_msr(b->msrs, b->n_msrs, m, &found);
		seen = found ? b->msrs[at].count : 0;
		if (m->msr == NVMX_MSR_UNKNOWN) {
			want = group_sum(a, b, m);
			seen = group_sum(b, a, m);
		}
		if (seen != want) {
			msr_label(m, label, sizeof(label));
			diff_line(diffs, label, want, seen);
			n++;
		}
	}
	for (size_t i = 0; i < b->n_msrs; i++) {
		const struct nvmx_summary_msr *m = &b->msrs[i];

		if (folded(b, a, m))
			continue;
		nvmx_find_msr(a->msrs, a->n_msrs, m, &found);
		if (!found) {
			uint64_t want = 0, seen = m->count;

			if (m->msr == NVMX_MSR_UNKNOWN) {
				want = group_sum(a, b, m);
				seen = group_sum(b, a, m);
				if (want == seen)
					continue;
			}
			msr_label(m, label, sizeof(label));
			diff_line(diffs, label, want, seen);
			n++;
		}
	}
	return n;
}

int nvmx_summary_compare_lost(const struct nvmx_summary *a, const struct nvmx_summary *b,
			      const char *a_name, const char *b_name, FILE *diffs)
{
	const struct nvmx_summary *side[2] = { a, b };
	const char *name[2] = { a_name, b_name };
	int n = 0;

	for (int i = 0; i < 2; i++) {
		if (!side[i]->lost)
			continue;
		n++;
		if (diffs)
			fprintf(diffs, "%s: %" PRIu64 " events lost: its counts are short\n",
				name[i], side[i]->lost);
	}
	return n;
}

int nvmx_summary_compare_all(const struct nvmx_summary *a, const struct nvmx_summary *b,
			     const char *a_name, const char *b_name, FILE *out)
{
	const struct cmp c = { out, a_name, b_name }, *diffs = &c;
	int n = compare_exits(a, b, true, diffs);

	n += compare_msrs_exact(a, b, diffs);
	n += compare_ports(a, b, true, diffs);
	if (a->nested_entries != b->nested_entries) {
		diff_line(diffs, "nested_entries", a->nested_entries, b->nested_entries);
		n++;
	}
	if (nvmx_summary_failed_entries(a) != nvmx_summary_failed_entries(b)) {
		diff_line(diffs, "nested_entries_failed", nvmx_summary_failed_entries(a),
			  nvmx_summary_failed_entries(b));
		n++;
	}
	if (a->unattributed != b->unattributed) {
		diff_line(diffs, "unattributed", a->unattributed, b->unattributed);
		n++;
	}
	n += compare_breakdowns(a, b, true, diffs);
	return n;
}
