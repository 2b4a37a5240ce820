/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What is counted of a verdict, written once for every counter: the BPF maps (bpf/nvmx.bpf.c),
 * nvmxd's reading of them (src/collect.c) and replay (lib/replay.c) all turn a model verdict into
 * these keys with these two functions, and lib turns the keys into summary entries
 * (include/nvmx/counted.h).
 *
 * BPF-safe, no #includes: include events.h and model.h first (and <linux/types.h> in user space).
 */
#ifndef NVMX_COUNTS_H
#define NVMX_COUNTS_H

/*
 * Outcome of a verdict: the last field of an exit key. One per way an exit or entry can end, so
 * that a summary can be rebuilt from the keys alone (nvmx_summary_add_counted).
 */
#define NVMX_OUT_L2_BY_L0	     0u /* an L2 exit L0 handled itself */
#define NVMX_OUT_L2_BY_L1	     1u /* an L2 exit reflected to L1 */
#define NVMX_OUT_SYNTHESIZED_TO_L1   2u /* an exit L0 made up and delivered to L1 */
#define NVMX_OUT_L1_EXIT	     3u /* an exit of L1 itself */
#define NVMX_OUT_NESTED_ENTRY	     4u /* L0 emulated L1's VMLAUNCH/VMRESUME/VMRUN */
#define NVMX_OUT_UNATTRIBUTED	     5u /* an exit or inject the model could not attribute */
#define NVMX_OUT_NESTED_ENTRY_FAILED 6u /* kvm_nested_vmenter_failed */
#define NVMX_OUT_COUNT		     7u

struct nvmx_exit_key {
	__u32 tgid;    /* the VMM process */
	__u32 tid;     /* the vCPU thread */
	__u32 isa;     /* NVMX_EV_ISA_* */
	__u32 reason;  /* basic exit reason (VMX: bits 15:0); 0 for nested entries */
	__u32 outcome; /* NVMX_OUT_* */
	__u32 pad;
};

/*
 * Port I/O exits (nvmx_exit_io of model.h): L2's by handler, and L1's own (nvmx_verdict_io).
 * handled_by: NVMX_V_BY_L0 / NVMX_V_BY_L1 for an L2 exit, NVMX_V_BY_NONE for an exit of L1.
 */
struct nvmx_port_key {
	__u32 tgid; /* the VMM process (replay: 0, or the thread standing in for it) */
	__u32 isa;
	__u16 port;
	__u8 in;   /* 1: IN, 0: OUT */
	__u8 size; /* bytes, 0 if the record did not say */
	__u32 handled_by;
};

/* RDMSR/WRMSR exits (nvmx_exit_msr_access of model.h), handled_by as for ports. */
struct nvmx_msr_key {
	__u32 tgid; /* the VMM process, as in struct nvmx_port_key */
	__u32 isa;
	__u32 msr; /* from kvm_msr or the guest's RCX, or NVMX_MODEL_MSR_UNKNOWN */
	__u32 write;
	__u32 handled_by;
};

/* The value of an MSR or port key: exits, and the cost of those that were timed. */
struct nvmx_io_value {
	__u64 count;  /* exits */
	__u64 timed;  /* exits (or round trips, for reflected ones) with a cost */
	__u64 sum_ns; /* their cost */
};

/*
 * Latency histogram: bucket i counts latencies <= 2^i ns (rounded up, so a bucket is exactly a
 * Prometheus `le` bound, as cloudflare/ebpf_exporter's right-inclusive exp2 histograms do); the
 * last bucket also takes everything larger (+Inf), so the largest finite bound is 2^30 ns (1.07 s).
 * A power of two: the BPF side masks the index with it, which every verifier since 6.1 accepts
 * (6.1's lost the bound of a clamped index through a 32-bit zero extension).
 */
#define NVMX_HIST_BUCKETS 32u
_Static_assert((NVMX_HIST_BUCKETS & (NVMX_HIST_BUCKETS - 1)) == 0, "a power of two");

/* floor(log2(v)) without loops (bcc libbpf-tools bits.bpf.h); 0 for v == 0. */
static __always_inline __u32 nvmx_log2_32(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xffff) << 4;
	v >>= r;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 nvmx_log2_64(__u64 v)
{
	__u32 hi = (__u32)(v >> 32);

	return hi ? nvmx_log2_32(hi) + 32 : nvmx_log2_32((__u32)v);
}

/*
 * Bucket i holds ns <= 2^i: floor(log2) rounded up when ns is not a power of two (ebpf_exporter's
 * "right-inclusive histogram"), clamped to the last bucket.
 */
static __always_inline __u32 nvmx_hist_bucket(__u64 ns)
{
	__u32 b = nvmx_log2_64(ns);

	if (b < 63 && (1ull << b) < ns)
		b++;
	return b < NVMX_HIST_BUCKETS - 1 ? b : NVMX_HIST_BUCKETS - 1;
}

/*
 * The Turtles breakdown (include/nvmx/model.h, struct nvmx_round_trip): what is summed per VM
 * and exit reason. Each kind has its own parts: a round trip all NVMX_RT_PARTS, an L0-handled
 * exit only its handling time (kvm_exit -> kvm_entry) in part 0.
 */
#define NVMX_BD_ROUND_TRIP 0u /* a complete round trip of a reflected L2 exit */
#define NVMX_BD_L0_HANDLED 1u /* an L2 exit L0 handled, decided at kvm_entry, not to the VMM */
#define NVMX_BD_L0_TO_VMM  2u /* an L2 exit L0 handled that went out to the VMM */
#define NVMX_BD_KINDS	   3u

struct nvmx_bd_key {
	__u32 tgid; /* the VMM process */
	__u32 tid;  /* the vCPU thread: a VM's numbers are the sum over its threads */
	__u32 isa;
	__u32 reason; /* basic reason of the L2 exit */
	__u32 kind;   /* NVMX_BD_* */
};

/*
 * Per key: sums and log2 histograms (buckets as NVMX_HIST_BUCKETS) of every part; and, for the
 * round trips whose every boundary had a cycle stamp of one CPU (nvmx_rt_parts_cycles), their
 * number and the sums of their parts in CPU cycles.
 */
struct nvmx_bd_value {
	__u64 count;
	__u64 sum_ns[NVMX_RT_PARTS];
	__u64 buckets[NVMX_RT_PARTS][NVMX_HIST_BUCKETS];
	__u64 cycles_count;
	__u64 sum_cycles[NVMX_RT_PARTS];
};

/*
 * The BPF side counts only part 0 of an L0-handled kind (its other parts are always 0, which
 * nvmx_hist_bucket() puts in bucket 0): a reader of its map adds them back here, once per key
 * after summing the CPUs, so the value is what counting every part would have made.
 */
static __always_inline void nvmx_bd_fill_zero_parts(const struct nvmx_bd_key *k,
						    struct nvmx_bd_value *v)
{
	if (k->kind == NVMX_BD_ROUND_TRIP)
		return;
	for (__u32 i = 1; i < NVMX_RT_PARTS; i++)
		v->buckets[i][0] += v->count;
}

/* L1's exits inside complete round trips: the exit multiplication, per L2 exit reason. */
#define NVMX_BD_L1_OVERFLOW 0xffffffffu /* l1_reason of exits beyond NVMX_RT_L1_REASONS */

struct nvmx_bd_l1_key {
	__u32 tgid;
	__u32 tid; /* the vCPU thread, as in struct nvmx_bd_key */
	__u32 isa;
	__u32 reason;	 /* the reflected L2 exit */
	__u32 l1_reason; /* basic reason of L1's exit, or NVMX_BD_L1_OVERFLOW */
};

/* Per key: L1's exits of that reason in the round trips, and L0's time serving them. */
struct nvmx_bd_l1_value {
	__u64 count;
	__u64 sum_ns; /* kvm_exit -> kvm_entry of each, summed (part of l1_exit_service_ns) */
};

/* arm64: exceptions injected into L1 itself (NVMX_V_INJECTED_TO_L1), by reason. */
struct nvmx_inj_key {
	__u32 tgid;
	__u32 tid;
	__u32 isa;
	__u32 reason;
};

/* Interrupted event deliveries by outcome (NVMX_V_VECTORING). */
struct nvmx_vec_key {
	__u32 tgid;
	__u32 isa;
	__u32 type; /* NVMX_VEC_* type */
	__u32 vector;
	__u32 outcome; /* NVMX_VEC_REINJECTED_L2 ... */
	__u32 pad;
};

/*
 * Whether a verdict's latency_ns is a handling time that sinks may show as a cost
 * (docs/model.md's glossary): an exit decided at kvm_entry (kvm_exit -> kvm_entry: L0's handling
 * of an L2 exit it kept, or of an exit of L1), or an L0-handled L2 exit that went out to the VMM,
 * timed to L0's decision. Not a reflected L2 exit (exit -> inject is only the l0_exit part: its
 * cost is the round trip), not L1's VMRUN/VMRESUME (decided at the nested entry), and never an
 * exit still open when the run or capture ends: it is counted, with no time.
 */
static __always_inline int nvmx_verdict_timed(const struct nvmx_verdict *v)
{
	if (v->kind == NVMX_V_L2_EXIT && v->handled_by == NVMX_V_BY_L1)
		return 0;
	if (v->flags & NVMX_VF_AT_ENTRY)
		return v->kind == NVMX_V_L2_EXIT || v->kind == NVMX_V_L1_EXIT;
	return v->kind == NVMX_V_L2_EXIT && (v->flags & NVMX_VF_TO_USERSPACE);
}

/*
 * Whether a verdict of thread tid of process tgid is counted in the breakdown, and as what: 1
 * with *k and parts[NVMX_RT_PARTS] set, else 0. The one place the keys are built (BPF and
 * replay): with nvmx_bd_l1_key_of() for the L1 exits of a round trip.
 */
static __always_inline int nvmx_verdict_breakdown(const struct nvmx_verdict *v, __u32 tgid,
						  __u32 tid, struct nvmx_bd_key *k, __u64 *parts)
{
	k->tgid = tgid;
	k->tid = tid;
	k->isa = v->isa;
	k->reason = v->reason;
	if (v->kind == NVMX_V_ROUND_TRIP) {
		k->kind = NVMX_BD_ROUND_TRIP;
		nvmx_rt_parts(v, parts);
		return 1;
	}
	/*
	 * An L0-handled exit out to the VMM is timed to L0's decision (kvm_entry, or the inject
	 * of the exit L0 then synthesises to L1); the others only when kvm_entry decided them.
	 */
	if (v->kind == NVMX_V_L2_EXIT && nvmx_verdict_timed(v)) {
		k->kind =
			(v->flags & NVMX_VF_TO_USERSPACE) ? NVMX_BD_L0_TO_VMM : NVMX_BD_L0_HANDLED;
		NVMX_UNROLL
		for (__u32 i = 0; i < NVMX_RT_PARTS; i++)
			parts[i] = 0;
		parts[0] = v->latency_ns;
		return 1;
	}
	return 0;
}

/* The key of L1's exits of reason l1_reason in the round trips of breakdown key k. */
static __always_inline void nvmx_bd_l1_key_of(const struct nvmx_bd_key *k, __u32 l1_reason,
					      struct nvmx_bd_l1_key *lk)
{
	lk->tgid = k->tgid;
	lk->tid = k->tid;
	lk->isa = k->isa;
	lk->reason = k->reason;
	lk->l1_reason = l1_reason;
}

/* Not an exit's outcome: a round trip or an event's outcome, counted by the breakdown. */
#define NVMX_OUT_NONE NVMX_OUT_COUNT

static __always_inline __u32 nvmx_verdict_outcome(const struct nvmx_verdict *v)
{
	switch (v->kind) {
	case NVMX_V_L2_EXIT:
		return v->handled_by == NVMX_V_BY_L1 ? NVMX_OUT_L2_BY_L1 : NVMX_OUT_L2_BY_L0;
	case NVMX_V_L1_EXIT:
		return NVMX_OUT_L1_EXIT;
	case NVMX_V_SYNTHESIZED_TO_L1:
		return NVMX_OUT_SYNTHESIZED_TO_L1;
	case NVMX_V_NESTED_ENTRY:
		return NVMX_OUT_NESTED_ENTRY;
	case NVMX_V_NESTED_ENTRY_FAILED:
		return NVMX_OUT_NESTED_ENTRY_FAILED;
	case NVMX_V_ROUND_TRIP:
	case NVMX_V_VECTORING:
	/* arm64: no exit; counted by reason apart (struct nvmx_inj_key) */
	case NVMX_V_INJECTED_TO_L1:
		return NVMX_OUT_NONE;
	default:
		return NVMX_OUT_UNATTRIBUTED;
	}
}

/*
 * The msrs/ports entry of a verdict, as every counter decides it (the bitmap advisor's numbers):
 *  - an L2 exit: key handled_by NVMX_V_BY_L1 (reflected) or NVMX_V_BY_L0, count 1; an L0-handled
 *    one is timed as the breakdown times it (kvm_exit -> kvm_entry, or to L0's decision when it
 *    went out to the VMM);
 *  - an exit of L1 itself: handled_by NVMX_V_BY_NONE, count 1, timed when decided at kvm_entry;
 *  - a complete round trip of a reflected exit: handled_by NVMX_V_BY_L1, count 0, timed with
 *    the whole trip (L2 exit -> entry into L2 again): what the reflection cost;
 * The MSR index comes from the kvm_msr L0 traced or the guest's RCX (NVMX_EV_GUEST_RCX), else
 * NVMX_MODEL_MSR_UNKNOWN. The key is the VMM process tgid's (nvmxd's per-VM MSR/port series).
 * Returns 1 (msr), 2 (port) or 0 (neither), with *inc the increment.
 */
static __always_inline int nvmx_verdict_io(const struct nvmx_verdict *v, __u32 tgid,
					   struct nvmx_msr_key *mk, struct nvmx_port_key *pk,
					   struct nvmx_io_value *inc)
{
	__u32 write = 0, port = 0, in = 0, size = 0, msr = v->msr;
	__u64 info1 = v->info1;
	__u32 by;

	inc->count = 1;
	inc->timed = 0;
	inc->sum_ns = 0;
	switch (v->kind) {
	case NVMX_V_L2_EXIT:
		by = v->handled_by == NVMX_V_BY_L1 ? NVMX_V_BY_L1 : NVMX_V_BY_L0;
		inc->timed = (__u64)nvmx_verdict_timed(v);
		if (!(v->flags & NVMX_VF_MSR_KNOWN))
			msr = NVMX_MODEL_MSR_UNKNOWN;
		break;
	case NVMX_V_L1_EXIT:
		by = NVMX_V_BY_NONE;
		inc->timed = (__u64)nvmx_verdict_timed(v);
		if (!(v->flags & NVMX_VF_MSR_KNOWN))
			msr = NVMX_MODEL_MSR_UNKNOWN;
		break;
	case NVMX_V_ROUND_TRIP:
		by = NVMX_V_BY_L1;
		inc->count = 0;
		inc->timed = 1;
		info1 = v->rt.l2_info1;
		msr = v->rt.l2_msr;
		break;
	default:
		return 0;
	}
	if (inc->timed)
		inc->sum_ns = v->latency_ns;
	if (nvmx_exit_msr_access(v->isa, v->reason, info1, &write)) {
		mk->tgid = tgid;
		mk->isa = v->isa;
		mk->msr = msr;
		mk->write = write;
		mk->handled_by = by;
		return 1;
	}
	if (nvmx_exit_io(v->isa, v->reason, info1, &port, &in, &size)) {
		pk->tgid = tgid;
		pk->isa = v->isa;
		pk->port = (__u16)port;
		pk->in = (__u8)in;
		pk->size = (__u8)size;
		pk->handled_by = by;
		return 2;
	}
	return 0;
}

#endif /* NVMX_COUNTS_H */
