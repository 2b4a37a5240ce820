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
#include "nvmx/counters.h"
#include "nvmx/maps.h"

/* At most this many programs in struct nvmxd_maps (src/loader.h's table fits). */
#define NVMXD_MAX_PROGS 32

/* The file descriptors of the maps of one loaded nvmx object. */
struct nvmxd_maps {
	int threads, slots, exits, msrs, ports, self;
	/* the front tables of exits, breakdown, bd_l1, msrs, ports (nvmx/maps.h): read with them */
	int exits_front, bd_front, bd_l1_front, msrs_front, ports_front;
	/* 0 (not given): not read, for readers that do not show the breakdown */
	int breakdown, bd_l1, vectoring;
	/* 0 (not given): not read; arm64's injections into L1 itself (nvmx_inj_key) */
	int injs;
	/*
	 * nvmx's attached programs (baselines not): the runs the kernel skipped (their
	 * recursion_misses) are events the counts miss, struct nvmx_counters' skipped.
	 */
	int progs[NVMXD_MAX_PROGS];
	size_t n_progs;
	/* 0 (not given): bpf/nested_state.bpf.c's counts per process (src/nested_state.h) */
	int nested_state;
	/*
	 * With nested_state: its attached programs (their recursion_misses) and its per-CPU count
	 * of counts not made, struct nvmx_counters' ns_skipped and ns_update_failures.
	 */
	int ns_progs[2];
	size_t n_ns_progs;
	int ns_failed;
};

/*
 * Replaces c's contents with the maps' (libbpf_num_possible_cpus() values per key, summed),
 * c->skipped with the programs' recursion misses, and (nested_state given) c->ns_skipped and
 * c->ns_update_failures with the nested-state programs'. Exits come back sorted by key.
 */
int nvmxd_counts_read(struct nvmx_counters *c, const struct nvmxd_maps *m);

/*
 * End of capture, as lib/replay.c ends a replay: feeds NVMX_EV_END at now_ns through model.h to
 * every thread in the state map and counts the verdicts (exits still undecided become
 * unattributed, or L1 exits when L0's handler went on without kvm_nested_vmexit). Call once, after
 * the programs are detached; the map is not changed. *threads (may be NULL) gets how many.
 */
int nvmxd_counts_end(struct nvmx_counters *c, int threads_fd, int slots_fd, uint64_t now_ns,
		     size_t *threads);

/*
 * The state of thread tid (struct nvmx_thread of nvmx/maps.h): its slot in nvmx_slots when
 * nvmx_threads has its marker, else its nvmx_threads entry. 0, or -ENOENT / -errno.
 */
int nvmxd_thread_state(int threads_fd, int slots_fd, __u32 tid, struct nvmx_thread *t);

/*
 * The maps of an nvmx skeleton (struct nvmx_bpf from nvmx.skel.h) as struct nvmxd_maps: a macro,
 * so this header does not need the skeleton.
 */
#define NVMXD_MAPS_OF(skel)                                                 \
	((struct nvmxd_maps){                                               \
		.threads = bpf_map__fd((skel)->maps.nvmx_threads),          \
		.slots = bpf_map__fd((skel)->maps.nvmx_slots),              \
		.exits = bpf_map__fd((skel)->maps.nvmx_exits),              \
		.exits_front = bpf_map__fd((skel)->maps.nvmx_exits_front),  \
		.bd_front = bpf_map__fd((skel)->maps.nvmx_breakdown_front), \
		.bd_l1_front = bpf_map__fd((skel)->maps.nvmx_bd_l1_front),  \
		.msrs_front = bpf_map__fd((skel)->maps.nvmx_msrs_front),    \
		.ports_front = bpf_map__fd((skel)->maps.nvmx_ports_front),  \
		.msrs = bpf_map__fd((skel)->maps.nvmx_msrs),                \
		.ports = bpf_map__fd((skel)->maps.nvmx_ports),              \
		.self = bpf_map__fd((skel)->maps.nvmx_self),                \
		.breakdown = bpf_map__fd((skel)->maps.nvmx_breakdown),      \
		.bd_l1 = bpf_map__fd((skel)->maps.nvmx_bd_l1),              \
		.vectoring = bpf_map__fd((skel)->maps.nvmx_vectoring),      \
		.injs = bpf_map__fd((skel)->maps.nvmx_injs),                \
	})

#endif /* NVMXD_COLLECT_H */
