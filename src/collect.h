/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading nvmx's BPF maps into user space, and turning them into lib's summaries. Shared by nvmxd
 * and tests/bpf (which compares them with lib's replay of the same events). No logging: every
 * function returns 0 or a negative errno and the caller says what failed.
 */
#ifndef NVMXD_COLLECT_H
#define NVMXD_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/summary.h"
#include "nvmx/maps.h"

struct nvmxd_exit {
	struct nvmx_exit_key key;
	struct nvmx_hist hist; /* summed over CPUs */
};

struct nvmxd_msr {
	struct nvmx_msr_key key;
	struct nvmx_io_value v; /* summed over CPUs */
};

struct nvmxd_port {
	struct nvmx_port_key key;
	struct nvmx_io_value v; /* summed over CPUs */
};

struct nvmxd_bd {
	struct nvmx_bd_key key;
	struct nvmx_bd_value v; /* summed over CPUs */
};

struct nvmxd_keyed_count {
	__u32 key[6]; /* a struct nvmx_bd_l1_key or nvmx_vec_key */
	uint64_t count;
};

/* Everything the maps held at one moment, per-CPU values summed, plus user-space END verdicts. */
struct nvmxd_counts {
	struct nvmxd_exit *exits;
	size_t n_exits, cap_exits;
	struct nvmxd_msr *msrs;
	size_t n_msrs, cap_msrs;
	struct nvmxd_port *ports;
	size_t n_ports, cap_ports;
	uint64_t self[NVMX_SELF_COUNT];
	struct nvmxd_bd *bds; /* the Turtles breakdown */
	size_t n_bds, cap_bds;
	struct nvmxd_keyed_count *bd_l1s; /* L1's exits in round trips */
	size_t n_bd_l1s, cap_bd_l1s;
	struct nvmxd_keyed_count *vecs; /* interrupted events by outcome */
	size_t n_vecs, cap_vecs;
};

/* The file descriptors of the maps of one loaded nvmx object. */
struct nvmxd_maps {
	int threads, slots, exits, msrs, ports, self;
	/* 0 (not given): not read, for readers that do not show the breakdown */
	int breakdown, bd_l1, vectoring;
};

void nvmxd_counts_free(struct nvmxd_counts *c);

/*
 * Replaces c's contents with the maps' (libbpf_num_possible_cpus() values per key, summed). Exits
 * come back sorted by key.
 */
int nvmxd_counts_read(struct nvmxd_counts *c, const struct nvmxd_maps *m);

/* Counts one verdict of thread tid of process tgid as the BPF side would (nvmx/counts.h mapping). */
int nvmxd_counts_add_verdict(struct nvmxd_counts *c, const struct nvmx_verdict *v, uint32_t tgid,
			     uint32_t tid);

/*
 * End of capture, as lib/replay.c ends a replay: feeds NVMX_EV_END at now_ns through model.h to
 * every thread in the state map and counts the verdicts (exits still undecided become
 * unattributed, or L1 exits when L0's handler went on without kvm_nested_vmexit). Call once, after
 * the programs are detached; the map is not changed. *threads (may be NULL) gets how many.
 */
int nvmxd_counts_end(struct nvmxd_counts *c, int threads_fd, int slots_fd, uint64_t now_ns,
		     size_t *threads);

/*
 * The state of thread tid (struct nvmx_thread of nvmx/maps.h): its slot in nvmx_slots when
 * nvmx_threads has its marker, else its nvmx_threads entry. 0, or -ENOENT / -errno.
 */
int nvmxd_thread_state(int threads_fd, int slots_fd, __u32 tid, struct nvmx_thread *t);

/*
 * Adds the selected counts to s through lib's nvmx_summary_add_counted*() (include/nvmx/counted.h,
 * the same mapping replay uses): tgid 0 selects every process, tid 0 every thread of it. The
 * msrs and ports maps have no process in their keys: they are added only when tgid is 0.
 */
int nvmxd_counts_to_summary(const struct nvmxd_counts *c, uint32_t tgid, uint32_t tid,
			    struct nvmx_summary *s);

/*
 * The maps of an nvmx skeleton (struct nvmx_bpf from nvmx.skel.h) as struct nvmxd_maps: a macro,
 * so this header does not need the skeleton.
 */
#define NVMXD_MAPS_OF(skel)                                            \
	((struct nvmxd_maps){                                          \
		.threads = bpf_map__fd((skel)->maps.nvmx_threads),     \
		.slots = bpf_map__fd((skel)->maps.nvmx_slots),         \
		.exits = bpf_map__fd((skel)->maps.nvmx_exits),         \
		.msrs = bpf_map__fd((skel)->maps.nvmx_msrs),           \
		.ports = bpf_map__fd((skel)->maps.nvmx_ports),         \
		.self = bpf_map__fd((skel)->maps.nvmx_self),           \
		.breakdown = bpf_map__fd((skel)->maps.nvmx_breakdown), \
		.bd_l1 = bpf_map__fd((skel)->maps.nvmx_bd_l1),         \
		.vectoring = bpf_map__fd((skel)->maps.nvmx_vectoring), \
	})

/* Sum of the self-metric slots that mean "a count was lost". */
uint64_t nvmxd_counts_update_failures(const struct nvmxd_counts *c);

/* "l2_by_l0", "l2_by_l1", "synthesized_to_l1", "l1_exit", ... */
const char *nvmxd_outcome_name(uint32_t outcome);

#endif /* NVMXD_COLLECT_H */
