/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The counters: nvmx's one in-memory form of what was counted (docs/model.md). The keys are
 * include/nvmx/counts.h's, the values summed; the BPF programs count into maps of the same keys,
 * and nvmxd reads them into this type (src/collect.c). User space applies a model verdict with
 * nvmx_counters_add_verdict(), the one user-space twin of bpf/nvmx.bpf.c's count_verdict(); the
 * summary (JSON, tables, report), /metrics and nvmxtop are views of this type.
 *
 * User space; include <linux/types.h>, nvmx/events.h, nvmx/model.h and nvmx/counts.h first
 * (nvmx/maps.h is included here for struct nvmx_hist and the self-metric slots).
 */
#ifndef NVMX_COUNTERS_H
#define NVMX_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps.h"
#include "nested_state.h"
#include "summary.h"

struct nvmx_counters_exit {
	struct nvmx_exit_key key;
	struct nvmx_hist hist; /* summed over CPUs */
};

struct nvmx_counters_msr {
	struct nvmx_msr_key key;
	struct nvmx_io_value v; /* summed over CPUs */
};

struct nvmx_counters_port {
	struct nvmx_port_key key;
	struct nvmx_io_value v; /* summed over CPUs */
};

struct nvmx_counters_bd {
	struct nvmx_bd_key key;
	struct nvmx_bd_value v; /* summed over CPUs */
};

struct nvmx_counters_keyed {
	__u32 key[6]; /* a struct nvmx_bd_l1_key or nvmx_vec_key */
	uint64_t count;
	uint64_t sum_ns; /* bd_l1: L0's service time of those L1 exits; vec: 0 */
};

/* KVM_GET/SET_NESTED_STATE of one VMM process (nvmx/nested_state.h's slots, docs/model.md). */
struct nvmx_counters_ns {
	__u32 tgid;
	__u64 n[NVMX_NS_COUNT]; /* summed over CPUs */
};

/* Everything the maps held at one moment, per-CPU values summed, plus user-space END verdicts. */
struct nvmx_counters {
	struct nvmx_counters_exit *exits;
	size_t n_exits, cap_exits;
	struct nvmx_counters_msr *msrs;
	size_t n_msrs, cap_msrs;
	struct nvmx_counters_port *ports;
	size_t n_ports, cap_ports;
	uint64_t self[NVMX_SELF_COUNT];
	struct nvmx_counters_bd *bds; /* the Turtles breakdown */
	size_t n_bds, cap_bds;
	struct nvmx_counters_keyed *bd_l1s; /* L1's exits in round trips */
	size_t n_bd_l1s, cap_bd_l1s;
	struct nvmx_counters_keyed *vecs; /* interrupted events by outcome */
	size_t n_vecs, cap_vecs;
	struct nvmx_counters_keyed *injs; /* arm64: injections into L1 itself (nvmx_inj_key) */
	size_t n_injs, cap_injs;
	struct nvmx_counters_ns *ns; /* nested-state ioctls per process, by tgid */
	size_t n_ns, cap_ns;
	/*
	 * Events that never reached the model: runs of nvmx's programs the kernel skipped
	 * (recursion misses, nvmxd and nvmxtop --standalone), or events a capture says it lost
	 * ([LOST n EVENTS], replay). Set by the reader; see nvmx_counters_lost().
	 */
	uint64_t skipped;
	/*
	 * KVM_GET/SET_NESTED_STATE calls the nested-state counts (ns) may lack: runs of its
	 * programs the kernel skipped (recursion misses) and counts a full map kept out. Set by the
	 * reader (nvmxd); part of nvmx_counters_lost().
	 */
	uint64_t ns_skipped, ns_update_failures;
};

void nvmx_counters_free(struct nvmx_counters *c);

/* Empties c (keeps its memory). */
void nvmx_counters_reset(struct nvmx_counters *c);

/*
 * Sum a value into its key (created if new), as a per-CPU map's values are summed: key and
 * value are the maps' (counts.h keys; struct nvmx_hist, nvmx_io_value, nvmx_bd_value,
 * nvmx_bd_l1_value, or one __u64 for the vectoring counts). 0 or -ENOMEM.
 */
int nvmx_counters_add_exit(struct nvmx_counters *c, const void *key, const __u64 *value);
int nvmx_counters_add_msr(struct nvmx_counters *c, const void *key, const __u64 *value);
int nvmx_counters_add_port(struct nvmx_counters *c, const void *key, const __u64 *value);
int nvmx_counters_add_bd(struct nvmx_counters *c, const void *key, const __u64 *value);
int nvmx_counters_add_bd_l1(struct nvmx_counters *c, const void *key, const __u64 *value);
int nvmx_counters_add_vec(struct nvmx_counters *c, const void *key, const __u64 *value);
/* arm64: key a struct nvmx_inj_key, value one __u64 (injections into L1 itself) */
int nvmx_counters_add_inj(struct nvmx_counters *c, const void *key, const __u64 *value);

/* key: a __u32 tgid; value: struct nvmx_ns_value (nvmx/nested_state.h). 0 or -ENOMEM. */
int nvmx_counters_add_ns(struct nvmx_counters *c, const void *key, const __u64 *value);

/* The slot's name in JSON and /metrics: "get", "get_failed", "get_guest_mode", "set", ... */
const char *nvmx_ns_slot_name(uint32_t slot);

/* Exits sorted by key (tgid, tid, isa, reason, outcome), as readers expect them; the
 * nested-state counts by tgid. */
void nvmx_counters_sort(struct nvmx_counters *c);

/*
 * Counts one verdict of thread tid of process tgid exactly as bpf/nvmx.bpf.c's count_verdict
 * counts it in the kernel (both through counts.h's nvmx_verdict_* functions).
 */
int nvmx_counters_add_verdict(struct nvmx_counters *c, const struct nvmx_verdict *v, uint32_t tgid,
			      uint32_t tid);

/*
 * Adds the selected counts to s through nvmx_summary_add_counted*() (include/nvmx/counted.h):
 * tgid 0 selects every process, tid 0 every thread of it. The breakdown is per thread (a
 * process's is the sum over its threads); the msrs, ports and interrupted deliveries are per
 * process: never per thread (added only when tid is 0). Lost events only with tgid 0.
 */
int nvmx_counters_to_summary(const struct nvmx_counters *c, uint32_t tgid, uint32_t tid,
			     struct nvmx_summary *s);

/*
 * L1's exits in the round trips of breakdown key k (c->bd_l1s summed): of k's thread, or with
 * any_tid of every thread of k's process.
 */
uint64_t nvmx_counters_bd_l1_exits(const struct nvmx_counters *c, const struct nvmx_bd_key *k,
				   bool any_tid);

/*
 * A process's breakdown, summed over its threads: 1 when c->bds[i] is the first entry of its
 * (tgid, isa, reason, kind), with *v the sum of every thread's; 0 for the others, which a reader
 * of per-process rows skips.
 */
int nvmx_counters_bd_of_process(const struct nvmx_counters *c, size_t i, struct nvmx_bd_value *v);

/* Sum of the self-metric slots that mean "a count was lost". */
uint64_t nvmx_counters_update_failures(const struct nvmx_counters *c);

/*
 * The BPF map whose failed updates the nvmx_self slot counts (NVMX_SELF_*_UPDATE_FAILED,
 * NVMX_SELF_SCRATCH_MISSING), NULL for a slot that counts no failed update: the one list of
 * them, summed by nvmx_counters_update_failures() and labelled by nvmxd's /metrics.
 */
const char *nvmx_self_failure_map(uint32_t slot);

/*
 * Lost events (docs/model.md's glossary): events the counts miss, skipped (c->skipped) or seen
 * but not counted (nvmx_counters_update_failures()), and the nested-state calls missed
 * (c->ns_skipped + c->ns_update_failures: nvmx_counters_ns_missed()). The one place this sum is
 * made.
 */
uint64_t nvmx_counters_lost(const struct nvmx_counters *c);

/* Nested-state calls missed: c->ns_skipped + c->ns_update_failures (a part of lost events). */
uint64_t nvmx_counters_ns_missed(const struct nvmx_counters *c);

/* "l2_by_l0", "l2_by_l1", "synthesized_to_l1", "l1_exit", ... */
const char *nvmx_outcome_name(uint32_t outcome);

#endif /* NVMX_COUNTERS_H */
