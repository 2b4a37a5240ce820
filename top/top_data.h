/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxtop's data: what a source (top_source.h) delivers at each refresh, and the view built from
 * two of them. Sources only fill samples; the displays (TUI, batch text, JSON lines) only read
 * views, so every display shows the same numbers (kvm_stat's providers/display split).
 *
 * A sample holds cumulative counts since the source began; the view holds, per node, the total
 * and the delta since the previous sample (kvm_stat's (total, delta) per refresh).
 */
#ifndef NVMX_TOP_DATA_H
#define NVMX_TOP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What happened to an exit, as counts.h's NVMX_OUT_* (the same numbers: checked in top_data.c). */
enum top_outcome {
	TOP_L2_BY_L0 = 0,
	TOP_L2_BY_L1 = 1,
	TOP_SYNTHESIZED_TO_L1 = 2,
	TOP_L1_EXIT = 3,
	TOP_NESTED_ENTRY = 4,
	TOP_UNATTRIBUTED = 5,
	TOP_NESTED_ENTRY_FAILED = 6,
	TOP_OUTCOMES = 7,
	/*
	 * Not an outcome: the complete round trips of reflected L2 exits (the Turtles breakdown,
	 * model.h's NVMX_V_ROUND_TRIP), per reason of the reflected exit.
	 */
	TOP_ROUND_TRIP = 7,
	TOP_SLOTS = 8,
};

/*
 * The parts of a round trip (model.h NVMX_RT_*): the whole trip, L0's exit handling, L0's
 * reflection into L1, L1's handler, L0 serving L1's exits, L0 emulating L1's VMRUN/VMRESUME.
 */
#define TOP_RT_PARTS 6

/* One counter: exits of one outcome of one reason of one vCPU thread of one VM. */
struct top_entry {
	uint32_t tgid; /* the VMM process; 0: not known (a capture) */
	/*
	 * the vCPU thread; 0: the whole VM, for what a source has per VM only (nvmxd's and the
	 * BPF maps' round trips): counted in the VM's row and the totals, in no vCPU or reason row
	 */
	uint32_t tid;
	uint32_t isa; /* NVMX_ISA_* */
	uint32_t reason;
	uint32_t outcome; /* enum top_outcome, or TOP_ROUND_TRIP */
	uint64_t count;
	uint64_t timed;	 /* of count, those with a time in sum_ns (counts.h nvmx_verdict_timed) */
	uint64_t sum_ns; /* their summed handling time; a round trip's whole (timed = count) */
	/* TOP_ROUND_TRIP only: */
	uint64_t part_ns[TOP_RT_PARTS]; /* summed parts */
	uint64_t l1_exits; /* L1's exits inside the round trips (exit multiplication) */
};

/*
 * L1's exits of one L1 exit reason inside the complete round trips of one reflected reason of one
 * VM (per VM, as the breakdown): their count and L0's time serving them (kvm_exit -> kvm_entry).
 */
struct top_l1 {
	uint32_t tgid, isa;
	uint32_t reason;    /* the reflected L2 exit */
	uint32_t l1_reason; /* L1's exit, or NVMX_BD_L1_OVERFLOW (beyond the slots of a trip) */
	uint64_t count, sum_ns;
};

struct top_vm_name {
	uint32_t tgid;
	char name[64];
};

/* Everything a source knows at one moment; counts are cumulative. */
struct top_sample {
	struct top_entry *entries; /* sorted by (tgid, tid, isa, reason, outcome), no duplicates */
	size_t n_entries, cap_entries;
	struct top_vm_name *names;
	size_t n_names, cap_names;
	struct top_l1 *l1s; /* unsorted, one per key */
	size_t n_l1s, cap_l1s;
	uint64_t time_ns;     /* the source's clock: monotonic (live) or trace time (capture) */
	uint64_t lost_events; /* events the source lost or could not count, cumulative */
	bool overhead_known;  /* bpf_run_ns means something (BPF run-time statistics on) */
	uint64_t bpf_run_ns;  /* run time of nvmx's BPF programs, cumulative */
	bool ended;	      /* nothing more will come (end of a capture, a stopped source) */
};

void top_sample_free(struct top_sample *s);
void top_sample_reset(struct top_sample *s);
/* Adds to the entry of that key (created if new); call top_sample_sort() after the last add. */
int top_sample_add(struct top_sample *s, const struct top_entry *e);

/*
 * Adds the counters' exits and complete round trips (lib's one in-memory form, as nvmxd and the
 * BPF maps have them): round trips are per vCPU thread there, as exits are. With
 * threads_as_processes (a capture, which does not say which process a thread belongs to: its
 * counters are keyed by thread in place of the process), each "process" is shown as a vCPU thread
 * of the one VM (tgid 0), so round trips stay per thread and per reason.
 */
struct nvmx_counters;
int top_sample_add_counters(struct top_sample *s, const struct nvmx_counters *c,
			    bool threads_as_processes);
void top_sample_sort(struct top_sample *s);
/* Adds to the L1-exit entry of that key (created if new). */
int top_sample_add_l1(struct top_sample *s, const struct top_l1 *l);
int top_sample_copy(struct top_sample *dst, const struct top_sample *src);
int top_sample_set_name(struct top_sample *s, uint32_t tgid, const char *name);
const char *top_sample_name(const struct top_sample *s, uint32_t tgid);

/* Counts of one node of the view: totals and deltas since the previous refresh, per outcome. */
struct top_stats {
	uint64_t n[TOP_SLOTS], dn[TOP_SLOTS];
	uint64_t ns[TOP_SLOTS], dns[TOP_SLOTS];
	uint64_t t[TOP_SLOTS], dt[TOP_SLOTS]; /* of n, dn: those timed in ns, dns */
	uint64_t part_ns[TOP_RT_PARTS], dpart_ns[TOP_RT_PARTS]; /* of the round trips */
	uint64_t l1_exits, dl1_exits;				/* inside the round trips */
};

struct top_reason {
	uint32_t isa, reason;
	char name[24];
	struct top_stats st;
};

struct top_vcpu {
	uint32_t tid;
	struct top_stats st;
	struct top_reason *reasons;
	size_t n_reasons;
};

/*
 * The L1-exit view's row: one L1 exit reason inside the round trips of one reflected reason of a
 * VM, totals and deltas, with those round trips (exits per round trip, mean service time).
 */
struct top_l1_row {
	uint32_t isa, reason, l1_reason;
	char name[24];	  /* the reflected reason */
	char l1_name[24]; /* L1's exit reason, "(other)" for the overflow */
	uint64_t n, dn, ns, dns;
	uint64_t round_trips, dround_trips; /* of the reflected reason in this VM */
};

struct top_vm {
	uint32_t tgid;
	char name[64];
	struct top_stats st;
	struct top_vcpu *vcpus;
	size_t n_vcpus;
	/* by reflected reason (name), then most exits first, then L1 reason name */
	struct top_l1_row *l1s;
	size_t n_l1s;
};

enum top_sort {
	TOP_SORT_L2 = 0, /* L2 exits (the rate or total shown) */
	TOP_SORT_L1_SHARE,
	TOP_SORT_COST, /* mean cost of an L2 exit */
	TOP_SORT_NAME,
	TOP_SORTS,
};

/* Each as long as the TUI's prompt (top_tui.c): what is typed there is kept whole. */
struct top_filter {
	char vm[64];	 /* substring of the VM's name or pid; "" shows all */
	char reason[64]; /* substring of the exit reason's name, any case; "" shows all */
};

struct top_view {
	struct top_vm *vms;
	size_t n_vms;
	struct top_stats all; /* every entry, filtered or not */
	size_t n_vms_all, n_vcpus_all;
	double interval_s; /* between the two samples; 0 for the first refresh */
	bool first;	   /* no previous sample: deltas are since the source began */
	uint64_t lost_events, dlost_events;
	bool overhead_known;
	double overhead_cpu; /* share of one CPU nvmx's BPF programs used over the interval */
	bool ended;
};

/*
 * Builds the view of cur against prev (NULL: the first refresh), keeping the entries that pass
 * filter (NULL: all), sorted by sort (descending for numbers unless reverse; names ascending).
 * rate: sort by the delta (what a rate display shows) rather than the total.
 */
int top_view_build(struct top_view *v, const struct top_sample *prev, const struct top_sample *cur,
		   const struct top_filter *filter, enum top_sort sort, bool reverse, bool rate);
void top_view_free(struct top_view *v);

/* L2 exits (by L0 + by L1) of a node, total or delta. */
static inline uint64_t top_l2(const struct top_stats *st, bool delta)
{
	return delta ? st->dn[TOP_L2_BY_L0] + st->dn[TOP_L2_BY_L1]
		     : st->n[TOP_L2_BY_L0] + st->n[TOP_L2_BY_L1];
}

const char *top_sort_name(enum top_sort s);

#endif /* NVMX_TOP_DATA_H */
