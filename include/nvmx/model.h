/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attribution state machine: who handled each exit of a vCPU thread, L0 or L1.
 *
 * Written once, as BPF-safe C, so that the BPF programs (per-CPU maps) and user space (replay,
 * tests) run the very same code: static __always_inline functions, no loops, no libc, no function
 * pointers, no pointers kept in the state. Include events.h first (and <linux/types.h> before it
 * in user space).
 *
 * The rule, per vCPU thread (kvm-nested-facts.md, "Attribution rule"):
 *  - a kvm_exit is an L2 exit iff kvm_nested_vmexit follows before the next kvm_entry, otherwise
 *    an L1 exit; this needs no history, so it is decided even at the start of a capture;
 *  - a kvm_nested_vmexit_inject is the reflection of the pending L2 exit iff it is the first inject
 *    since that exit and has the same reason; every other inject is synthesised by L0;
 *  - a pending L2 exit that was not reflected was handled by L0 (including the ones that went out
 *    to the VMM with kvm_userspace_exit: the VMM is part of L0's side);
 *  - kvm_nested_vmenter is one nested entry.
 * Inject and vmenter records carry no vcpu_id: the state is per thread, never per vcpu_id (vCPU 0
 * of two VMs would collide).
 *
 * Use: keep one struct nvmx_vcpu_state per vCPU thread (user space: a table keyed by TASK-PID; BPF:
 * a hash map keyed by tid), build a struct nvmx_event from each tracepoint record, call
 * nvmx_model_step(), and count out->v[0..n) into your own counters (lib/replay.c: struct
 * nvmx_summary; BPF: per-CPU maps). tests/unit/model_check.bpf.c shows the BPF side.
 *
 * What the model cannot know it does not guess: after attaching mid-stream or after lost events
 * the thread is NVMX_ST_UNKNOWN; an inject seen there may be the reflection of an exit we did not
 * see, so it is reported NVMX_V_UNATTRIBUTED, as is an exit still undecided when events are lost
 * or the capture ends.
 */
#ifndef NVMX_MODEL_H
#define NVMX_MODEL_H

#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif

#include "exit_decode.h"

/* Small fixed loops, unrolled so every verifier sees straight code. */
#ifdef __clang__
#define NVMX_UNROLL _Pragma("unroll")
#else
#define NVMX_UNROLL _Pragma("GCC unroll 8")
#endif

/*
 * Hides a value's range from clang, so that a mask after a bound check stays in the code: 6.1's
 * verifier can lose the check's bound through a 32-bit zero extension, not the mask's. Nothing
 * outside BPF.
 */
#ifdef __bpf__
#define NVMX_OPAQUE(x) asm volatile("" : "+r"(x))
#else
#define NVMX_OPAQUE(x) ((void)0)
#endif

/* Where a vCPU thread is. */
#define NVMX_ST_UNKNOWN		0u /* attached mid-stream or lost events: not known yet */
#define NVMX_ST_L1_RUNNING	1u /* L1 runs (not handling a reflected exit) */
#define NVMX_ST_L0_L1_EXIT	2u /* L0 handles an exit; no kvm_nested_vmexit yet: L1's */
#define NVMX_ST_L2_RUNNING	3u /* L2 runs */
#define NVMX_ST_L0_L2_EXIT	4u /* L0 handles an L2 exit, before deciding who handles it */
#define NVMX_ST_REFLECTED	5u /* L0 delivers the pending L2 exit to L1 (inject seen) */
#define NVMX_ST_L1_REFLECTED	6u /* L1 handles a reflected exit */
#define NVMX_ST_L0_NESTED_ENTRY 7u /* L0 emulates L1's VMLAUNCH/VMRESUME/VMRUN */
#define NVMX_ST_SYNTHESIZED	8u /* L0 delivers an exit it synthesised to L1 */
#define NVMX_ST_L0_ANY_EXIT	9u /* arm64: L0 handles an exit whose level is not known yet */
#define NVMX_ST_COUNT		10u

/* What a verdict says. Mapped onto enum nvmx_kind / nvmx_handler of summary.h in lib/. */
#define NVMX_V_L2_EXIT		   0u /* an L2 exit; handled_by says who */
#define NVMX_V_L1_EXIT		   1u
#define NVMX_V_SYNTHESIZED_TO_L1   2u
#define NVMX_V_NESTED_ENTRY	   3u
#define NVMX_V_UNATTRIBUTED	   4u /* an exit or inject the model cannot attribute */
#define NVMX_V_NESTED_ENTRY_FAILED 5u /* kvm_nested_vmenter_failed */
/*
 * A reflected L2 exit's complete round trip, L2 exit to the next entry into L2: rt holds its
 * boundaries and L1's exits in between (exit multiplication); latency_ns is the whole trip.
 */
#define NVMX_V_ROUND_TRIP 6u
/* An L2 exit that interrupted the delivery of an event, and what became of the event */
#define NVMX_V_VECTORING 7u
/*
 * arm64: an exception L0 injected into L1 itself (kvm_inject_nested_exception from vEL2, or from
 * a VHE L1's own EL0): no exit of L2, counted apart. reason: NVMX_ARM64_R_* or a SYNC's EC.
 */
#define NVMX_V_INJECTED_TO_L1 8u

#define NVMX_V_BY_NONE 0u
#define NVMX_V_BY_L0   1u
#define NVMX_V_BY_L1   2u

/* verdict flags */
#define NVMX_VF_MSR_KNOWN	  0x1u	/* msr holds the index (from the kvm_msr that followed) */
#define NVMX_VF_TO_USERSPACE	  0x2u	/* the exit went out to the VMM (kvm_userspace_exit) */
#define NVMX_VF_IN_L1_REFLECTED	  0x4u	/* an L1 exit taken while L1 handled a reflected exit */
#define NVMX_VF_REFLECTED_PENDING 0x8u	/* synthesised while another L2 exit was pending */
#define NVMX_VF_AT_ENTRY	  0x10u /* decided at kvm_entry: latency_ns is the handling time */

/* What became of it, before the next entry into L2 */
#define NVMX_VEC_REINJECTED_L2 0u /* kvm_inj_virq/kvm_inj_exception [reinjected] */
#define NVMX_VEC_HANDED_TO_L1  1u /* in vmcs12/vmcb12's exit information (the inject carries it) */
#define NVMX_VEC_LOST	       2u /* neither: an anomaly */
#define NVMX_VEC_OUTCOMES      3u

/* Round-trip phases (struct nvmx_round_trip.phase) */
#define NVMX_RT_NONE	 0u
#define NVMX_RT_INJECTED 1u /* the reflecting inject seen */
#define NVMX_RT_IN_L1	 2u /* L1 runs its handler */
#define NVMX_RT_ENTERING 3u /* L1's VMRUN/VMRESUME exit seen, kvm_nested_vmenter */

/*
 * Distinct L1 exit reasons kept per round trip, each with its count and L0's service time; more
 * go to l1_overflow and l1_overflow_ns (real KVM as L1 takes 6-8 distinct ones per round trip).
 */
#define NVMX_RT_L1_REASONS 8

/*
 * One reflected L2 exit from the L2 exit to the next kvm_entry into L2 (Turtles' breakdown).
 * Boundaries, per vCPU thread: l2_exit_ts (kvm_exit), inject_ts (kvm_nested_vmexit_inject, after
 * KVM's vmcs12/vmcb12 sync), l1_entry_ts (kvm_entry into L1), vmrun_exit_ts (kvm_exit of L1's
 * VMRUN/VMRESUME), then the kvm_entry into L2 (the verdict's ts_ns + latency_ns).
 */
struct nvmx_round_trip {
	__u64 l2_exit_ts;
	__u64 inject_ts;
	__u64 l1_entry_ts;
	__u64 vmrun_exit_ts;
	__u64 l1_service_ns; /* sum of kvm_exit -> kvm_entry of L1's exits in its handler */
	__u32 phase;	     /* NVMX_RT_* */
	__u32 l1_overflow;   /* L1 exits whose reason found no free slot, timed in l1_overflow_ns */
	__u32 l2_isa;	     /* the reflected L2 exit */
	__u32 l2_reason;     /* raw */
	__u32 l1_reason[NVMX_RT_L1_REASONS];
	__u32 l1_count[NVMX_RT_L1_REASONS]; /* 0: slot free */
	/* per slot, the sum of kvm_exit -> kvm_entry of its exits (they add up to l1_service_ns) */
	__u64 l1_ns[NVMX_RT_L1_REASONS];
	__u64 l1_overflow_ns;
	/*
	 * The same boundaries in CPU cycles (struct nvmx_event.cycles), kept only while every
	 * stamp comes from one CPU: cycle counters of two CPUs do not compare. cyc_ok 0: the
	 * round trip has no cycle figures (no counter, or the thread moved).
	 */
	__u64 l2_exit_cyc;
	__u64 inject_cyc;
	__u64 l1_entry_cyc;
	__u64 vmrun_exit_cyc;
	__u64 l2_entry_cyc;
	__u64 l1_service_cyc;
	__u32 cyc_cpu;
	__u32 cyc_ok;
	/* what the reflected exit accessed, for the MSR/port costs (counts.h, nvmx_verdict_io) */
	__u64 l2_info1; /* its info1: SVM EXITINFO1 / VMX qualification (the port) */
	__u32 l2_msr;	/* its MSR index, or NVMX_MODEL_MSR_UNKNOWN */
	__u32 l2_pad;
};

/* The parts of a round trip, in ns (nvmx_rt_parts). They add up to NVMX_RT_ROUND_TRIP. */
#define NVMX_RT_ROUND_TRIP	   0u
#define NVMX_RT_L0_EXIT		   1u /* L2 exit -> inject: L0 decides, syncs vmcs12/vmcb12 */
#define NVMX_RT_L0_REFLECT	   2u /* inject -> kvm_entry into L1 */
#define NVMX_RT_L1_HANDLER	   3u /* in L1, minus L1's own exits */
#define NVMX_RT_L1_EXIT_SERVICE	   4u /* L0 serving L1's exits in the handler */
#define NVMX_RT_L0_ENTRY_EMULATION 5u /* L1's VMRUN/VMRESUME exit -> kvm_entry into L2 */
#define NVMX_RT_PARTS		   6u

#define NVMX_MODEL_MSR_UNKNOWN 0xffffffffu

struct nvmx_verdict {
	__u32 kind;	  /* NVMX_V_* */
	__u32 handled_by; /* NVMX_V_BY_*, for NVMX_V_L2_EXIT */
	__u32 isa;	  /* NVMX_EV_ISA_* */
	__u32 reason;	  /* basic exit reason (VMX: bits 15:0) */
	__u32 raw_reason; /* as recorded, with the VMX flag bits */
	__u32 flags;	  /* NVMX_VF_* */
	__u32 msr;	  /* MSR index when NVMX_VF_MSR_KNOWN */
	__u32 vcpu_id;	  /* NVMX_V_VECTORING: kvm_exit's vcpu_id */
	__u64 info1; /* info1 of the exit (SVM EXITINFO1 / VMX qualification); VECTORING: the rip */
	__u64 ts_ns; /* when the exit happened (kvm_exit, else the record that made it) */
	__u64 latency_ns; /* exit until the decision: kvm_entry (L0, L1 exits), inject (reflected) */
	__u32 vec_type;	  /* NVMX_V_VECTORING: NVMX_VEC_* type */
	__u32 vec_vector;  /* NVMX_V_VECTORING: the vector */
	__u32 vec_outcome; /* NVMX_V_VECTORING: NVMX_VEC_REINJECTED_L2 ... */
	__u32 pad;
	struct nvmx_round_trip rt; /* NVMX_V_ROUND_TRIP only */
};

#define NVMX_MODEL_MAX_VERDICTS 4

struct nvmx_verdicts {
	__u32 n;
	__u32 pad;
	struct nvmx_verdict v[NVMX_MODEL_MAX_VERDICTS];
};

/* pending flags */
#define NVMX_PF_EXIT	     0x1u  /* an exit is pending (kvm_exit or kvm_nested_vmexit seen) */
#define NVMX_PF_MSR_KNOWN    0x2u  /* a kvm_msr followed the pending exit */
#define NVMX_PF_TO_USERSPACE 0x4u  /* the pending exit went out to the VMM */
#define NVMX_PF_IN_L1_REFL   0x8u  /* the pending exit was taken while L1 handled a reflected one */
#define NVMX_PF_AT_ENTRY     0x10u /* the pending exit is decided at kvm_entry */

/* Per vCPU thread. Zero-initialised it is NVMX_ST_UNKNOWN. */
struct nvmx_vcpu_state {
	__u32 state;	      /* NVMX_ST_* */
	__u32 isa;	      /* last isa a record of this thread told */
	__u32 pending_flags;  /* NVMX_PF_* */
	__u32 pending_reason; /* raw reason of the pending exit */
	__u32 pending_isa;
	__u32 pending_msr;
	__u64 pending_ts; /* kvm_exit timestamp of the pending exit */
	__u64 pending_info1;
	__u64 last_exit_ts; /* the L1 exit that led to a nested entry, for its latency */
	/* the event whose delivery the last L2 exit interrupted, until its outcome is known */
	__u32 vec_pending; /* 1: the vec_* fields describe an event whose outcome is not known */
	__u32 vec_type;	   /* NVMX_VEC_* */
	__u32 vec_vector;
	__u32 vec_reason; /* raw reason of the L2 exit */
	__u32 vec_isa;
	__u32 vec_vcpu_id;
	__u64 vec_rip;
	__u64 vec_ts;
	__u64 pending_cyc; /* the pending exit's cycle stamp (0: none) */
	__u32 pending_cpu;
	__u32 pad2;
	struct nvmx_round_trip rt; /* the reflected L2 exit in progress */
};

static __always_inline void nvmx_model_emit(struct nvmx_verdicts *out, __u32 kind, __u32 by,
					    __u32 isa, __u32 raw_reason, __u32 flags, __u32 msr,
					    __u64 info1, __u64 ts, __u64 now)
{
	struct nvmx_verdict *v;
	__u32 n = out->n;

	/* The bound check keeps the BPF verifier happy; no step emits more than the maximum. */
	if (n >= NVMX_MODEL_MAX_VERDICTS)
		return;
	NVMX_OPAQUE(n);
	v = &out->v[n & (NVMX_MODEL_MAX_VERDICTS - 1)];
	v->kind = kind;
	v->handled_by = by;
	v->isa = isa;
	v->reason = nvmx_model_basic_reason(isa, raw_reason);
	v->raw_reason = raw_reason;
	v->flags = flags;
	v->msr = msr;
	v->vcpu_id = NVMX_EV_VCPU_ID_NONE;
	v->info1 = info1;
	v->ts_ns = ts;
	v->latency_ns = now > ts ? now - ts : 0;
	out->n = n + 1;
}

static __always_inline void nvmx_model_start_exit(struct nvmx_vcpu_state *s,
						  const struct nvmx_event *e, __u32 extra_flags)
{
	s->pending_flags = NVMX_PF_EXIT | extra_flags;
	s->pending_reason = e->reason;
	s->pending_isa = e->isa;
	s->pending_msr = NVMX_MODEL_MSR_UNKNOWN;
	s->pending_ts = e->ts_ns;
	s->pending_info1 = e->info1;
	s->pending_cyc = e->cycles;
	s->pending_cpu = e->cpu;
}

/* Emits the verdict of the pending exit as kind/by, at time now, and forgets it. */
static __always_inline void nvmx_model_resolve(struct nvmx_vcpu_state *s, struct nvmx_verdicts *out,
					       __u32 kind, __u32 by, __u64 now)
{
	__u32 flags = 0;

	if (!(s->pending_flags & NVMX_PF_EXIT))
		return;
	if (s->pending_flags & NVMX_PF_MSR_KNOWN)
		flags |= NVMX_VF_MSR_KNOWN;
	if (s->pending_flags & NVMX_PF_TO_USERSPACE)
		flags |= NVMX_VF_TO_USERSPACE;
	if (s->pending_flags & NVMX_PF_IN_L1_REFL)
		flags |= NVMX_VF_IN_L1_REFLECTED;
	if (s->pending_flags & NVMX_PF_AT_ENTRY)
		flags |= NVMX_VF_AT_ENTRY;
	nvmx_model_emit(out, kind, by, s->pending_isa, s->pending_reason, flags, s->pending_msr,
			s->pending_info1, s->pending_ts, now);
	s->pending_flags = 0;
}

/* Everything pending becomes unattributed and the thread unknown (lost events, anomalies). */
static __always_inline void nvmx_model_forget(struct nvmx_vcpu_state *s, struct nvmx_verdicts *out,
					      __u64 now)
{
	nvmx_model_resolve(s, out, NVMX_V_UNATTRIBUTED, NVMX_V_BY_NONE, now);
	s->state = NVMX_ST_UNKNOWN;
	/* an event's outcome or a round trip we cannot see the end of is not counted at all */
	s->vec_pending = 0;
	s->rt.phase = NVMX_RT_NONE;
}

/* Emits the pending event's outcome and forgets it. */
static __always_inline void nvmx_vec_resolve(struct nvmx_vcpu_state *s, struct nvmx_verdicts *out,
					     __u32 outcome, __u64 now)
{
	struct nvmx_verdict *v;
	__u32 n = out->n;

	if (!s->vec_pending)
		return;
	s->vec_pending = 0;
	if (n >= NVMX_MODEL_MAX_VERDICTS)
		return;
	NVMX_OPAQUE(n);
	v = &out->v[n & (NVMX_MODEL_MAX_VERDICTS - 1)];
	v->kind = NVMX_V_VECTORING;
	v->handled_by = NVMX_V_BY_NONE;
	v->isa = s->vec_isa;
	v->reason = nvmx_model_basic_reason(s->vec_isa, s->vec_reason);
	v->raw_reason = s->vec_reason;
	v->flags = 0;
	v->msr = NVMX_MODEL_MSR_UNKNOWN;
	v->vcpu_id = s->vec_vcpu_id;
	v->info1 = s->vec_rip;
	v->ts_ns = s->vec_ts;
	v->latency_ns = now > s->vec_ts ? now - s->vec_ts : 0;
	v->vec_type = s->vec_type;
	v->vec_vector = s->vec_vector;
	v->vec_outcome = outcome;
	v->pad = 0;
	out->n = n + 1;
}

/*
 * An entry into L2: the interrupted event still pending was neither reinjected nor handed to
 * L1. KVM reinjects an NMI with no tracepoint (svm_inject_nmi, vmx_inject_nmi trace nothing), so
 * an NMI's outcome cannot be seen: it is not counted rather than called lost.
 */
static __always_inline void nvmx_vec_on_l2_entry(struct nvmx_vcpu_state *s,
						 struct nvmx_verdicts *out, __u64 now)
{
	if (s->vec_pending && s->vec_type == NVMX_VEC_NMI)
		s->vec_pending = 0;
	nvmx_vec_resolve(s, out, NVMX_VEC_LOST, now);
}

/* Whether a cycle stamp (cyc on cpu) can be compared with the round trip's: 0 drops them all. */
static __always_inline __u32 nvmx_rt_cyc_same(const struct nvmx_round_trip *rt, __u64 cyc,
					      __u32 cpu)
{
	return rt->cyc_ok && cyc && cpu == rt->cyc_cpu;
}

/* Counts one L1 exit of the handler into the round trip: its reason's slot, or the overflow. */
static __always_inline void nvmx_rt_add_l1_exit(struct nvmx_round_trip *rt, __u32 reason, __u64 ns)
{
	rt->l1_service_ns += ns;
	NVMX_UNROLL
	for (int i = 0; i < NVMX_RT_L1_REASONS; i++) {
		if (rt->l1_count[i] && rt->l1_reason[i] == reason) {
			rt->l1_count[i]++;
			rt->l1_ns[i] += ns;
			return;
		}
		if (!rt->l1_count[i]) {
			rt->l1_reason[i] = reason;
			rt->l1_count[i] = 1;
			rt->l1_ns[i] = ns;
			return;
		}
	}
	rt->l1_overflow++;
	rt->l1_overflow_ns += ns;
}

/*
 * The parts of a completed round trip in CPU cycles, NVMX_RT_* order: 1, or 0 when it has none
 * (cycles of one CPU at every boundary are needed).
 */
static __always_inline int nvmx_rt_parts_cycles(const struct nvmx_verdict *v, __u64 *parts)
{
	const struct nvmx_round_trip *rt = &v->rt;
	__u64 in_l1;

	if (!rt->cyc_ok)
		return 0;
	in_l1 = rt->vmrun_exit_cyc - rt->l1_entry_cyc;
	parts[NVMX_RT_ROUND_TRIP] = rt->l2_entry_cyc - rt->l2_exit_cyc;
	parts[NVMX_RT_L0_EXIT] = rt->inject_cyc - rt->l2_exit_cyc;
	parts[NVMX_RT_L0_REFLECT] = rt->l1_entry_cyc - rt->inject_cyc;
	parts[NVMX_RT_L1_HANDLER] = in_l1 > rt->l1_service_cyc ? in_l1 - rt->l1_service_cyc : 0;
	parts[NVMX_RT_L1_EXIT_SERVICE] = rt->l1_service_cyc;
	parts[NVMX_RT_L0_ENTRY_EMULATION] = rt->l2_entry_cyc - rt->vmrun_exit_cyc;
	return 1;
}

/* b - a, or 0 when b is not after a. */
static __always_inline __u64 nvmx_ns_between(__u64 a, __u64 b)
{
	return b > a ? b - a : 0;
}

/*
 * The parts of a completed round trip (verdict NVMX_V_ROUND_TRIP), NVMX_RT_* order. A part
 * whose end is stamped before its start is 0, as a latency is: tracefs's default clock is per
 * CPU, and a vCPU thread that moved to another CPU can step back (a wrapped u64 was ~1.8e19 ns).
 */
static __always_inline void nvmx_rt_parts(const struct nvmx_verdict *v, __u64 *parts)
{
	const struct nvmx_round_trip *rt = &v->rt;
	__u64 l2_entry_ts = v->ts_ns + v->latency_ns;
	__u64 in_l1 = nvmx_ns_between(rt->l1_entry_ts, rt->vmrun_exit_ts);

	parts[NVMX_RT_ROUND_TRIP] = v->latency_ns;
	parts[NVMX_RT_L0_EXIT] = nvmx_ns_between(rt->l2_exit_ts, rt->inject_ts);
	parts[NVMX_RT_L0_REFLECT] = nvmx_ns_between(rt->inject_ts, rt->l1_entry_ts);
	parts[NVMX_RT_L1_HANDLER] = in_l1 > rt->l1_service_ns ? in_l1 - rt->l1_service_ns : 0;
	parts[NVMX_RT_L1_EXIT_SERVICE] = rt->l1_service_ns;
	parts[NVMX_RT_L0_ENTRY_EMULATION] = nvmx_ns_between(rt->vmrun_exit_ts, l2_entry_ts);
}

static __always_inline void
nvmx_model_on_exit(struct nvmx_vcpu_state *s, const struct nvmx_event *e, struct nvmx_verdicts *out)
{
	/*
	 * An exit L1 takes while handling a reflected exit is "exit multiplication" (Turtles);
	 * remember it until the exit is decided, and where to return to.
	 */
	__u32 extra = s->state == NVMX_ST_L1_REFLECTED ? NVMX_PF_IN_L1_REFL : 0;

	/*
	 * Two exits with no entry between cannot happen in a complete stream: the earlier one is
	 * left unattributed rather than guessed.
	 */
	if (s->pending_flags & NVMX_PF_EXIT)
		nvmx_model_forget(s, out, e->ts_ns);
	nvmx_model_start_exit(s, e, extra);
	s->state = NVMX_ST_L0_L1_EXIT;
}

static __always_inline void nvmx_model_on_nested_vmexit(struct nvmx_vcpu_state *s,
							const struct nvmx_event *e,
							struct nvmx_verdicts *out)
{
	/*
	 * kvm_nested_vmexit fires right after the kvm_exit of the same exit. If that kvm_exit
	 * was lost (or we attached in between), the record itself still says "an L2 exit".
	 */
	if (s->state != NVMX_ST_L0_L1_EXIT || !(s->pending_flags & NVMX_PF_EXIT)) {
		if (s->pending_flags & NVMX_PF_EXIT)
			nvmx_model_forget(s, out, e->ts_ns);
		nvmx_model_start_exit(s, e, 0);
	} else {
		/* keep the kvm_exit timestamp: latencies start at the hardware exit */
		s->pending_reason = e->reason;
		s->pending_isa = e->isa;
		s->pending_info1 = e->info1;
		s->pending_flags &= ~NVMX_PF_IN_L1_REFL;
	}
	s->state = NVMX_ST_L0_L2_EXIT;
	/* a new L2 exit: an earlier round trip that did not complete is not counted */
	s->rt.phase = NVMX_RT_NONE;
	/* an earlier event still pending means an entry into L2 went unseen: not counted */
	s->vec_pending = 0;
	if (nvmx_vectoring_decode(e->isa, e, &s->vec_type, &s->vec_vector)) {
		s->vec_pending = 1;
		s->vec_reason = e->reason;
		s->vec_isa = e->isa;
		s->vec_vcpu_id = e->vcpu_id;
		s->vec_rip = e->value;
		s->vec_ts = s->pending_ts;
	}
}

/*
 * An exit delivered to L1 (x86: kvm_nested_vmexit_inject; arm64: an exception injected into vEL2
 * from L2's context) of reason (raw) and isa; may_reflect 0: it cannot be the pending exit's
 * reflection (arm64: only a SYNC forwards a trap).
 */
static __always_inline void nvmx_model_inject(struct nvmx_vcpu_state *s, const struct nvmx_event *e,
					      __u32 isa, __u32 reason, __u32 may_reflect,
					      struct nvmx_verdicts *out)
{
	/* only the inject that reflects the pending L2 exit starts a round trip */
	s->rt.phase = NVMX_RT_NONE;

	if (s->state == NVMX_ST_L0_L2_EXIT && (s->pending_flags & NVMX_PF_EXIT)) {
		if (may_reflect &&
		    nvmx_model_basic_reason(isa, reason) ==
			    nvmx_model_basic_reason(s->pending_isa, s->pending_reason)) {
			s->rt.phase = NVMX_RT_INJECTED;
			s->rt.l2_exit_ts = s->pending_ts;
			s->rt.inject_ts = e->ts_ns;
			s->rt.l2_isa = s->pending_isa;
			s->rt.l2_reason = s->pending_reason;
			s->rt.l2_info1 = s->pending_info1;
			s->rt.l2_msr = (s->pending_flags & NVMX_PF_MSR_KNOWN)
					       ? s->pending_msr
					       : NVMX_MODEL_MSR_UNKNOWN;
			s->rt.l1_entry_ts = 0;
			s->rt.vmrun_exit_ts = 0;
			s->rt.l1_service_ns = 0;
			s->rt.l1_overflow = 0;
			s->rt.l1_overflow_ns = 0;
			s->rt.l1_service_cyc = 0;
			s->rt.cyc_cpu = s->pending_cpu;
			s->rt.cyc_ok = s->pending_cyc && e->cycles && e->cpu == s->pending_cpu;
			s->rt.l2_exit_cyc = s->pending_cyc;
			s->rt.inject_cyc = e->cycles;
			NVMX_UNROLL
			for (int i = 0; i < NVMX_RT_L1_REASONS; i++) {
				s->rt.l1_reason[i] = 0;
				s->rt.l1_count[i] = 0;
				s->rt.l1_ns[i] = 0;
			}
			nvmx_model_resolve(s, out, NVMX_V_L2_EXIT, NVMX_V_BY_L1, e->ts_ns);
			s->state = NVMX_ST_REFLECTED;
			return;
		}
		/* another reason: L0 kept the pending exit and made this one up */
		nvmx_model_resolve(s, out, NVMX_V_L2_EXIT, NVMX_V_BY_L0, e->ts_ns);
		nvmx_model_emit(out, NVMX_V_SYNTHESIZED_TO_L1, NVMX_V_BY_NONE, isa, reason,
				NVMX_VF_REFLECTED_PENDING, NVMX_MODEL_MSR_UNKNOWN, e->info1,
				e->ts_ns, e->ts_ns);
		s->state = NVMX_ST_SYNTHESIZED;
		return;
	}
	if (s->state == NVMX_ST_UNKNOWN) {
		/* may be the reflection of an L2 exit we never saw */
		nvmx_model_emit(out, NVMX_V_UNATTRIBUTED, NVMX_V_BY_NONE, isa, reason, 0,
				NVMX_MODEL_MSR_UNKNOWN, e->info1, e->ts_ns, e->ts_ns);
		s->state = NVMX_ST_SYNTHESIZED;
		return;
	}
	/*
	 * No L2 exit pending: an undecided kvm_exit can no longer be followed by
	 * kvm_nested_vmexit (L0 now goes to L1), so it was L1's.
	 */
	if (s->pending_flags & NVMX_PF_EXIT)
		nvmx_model_resolve(s, out, NVMX_V_L1_EXIT, NVMX_V_BY_NONE, e->ts_ns);
	nvmx_model_emit(out, NVMX_V_SYNTHESIZED_TO_L1, NVMX_V_BY_NONE, isa, reason, 0,
			NVMX_MODEL_MSR_UNKNOWN, e->info1, e->ts_ns, e->ts_ns);
	s->state = NVMX_ST_SYNTHESIZED;
}

static __always_inline void nvmx_model_on_inject(struct nvmx_vcpu_state *s,
						 const struct nvmx_event *e,
						 struct nvmx_verdicts *out)
{
	nvmx_model_inject(s, e, e->isa ? e->isa : s->isa, e->reason, 1, out);
}

/*
 * Any exit delivered to L1 while the interrupted event is pending: KVM copies the event into
 * vmcs12's IDT-vectoring info / vmcb12's EXITINTINFO (vmcs12_save_pending_event,
 * nested_svm_vmexit), and the inject record carries that field.
 */
static __always_inline void nvmx_model_vec_on_inject(struct nvmx_vcpu_state *s,
						     const struct nvmx_event *e,
						     struct nvmx_verdicts *out)
{
	__u32 type = 0, vector = 0;

	if (s->vec_pending && nvmx_vectoring_decode(s->vec_isa, e, &type, &vector) &&
	    vector == s->vec_vector)
		nvmx_vec_resolve(s, out, NVMX_VEC_HANDED_TO_L1, e->ts_ns);
}

static __always_inline void nvmx_model_on_vmenter(struct nvmx_vcpu_state *s,
						  const struct nvmx_event *e,
						  struct nvmx_verdicts *out)
{
	__u64 from = e->ts_ns;

	if (s->pending_flags & NVMX_PF_EXIT) {
		if (s->state == NVMX_ST_L0_L1_EXIT) {
			/* L1 executed VMLAUNCH/VMRESUME/VMRUN */
			from = s->pending_ts;
			if (s->rt.phase == NVMX_RT_IN_L1 &&
			    (s->pending_flags & NVMX_PF_IN_L1_REFL)) {
				s->rt.vmrun_exit_ts = s->pending_ts;
				s->rt.phase = NVMX_RT_ENTERING;
				s->rt.cyc_ok =
					nvmx_rt_cyc_same(&s->rt, s->pending_cyc, s->pending_cpu);
				s->rt.vmrun_exit_cyc = s->pending_cyc;
			} else {
				s->rt.phase = NVMX_RT_NONE;
			}
			nvmx_model_resolve(s, out, NVMX_V_L1_EXIT, NVMX_V_BY_NONE, e->ts_ns);
		} else {
			nvmx_model_forget(s, out, e->ts_ns);
		}
	} else {
		s->rt.phase = NVMX_RT_NONE;
	}
	/* latency of a nested entry: from L1's VMRUN/VMRESUME exit to the emulated entry */
	nvmx_model_emit(out, NVMX_V_NESTED_ENTRY, NVMX_V_BY_NONE, e->isa ? e->isa : s->isa, 0, 0,
			NVMX_MODEL_MSR_UNKNOWN, 0, from, e->ts_ns);
	s->state = NVMX_ST_L0_NESTED_ENTRY;
}

static __always_inline void nvmx_model_on_entry(struct nvmx_vcpu_state *s,
						const struct nvmx_event *e,
						struct nvmx_verdicts *out)
{
	switch (s->state) {
	case NVMX_ST_L0_L1_EXIT:
		/* back to the L1 context the exit came from */
		s->state = (s->pending_flags & NVMX_PF_IN_L1_REFL) ? NVMX_ST_L1_REFLECTED
								   : NVMX_ST_L1_RUNNING;
		/* an exit L1 takes in its handler: exit multiplication, L0's time serving it */
		if (s->rt.phase == NVMX_RT_IN_L1 && (s->pending_flags & NVMX_PF_IN_L1_REFL) &&
		    (s->pending_flags & NVMX_PF_EXIT)) {
			nvmx_rt_add_l1_exit(
				&s->rt, nvmx_model_basic_reason(s->pending_isa, s->pending_reason),
				e->ts_ns > s->pending_ts ? e->ts_ns - s->pending_ts : 0);
			s->rt.cyc_ok = nvmx_rt_cyc_same(&s->rt, s->pending_cyc, s->pending_cpu) &&
				       nvmx_rt_cyc_same(&s->rt, e->cycles, e->cpu) &&
				       e->cycles >= s->pending_cyc;
			if (s->rt.cyc_ok)
				s->rt.l1_service_cyc += e->cycles - s->pending_cyc;
		} else
			s->rt.phase = NVMX_RT_NONE;
		/* decided at kvm_entry: latency_ns is L0's handling time (the MSR/port costs) */
		if (s->pending_flags & NVMX_PF_EXIT)
			s->pending_flags |= NVMX_PF_AT_ENTRY;
		nvmx_model_resolve(s, out, NVMX_V_L1_EXIT, NVMX_V_BY_NONE, e->ts_ns);
		break;
	case NVMX_ST_L0_L2_EXIT:
		if (s->pending_flags & NVMX_PF_EXIT)
			s->pending_flags |= NVMX_PF_AT_ENTRY;
		nvmx_model_resolve(s, out, NVMX_V_L2_EXIT, NVMX_V_BY_L0, e->ts_ns);
		s->state = NVMX_ST_L2_RUNNING;
		nvmx_vec_on_l2_entry(s, out, e->ts_ns);
		break;
	case NVMX_ST_L0_NESTED_ENTRY:
		s->state = NVMX_ST_L2_RUNNING;
		if (s->rt.phase == NVMX_RT_ENTERING) {
			__u32 n = out->n;

			/* the round trip is complete: it counts, with every part */
			s->rt.cyc_ok = nvmx_rt_cyc_same(&s->rt, e->cycles, e->cpu) &&
				       e->cycles >= s->rt.vmrun_exit_cyc &&
				       s->rt.vmrun_exit_cyc >= s->rt.l1_entry_cyc &&
				       s->rt.l1_entry_cyc >= s->rt.inject_cyc &&
				       s->rt.inject_cyc >= s->rt.l2_exit_cyc;
			s->rt.l2_entry_cyc = e->cycles;
			if (n < NVMX_MODEL_MAX_VERDICTS) {
				nvmx_model_emit(out, NVMX_V_ROUND_TRIP, NVMX_V_BY_L1, s->rt.l2_isa,
						s->rt.l2_reason, 0, NVMX_MODEL_MSR_UNKNOWN, 0,
						s->rt.l2_exit_ts, e->ts_ns);
				out->v[n & (NVMX_MODEL_MAX_VERDICTS - 1)].rt = s->rt;
			}
		}
		s->rt.phase = NVMX_RT_NONE;
		nvmx_vec_on_l2_entry(s, out, e->ts_ns);
		break;
	case NVMX_ST_REFLECTED:
		if (s->rt.phase == NVMX_RT_INJECTED) {
			s->rt.phase = NVMX_RT_IN_L1;
			s->rt.l1_entry_ts = e->ts_ns;
			s->rt.cyc_ok = nvmx_rt_cyc_same(&s->rt, e->cycles, e->cpu);
			s->rt.l1_entry_cyc = e->cycles;
		} else {
			s->rt.phase = NVMX_RT_NONE;
		}
		s->state = NVMX_ST_L1_REFLECTED;
		break;
	case NVMX_ST_SYNTHESIZED:
		s->state = NVMX_ST_L1_RUNNING;
		break;
	case NVMX_ST_L0_ANY_EXIT:
		/* arm64: an exit whose level nothing told, and an entry that does not tell either */
		nvmx_model_forget(s, out, e->ts_ns);
		break;
	case NVMX_ST_L1_RUNNING:
	case NVMX_ST_L1_REFLECTED:
	case NVMX_ST_L2_RUNNING:
		/* an entry without an exit before it: we missed something */
		nvmx_model_forget(s, out, e->ts_ns);
		break;
	default:
		/* unknown: an entry alone does not say into which level */
		break;
	}
}

/*
 * arm64 (FEAT_NV2, docs/model.md "arm64"). kvm_exit and kvm_entry do not say which level ran:
 * the thread's state does, and only these records set it:
 *  - kvm_nested_eret to EL1/EL0 with L1's HCR_EL2.TGE clear: L0 emulates L1's ERET into L2, the
 *    analogue of kvm_nested_vmenter (the kvm_exit before it, EC ERET, is L1's); to vEL2, or to a
 *    VHE L1's own EL0 (TGE set), L1 stays L1;
 *  - kvm_inject_nested_exception from L2's context (source_mode EL1/EL0, TGE clear): a SYNC of
 *    the pending exit's EC is that L2 exit forwarded to L1, the analogue of
 *    kvm_nested_vmexit_inject; another SYNC, an IRQ, FIQ or SError is an exit L0 made up for L1.
 *    From vEL2 (or TGE set) it is an injection into L1 itself: no exit of L2;
 *  - kvm_forward_sysreg_trap: the pending trap came from L2 (KVM forwards only out of L2).
 * A kvm_exit of a thread whose level is not known (a capture's start, lost events) waits in
 * NVMX_ST_L0_ANY_EXIT for one of these; a kvm_entry first leaves it unattributed. KVM's hyp fast
 * paths (kvm_hyp_handle_eret for L1's ERET within L1, some sysreg and timer traps) handle an exit
 * with no kvm_exit at all: those L1 exits are not seen.
 */
static __always_inline void
nvmx_arm64_on_exit(struct nvmx_vcpu_state *s, const struct nvmx_event *e, struct nvmx_verdicts *out)
{
	__u32 st = s->state;

	/* two exits with no entry between: the earlier one is not guessed, nor the level */
	if ((s->pending_flags & NVMX_PF_EXIT) || st == NVMX_ST_REFLECTED ||
	    st == NVMX_ST_SYNTHESIZED || st == NVMX_ST_L0_NESTED_ENTRY) {
		nvmx_model_forget(s, out, e->ts_ns);
		st = NVMX_ST_UNKNOWN;
	}
	if (st == NVMX_ST_L2_RUNNING) {
		nvmx_model_start_exit(s, e, 0);
		s->state = NVMX_ST_L0_L2_EXIT;
		/* a new L2 exit: an earlier round trip that did not complete is not counted */
		s->rt.phase = NVMX_RT_NONE;
		return;
	}
	if (st == NVMX_ST_L1_RUNNING || st == NVMX_ST_L1_REFLECTED) {
		nvmx_model_start_exit(s, e, st == NVMX_ST_L1_REFLECTED ? NVMX_PF_IN_L1_REFL : 0);
		s->state = NVMX_ST_L0_L1_EXIT;
		return;
	}
	nvmx_model_start_exit(s, e, 0);
	s->state = NVMX_ST_L0_ANY_EXIT;
}

/* A record that says the pending exit came from L2 (an inject from L2's context, a forward). */
static __always_inline void nvmx_arm64_pending_is_l2(struct nvmx_vcpu_state *s)
{
	if ((s->pending_flags & NVMX_PF_EXIT) &&
	    (s->state == NVMX_ST_L0_ANY_EXIT || s->state == NVMX_ST_L0_L1_EXIT)) {
		s->pending_flags &= ~NVMX_PF_IN_L1_REFL;
		s->state = NVMX_ST_L0_L2_EXIT;
		s->rt.phase = NVMX_RT_NONE;
	}
}

static __always_inline void
nvmx_arm64_on_eret(struct nvmx_vcpu_state *s, const struct nvmx_event *e, struct nvmx_verdicts *out)
{
	/* only L1, at vEL2, executes an ERET that L0 emulates: the pending exit is L1's */
	if ((s->pending_flags & NVMX_PF_EXIT) && s->state == NVMX_ST_L0_ANY_EXIT)
		s->state = NVMX_ST_L0_L1_EXIT;
	if (nvmx_arm64_is_l2_context(e->info1 & 0x1f, e->info2)) {
		nvmx_model_on_vmenter(s, e, out);
		return;
	}
	/* L1 returns to itself: the next kvm_entry is into L1 */
	if (s->state == NVMX_ST_UNKNOWN)
		s->state = NVMX_ST_SYNTHESIZED;
}

static __always_inline void nvmx_arm64_on_inject(struct nvmx_vcpu_state *s,
						 const struct nvmx_event *e,
						 struct nvmx_verdicts *out)
{
	__u32 reason = nvmx_arm64_inject_reason(e->reason, e->info1);

	if (nvmx_arm64_is_l2_context(e->intr_info, e->info2)) {
		nvmx_arm64_pending_is_l2(s);
		nvmx_model_inject(s, e, NVMX_EV_ISA_ARM64, reason, e->reason == NVMX_ARM64_INJ_SYNC,
				  out);
		return;
	}
	/*
	 * Into L1 itself: an exit pending is L1's, decided at its kvm_entry as any L1 exit (the
	 * injection is part of L0's handling of it); L0 delivering to L1 stays so.
	 */
	if ((s->pending_flags & NVMX_PF_EXIT) && s->state == NVMX_ST_L0_ANY_EXIT)
		s->state = NVMX_ST_L0_L1_EXIT;
	else if (s->state == NVMX_ST_L0_L2_EXIT || s->state == NVMX_ST_L0_NESTED_ENTRY ||
		 s->state == NVMX_ST_L2_RUNNING || s->state == NVMX_ST_L1_RUNNING ||
		 s->state == NVMX_ST_L1_REFLECTED) {
		/* L2's exit pending, L2 entered or no exit before: something was missed */
		nvmx_model_forget(s, out, e->ts_ns);
		s->state = NVMX_ST_SYNTHESIZED;
	} else if (s->state == NVMX_ST_UNKNOWN)
		s->state = NVMX_ST_SYNTHESIZED;
	nvmx_model_emit(out, NVMX_V_INJECTED_TO_L1, NVMX_V_BY_NONE, NVMX_EV_ISA_ARM64, reason, 0,
			NVMX_MODEL_MSR_UNKNOWN, e->info1, e->ts_ns, e->ts_ns);
}

/*
 * Feeds one event of this thread to the model. out->n is reset; 0..NVMX_MODEL_MAX_VERDICTS
 * verdicts are written, in the order they happened, for the caller to count.
 */
static __always_inline void nvmx_model_step(struct nvmx_vcpu_state *s, const struct nvmx_event *e,
					    struct nvmx_verdicts *out)
{
	out->n = 0;
	if (e->isa)
		s->isa = e->isa;
	switch (e->kind) {
	case NVMX_EV_EXIT:
		if (e->isa == NVMX_EV_ISA_ARM64)
			nvmx_arm64_on_exit(s, e, out);
		else
			nvmx_model_on_exit(s, e, out);
		break;
	case NVMX_EV_NESTED_ERET:
		nvmx_arm64_on_eret(s, e, out);
		break;
	case NVMX_EV_INJECT_NESTED_EXC:
		nvmx_arm64_on_inject(s, e, out);
		break;
	case NVMX_EV_FORWARD_SYSREG_TRAP:
		nvmx_arm64_pending_is_l2(s);
		break;
	case NVMX_EV_NESTED_VMEXIT:
		nvmx_model_on_nested_vmexit(s, e, out);
		break;
	case NVMX_EV_NESTED_VMEXIT_INJECT:
		nvmx_model_on_inject(s, e, out);
		nvmx_model_vec_on_inject(s, e, out);
		break;
	case NVMX_EV_INJ_VIRQ:
	case NVMX_EV_INJ_EXCEPTION:
		/*
		 * L0 puts the interrupted event back before it enters L2 again
		 * (kvm_x86_ops.inject_irq / kvm_inject_exception with reinjected set). Only while
		 * L0 handles the L2 exit or emulates L1's entry: L1's own events are not it.
		 */
		if (s->vec_pending && (e->flags & NVMX_EV_F_REINJECTED) &&
		    e->reason == s->vec_vector &&
		    (s->state == NVMX_ST_L0_L2_EXIT || s->state == NVMX_ST_L0_NESTED_ENTRY))
			nvmx_vec_resolve(s, out, NVMX_VEC_REINJECTED_L2, e->ts_ns);
		break;
	case NVMX_EV_NESTED_VMENTER:
		nvmx_model_on_vmenter(s, e, out);
		break;
	case NVMX_EV_NESTED_VMENTER_FAILED:
		/*
		 * The failure is reported by an inject (VMX: INVALID_STATE | FAILED_VMENTRY) or
		 * by VMfail into L1, which the entry/inject rules already handle.
		 */
		nvmx_model_emit(out, NVMX_V_NESTED_ENTRY_FAILED, NVMX_V_BY_NONE, s->isa, 0, 0,
				NVMX_MODEL_MSR_UNKNOWN, 0, e->ts_ns, e->ts_ns);
		s->rt.phase = NVMX_RT_NONE;
		break;
	case NVMX_EV_ENTRY:
		nvmx_model_on_entry(s, e, out);
		break;
	case NVMX_EV_USERSPACE_EXIT:
		if (s->pending_flags & NVMX_PF_EXIT)
			s->pending_flags |= NVMX_PF_TO_USERSPACE;
		break;
	case NVMX_EV_MSR:
		/* the index of an L0-emulated RDMSR/WRMSR: only the first one belongs to the exit */
		if ((s->pending_flags & NVMX_PF_EXIT) && !(s->pending_flags & NVMX_PF_MSR_KNOWN)) {
			s->pending_msr = e->msr;
			s->pending_flags |= NVMX_PF_MSR_KNOWN;
		}
		break;
	case NVMX_EV_GUEST_RCX: {
		__u32 write;

		/*
		 * RCX at an L2 exit: the index of a pending RDMSR/WRMSR, known before L0 decides
		 * (a kvm_msr of an L0-handled access names the same index).
		 */
		if ((s->pending_flags & NVMX_PF_EXIT) && !(s->pending_flags & NVMX_PF_MSR_KNOWN) &&
		    nvmx_exit_msr_access(s->pending_isa,
					 nvmx_model_basic_reason(s->pending_isa, s->pending_reason),
					 s->pending_info1, &write)) {
			s->pending_msr = e->msr;
			s->pending_flags |= NVMX_PF_MSR_KNOWN;
		}
		break;
	}
	case NVMX_EV_LOST:
	case NVMX_EV_END:
		/*
		 * kvm_nested_vmexit fires first thing in L0's exit handler; once the handler went
		 * on (kvm_msr, out to the VMM) without it, the exit was L1's even though no
		 * kvm_entry follows (typically the last exit of a capture).
		 */
		if (s->state == NVMX_ST_L0_L1_EXIT &&
		    (s->pending_flags & (NVMX_PF_TO_USERSPACE | NVMX_PF_MSR_KNOWN)))
			nvmx_model_resolve(s, out, NVMX_V_L1_EXIT, NVMX_V_BY_NONE, e->ts_ns);
		nvmx_model_forget(s, out, e->ts_ns);
		break;
	default:
		/* kvm_nested_intr_vmexit: the inject that follows it says everything */
		break;
	}
}

#endif /* NVMX_MODEL_H */
