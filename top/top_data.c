// SPDX-License-Identifier: GPL-2.0
/* nvmxtop's samples and the view built from two of them (top_data.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/counters.h"
#include "top_data.h"

_Static_assert(TOP_L2_BY_L0 == NVMX_OUT_L2_BY_L0 && TOP_L2_BY_L1 == NVMX_OUT_L2_BY_L1 &&
		       TOP_SYNTHESIZED_TO_L1 == NVMX_OUT_SYNTHESIZED_TO_L1 &&
		       TOP_L1_EXIT == NVMX_OUT_L1_EXIT &&
		       TOP_NESTED_ENTRY == NVMX_OUT_NESTED_ENTRY &&
		       TOP_UNATTRIBUTED == NVMX_OUT_UNATTRIBUTED &&
		       TOP_NESTED_ENTRY_FAILED == NVMX_OUT_NESTED_ENTRY_FAILED &&
		       TOP_OUTCOMES == NVMX_OUT_COUNT,
	       "nvmxtop's outcomes are counts.h's");
_Static_assert(TOP_RT_PARTS == NVMX_RT_PARTS, "nvmxtop's round-trip parts are model.h's");

/* Adds the sums of e to those of into (same key). */
static void merge(struct top_entry *into, const struct top_entry *e)
{
	into->count += e->count;
	into->timed += e->timed;
	into->sum_ns += e->sum_ns;
	for (int i = 0; i < TOP_RT_PARTS; i++)
		into->part_ns[i] += e->part_ns[i];
	into->l1_exits += e->l1_exits;
}

void top_sample_free(struct top_sample *s)
{
	if (!s)
		return;
	free(s->entries);
	free(s->names);
	free(s->l1s);
	memset(s, 0, sizeof(*s));
}

void top_sample_reset(struct top_sample *s)
{
	s->n_entries = 0;
	s->n_l1s = 0;
	s->time_ns = 0;
	s->lost_events = 0;
	s->overhead_known = false;
	s->bpf_run_ns = 0;
	s->ended = false;
}

static int key_cmp(const struct top_entry *a, const struct top_entry *b)
{
	const uint32_t x[] = { a->tgid, a->tid, a->isa, a->reason, a->outcome };
	const uint32_t y[] = { b->tgid, b->tid, b->isa, b->reason, b->outcome };

	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return key_cmp(a, b);
}

/* The index of e's key in the sorted entries, or where it would go (*found false). */
static size_t find(const struct top_sample *s, const struct top_entry *e, bool *found)
{
	size_t lo = 0, hi = s->n_entries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(&s->entries[mid], e);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

int top_sample_add(struct top_sample *s, const struct top_entry *e)
{
	bool found;
	size_t i = find(s, e, &found);

	if (found) {
		merge(&s->entries[i], e);
		return 0;
	}
	if (s->n_entries == s->cap_entries) {
		size_t cap = s->cap_entries ? s->cap_entries * 2 : 64;
		struct top_entry *p = realloc(s->entries, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->entries = p;
		s->cap_entries = cap;
	}
	memmove(&s->entries[i + 1], &s->entries[i], (s->n_entries - i) * sizeof(*e));
	s->entries[i] = *e;
	s->n_entries++;
	return 0;
}

void top_sample_sort(struct top_sample *s)
{
	size_t out = 0;

	/* never qsort(NULL, 0): undefined (its array is declared non-null) */
	if (s->n_entries > 1)
		qsort(s->entries, s->n_entries, sizeof(*s->entries), entry_cmp);
	/* one entry per key, whatever the source gave */
	for (size_t i = 0; i < s->n_entries; i++) {
		if (out && !key_cmp(&s->entries[out - 1], &s->entries[i])) {
			merge(&s->entries[out - 1], &s->entries[i]);
			continue;
		}
		s->entries[out++] = s->entries[i];
	}
	s->n_entries = out;
}

int top_sample_copy(struct top_sample *dst, const struct top_sample *src)
{
	struct top_entry *e = dst->entries;
	struct top_vm_name *n = dst->names;

	if (dst->cap_entries < src->n_entries) {
		e = realloc(dst->entries, (src->n_entries + 1) * sizeof(*e));
		if (!e)
			return -ENOMEM;
		dst->entries = e;
		dst->cap_entries = src->n_entries + 1;
	}
	if (dst->cap_names < src->n_names) {
		n = realloc(dst->names, (src->n_names + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		dst->names = n;
		dst->cap_names = src->n_names + 1;
	}
	if (dst->cap_l1s < src->n_l1s) {
		struct top_l1 *l = realloc(dst->l1s, (src->n_l1s + 1) * sizeof(*l));

		if (!l)
			return -ENOMEM;
		dst->l1s = l;
		dst->cap_l1s = src->n_l1s + 1;
	}
	if (src->n_l1s)
		memcpy(dst->l1s, src->l1s, src->n_l1s * sizeof(*src->l1s));
	dst->n_l1s = src->n_l1s;
	if (src->n_entries)
		memcpy(dst->entries, src->entries, src->n_entries * sizeof(*e));
	if (src->n_names)
		memcpy(dst->names, src->names, src->n_names * sizeof(*n));
	dst->n_entries = src->n_entries;
	dst->n_names = src->n_names;
	dst->time_ns = src->time_ns;
	dst->lost_events = src->lost_events;
	dst->overhead_known = src->overhead_known;
	dst->bpf_run_ns = src->bpf_run_ns;
	dst->ended = src->ended;
	return 0;
}

static bool l1_same_key(const struct top_l1 *a, const struct top_l1 *b)
{
	return a->tgid == b->tgid && a->isa == b->isa && a->reason == b->reason &&
	       a->l1_reason == b->l1_reason;
}

int top_sample_add_l1(struct top_sample *s, const struct top_l1 *l)
{
	for (size_t i = 0; i < s->n_l1s; i++)
		if (l1_same_key(&s->l1s[i], l)) {
			s->l1s[i].count += l->count;
			s->l1s[i].sum_ns += l->sum_ns;
			return 0;
		}
	if (s->n_l1s == s->cap_l1s) {
		size_t cap = s->cap_l1s ? s->cap_l1s * 2 : 32;
		struct top_l1 *p = realloc(s->l1s, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->l1s = p;
		s->cap_l1s = cap;
	}
	s->l1s[s->n_l1s++] = *l;
	return 0;
}

int top_sample_set_name(struct top_sample *s, uint32_t tgid, const char *name)
{
	struct top_vm_name *p;

	for (size_t i = 0; i < s->n_names; i++)
		if (s->names[i].tgid == tgid) {
			snprintf(s->names[i].name, sizeof(s->names[i].name), "%s", name);
			return 0;
		}
	if (s->n_names == s->cap_names) {
		size_t cap = s->cap_names ? s->cap_names * 2 : 16;

		p = realloc(s->names, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->names = p;
		s->cap_names = cap;
	}
	p = &s->names[s->n_names++];
	p->tgid = tgid;
	snprintf(p->name, sizeof(p->name), "%s", name);
	return 0;
}

const char *top_sample_name(const struct top_sample *s, uint32_t tgid)
{
	for (size_t i = 0; i < s->n_names; i++)
		if (s->names[i].tgid == tgid)
			return s->names[i].name;
	return NULL;
}

/* ---- the view ---- */

void top_view_free(struct top_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n_vms; i++) {
		for (size_t j = 0; j < v->vms[i].n_vcpus; j++)
			free(v->vms[i].vcpus[j].reasons);
		free(v->vms[i].vcpus);
		free(v->vms[i].l1s);
	}
	free(v->vms);
	memset(v, 0, sizeof(*v));
}

/* Adds entry e, whose delta since the previous sample is d, to a node's stats. */
static void add_stats(struct top_stats *st, const struct top_entry *e, const struct top_entry *d)
{
	uint32_t o = e->outcome;

	if (o >= TOP_SLOTS)
		return;
	st->n[o] += e->count;
	st->dn[o] += d->count;
	st->ns[o] += e->sum_ns;
	st->dns[o] += d->sum_ns;
	st->t[o] += e->timed;
	st->dt[o] += d->timed;
	if (o != TOP_ROUND_TRIP)
		return;
	for (int i = 0; i < TOP_RT_PARTS; i++) {
		st->part_ns[i] += e->part_ns[i];
		st->dpart_ns[i] += d->part_ns[i];
	}
	st->l1_exits += e->l1_exits;
	st->dl1_exits += d->l1_exits;
}

static bool vm_passes(const struct top_filter *f, uint32_t tgid, const char *name)
{
	char pid[16];

	if (!f || !f->vm[0])
		return true;
	snprintf(pid, sizeof(pid), "%" PRIu32, tgid);
	return strcasestr(name, f->vm) || strstr(pid, f->vm);
}

static bool reason_passes(const struct top_filter *f, const char *name)
{
	return !f || !f->reason[0] || strcasestr(name, f->reason);
}

static void *grow(void *arr, size_t n, size_t elem)
{
	/* n is the count before adding one; capacity 4, then doubling when n reaches a power of 2 */
	if (!n)
		return realloc(arr, 4 * elem);
	if (n < 4 || (n & (n - 1)))
		return arr;
	return realloc(arr, n * 2 * elem);
}

struct sort_ctx {
	enum top_sort sort;
	bool reverse, rate;
};

/* The number a node is sorted by, for TOP_SORT_L2 .. TOP_SORT_COST. */
static double sort_value(const struct top_stats *st, const struct sort_ctx *c)
{
	uint64_t l0 = c->rate ? st->dn[TOP_L2_BY_L0] : st->n[TOP_L2_BY_L0];
	uint64_t l1 = c->rate ? st->dn[TOP_L2_BY_L1] : st->n[TOP_L2_BY_L1];
	uint64_t ns0 = c->rate ? st->dns[TOP_L2_BY_L0] : st->ns[TOP_L2_BY_L0];
	uint64_t ns1 = c->rate ? st->dns[TOP_L2_BY_L1] : st->ns[TOP_L2_BY_L1];

	switch (c->sort) {
	case TOP_SORT_L1_SHARE:
		return l0 + l1 ? (double)l1 / (double)(l0 + l1) : -1;
	case TOP_SORT_COST:
		return l0 + l1 ? (double)(ns0 + ns1) / (double)(l0 + l1) : -1;
	default:
		return (double)(l0 + l1);
	}
}

/* Numbers: largest first (reverse: smallest); ties and names: by key, ascending. */
static int by_value(const struct top_stats *a, const struct top_stats *b, int key_order,
		    const struct sort_ctx *c)
{
	if (c->sort != TOP_SORT_NAME) {
		double x = sort_value(a, c), y = sort_value(b, c);

		if (x != y)
			return (x > y ? -1 : 1) * (c->reverse ? -1 : 1);
		return key_order;
	}
	return key_order * (c->reverse ? -1 : 1);
}

static int cmp_vm(const void *a, const void *b, void *ctx)
{
	const struct top_vm *x = a, *y = b;
	int k = strcmp(x->name, y->name);

	if (!k)
		k = x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
	return by_value(&x->st, &y->st, k, ctx);
}

static int cmp_vcpu(const void *a, const void *b, void *ctx)
{
	const struct top_vcpu *x = a, *y = b;

	return by_value(&x->st, &y->st, x->tid < y->tid ? -1 : x->tid > y->tid, ctx);
}

static int cmp_reason(const void *a, const void *b, void *ctx)
{
	const struct top_reason *x = a, *y = b;
	int k = strcmp(x->name, y->name);

	if (!k)
		k = x->isa < y->isa ? -1 : x->isa > y->isa;
	return by_value(&x->st, &y->st, k, ctx);
}

/* The complete round trips of a reflected reason in a VM (every thread of it) in a sample. */
static uint64_t round_trips_of(const struct top_sample *s, uint32_t tgid, uint32_t isa,
			       uint32_t reason)
{
	uint64_t n = 0;

	for (size_t i = 0; s && i < s->n_entries; i++) {
		const struct top_entry *e = &s->entries[i];

		if (e->outcome == TOP_ROUND_TRIP && e->tgid == tgid && e->isa == isa &&
		    e->reason == reason)
			n += e->count;
	}
	return n;
}

static int cmp_l1_row(const void *a, const void *b)
{
	const struct top_l1_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->isa != y->isa)
		return x->isa < y->isa ? -1 : 1;
	/* the overflow last */
	if ((x->l1_reason == NVMX_BD_L1_OVERFLOW) != (y->l1_reason == NVMX_BD_L1_OVERFLOW))
		return x->l1_reason == NVMX_BD_L1_OVERFLOW ? 1 : -1;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->l1_name, y->l1_name);
}

/* The L1-exit rows of a VM of the view: its reflected reasons that pass the filter. */
static int build_l1_rows(struct top_vm *vm, const struct top_sample *prev,
			 const struct top_sample *cur, const struct top_filter *filter)
{
	for (size_t i = 0; i < cur->n_l1s; i++) {
		const struct top_l1 *l = &cur->l1s[i];
		struct top_l1_row *r;
		uint64_t pn = 0, pns = 0;
		char nbuf[24], lbuf[24];
		const char *rname;

		if (l->tgid != vm->tgid || !l->count)
			continue;
		rname = nvmx_reason_name(l->isa, l->reason, nbuf, sizeof(nbuf));
		if (!reason_passes(filter, rname))
			continue;
		for (size_t k = 0; prev && k < prev->n_l1s; k++)
			if (l1_same_key(&prev->l1s[k], l) && prev->l1s[k].count <= l->count) {
				pn = prev->l1s[k].count;
				pns = prev->l1s[k].sum_ns;
			}
		r = grow(vm->l1s, vm->n_l1s, sizeof(*r));
		if (!r)
			return -ENOMEM;
		vm->l1s = r;
		r = &vm->l1s[vm->n_l1s++];
		memset(r, 0, sizeof(*r));
		r->isa = l->isa;
		r->reason = l->reason;
		r->l1_reason = l->l1_reason;
		snprintf(r->name, sizeof(r->name), "%s", rname);
		snprintf(r->l1_name, sizeof(r->l1_name), "%s",
			 l->l1_reason == NVMX_BD_L1_OVERFLOW
				 ? "(other)"
				 : nvmx_reason_name(l->isa, l->l1_reason, lbuf, sizeof(lbuf)));
		r->n = l->count;
		r->ns = l->sum_ns;
		r->dn = l->count - pn;
		r->dns = l->sum_ns >= pns ? l->sum_ns - pns : 0;
		r->round_trips = round_trips_of(cur, l->tgid, l->isa, l->reason);
		pn = round_trips_of(prev, l->tgid, l->isa, l->reason);
		r->dround_trips = r->round_trips >= pn ? r->round_trips - pn : r->round_trips;
	}
	if (vm->n_l1s > 1)
		qsort(vm->l1s, vm->n_l1s, sizeof(*vm->l1s), cmp_l1_row);
	return 0;
}

int top_view_build(struct top_view *v, const struct top_sample *prev, const struct top_sample *cur,
		   const struct top_filter *filter, enum top_sort sort, bool reverse, bool rate)
{
	struct sort_ctx sc = { .sort = sort, .reverse = reverse, .rate = rate };
	size_t p = 0;
	uint32_t last_tid = 0, last_tgid = 0;
	bool any_thread = false;

	memset(v, 0, sizeof(*v));
	v->first = !prev;
	v->ended = cur->ended;
	v->lost_events = cur->lost_events;
	v->dlost_events = prev && cur->lost_events >= prev->lost_events
				  ? cur->lost_events - prev->lost_events
				  : cur->lost_events;
	if (prev && cur->time_ns > prev->time_ns)
		v->interval_s = (double)(cur->time_ns - prev->time_ns) / 1e9;
	v->overhead_known =
		cur->overhead_known && prev && prev->overhead_known && v->interval_s > 0;
	if (v->overhead_known)
		v->overhead_cpu =
			(double)(cur->bpf_run_ns - prev->bpf_run_ns) / 1e9 / v->interval_s;

	for (size_t i = 0; i < cur->n_entries; i++) {
		const struct top_entry *e = &cur->entries[i];
		struct top_entry d = *e; /* the delta: all of e unless the previous sample had it */
		const char *vm_name;
		char nbuf[24], fallback[64];
		const char *rname;
		struct top_vm *vm;
		struct top_vcpu *vc;
		struct top_reason *r;

		/* the previous sample's entry of the same key: both are sorted */
		while (prev && p < prev->n_entries && key_cmp(&prev->entries[p], e) < 0)
			p++;
		if (prev && p < prev->n_entries && !key_cmp(&prev->entries[p], e) &&
		    prev->entries[p].count <= e->count) {
			const struct top_entry *q = &prev->entries[p];

			d.count = e->count - q->count;
			d.timed = e->timed - q->timed;
			d.sum_ns = e->sum_ns - q->sum_ns;
			for (int k = 0; k < TOP_RT_PARTS; k++)
				d.part_ns[k] = e->part_ns[k] - q->part_ns[k];
			d.l1_exits = e->l1_exits - q->l1_exits;
		}
		if (!any_thread || e->tgid != last_tgid)
			v->n_vms_all++;
		if (!any_thread || e->tgid != last_tgid || e->tid != last_tid)
			v->n_vcpus_all++;
		any_thread = true;
		last_tgid = e->tgid;
		last_tid = e->tid;
		add_stats(&v->all, e, &d);

		vm_name = top_sample_name(cur, e->tgid);
		if (!vm_name) {
			snprintf(fallback, sizeof(fallback), "pid %" PRIu32, e->tgid);
			vm_name = fallback;
		}
		rname = nvmx_reason_name(e->isa, e->reason, nbuf, sizeof(nbuf));
		if (!vm_passes(filter, e->tgid, vm_name))
			continue;
		/* nested entries are not exits: they count in the totals only */
		if (e->outcome == TOP_NESTED_ENTRY || e->outcome == TOP_NESTED_ENTRY_FAILED ||
		    e->outcome == TOP_UNATTRIBUTED)
			rname = NULL;
		if (rname && !reason_passes(filter, rname))
			continue;
		if (!rname && filter && filter->reason[0])
			continue;

		vm = v->n_vms ? &v->vms[v->n_vms - 1] : NULL;
		if (!vm || vm->tgid != e->tgid) {
			struct top_vm *nv = grow(v->vms, v->n_vms, sizeof(*nv));

			if (!nv)
				goto nomem;
			v->vms = nv;
			vm = &v->vms[v->n_vms++];
			memset(vm, 0, sizeof(*vm));
			vm->tgid = e->tgid;
			snprintf(vm->name, sizeof(vm->name), "%s", vm_name);
		}
		vc = vm->n_vcpus ? &vm->vcpus[vm->n_vcpus - 1] : NULL;
		if (!vc || vc->tid != e->tid) {
			struct top_vcpu *nc = grow(vm->vcpus, vm->n_vcpus, sizeof(*nc));

			if (!nc)
				goto nomem;
			vm->vcpus = nc;
			vc = &vm->vcpus[vm->n_vcpus++];
			memset(vc, 0, sizeof(*vc));
			vc->tid = e->tid;
		}
		add_stats(&vm->st, e, &d);
		add_stats(&vc->st, e, &d);
		if (!rname)
			continue;
		r = vc->n_reasons ? &vc->reasons[vc->n_reasons - 1] : NULL;
		if (!r || r->isa != e->isa || r->reason != e->reason) {
			struct top_reason *nr = grow(vc->reasons, vc->n_reasons, sizeof(*nr));

			if (!nr)
				goto nomem;
			vc->reasons = nr;
			r = &vc->reasons[vc->n_reasons++];
			memset(r, 0, sizeof(*r));
			r->isa = e->isa;
			r->reason = e->reason;
			snprintf(r->name, sizeof(r->name), "%s", rname);
		}
		add_stats(&r->st, e, &d);
	}
	for (size_t i = 0; i < v->n_vms; i++)
		if (build_l1_rows(&v->vms[i], prev, cur, filter))
			goto nomem;
	/* never qsort_r(NULL, 0): undefined (its array is declared non-null) */
	if (v->n_vms > 1)
		qsort_r(v->vms, v->n_vms, sizeof(*v->vms), cmp_vm, &sc);
	for (size_t i = 0; i < v->n_vms; i++) {
		struct top_vm *vm = &v->vms[i];

		if (vm->n_vcpus > 1)
			qsort_r(vm->vcpus, vm->n_vcpus, sizeof(*vm->vcpus), cmp_vcpu, &sc);
		for (size_t j = 0; j < vm->n_vcpus; j++)
			if (vm->vcpus[j].n_reasons > 1)
				qsort_r(vm->vcpus[j].reasons, vm->vcpus[j].n_reasons,
					sizeof(*vm->vcpus[j].reasons), cmp_reason, &sc);
	}
	return 0;
nomem:
	top_view_free(v);
	return -ENOMEM;
}

const char *top_sort_name(enum top_sort s)
{
	static const char *const names[TOP_SORTS] = {
		[TOP_SORT_L2] = "L2 exits",
		[TOP_SORT_L1_SHARE] = "L1 share",
		[TOP_SORT_COST] = "mean cost",
		[TOP_SORT_NAME] = "name",
	};

	return s < TOP_SORTS ? names[s] : "?";
}

int top_sample_add_counters(struct top_sample *s, const struct nvmx_counters *c,
			    bool threads_as_processes)
{
	int err = 0;

	for (size_t i = 0; i < c->n_exits && !err; i++) {
		const struct nvmx_counters_exit *x = &c->exits[i];
		struct top_entry e = {
			.tgid = threads_as_processes ? 0 : x->key.tgid,
			.tid = x->key.tid,
			.isa = x->key.isa,
			.reason = x->key.reason,
			.outcome = x->key.outcome,
			.count = x->hist.count,
			.timed = x->hist.timed,
			.sum_ns = x->hist.sum_ns,
		};

		err = top_sample_add(s, &e);
	}
	for (size_t i = 0; i < c->n_bds && !err; i++) {
		const struct nvmx_counters_bd *b = &c->bds[i];
		struct top_entry e = {
			.tgid = threads_as_processes ? 0 : b->key.tgid,
			.tid = b->key.tid, /* the breakdown is per vCPU thread, live and replayed */
			.isa = b->key.isa,
			.reason = b->key.reason,
			.outcome = TOP_ROUND_TRIP,
			.count = b->v.count,
			.timed = b->v.count,
			.sum_ns = b->v.sum_ns[NVMX_RT_ROUND_TRIP],
		};

		if (b->key.kind != NVMX_BD_ROUND_TRIP || !b->v.count)
			continue;
		for (uint32_t p = 0; p < TOP_RT_PARTS; p++)
			e.part_ns[p] = b->v.sum_ns[p];
		e.l1_exits = nvmx_counters_bd_l1_exits(c, &b->key, false);
		err = top_sample_add(s, &e);
	}
	for (size_t k = 0; k < c->n_bd_l1s && !err; k++) {
		const struct nvmx_bd_l1_key *lk = (const void *)c->bd_l1s[k].key;
		struct top_l1 l = {
			.tgid = threads_as_processes ? 0 : lk->tgid,
			.isa = lk->isa,
			.reason = lk->reason,
			.l1_reason = lk->l1_reason,
			.count = c->bd_l1s[k].count,
			.sum_ns = c->bd_l1s[k].sum_ns,
		};

		err = top_sample_add_l1(s, &l);
	}
	return err;
}
