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
#define NVMX_ST_COUNT		9u

/* What a verdict says. Mapped onto enum nvmx_kind / nvmx_handler of summary.h in lib/. */
#define NVMX_V_L2_EXIT		   0u /* an L2 exit; handled_by says who */
#define NVMX_V_L1_EXIT		   1u
#define NVMX_V_SYNTHESIZED_TO_L1   2u
#define NVMX_V_NESTED_ENTRY	   3u
#define NVMX_V_UNATTRIBUTED	   4u /* an exit or inject the model cannot attribute */
#define NVMX_V_NESTED_ENTRY_FAILED 5u /* kvm_nested_vmenter_failed */

#define NVMX_V_BY_NONE 0u
#define NVMX_V_BY_L0   1u
#define NVMX_V_BY_L1   2u

/* verdict flags */
#define NVMX_VF_MSR_KNOWN	  0x1u /* msr holds the index (from the kvm_msr that followed) */
#define NVMX_VF_TO_USERSPACE	  0x2u /* the exit went out to the VMM (kvm_userspace_exit) */
#define NVMX_VF_IN_L1_REFLECTED	  0x4u /* an L1 exit taken while L1 handled a reflected exit */
#define NVMX_VF_REFLECTED_PENDING 0x8u /* synthesised while another L2 exit was pending */

#define NVMX_MODEL_MSR_UNKNOWN 0xffffffffu

struct nvmx_verdict {
	__u32 kind;	  /* NVMX_V_* */
	__u32 handled_by; /* NVMX_V_BY_*, for NVMX_V_L2_EXIT */
	__u32 isa;	  /* NVMX_EV_ISA_* */
	__u32 reason;	  /* basic exit reason (VMX: bits 15:0) */
	__u32 raw_reason; /* as recorded, with the VMX flag bits */
	__u32 flags;	  /* NVMX_VF_* */
	__u32 msr;	  /* MSR index when NVMX_VF_MSR_KNOWN */
	__u32 pad;
	__u64 info1; /* info1 of the exit (SVM EXITINFO1 / VMX qualification): ports, MSR r/w */
	__u64 ts_ns; /* when the exit happened (kvm_exit, else the record that made it) */
	__u64 latency_ns; /* exit until the decision: kvm_entry (L0, L1 exits), inject (reflected) */
};

#define NVMX_MODEL_MAX_VERDICTS 4

struct nvmx_verdicts {
	__u32 n;
	__u32 pad;
	struct nvmx_verdict v[NVMX_MODEL_MAX_VERDICTS];
};

/* pending flags */
#define NVMX_PF_EXIT	     0x1u /* an exit is pending (kvm_exit or kvm_nested_vmexit seen) */
#define NVMX_PF_MSR_KNOWN    0x2u /* a kvm_msr followed the pending exit */
#define NVMX_PF_TO_USERSPACE 0x4u /* the pending exit went out to the VMM */
#define NVMX_PF_IN_L1_REFL   0x8u /* the pending exit was taken while L1 handled a reflected one */

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
};

static __always_inline __u32 nvmx_model_basic_reason(__u32 isa, __u32 raw)
{
	return isa == NVMX_EV_ISA_VMX ? (raw & NVMX_VMX_BASIC_REASON_MASK) : raw;
}

static __always_inline void nvmx_model_emit(struct nvmx_verdicts *out, __u32 kind, __u32 by,
					    __u32 isa, __u32 raw_reason, __u32 flags, __u32 msr,
					    __u64 info1, __u64 ts, __u64 now)
{
	struct nvmx_verdict *v;
	__u32 n = out->n;

	/* The bound check keeps the BPF verifier happy; no step emits more than the maximum. */
	if (n >= NVMX_MODEL_MAX_VERDICTS)
		return;
	v = &out->v[n];
	v->kind = kind;
	v->handled_by = by;
	v->isa = isa;
	v->reason = nvmx_model_basic_reason(isa, raw_reason);
	v->raw_reason = raw_reason;
	v->flags = flags;
	v->msr = msr;
	v->pad = 0;
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
}

static __always_inline void nvmx_model_on_inject(struct nvmx_vcpu_state *s,
						 const struct nvmx_event *e,
						 struct nvmx_verdicts *out)
{
	__u32 isa = e->isa ? e->isa : s->isa;

	if (s->state == NVMX_ST_L0_L2_EXIT && (s->pending_flags & NVMX_PF_EXIT)) {
		if (nvmx_model_basic_reason(isa, e->reason) ==
		    nvmx_model_basic_reason(s->pending_isa, s->pending_reason)) {
			nvmx_model_resolve(s, out, NVMX_V_L2_EXIT, NVMX_V_BY_L1, e->ts_ns);
			s->state = NVMX_ST_REFLECTED;
			return;
		}
		/* another reason: L0 kept the pending exit and made this one up */
		nvmx_model_resolve(s, out, NVMX_V_L2_EXIT, NVMX_V_BY_L0, e->ts_ns);
		nvmx_model_emit(out, NVMX_V_SYNTHESIZED_TO_L1, NVMX_V_BY_NONE, isa, e->reason,
				NVMX_VF_REFLECTED_PENDING, NVMX_MODEL_MSR_UNKNOWN, e->info1,
				e->ts_ns, e->ts_ns);
		s->state = NVMX_ST_SYNTHESIZED;
		return;
	}
	if (s->state == NVMX_ST_UNKNOWN) {
		/* may be the reflection of an L2 exit we never saw */
		nvmx_model_emit(out, NVMX_V_UNATTRIBUTED, NVMX_V_BY_NONE, isa, e->reason, 0,
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
	nvmx_model_emit(out, NVMX_V_SYNTHESIZED_TO_L1, NVMX_V_BY_NONE, isa, e->reason, 0,
			NVMX_MODEL_MSR_UNKNOWN, e->info1, e->ts_ns, e->ts_ns);
	s->state = NVMX_ST_SYNTHESIZED;
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
			nvmx_model_resolve(s, out, NVMX_V_L1_EXIT, NVMX_V_BY_NONE, e->ts_ns);
		} else {
			nvmx_model_forget(s, out, e->ts_ns);
		}
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
		nvmx_model_resolve(s, out, NVMX_V_L1_EXIT, NVMX_V_BY_NONE, e->ts_ns);
		break;
	case NVMX_ST_L0_L2_EXIT:
		nvmx_model_resolve(s, out, NVMX_V_L2_EXIT, NVMX_V_BY_L0, e->ts_ns);
		s->state = NVMX_ST_L2_RUNNING;
		break;
	case NVMX_ST_L0_NESTED_ENTRY:
		s->state = NVMX_ST_L2_RUNNING;
		break;
	case NVMX_ST_REFLECTED:
		s->state = NVMX_ST_L1_REFLECTED;
		break;
	case NVMX_ST_SYNTHESIZED:
		s->state = NVMX_ST_L1_RUNNING;
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
		nvmx_model_on_exit(s, e, out);
		break;
	case NVMX_EV_NESTED_VMEXIT:
		nvmx_model_on_nested_vmexit(s, e, out);
		break;
	case NVMX_EV_NESTED_VMEXIT_INJECT:
		nvmx_model_on_inject(s, e, out);
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

/*
 * Exit decoding both sides need. MSR: SVM EXITINFO1 0 = RDMSR, 1 = WRMSR (APM vol. 2, 15.11);
 * VMX has separate reasons. I/O: SVM IOIO EXITINFO1 (APM 15.10.2): port 31:16, IN = bit 0,
 * SZ8/16/32 = bits 4..6; VMX exit qualification (SDM table 28-5): size-1 in 2:0, IN = bit 3,
 * port 31:16.
 */
#define NVMX_SVM_EXIT_IOIO	0x07bu
#define NVMX_SVM_EXIT_MSR	0x07cu
#define NVMX_VMX_EXIT_IO	30u
#define NVMX_VMX_EXIT_MSR_READ	31u
#define NVMX_VMX_EXIT_MSR_WRITE 32u

/* 1 if the exit is an MSR access (write set to 1 for WRMSR), else 0. */
static __always_inline int nvmx_exit_msr_access(__u32 isa, __u32 reason, __u64 info1, __u32 *write)
{
	if (isa == NVMX_EV_ISA_SVM && reason == NVMX_SVM_EXIT_MSR) {
		*write = (info1 & 1) ? 1 : 0;
		return 1;
	}
	if (isa == NVMX_EV_ISA_VMX &&
	    (reason == NVMX_VMX_EXIT_MSR_READ || reason == NVMX_VMX_EXIT_MSR_WRITE)) {
		*write = reason == NVMX_VMX_EXIT_MSR_WRITE;
		return 1;
	}
	return 0;
}

/* 1 if the exit is port I/O, with its port, direction and size in bytes; else 0. */
static __always_inline int nvmx_exit_io(__u32 isa, __u32 reason, __u64 info1, __u32 *port,
					__u32 *in, __u32 *size)
{
	if (isa == NVMX_EV_ISA_SVM && reason == NVMX_SVM_EXIT_IOIO) {
		*port = (info1 >> 16) & 0xffff;
		*in = info1 & 1;
		*size = (info1 & 0x10) ? 1 : (info1 & 0x20) ? 2 : (info1 & 0x40) ? 4 : 0;
		return 1;
	}
	if (isa == NVMX_EV_ISA_VMX && reason == NVMX_VMX_EXIT_IO) {
		*port = (info1 >> 16) & 0xffff;
		*in = (info1 >> 3) & 1;
		*size = (info1 & 7) + 1;
		return 1;
	}
	return 0;
}

#endif /* NVMX_MODEL_H */
