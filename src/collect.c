// SPDX-License-Identifier: GPL-2.0
/* Reading nvmx's per-CPU maps and turning them into summaries (src/collect.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect.h"
#include "nvmx/counted.h"
#include "nvmx/breakdown.h"

_Static_assert(sizeof(struct nvmx_bd_value) % 8 == 0, "per-CPU values are 8-byte aligned");

_Static_assert(sizeof(struct nvmx_event) == NVMX_TEST_EVENT_WORDS * sizeof(__u64),
	       "the raw_tp test entry point takes the event as u64 words");
_Static_assert(sizeof(struct nvmx_hist) % 8 == 0, "per-CPU values are 8-byte aligned");
/* the front tables have no hidden padding (nvmx/maps.h): the key, used, [pad,] then the value */
_Static_assert(offsetof(struct nvmx_exit_front, v) == sizeof(struct nvmx_exit_key) + 8, "layout");
_Static_assert(offsetof(struct nvmx_bd_front, v) == sizeof(struct nvmx_bd_key) + 4, "layout");
_Static_assert(offsetof(struct nvmx_bd_l1_front, v) == sizeof(struct nvmx_bd_l1_key) + 4, "layout");
_Static_assert(offsetof(struct nvmx_msr_front, v) == sizeof(struct nvmx_msr_key) + 4, "layout");
_Static_assert(offsetof(struct nvmx_port_front, v) == sizeof(struct nvmx_port_key) + 8, "layout");

/* Reads every key of a per-CPU hash whose values are arrays of __u64, summing over CPUs. */
static int read_percpu(int fd, size_t key_size, size_t value_size,
		       void (*fill)(const void *key, __u64 *sum),
		       int (*add)(struct nvmx_counters *c, const void *key, const __u64 *sum),
		       struct nvmx_counters *c)
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
		if (fill)
			fill(key, sum);
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

/*
 * Reads a front table (nvmx/maps.h, "Front tables"): per-CPU array of `entries` values of
 * front_size bytes, each the key, a u32 `used` at used_off and the hash's value (value_size
 * bytes) at val_off. Every CPU's used slot is added by its key, as the hash's entries are.
 */
static int read_front(int fd, __u32 entries, size_t front_size, size_t used_off, size_t val_off,
		      size_t value_size, void (*fill)(const void *key, __u64 *sum),
		      int (*add)(struct nvmx_counters *c, const void *key, const __u64 *sum),
		      struct nvmx_counters *c)
{
	int ncpus = libbpf_num_possible_cpus();
	unsigned char *vals;
	__u64 *sum;
	int err = 0;

	if (ncpus < 0)
		return ncpus;
	vals = calloc((size_t)ncpus, front_size);
	sum = calloc(1, value_size);
	if (!vals || !sum) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 i = 0; i < entries && !err; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals)) {
			err = -errno;
			break;
		}
		for (int cpu = 0; cpu < ncpus && !err; cpu++) {
			const unsigned char *f = vals + (size_t)cpu * front_size;
			__u32 used;

			memcpy(&used, f + used_off, sizeof(used));
			if (!used)
				continue;
			memcpy(sum, f + val_off, value_size);
			if (fill)
				fill(f, sum);
			err = add(c, f, sum);
		}
	}
out:
	free(vals);
	free(sum);
	return err;
}

/* read_front() of a front table of struct type T (key, used, v) */
#define READ_FRONT(fd, entries, T, fill, add, c)                                  \
	read_front((fd), (entries), sizeof(T), offsetof(T, used), offsetof(T, v), \
		   sizeof(((T *)0)->v), (fill), (add), (c))

/* The breakdown's L0-handled kinds: BPF counts part 0 only (nvmx_bd_fill_zero_parts). */
static void fill_bd(const void *key, __u64 *sum)
{
	nvmx_bd_fill_zero_parts(key, (struct nvmx_bd_value *)sum);
}

/*
 * Runs the kernel skipped (bpf_prog_info.recursion_misses): a classic tracepoint program is not
 * run while that CPU's bpf_prog_active is raised (a map syscall on it), a tp_btf one while it is
 * already running there. Each is an event nvmx never saw.
 */
static int read_skipped(const int *progs, size_t n, uint64_t *skipped)
{
	*skipped = 0;
	for (size_t i = 0; i < n; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		/* libbpf 1.1 has no bpf_prog_get_info_by_fd (1.2+); this is the same call */
		if (bpf_obj_get_info_by_fd(progs[i], &info, &len))
			return -errno;
		*skipped += info.recursion_misses;
	}
	return 0;
}

/* Slot 0 of a per-CPU array of __u64, summed over the CPUs. */
static int read_percpu_slot0(int fd, int ncpus, uint64_t *sum)
{
	__u64 *vals = calloc((size_t)ncpus, sizeof(*vals));
	__u32 k = 0;
	int err = 0;

	*sum = 0;
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &k, vals))
		err = -errno;
	for (int i = 0; !err && i < ncpus; i++)
		*sum += vals[i];
	free(vals);
	return err;
}

int nvmxd_counts_read(struct nvmx_counters *c, const struct nvmxd_maps *m)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *vals;
	int err;

	if (ncpus < 0)
		return ncpus;
	nvmx_counters_reset(c);
	err = read_percpu(m->exits, sizeof(struct nvmx_exit_key), sizeof(struct nvmx_hist), NULL,
			  nvmx_counters_add_exit, c);
	if (!err)
		err = READ_FRONT(m->exits_front, NVMX_FRONT_EXITS, struct nvmx_exit_front, NULL,
				 nvmx_counters_add_exit, c);
	if (!err)
		err = read_percpu(m->msrs, sizeof(struct nvmx_msr_key),
				  sizeof(struct nvmx_io_value), NULL, nvmx_counters_add_msr, c);
	if (!err)
		err = READ_FRONT(m->msrs_front, NVMX_FRONT_IO, struct nvmx_msr_front, NULL,
				 nvmx_counters_add_msr, c);
	if (!err)
		err = read_percpu(m->ports, sizeof(struct nvmx_port_key),
				  sizeof(struct nvmx_io_value), NULL, nvmx_counters_add_port, c);
	if (!err)
		err = READ_FRONT(m->ports_front, NVMX_FRONT_IO, struct nvmx_port_front, NULL,
				 nvmx_counters_add_port, c);
	if (!err && m->breakdown > 0)
		err = read_percpu(m->breakdown, sizeof(struct nvmx_bd_key),
				  sizeof(struct nvmx_bd_value), fill_bd, nvmx_counters_add_bd, c);
	if (!err && m->breakdown > 0)
		err = READ_FRONT(m->bd_front, NVMX_FRONT_BD, struct nvmx_bd_front, fill_bd,
				 nvmx_counters_add_bd, c);
	if (!err && m->bd_l1 > 0)
		err = read_percpu(m->bd_l1, sizeof(struct nvmx_bd_l1_key),
				  sizeof(struct nvmx_bd_l1_value), NULL, nvmx_counters_add_bd_l1,
				  c);
	if (!err && m->bd_l1 > 0)
		err = READ_FRONT(m->bd_l1_front, NVMX_FRONT_BD_L1, struct nvmx_bd_l1_front, NULL,
				 nvmx_counters_add_bd_l1, c);
	if (!err && m->vectoring > 0)
		err = read_percpu(m->vectoring, sizeof(struct nvmx_vec_key), sizeof(__u64), NULL,
				  nvmx_counters_add_vec, c);
	if (!err && m->injs > 0)
		err = read_percpu(m->injs, sizeof(struct nvmx_inj_key), sizeof(__u64), NULL,
				  nvmx_counters_add_inj, c);
	if (!err && m->nested_state > 0)
		err = read_percpu(m->nested_state, sizeof(__u32), sizeof(struct nvmx_ns_value),
				  NULL, nvmx_counters_add_ns, c);
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
		err = read_skipped(m->progs,
				   m->n_progs < NVMXD_MAX_PROGS ? m->n_progs : NVMXD_MAX_PROGS,
				   &c->skipped);
	if (!err && m->nested_state > 0)
		err = read_skipped(m->ns_progs, m->n_ns_progs < 2 ? m->n_ns_progs : 2,
				   &c->ns_skipped);
	if (!err && m->nested_state > 0 && m->ns_failed > 0)
		err = read_percpu_slot0(m->ns_failed, ncpus, &c->ns_update_failures);
	if (!err)
		nvmx_counters_sort(c);
	return err;
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

int nvmxd_counts_end(struct nvmx_counters *c, int threads_fd, int slots_fd, uint64_t now_ns,
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
			err = nvmx_counters_add_verdict(c, &out.v[i], t.tgid, key);
		if (err)
			break;
		n++;
	}
	if (threads)
		*threads = n;
	if (!err)
		nvmx_counters_sort(c);
	return err;
}
