// SPDX-License-Identifier: GPL-2.0
/* Reading nvmx's per-CPU maps and turning them into summaries (src/collect.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect.h"
#include "nvmx/counted.h"
#include "nvmx/breakdown.h"

_Static_assert(sizeof(struct nvmx_bd_l1_key) <= sizeof(((struct nvmxd_keyed_count *)0)->key) &&
		       sizeof(struct nvmx_vec_key) <= sizeof(((struct nvmxd_keyed_count *)0)->key),
	       "keyed counts hold both keys");
_Static_assert(sizeof(struct nvmx_bd_value) % 8 == 0, "per-CPU values are 8-byte aligned");

_Static_assert(sizeof(struct nvmx_event) == NVMX_TEST_EVENT_WORDS * sizeof(__u64),
	       "the raw_tp test entry point takes the event as u64 words");
_Static_assert(sizeof(struct nvmx_hist) % 8 == 0, "per-CPU values are 8-byte aligned");

void nvmxd_counts_free(struct nvmxd_counts *c)
{
	if (!c)
		return;
	free(c->exits);
	free(c->msrs);
	free(c->ports);
	free(c->bds);
	free(c->bd_l1s);
	free(c->vecs);
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
	const struct nvmx_exit_key *x = &((const struct nvmxd_exit *)a)->key;
	const struct nvmx_exit_key *y = &((const struct nvmxd_exit *)b)->key;
	const __u32 xs[] = { x->tgid, x->tid, x->isa, x->reason, x->outcome };
	const __u32 ys[] = { y->tgid, y->tid, y->isa, y->reason, y->outcome };

	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		if (xs[i] != ys[i])
			return xs[i] < ys[i] ? -1 : 1;
	return 0;
}

static struct nvmxd_exit *find_exit(struct nvmxd_counts *c, const struct nvmx_exit_key *k)
{
	for (size_t i = 0; i < c->n_exits; i++)
		if (!memcmp(&c->exits[i].key, k, sizeof(*k)))
			return &c->exits[i];
	return NULL;
}

static struct nvmxd_msr *find_msr(struct nvmxd_counts *c, const struct nvmx_msr_key *k)
{
	for (size_t i = 0; i < c->n_msrs; i++)
		if (!memcmp(&c->msrs[i].key, k, sizeof(*k)))
			return &c->msrs[i];
	return NULL;
}

static struct nvmxd_port *find_port(struct nvmxd_counts *c, const struct nvmx_port_key *k)
{
	for (size_t i = 0; i < c->n_ports; i++)
		if (!memcmp(&c->ports[i].key, k, sizeof(*k)))
			return &c->ports[i];
	return NULL;
}

/* Reads every key of a per-CPU hash whose values are arrays of __u64, summing over CPUs. */
static int read_percpu(int fd, size_t key_size, size_t value_size,
		       int (*add)(struct nvmxd_counts *c, const void *key, const __u64 *sum),
		       struct nvmxd_counts *c)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t words = value_size / sizeof(__u64);
	__u64 *vals = NULL, *sum = NULL;
	void *key = NULL, *next = NULL;
	bool first = true;
	int err;

	if (ncpus < 0)
		return ncpus;
	err = -ENOMEM;
	vals = calloc((size_t)ncpus, value_size);
	sum = calloc(1, value_size);
	key = calloc(1, key_size);
	next = calloc(1, key_size);
	if (!vals || !sum || !key || !next)
		goto out;
	for (;;) {
		if (bpf_map_get_next_key(fd, first ? NULL : key, next)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		first = false;
		memcpy(key, next, key_size);
		if (bpf_map_lookup_elem(fd, key, vals)) {
			/* deleted between the two calls: nothing to count */
			if (errno == ENOENT)
				continue;
			err = -errno;
			break;
		}
		memset(sum, 0, value_size);
		for (int cpu = 0; cpu < ncpus; cpu++)
			for (size_t w = 0; w < words; w++)
				sum[w] += vals[(size_t)cpu * words + w];
		err = add(c, key, sum);
		if (err)
			break;
	}
out:
	free(vals);
	free(sum);
	free(key);
	free(next);
	return err;
}

static int add_exit_hist(struct nvmxd_counts *c, const void *key, const __u64 *sum)
{
	const struct nvmx_hist *h = (const struct nvmx_hist *)sum;
	struct nvmxd_exit *e = find_exit(c, key);
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
	e->hist.sum_ns += h->sum_ns;
	for (size_t i = 0; i < NVMX_HIST_BUCKETS; i++)
		e->hist.buckets[i] += h->buckets[i];
	return 0;
}

static int add_msr_value(struct nvmxd_counts *c, const void *key, const __u64 *sum)
{
	const struct nvmx_io_value *v = (const struct nvmx_io_value *)sum;
	struct nvmxd_msr *m = find_msr(c, key);
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

static int add_port_value(struct nvmxd_counts *c, const void *key, const __u64 *sum)
{
	const struct nvmx_io_value *v = (const struct nvmx_io_value *)sum;
	struct nvmxd_port *p = find_port(c, key);
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

static int add_bd(struct nvmxd_counts *c, const void *key, const __u64 *sum)
{
	const struct nvmx_bd_value *v = (const struct nvmx_bd_value *)sum;
	struct nvmxd_bd *b = NULL;
	__u64 *dst;
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
	dst = (__u64 *)&b->v;
	for (size_t w = 0; w < sizeof(*v) / sizeof(__u64); w++)
		dst[w] += sum[w];
	return 0;
}

static int add_keyed(struct nvmxd_keyed_count **arr, size_t *n, size_t *cap, const void *key,
		     size_t key_size, uint64_t count)
{
	struct nvmxd_keyed_count *k = NULL;
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
	return 0;
}

static int add_bd_l1(struct nvmxd_counts *c, const void *key, const __u64 *sum)
{
	return add_keyed(&c->bd_l1s, &c->n_bd_l1s, &c->cap_bd_l1s, key,
			 sizeof(struct nvmx_bd_l1_key), sum[0]);
}

static int add_vec(struct nvmxd_counts *c, const void *key, const __u64 *sum)
{
	return add_keyed(&c->vecs, &c->n_vecs, &c->cap_vecs, key, sizeof(struct nvmx_vec_key),
			 sum[0]);
}

int nvmxd_counts_read(struct nvmxd_counts *c, const struct nvmxd_maps *m)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *vals;
	int err;

	if (ncpus < 0)
		return ncpus;
	c->n_exits = c->n_msrs = c->n_ports = 0;
	c->n_bds = c->n_bd_l1s = c->n_vecs = 0;
	memset(c->self, 0, sizeof(c->self));
	err = read_percpu(m->exits, sizeof(struct nvmx_exit_key), sizeof(struct nvmx_hist),
			  add_exit_hist, c);
	if (!err)
		err = read_percpu(m->msrs, sizeof(struct nvmx_msr_key),
				  sizeof(struct nvmx_io_value), add_msr_value, c);
	if (!err)
		err = read_percpu(m->ports, sizeof(struct nvmx_port_key),
				  sizeof(struct nvmx_io_value), add_port_value, c);
	if (!err && m->breakdown > 0)
		err = read_percpu(m->breakdown, sizeof(struct nvmx_bd_key),
				  sizeof(struct nvmx_bd_value), add_bd, c);
	if (!err && m->bd_l1 > 0)
		err = read_percpu(m->bd_l1, sizeof(struct nvmx_bd_l1_key), sizeof(__u64), add_bd_l1,
				  c);
	if (!err && m->vectoring > 0)
		err = read_percpu(m->vectoring, sizeof(struct nvmx_vec_key), sizeof(__u64), add_vec,
				  c);
	if (err)
		return err;
	vals = calloc((size_t)ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 slot = 0; slot < NVMX_SELF_COUNT; slot++) {
		if (bpf_map_lookup_elem(m->self, &slot, vals)) {
			err = -errno;
			break;
		}
		for (int cpu = 0; cpu < ncpus; cpu++)
			c->self[slot] += vals[cpu];
	}
	free(vals);
	if (!err)
		qsort(c->exits, c->n_exits, sizeof(*c->exits), cmp_exit);
	return err;
}

/* As count_breakdown of bpf/nvmx.bpf.c does in the kernel. */
static int add_verdict_breakdown(struct nvmxd_counts *c, const struct nvmx_verdict *v,
				 uint32_t tgid)
{
	struct nvmx_bd_key k = { .tgid = tgid };
	struct nvmx_bd_l1_key lk = { .tgid = tgid };
	__u64 parts[NVMX_RT_PARTS];
	struct nvmx_bd_value *b;
	int err;

	if (!nvmx_verdict_breakdown(v, &k, parts))
		return 0;
	k.tgid = tgid;
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
	err = add_bd(c, &k, (const __u64 *)b);
	free(b);
	if (err || k.kind != NVMX_BD_ROUND_TRIP)
		return err;
	lk.isa = k.isa;
	lk.reason = k.reason;
	for (__u32 i = 0; i < NVMX_RT_L1_REASONS && !err; i++) {
		__u64 n = v->rt.l1_count[i];

		lk.l1_reason = v->rt.l1_reason[i];
		if (n)
			err = add_bd_l1(c, &lk, &n);
	}
	if (!err && v->rt.l1_overflow) {
		__u64 n = v->rt.l1_overflow;

		lk.l1_reason = NVMX_BD_L1_OVERFLOW;
		err = add_bd_l1(c, &lk, &n);
	}
	return err;
}

/* The msrs/ports entry of a verdict, as the BPF side counts it (nvmx_verdict_io). */
static int add_verdict_io(struct nvmxd_counts *c, const struct nvmx_verdict *v)
{
	struct nvmx_msr_key mk;
	struct nvmx_port_key pk;
	struct nvmx_io_value inc;

	memset(&mk, 0, sizeof(mk));
	memset(&pk, 0, sizeof(pk));
	switch (nvmx_verdict_io(v, &mk, &pk, &inc)) {
	case 1:
		return add_msr_value(c, &mk, (const __u64 *)&inc);
	case 2:
		return add_port_value(c, &pk, (const __u64 *)&inc);
	default:
		return 0;
	}
}

int nvmxd_counts_add_verdict(struct nvmxd_counts *c, const struct nvmx_verdict *v, uint32_t tgid,
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

	if (v->kind == NVMX_V_VECTORING) {
		struct nvmx_vec_key vk = { tgid,	  v->isa,	  v->vec_type,
					   v->vec_vector, v->vec_outcome, 0 };

		return add_vec(c, &vk, &one);
	}
	err = add_verdict_breakdown(c, v, tgid);
	if (!err && v->kind == NVMX_V_ROUND_TRIP)
		err = add_verdict_io(c, v);
	if (err || v->kind == NVMX_V_ROUND_TRIP)
		return err;
	memset(&h, 0, sizeof(h));
	h.count = 1;
	h.sum_ns = v->latency_ns;
	h.buckets[nvmx_hist_bucket(v->latency_ns)] = 1;
	err = add_exit_hist(c, &k, (const __u64 *)&h);
	if (err)
		return err;
	return add_verdict_io(c, v);
}

int nvmxd_thread_state(int threads_fd, int slots_fd, __u32 tid, struct nvmx_thread *t)
{
	__u32 slot = tid & (NVMX_SLOTS - 1);

	if (bpf_map_lookup_elem(threads_fd, &tid, t))
		return -errno;
	if (!(t->flags & NVMX_THREAD_IN_SLOT))
		return 0;
	if (bpf_map_lookup_elem(slots_fd, &slot, t))
		return -errno;
	return t->tid == tid ? 0 : -ENOENT;
}

int nvmxd_counts_end(struct nvmxd_counts *c, int threads_fd, int slots_fd, uint64_t now_ns,
		     size_t *threads)
{
	struct nvmx_event e;
	struct nvmx_thread t;
	struct nvmx_verdicts out;
	__u32 key, next;
	bool first = true;
	size_t n = 0;
	int err = 0;

	for (;;) {
		if (bpf_map_get_next_key(threads_fd, first ? NULL : &key, &next)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		first = false;
		key = next;
		err = nvmxd_thread_state(threads_fd, slots_fd, key, &t);
		if (err == -ENOENT) {
			err = 0;
			continue;
		}
		if (err)
			break;
		memset(&e, 0, sizeof(e));
		e.kind = NVMX_EV_END;
		e.ts_ns = now_ns;
		e.tid = key;
		e.vcpu_id = NVMX_EV_VCPU_ID_NONE;
		nvmx_model_step(&t.st, &e, &out);
		for (__u32 i = 0; i < out.n && !err; i++)
			err = nvmxd_counts_add_verdict(c, &out.v[i], t.tgid, key);
		if (err)
			break;
		n++;
	}
	if (threads)
		*threads = n;
	if (!err)
		qsort(c->exits, c->n_exits, sizeof(*c->exits), cmp_exit);
	return err;
}

int nvmxd_counts_to_summary(const struct nvmxd_counts *c, uint32_t tgid, uint32_t tid,
			    struct nvmx_summary *s)
{
	int err = 0;

	for (size_t i = 0; i < c->n_exits && !err; i++) {
		const struct nvmxd_exit *x = &c->exits[i];
		uint64_t n = x->hist.count;

		if ((tgid && x->key.tgid != tgid) || (tid && x->key.tid != tid) || !n)
			continue;
		err = nvmx_summary_add_counted(s, &x->key, n);
	}
	/* the breakdown is per VM: never per vCPU thread */
	for (size_t i = 0; i < c->n_bds && !err && !tid; i++) {
		const struct nvmxd_bd *b = &c->bds[i];
		uint64_t sums[NVMX_RT_PARTS], buckets[NVMX_HIST_BUCKETS];

		if (tgid && b->key.tgid != tgid)
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
	for (size_t i = 0; i < c->n_bd_l1s && !err && !tid; i++) {
		const struct nvmx_bd_l1_key *k = (const void *)c->bd_l1s[i].key;

		if (!tgid || k->tgid == tgid)
			err = nvmx_summary_add_breakdown_l1(s, k->isa, k->reason, k->l1_reason,
							    c->bd_l1s[i].count);
	}
	for (size_t i = 0; i < c->n_vecs && !err && !tid; i++) {
		const struct nvmx_vec_key *k = (const void *)c->vecs[i].key;

		if (!tgid || k->tgid == tgid)
			err = nvmx_summary_add_vectoring(s, k->isa, k->type, k->vector, k->outcome,
							 c->vecs[i].count);
	}
	if (tgid)
		return err;
	for (size_t i = 0; i < c->n_msrs && !err; i++) {
		const struct nvmxd_msr *m = &c->msrs[i];

		if (m->v.count || m->v.timed)
			err = nvmx_summary_add_counted_msr(s, &m->key, &m->v);
	}
	for (size_t i = 0; i < c->n_ports && !err; i++) {
		const struct nvmxd_port *p = &c->ports[i];

		if (p->v.count || p->v.timed)
			err = nvmx_summary_add_counted_port(s, &p->key, &p->v);
	}
	return err;
}

uint64_t nvmxd_counts_update_failures(const struct nvmxd_counts *c)
{
	return c->self[NVMX_SELF_STATE_UPDATE_FAILED] + c->self[NVMX_SELF_EXIT_UPDATE_FAILED] +
	       c->self[NVMX_SELF_MSR_UPDATE_FAILED] + c->self[NVMX_SELF_PORT_UPDATE_FAILED] +
	       c->self[NVMX_SELF_SCRATCH_MISSING] + c->self[NVMX_SELF_BREAKDOWN_UPDATE_FAILED];
}

const char *nvmxd_outcome_name(uint32_t outcome)
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
