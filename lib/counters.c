// SPDX-License-Identifier: GPL-2.0
/* The counters, nvmx's one in-memory form of the counts (include/nvmx/counters.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/breakdown.h"
#include "nvmx/counted.h"
#include "nvmx/counters.h"

_Static_assert(sizeof(struct nvmx_bd_l1_key) <= sizeof(((struct nvmx_counters_keyed *)0)->key) &&
		       sizeof(struct nvmx_vec_key) <=
			       sizeof(((struct nvmx_counters_keyed *)0)->key) &&
		       sizeof(struct nvmx_inj_key) <=
			       sizeof(((struct nvmx_counters_keyed *)0)->key),
	       "keyed counts hold every key");

void nvmx_counters_free(struct nvmx_counters *c)
{
	if (!c)
		return;
	free(c->exits);
	free(c->msrs);
	free(c->ports);
	free(c->bds);
	free(c->bd_l1s);
	free(c->vecs);
	free(c->injs);
	free(c->ns);
	memset(c, 0, sizeof(*c));
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int cmp_exit(const void *a, const void *b)
{
	const struct nvmx_exit_key *x = &((const struct nvmx_counters_exit *)a)->key;
	const struct nvmx_exit_key *y = &((const struct nvmx_counters_exit *)b)->key;
	const __u32 xs[] = { x->tgid, x->tid, x->isa, x->reason, x->outcome };
	const __u32 ys[] = { y->tgid, y->tid, y->isa, y->reason, y->outcome };

	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		if (xs[i] != ys[i])
			return xs[i] < ys[i] ? -1 : 1;
	return 0;
}

static struct nvmx_counters_exit *find_exit(struct nvmx_counters *c, const struct nvmx_exit_key *k)
{
	for (size_t i = 0; i < c->n_exits; i++)
		if (!memcmp(&c->exits[i].key, k, sizeof(*k)))
			return &c->exits[i];
	return NULL;
}

static struct nvmx_counters_msr *find_msr(struct nvmx_counters *c, const struct nvmx_msr_key *k)
{
	for (size_t i = 0; i < c->n_msrs; i++)
		if (!memcmp(&c->msrs[i].key, k, sizeof(*k)))
			return &c->msrs[i];
	return NULL;
}

static struct nvmx_counters_port *find_port(struct nvmx_counters *c, const struct nvmx_port_key *k)
{
	for (size_t i = 0; i < c->n_ports; i++)
		if (!memcmp(&c->ports[i].key, k, sizeof(*k)))
			return &c->ports[i];
	return NULL;
}

int nvmx_counters_add_exit(struct nvmx_counters *c, const void *key, const __u64 *sum)
{
	const struct nvmx_hist *h = (const struct nvmx_hist *)sum;
	struct nvmx_counters_exit *e = find_exit(c, key);
	int err;

	if (!e) {
		err = grow((void **)&c->exits, &c->cap_exits, c->n_exits, sizeof(*c->exits));
		if (err)
			return err;
		e = &c->exits[c->n_exits++];
		memset(e, 0, sizeof(*e));
		memcpy(&e->key, key, sizeof(e->key));
	}
	e->hist.count += h->count;
	e->hist.timed += h->timed;
	e->hist.sum_ns += h->sum_ns;
	for (size_t i = 0; i < NVMX_HIST_BUCKETS; i++)
		e->hist.buckets[i] += h->buckets[i];
	return 0;
}

int nvmx_counters_add_msr(struct nvmx_counters *c, const void *key, const __u64 *sum)
{
	const struct nvmx_io_value *v = (const struct nvmx_io_value *)sum;
	struct nvmx_counters_msr *m = find_msr(c, key);
	int err;

	if (!m) {
		err = grow((void **)&c->msrs, &c->cap_msrs, c->n_msrs, sizeof(*c->msrs));
		if (err)
			return err;
		m = &c->msrs[c->n_msrs++];
		memset(m, 0, sizeof(*m));
		memcpy(&m->key, key, sizeof(m->key));
	}
	m->v.count += v->count;
	m->v.timed += v->timed;
	m->v.sum_ns += v->sum_ns;
	return 0;
}

int nvmx_counters_add_port(struct nvmx_counters *c, const void *key, const __u64 *sum)
{
	const struct nvmx_io_value *v = (const struct nvmx_io_value *)sum;
	struct nvmx_counters_port *p = find_port(c, key);
	int err;

	if (!p) {
		err = grow((void **)&c->ports, &c->cap_ports, c->n_ports, sizeof(*c->ports));
		if (err)
			return err;
		p = &c->ports[c->n_ports++];
		memset(p, 0, sizeof(*p));
		memcpy(&p->key, key, sizeof(p->key));
	}
	p->v.count += v->count;
	p->v.timed += v->timed;
	p->v.sum_ns += v->sum_ns;
	return 0;
}

/* A breakdown value into another: every word of it is a count or a sum. */
static void add_bd_value(struct nvmx_bd_value *dst, const struct nvmx_bd_value *v)
{
	__u64 *d = (__u64 *)dst;
	const __u64 *w = (const __u64 *)v;

	for (size_t i = 0; i < sizeof(*v) / sizeof(__u64); i++)
		d[i] += w[i];
}

int nvmx_counters_add_bd(struct nvmx_counters *c, const void *key, const __u64 *sum)
{
	const struct nvmx_bd_value *v = (const struct nvmx_bd_value *)sum;
	struct nvmx_counters_bd *b = NULL;
	int err;

	for (size_t i = 0; i < c->n_bds && !b; i++)
		if (!memcmp(&c->bds[i].key, key, sizeof(b->key)))
			b = &c->bds[i];
	if (!b) {
		err = grow((void **)&c->bds, &c->cap_bds, c->n_bds, sizeof(*c->bds));
		if (err)
			return err;
		b = &c->bds[c->n_bds++];
		memset(b, 0, sizeof(*b));
		memcpy(&b->key, key, sizeof(b->key));
	}
	add_bd_value(&b->v, v);
	return 0;
}

static int add_keyed(struct nvmx_counters_keyed **arr, size_t *n, size_t *cap, const void *key,
		     size_t key_size, uint64_t count, uint64_t sum_ns)
{
	struct nvmx_counters_keyed *k = NULL;
	int err;

	for (size_t i = 0; i < *n && !k; i++)
		if (!memcmp((*arr)[i].key, key, key_size))
			k = &(*arr)[i];
	if (!k) {
		err = grow((void **)arr, cap, *n, sizeof(**arr));
		if (err)
			return err;
		k = &(*arr)[(*n)++];
		memset(k, 0, sizeof(*k));
		memcpy(k->key, key, key_size);
	}
	k->count += count;
	k->sum_ns += sum_ns;
	return 0;
}

int nvmx_counters_add_bd_l1(struct nvmx_counters *c, const void *key, const __u64 *sum)
{
	const struct nvmx_bd_l1_value *v = (const void *)sum;

	return add_keyed(&c->bd_l1s, &c->n_bd_l1s, &c->cap_bd_l1s, key,
			 sizeof(struct nvmx_bd_l1_key), v->count, v->sum_ns);
}

int nvmx_counters_add_vec(struct nvmx_counters *c, const void *key, const __u64 *sum)
{
	return add_keyed(&c->vecs, &c->n_vecs, &c->cap_vecs, key, sizeof(struct nvmx_vec_key),
			 sum[0], 0);
}

int nvmx_counters_add_inj(struct nvmx_counters *c, const void *key, const __u64 *sum)
{
	return add_keyed(&c->injs, &c->n_injs, &c->cap_injs, key, sizeof(struct nvmx_inj_key),
			 sum[0], 0);
}

int nvmx_counters_add_ns(struct nvmx_counters *c, const void *key, const __u64 *sum)
{
	__u32 tgid;
	size_t i;
	int err;

	memcpy(&tgid, key, sizeof(tgid));
	for (i = 0; i < c->n_ns && c->ns[i].tgid != tgid; i++)
		;
	if (i == c->n_ns) {
		err = grow((void **)&c->ns, &c->cap_ns, c->n_ns, sizeof(*c->ns));
		if (err)
			return err;
		memset(&c->ns[i], 0, sizeof(c->ns[i]));
		c->ns[i].tgid = tgid;
		c->n_ns++;
	}
	for (__u32 j = 0; j < NVMX_NS_COUNT; j++)
		c->ns[i].n[j] += sum[j];
	return 0;
}

const char *nvmx_ns_slot_name(uint32_t slot)
{
	static const char *const names[NVMX_NS_COUNT] = {
		[NVMX_NS_GET] = "get",
		[NVMX_NS_GET_FAILED] = "get_failed",
		[NVMX_NS_GET_GUEST_MODE] = "get_guest_mode",
		[NVMX_NS_SET] = "set",
		[NVMX_NS_SET_FAILED] = "set_failed",
		[NVMX_NS_SET_GUEST_MODE] = "set_guest_mode",
	};

	return slot < NVMX_NS_COUNT ? names[slot] : "?";
}

/* As count_breakdown of bpf/nvmx.bpf.c does in the kernel. */
static int add_verdict_breakdown(struct nvmx_counters *c, const struct nvmx_verdict *v,
				 uint32_t tgid, uint32_t tid)
{
	struct nvmx_bd_key k;
	struct nvmx_bd_l1_key lk;
	__u64 parts[NVMX_RT_PARTS];
	struct nvmx_bd_value *b;
	int err;

	if (!nvmx_verdict_breakdown(v, tgid, tid, &k, parts))
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->count = 1;
	for (__u32 i = 0; i < NVMX_RT_PARTS; i++) {
		b->sum_ns[i] = parts[i];
		b->buckets[i][nvmx_hist_bucket(parts[i])] = 1;
	}
	if (k.kind == NVMX_BD_ROUND_TRIP && nvmx_rt_parts_cycles(v, b->sum_cycles))
		b->cycles_count = 1;
	err = nvmx_counters_add_bd(c, &k, (const __u64 *)b);
	free(b);
	if (err || k.kind != NVMX_BD_ROUND_TRIP)
		return err;
	for (__u32 i = 0; i < NVMX_RT_L1_REASONS && !err; i++) {
		struct nvmx_bd_l1_value n = { v->rt.l1_count[i], v->rt.l1_ns[i] };

		nvmx_bd_l1_key_of(&k, v->rt.l1_reason[i], &lk);
		if (n.count)
			err = nvmx_counters_add_bd_l1(c, &lk, (const __u64 *)&n);
	}
	if (!err && v->rt.l1_overflow) {
		struct nvmx_bd_l1_value n = { v->rt.l1_overflow, v->rt.l1_overflow_ns };

		nvmx_bd_l1_key_of(&k, NVMX_BD_L1_OVERFLOW, &lk);
		err = nvmx_counters_add_bd_l1(c, &lk, (const __u64 *)&n);
	}
	return err;
}

/* The msrs/ports entry of a verdict, as the BPF side counts it (nvmx_verdict_io). */
static int add_verdict_io(struct nvmx_counters *c, const struct nvmx_verdict *v, uint32_t tgid)
{
	struct nvmx_msr_key mk;
	struct nvmx_port_key pk;
	struct nvmx_io_value inc;

	memset(&mk, 0, sizeof(mk));
	memset(&pk, 0, sizeof(pk));
	switch (nvmx_verdict_io(v, tgid, &mk, &pk, &inc)) {
	case 1:
		return nvmx_counters_add_msr(c, &mk, (const __u64 *)&inc);
	case 2:
		return nvmx_counters_add_port(c, &pk, (const __u64 *)&inc);
	default:
		return 0;
	}
}

int nvmx_counters_add_verdict(struct nvmx_counters *c, const struct nvmx_verdict *v, uint32_t tgid,
			      uint32_t tid)
{
	struct nvmx_exit_key k = {
		.tgid = tgid,
		.tid = tid,
		.isa = v->isa,
		.reason = v->reason,
		.outcome = nvmx_verdict_outcome(v),
	};
	struct nvmx_hist h;
	__u64 one = 1;
	int err;

	if (v->kind == NVMX_V_INJECTED_TO_L1) {
		struct nvmx_inj_key ik = { tgid, tid, v->isa, v->reason };

		return nvmx_counters_add_inj(c, &ik, &one);
	}
	if (v->kind == NVMX_V_VECTORING) {
		struct nvmx_vec_key vk = { tgid,	  v->isa,	  v->vec_type,
					   v->vec_vector, v->vec_outcome, 0 };

		return nvmx_counters_add_vec(c, &vk, &one);
	}
	err = add_verdict_breakdown(c, v, tgid, tid);
	if (!err && v->kind == NVMX_V_ROUND_TRIP)
		err = add_verdict_io(c, v, tgid);
	if (err || k.outcome == NVMX_OUT_NONE)
		return err;
	memset(&h, 0, sizeof(h));
	h.count = 1;
	if (nvmx_verdict_timed(v)) {
		h.timed = 1;
		h.sum_ns = v->latency_ns;
		h.buckets[nvmx_hist_bucket(v->latency_ns)] = 1;
	}
	err = nvmx_counters_add_exit(c, &k, (const __u64 *)&h);
	if (err)
		return err;
	return add_verdict_io(c, v, tgid);
}

int nvmx_counters_to_summary(const struct nvmx_counters *c, uint32_t tgid, uint32_t tid,
			     struct nvmx_summary *s)
{
	int err = 0;

	for (size_t i = 0; i < c->n_exits && !err; i++) {
		const struct nvmx_counters_exit *x = &c->exits[i];
		uint64_t n = x->hist.count;

		if ((tgid && x->key.tgid != tgid) || (tid && x->key.tid != tid) || !n)
			continue;
		err = nvmx_summary_add_counted(s, &x->key, n);
	}
	/* the breakdown is per vCPU thread: a VM's (tid 0) is the sum over its threads */
	for (size_t i = 0; i < c->n_bds && !err; i++) {
		const struct nvmx_counters_bd *b = &c->bds[i];
		uint64_t sums[NVMX_RT_PARTS], buckets[NVMX_HIST_BUCKETS];

		if ((tgid && b->key.tgid != tgid) || (tid && b->key.tid != tid))
			continue;
		for (__u32 p = 0; p < NVMX_RT_PARTS; p++)
			sums[p] = b->v.sum_ns[p];
		for (__u32 k = 0; k < NVMX_HIST_BUCKETS; k++)
			buckets[k] = b->v.buckets[0][k];
		err = nvmx_summary_add_breakdown(s, b->key.isa, b->key.reason, b->key.kind,
						 b->v.count, sums, buckets);
		for (__u32 p = 0; p < NVMX_RT_PARTS; p++)
			sums[p] = b->v.sum_cycles[p];
		if (!err)
			err = nvmx_summary_add_breakdown_cycles(s, b->key.isa, b->key.reason,
								b->v.cycles_count, sums);
	}
	for (size_t i = 0; i < c->n_bd_l1s && !err; i++) {
		const struct nvmx_bd_l1_key *k = (const void *)c->bd_l1s[i].key;

		if ((!tgid || k->tgid == tgid) && (!tid || k->tid == tid))
			err = nvmx_summary_add_breakdown_l1(s, k->isa, k->reason, k->l1_reason,
							    c->bd_l1s[i].count,
							    c->bd_l1s[i].sum_ns);
	}
	for (size_t i = 0; i < c->n_injs && !err; i++) {
		const struct nvmx_inj_key *k = (const void *)c->injs[i].key;

		if ((!tgid || k->tgid == tgid) && (!tid || k->tid == tid))
			err = nvmx_summary_add_exit(s, NVMX_KIND_INJECTED_TO_L1, k->isa, k->reason,
						    NVMX_HANDLED_BY_NONE, c->injs[i].count);
	}
	for (size_t i = 0; i < c->n_vecs && !err && !tid; i++) {
		const struct nvmx_vec_key *k = (const void *)c->vecs[i].key;

		if (!tgid || k->tgid == tgid)
			err = nvmx_summary_add_vectoring(s, k->isa, k->type, k->vector, k->outcome,
							 c->vecs[i].count);
	}
	for (size_t i = 0; i < c->n_msrs && !err && !tid; i++) {
		const struct nvmx_counters_msr *m = &c->msrs[i];

		if ((m->v.count || m->v.timed) && (!tgid || m->key.tgid == tgid))
			err = nvmx_summary_add_counted_msr(s, &m->key, &m->v);
	}
	for (size_t i = 0; i < c->n_ports && !err && !tid; i++) {
		const struct nvmx_counters_port *p = &c->ports[i];

		if ((p->v.count || p->v.timed) && (!tgid || p->key.tgid == tgid))
			err = nvmx_summary_add_counted_port(s, &p->key, &p->v);
	}
	if (!tgid)
		nvmx_summary_add_lost(s, nvmx_counters_lost(c));
	return err;
}

uint64_t nvmx_counters_bd_l1_exits(const struct nvmx_counters *c, const struct nvmx_bd_key *k,
				   bool any_tid)
{
	uint64_t n = 0;

	for (size_t i = 0; i < c->n_bd_l1s; i++) {
		const struct nvmx_bd_l1_key *lk = (const void *)c->bd_l1s[i].key;

		if (lk->tgid == k->tgid && (any_tid || lk->tid == k->tid) && lk->isa == k->isa &&
		    lk->reason == k->reason)
			n += c->bd_l1s[i].count;
	}
	return n;
}

static bool same_process_bd(const struct nvmx_bd_key *a, const struct nvmx_bd_key *b)
{
	return a->tgid == b->tgid && a->isa == b->isa && a->reason == b->reason &&
	       a->kind == b->kind;
}

int nvmx_counters_bd_of_process(const struct nvmx_counters *c, size_t i, struct nvmx_bd_value *v)
{
	const struct nvmx_bd_key *k = &c->bds[i].key;

	for (size_t j = 0; j < i; j++)
		if (same_process_bd(&c->bds[j].key, k))
			return 0;
	memset(v, 0, sizeof(*v));
	for (size_t j = i; j < c->n_bds; j++) {
		if (!same_process_bd(&c->bds[j].key, k))
			continue;
		add_bd_value(v, &c->bds[j].v);
	}
	return 1;
}

const char *nvmx_self_failure_map(uint32_t slot)
{
	static const char *const maps[NVMX_SELF_COUNT] = {
		[NVMX_SELF_STATE_UPDATE_FAILED] = "nvmx_threads",
		[NVMX_SELF_EXIT_UPDATE_FAILED] = "nvmx_exits",
		[NVMX_SELF_MSR_UPDATE_FAILED] = "nvmx_msrs",
		[NVMX_SELF_PORT_UPDATE_FAILED] = "nvmx_ports",
		[NVMX_SELF_SCRATCH_MISSING] = "nvmx_scratch",
		[NVMX_SELF_BREAKDOWN_UPDATE_FAILED] = "nvmx_breakdown",
		[NVMX_SELF_BD_L1_UPDATE_FAILED] = "nvmx_bd_l1",
		[NVMX_SELF_VECTORING_UPDATE_FAILED] = "nvmx_vectoring",
		[NVMX_SELF_INJ_UPDATE_FAILED] = "nvmx_injs",
	};

	return slot < NVMX_SELF_COUNT ? maps[slot] : NULL;
}

uint64_t nvmx_counters_update_failures(const struct nvmx_counters *c)
{
	uint64_t n = 0;

	for (uint32_t slot = 0; slot < NVMX_SELF_COUNT; slot++)
		if (nvmx_self_failure_map(slot))
			n += c->self[slot];
	return n;
}

uint64_t nvmx_counters_lost(const struct nvmx_counters *c)
{
	return c->skipped + nvmx_counters_update_failures(c) + nvmx_counters_ns_missed(c);
}

uint64_t nvmx_counters_ns_missed(const struct nvmx_counters *c)
{
	return c->ns_skipped + c->ns_update_failures;
}

const char *nvmx_outcome_name(uint32_t outcome)
{
	static const char *const names[NVMX_OUT_COUNT] = {
		[NVMX_OUT_L2_BY_L0] = "l2_exit_handled_by_l0",
		[NVMX_OUT_L2_BY_L1] = "l2_exit_reflected_to_l1",
		[NVMX_OUT_SYNTHESIZED_TO_L1] = "synthesized_to_l1",
		[NVMX_OUT_L1_EXIT] = "l1_exit",
		[NVMX_OUT_NESTED_ENTRY] = "nested_entry",
		[NVMX_OUT_UNATTRIBUTED] = "unattributed",
		[NVMX_OUT_NESTED_ENTRY_FAILED] = "nested_entry_failed",
	};

	return outcome < NVMX_OUT_COUNT ? names[outcome] : "unknown";
}

void nvmx_counters_reset(struct nvmx_counters *c)
{
	c->n_exits = c->n_msrs = c->n_ports = 0;
	c->n_bds = c->n_bd_l1s = c->n_vecs = c->n_injs = 0;
	c->n_ns = 0;
	memset(c->self, 0, sizeof(c->self));
	c->skipped = 0;
	c->ns_skipped = c->ns_update_failures = 0;
}

static int cmp_ns(const void *a, const void *b)
{
	__u32 x = ((const struct nvmx_counters_ns *)a)->tgid;
	__u32 y = ((const struct nvmx_counters_ns *)b)->tgid;

	return x < y ? -1 : x > y;
}

void nvmx_counters_sort(struct nvmx_counters *c)
{
	if (c->n_exits)
		qsort(c->exits, c->n_exits, sizeof(*c->exits), cmp_exit);
	/* nested-state counts by process, as the exits are: the same order in every document */
	if (c->n_ns)
		qsort(c->ns, c->n_ns, sizeof(*c->ns), cmp_ns);
}
