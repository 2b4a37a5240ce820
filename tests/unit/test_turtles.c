// SPDX-License-Identifier: GPL-2.0
/*
 * The Turtles breakdown and interrupted event deliveries (include/nvmx/model.h): the breakdown of
 * a real capture excerpt computed by hand, and event outcomes on short sequences written out in
 * the test. Timestamps are ns; thread 100.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "model_helpers.h"
#include "nvmx/counts.h"
#include "nvmx/breakdown.h"
#include "nvmx/counted.h"
#include "nvmx/counters.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/replay.h"

#define SVM_EXCP_GP 0x04du
#define SVM_NPF	    0x400u
#define VMX_EXCP    0u
#define VMX_EPT	    48u

/*
 * tests/data/turtles-excerpt/trace.txt, by hand (tracefs µs timestamps, so every value is a
 * multiple of 1000 ns):
 *  cpuid: exit 7.427822, inject 7.427886, L1 entry 7.427923, L1 interrupt exit 7.428222 ->
 *         entry 7.428256 (34 µs), vmrun exit 7.428352, L2 entry 7.428522
 *  msr:   exit 7.428614 -> entry 7.428708, L0-handled (94 µs)
 *  io:    exit 7.428795, inject 7.428865, L1 entry 7.428905, vmrun exit 7.428995, L2 entry 7.429157
 *  hypercall: exit 7.429247, inject 7.429311, L1 entry 7.429349, vmrun exit 7.429463,
 *         L2 entry 7.429612
 *  cpuid: exit 7.429705, inject 7.429769, L1 entry 7.429807, L1 interrupt exit 7.429850 ->
 *         7.429870, and the capture ends: incomplete, nothing of it counts.
 * The first lines (a vmrun exit whose round trip began before the excerpt) count nothing either.
 */
struct want {
	uint32_t reason;
	uint64_t rt, l0_exit, l0_reflect, l1_handler, l1_service, l0_entry;
};

Test(turtles, breakdown_of_a_capture_excerpt_is_the_hand_computed_one)
{
	static const struct want want[] = {
		/* 700 = 64 + 37 + (429 - 34) + 34 + 170 */
		{ SVM_CPUID, 700000, 64000, 37000, 395000, 34000, 170000 },
		/* 362 = 70 + 40 + 90 + 0 + 162 */
		{ SVM_IOIO, 362000, 70000, 40000, 90000, 0, 162000 },
		/* 365 = 64 + 38 + 114 + 0 + 149 */
		{ SVM_VMMCALL, 365000, 64000, 38000, 114000, 0, 149000 },
	};
	struct nvmx_summary *s = NULL;
	const struct nvmx_bd_entry *e;

	cr_assert_eq(
		nvmx_replay_path(NVMX_TEST_DATA "/turtles-excerpt/trace.txt", &s, NULL, stderr), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct want *w = &want[i];

		e = nvmx_summary_breakdown_find(s, SVM, w->reason, NVMX_BD_ROUND_TRIP);
		cr_assert(e, "reason 0x%x", w->reason);
		cr_assert_eq(e->count, 1, "reason 0x%x: one complete round trip", w->reason);
		cr_assert_eq(e->sum_ns[NVMX_RT_ROUND_TRIP], w->rt);
		cr_assert_eq(e->sum_ns[NVMX_RT_L0_EXIT], w->l0_exit);
		cr_assert_eq(e->sum_ns[NVMX_RT_L0_REFLECT], w->l0_reflect);
		cr_assert_eq(e->sum_ns[NVMX_RT_L1_HANDLER], w->l1_handler);
		cr_assert_eq(e->sum_ns[NVMX_RT_L1_EXIT_SERVICE], w->l1_service);
		cr_assert_eq(e->sum_ns[NVMX_RT_L0_ENTRY_EMULATION], w->l0_entry);
	}
	/* the cpuid round trip's one L1 interrupt exit; the incomplete one's is not counted */
	e = nvmx_summary_breakdown_find(s, SVM, SVM_CPUID, NVMX_BD_ROUND_TRIP);
	cr_assert_eq(e->n_l1, 1);
	cr_assert_eq(e->l1[0].reason, SVM_INTR);
	cr_assert_eq(e->l1[0].count, 1);
	e = nvmx_summary_breakdown_find(s, SVM, SVM_MSR, NVMX_BD_L0_HANDLED);
	cr_assert(e);
	cr_assert_eq(e->count, 1);
	cr_assert_eq(e->sum_ns[0], 94000);
	nvmx_summary_free(s);
}

/* A thread in L2 (L1 entered it with VMRUN/VMRESUME). */
static struct nvmx_vcpu_state in_l2(__u32 isa)
{
	struct nvmx_vcpu_state s = { 0 };

	feed(&s, EXIT(1, isa, isa == SVM ? SVM_CPUID : VMX_CPUID));
	feed(&s, ENTRY(2));
	feed(&s, EXIT(3, isa, isa == SVM ? SVM_VMRUN : VMX_VMRESUME));
	feed(&s, VMENTER(4, isa));
	feed(&s, ENTRY(5));
	cr_assert_eq(s.state, NVMX_ST_L2_RUNNING);
	return s;
}

/* Finds the verdict of kind in out, or fails. */
static const struct nvmx_verdict *verdict(const struct nvmx_verdicts *out, __u32 kind)
{
	for (__u32 i = 0; i < out->n; i++)
		if (out->v[i].kind == kind)
			return &out->v[i];
	cr_assert_fail("no verdict of kind %u among %u", kind, out->n);
	return NULL;
}

static bool has_verdict(const struct nvmx_verdicts *out, __u32 kind)
{
	for (__u32 i = 0; i < out->n; i++)
		if (out->v[i].kind == kind)
			return true;
	return false;
}

/* An L2 exit whose record carries vectoring info (VMX info2, SVM intr_info) and a rip. */
static struct nvmx_event vexit(__u32 kind, __u64 ts, __u32 isa, __u32 reason, __u32 vectoring)
{
	struct nvmx_event e = ev(kind, ts, isa, reason, 0);

	if (isa == VMX)
		e.info2 = vectoring;
	else
		e.intr_info = vectoring;
	e.vcpu_id = 3;
	e.value = 0x401000;
	return e;
}

static struct nvmx_event inj(__u32 kind, __u64 ts, __u32 vector, bool reinjected)
{
	struct nvmx_event e = ev(kind, ts, 0, vector, 0);

	e.flags = reinjected ? NVMX_EV_F_REINJECTED : 0;
	return e;
}

Test(turtles, an_event_neither_reinjected_nor_handed_to_l1_is_reported_lost)
{
	struct nvmx_vcpu_state s = in_l2(SVM);
	const struct nvmx_verdicts *out;
	const struct nvmx_verdict *v;
	struct nvmx_summary *sum = nvmx_summary_new();

	/* #PF (hw exception 14, error code valid) interrupted by an NPF L0 handles */
	feed(&s, vexit(NVMX_EV_EXIT, 10, SVM, SVM_NPF, 0x80000b0e));
	feed(&s, vexit(NVMX_EV_NESTED_VMEXIT, 11, SVM, SVM_NPF, 0x80000b0e));
	/* an injection that is not a reinjection does not count */
	feed(&s, inj(NVMX_EV_INJ_EXCEPTION, 12, 14, false));
	out = feed(&s, ENTRY(20));
	v = verdict(out, NVMX_V_VECTORING);
	cr_assert_eq(v->vec_outcome, NVMX_VEC_LOST);
	cr_assert_eq(v->vec_type, NVMX_VEC_HW_EXCEPTION);
	cr_assert_eq(v->vec_vector, 14);
	cr_assert_eq(v->reason, SVM_NPF);
	cr_assert_eq(v->vcpu_id, 3);
	cr_assert_eq(v->info1, 0x401000, "the rip");
	cr_assert_eq(v->ts_ns, 10);
	cr_assert_eq(nvmx_summary_add_verdict(sum, v), 0);
	cr_assert_eq(
		nvmx_summary_vectoring_count(sum, SVM, NVMX_VEC_HW_EXCEPTION, 14, NVMX_VEC_LOST),
		1);
	nvmx_summary_free(sum);
}

Test(turtles, a_reinjected_event_is_reinjected_l2)
{
	struct nvmx_vcpu_state s = in_l2(SVM);
	const struct nvmx_verdicts *out;

	feed(&s, vexit(NVMX_EV_EXIT, 10, SVM, SVM_NPF, 0x80000030));
	feed(&s, vexit(NVMX_EV_NESTED_VMEXIT, 11, SVM, SVM_NPF, 0x80000030));
	out = feed(&s, inj(NVMX_EV_INJ_VIRQ, 15, 0x30, true));
	cr_assert_eq(verdict(out, NVMX_V_VECTORING)->vec_outcome, NVMX_VEC_REINJECTED_L2);
	cr_assert_eq(verdict(out, NVMX_V_VECTORING)->vec_type, NVMX_VEC_EXT_INTR);
	out = feed(&s, ENTRY(20));
	cr_assert_not(has_verdict(out, NVMX_V_VECTORING), "decided once");
}

/*
 * The lab's reinject element: #DE (hw exception 0) interrupted by an NPF L0 handles. KVM traces
 * the reinjection again each time it cancels the entry before it (svm_cancel_injection requeues
 * the event: need_resched, a signal): measured 1,384 "#DE [reinjected]" lines for 1,000 events.
 * The event is counted once, at the first.
 */
Test(turtles, a_reinjection_traced_again_after_a_cancelled_entry_counts_once)
{
	struct nvmx_vcpu_state s = in_l2(SVM);
	const struct nvmx_verdicts *out;

	feed(&s, vexit(NVMX_EV_EXIT, 10, SVM, SVM_NPF, 0x80000300));
	feed(&s, vexit(NVMX_EV_NESTED_VMEXIT, 11, SVM, SVM_NPF, 0x80000300));
	out = feed(&s, inj(NVMX_EV_INJ_EXCEPTION, 15, 0, true));
	cr_assert_eq(verdict(out, NVMX_V_VECTORING)->vec_outcome, NVMX_VEC_REINJECTED_L2);
	cr_assert_eq(verdict(out, NVMX_V_VECTORING)->vec_type, NVMX_VEC_HW_EXCEPTION);
	cr_assert_eq(verdict(out, NVMX_V_VECTORING)->vec_vector, 0);
	out = feed(&s, inj(NVMX_EV_INJ_EXCEPTION, 16, 0, true));
	cr_assert_not(has_verdict(out, NVMX_V_VECTORING), "the second trace is the same event");
	out = feed(&s, inj(NVMX_EV_INJ_EXCEPTION, 17, 0, true));
	cr_assert_not(has_verdict(out, NVMX_V_VECTORING));
	out = feed(&s, ENTRY(20));
	cr_assert_not(has_verdict(out, NVMX_V_VECTORING), "decided once");
}

Test(turtles, an_event_in_the_reflecting_inject_is_handed_to_l1)
{
	struct nvmx_vcpu_state s = in_l2(SVM);
	const struct nvmx_verdicts *out;
	const struct nvmx_verdict *v;

	/* the lab's vectoring element: #GP during INT 0x21, L1 intercepts #GP */
	feed(&s, vexit(NVMX_EV_EXIT, 10, SVM, SVM_EXCP_GP, 0x80000421));
	feed(&s, vexit(NVMX_EV_NESTED_VMEXIT, 11, SVM, SVM_EXCP_GP, 0x80000421));
	out = feed(&s, vexit(NVMX_EV_NESTED_VMEXIT_INJECT, 30, SVM, SVM_EXCP_GP, 0x80000421));
	v = verdict(out, NVMX_V_VECTORING);
	cr_assert_eq(v->vec_outcome, NVMX_VEC_HANDED_TO_L1);
	cr_assert_eq(v->vec_type, NVMX_VEC_SW_INTERRUPT);
	cr_assert_eq(v->vec_vector, 0x21);
	cr_assert_eq(verdict(out, NVMX_V_L2_EXIT)->handled_by, NVMX_V_BY_L1);
}

Test(turtles, an_nmi_not_handed_to_l1_is_not_counted)
{
	struct nvmx_vcpu_state s = in_l2(SVM);
	const struct nvmx_verdicts *out;

	/* KVM reinjects NMIs with no tracepoint: lost cannot be told from reinjected */
	feed(&s, vexit(NVMX_EV_EXIT, 10, SVM, SVM_NPF, 0x80000202));
	feed(&s, vexit(NVMX_EV_NESTED_VMEXIT, 11, SVM, SVM_NPF, 0x80000202));
	out = feed(&s, ENTRY(20));
	cr_assert_not(has_verdict(out, NVMX_V_VECTORING));
}

/* VMX IDT-vectoring info (SDM 25.9.3): bit 31 valid, type in bits 10:8, vector in 7:0. */
Test(turtles, vmx_idt_vectoring_types_decode)
{
	static const struct {
		__u32 info, type, vector;
	} cases[] = {
		{ 0x80000030, NVMX_VEC_EXT_INTR, 0x30 },
		{ 0x80000202, NVMX_VEC_NMI, 2 },
		{ 0x80000b0e, NVMX_VEC_HW_EXCEPTION, 14 },
		{ 0x80000421, NVMX_VEC_SW_INTERRUPT, 0x21 },
		{ 0x80000501, NVMX_VEC_SW_EXCEPTION, 1 },
		{ 0x80000603, NVMX_VEC_SW_EXCEPTION, 3 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nvmx_event e = vexit(NVMX_EV_EXIT, 1, VMX, VMX_EXCP, cases[i].info);
		__u32 type = 99, vector = 99;

		cr_assert_eq(nvmx_vectoring_decode(VMX, &e, &type, &vector), 1, "0x%x",
			     cases[i].info);
		cr_assert_eq(type, cases[i].type, "0x%x", cases[i].info);
		cr_assert_eq(vector, cases[i].vector, "0x%x", cases[i].info);
		/* the same bits in SVM's EXITINTINFO field are not VMX's */
		e.intr_info = 0;
		cr_assert_eq(nvmx_vectoring_decode(SVM, &e, &type, &vector), 0);
	}
}

Test(turtles, vmx_invalid_or_reserved_vectoring_is_no_event)
{
	struct nvmx_event e = vexit(NVMX_EV_EXIT, 1, VMX, VMX_EXCP, 0x00000421); /* not valid */
	__u32 type, vector;

	cr_assert_eq(nvmx_vectoring_decode(VMX, &e, &type, &vector), 0);
	e.info2 = 0x80000130; /* type 1: reserved */
	cr_assert_eq(nvmx_vectoring_decode(VMX, &e, &type, &vector), 0);
	e.info2 = 0x80000730; /* type 7: other event, never vectoring */
	cr_assert_eq(nvmx_vectoring_decode(VMX, &e, &type, &vector), 0);
}

Test(turtles, vmx_event_handed_to_l1_in_the_inject_exit_info2)
{
	struct nvmx_vcpu_state s = in_l2(VMX);
	const struct nvmx_verdicts *out;
	const struct nvmx_verdict *v;

	/* EPT violation during the delivery of #PF, reflected: vmcs12 idt_vectoring_info */
	feed(&s, vexit(NVMX_EV_EXIT, 10, VMX, VMX_EPT, 0x80000b0e));
	feed(&s, vexit(NVMX_EV_NESTED_VMEXIT, 11, VMX, VMX_EPT, 0x80000b0e));
	out = feed(&s, vexit(NVMX_EV_NESTED_VMEXIT_INJECT, 40, VMX, VMX_EPT, 0x80000b0e));
	v = verdict(out, NVMX_V_VECTORING);
	cr_assert_eq(v->vec_outcome, NVMX_VEC_HANDED_TO_L1);
	cr_assert_eq(v->isa, VMX);
	cr_assert_eq(v->vec_type, NVMX_VEC_HW_EXCEPTION);
}

Test(turtles, vmx_event_handed_to_l1_by_a_synthesised_exit)
{
	struct nvmx_vcpu_state s = in_l2(VMX);
	const struct nvmx_verdicts *out;

	/* L0 keeps the EPT violation, then synthesises an interrupt exit carrying the event */
	feed(&s, vexit(NVMX_EV_EXIT, 10, VMX, VMX_EPT, 0x80000030));
	feed(&s, vexit(NVMX_EV_NESTED_VMEXIT, 11, VMX, VMX_EPT, 0x80000030));
	out = feed(&s, vexit(NVMX_EV_NESTED_VMEXIT_INJECT, 40, VMX, VMX_EXTINT, 0x80000030));
	cr_assert(has_verdict(out, NVMX_V_SYNTHESIZED_TO_L1));
	cr_assert_eq(verdict(out, NVMX_V_VECTORING)->vec_outcome, NVMX_VEC_HANDED_TO_L1);
}

Test(turtles, vmx_reinjected_exception_before_the_l2_entry)
{
	struct nvmx_vcpu_state s = in_l2(VMX);
	const struct nvmx_verdicts *out;

	feed(&s, vexit(NVMX_EV_EXIT, 10, VMX, VMX_EPT, 0x80000603)); /* INT3 */
	feed(&s, vexit(NVMX_EV_NESTED_VMEXIT, 11, VMX, VMX_EPT, 0x80000603));
	/* another vector is not this event */
	out = feed(&s, inj(NVMX_EV_INJ_EXCEPTION, 12, 6, true));
	cr_assert_not(has_verdict(out, NVMX_V_VECTORING));
	out = feed(&s, inj(NVMX_EV_INJ_EXCEPTION, 13, 3, true));
	cr_assert_eq(verdict(out, NVMX_V_VECTORING)->vec_outcome, NVMX_VEC_REINJECTED_L2);
	cr_assert_eq(verdict(out, NVMX_V_VECTORING)->vec_type, NVMX_VEC_SW_EXCEPTION);
}

Test(turtles, lost_events_forget_a_pending_event_and_round_trip)
{
	struct nvmx_vcpu_state s = in_l2(SVM);
	const struct nvmx_verdicts *out;

	feed(&s, vexit(NVMX_EV_EXIT, 10, SVM, SVM_CPUID, 0x80000b0e));
	feed(&s, vexit(NVMX_EV_NESTED_VMEXIT, 11, SVM, SVM_CPUID, 0x80000b0e));
	feed(&s, INJECT(20, SVM, SVM_CPUID));
	feed(&s, ENTRY(30));
	feed(&s, LOST(40));
	feed(&s, EXIT(50, SVM, SVM_VMRUN));
	feed(&s, VMENTER(60, SVM));
	out = feed(&s, ENTRY(70));
	cr_assert_not(has_verdict(out, NVMX_V_ROUND_TRIP));
	cr_assert_not(has_verdict(out, NVMX_V_VECTORING));
}

/* SVM exit codes of the L1 exits real KVM takes in its handler (AMD APM vol. 2, appendix C) */
#define SVM_RDTSC  0x06eu
#define SVM_HLT	   0x078u
#define SVM_VMLOAD 0x082u
#define SVM_VMSAVE 0x083u
#define SVM_STGI   0x084u
#define SVM_CLGI   0x085u

/*
 * One reflected CPUID round trip whose handler takes the L1 exits l1[] (exit i: kvm_exit at
 * 200 + 100 i, kvm_entry ns[i] later), then VMRUN at 5000 and the entry into L2 at 5100.
 */
static struct nvmx_verdict round_trip_with(const __u32 *l1, const __u64 *ns, size_t n)
{
	struct nvmx_vcpu_state s = in_l2(SVM);
	const struct nvmx_verdicts *out;

	feed(&s, EXIT(100, SVM, SVM_CPUID));
	feed(&s, NESTED(101, SVM, SVM_CPUID));
	feed(&s, INJECT(110, SVM, SVM_CPUID));
	feed(&s, ENTRY(120));
	for (size_t i = 0; i < n; i++) {
		cr_assert_lt(ns[i], 100);
		feed(&s, EXIT(200 + 100 * i, SVM, l1[i]));
		feed(&s, ENTRY(200 + 100 * i + ns[i]));
	}
	feed(&s, EXIT(5000, SVM, SVM_VMRUN));
	feed(&s, VMENTER(5050, SVM));
	out = feed(&s, ENTRY(5100));
	return *verdict(out, NVMX_V_ROUND_TRIP);
}

/* The slot of reason in a round trip, or fails. */
static int rt_slot(const struct nvmx_round_trip *rt, __u32 reason)
{
	for (int i = 0; i < NVMX_RT_L1_REASONS; i++)
		if (rt->l1_count[i] && rt->l1_reason[i] == reason)
			return i;
	cr_assert_fail("L1 reason 0x%x has no slot", reason);
	return -1;
}

Test(turtles, more_distinct_l1_reasons_than_slots_overflow_with_their_count_and_time)
{
	/* eleven distinct reasons, then a repeat of the first and of an overflowed one */
	static const __u32 l1[] = { SVM_CPUID,	SVM_MSR,    SVM_IOIO, SVM_INTR, SVM_NPF,
				    SVM_VMSAVE, SVM_VMLOAD, SVM_STGI, SVM_CLGI, SVM_HLT,
				    SVM_RDTSC,	SVM_CPUID,  SVM_HLT };
	static const __u64 ns[] = { 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 31, 41 };
	const size_t n = sizeof(l1) / sizeof(l1[0]);
	struct nvmx_verdict v = round_trip_with(l1, ns, n);
	__u64 parts[NVMX_RT_PARTS], slots = 0, slots_ns = 0;

	_Static_assert(NVMX_RT_L1_REASONS == 8, "the test fills exactly the 8 slots");
	cr_assert_eq(v.reason, SVM_CPUID);
	for (int i = 0; i < NVMX_RT_L1_REASONS; i++) {
		slots += v.rt.l1_count[i];
		slots_ns += v.rt.l1_ns[i];
	}
	cr_assert_eq(slots, 9, "eight slots, cpuid twice");
	cr_assert_eq(v.rt.l1_count[rt_slot(&v.rt, SVM_CPUID)], 2);
	cr_assert_eq(v.rt.l1_ns[rt_slot(&v.rt, SVM_CPUID)], 11 + 31);
	cr_assert_eq(v.rt.l1_ns[rt_slot(&v.rt, SVM_STGI)], 18, "the eighth slot");
	cr_assert_eq(v.rt.l1_overflow, 4, "clgi, hlt, rdtsc, hlt: no ninth slot");
	cr_assert_eq(v.rt.l1_overflow, n - slots);
	cr_assert_eq(v.rt.l1_overflow_ns, 19 + 21 + 22 + 41);
	nvmx_rt_parts(&v, parts);
	cr_assert_eq(parts[NVMX_RT_L1_EXIT_SERVICE], slots_ns + v.rt.l1_overflow_ns);
	cr_assert_eq(parts[NVMX_RT_L1_EXIT_SERVICE],
		     11 + 12 + 13 + 14 + 15 + 16 + 17 + 18 + 19 + 21 + 22 + 31 + 41);
	cr_assert_eq(parts[NVMX_RT_ROUND_TRIP], 5000);
}

/*
 * Real KVM (SVM, no vGIF) as L1: vmsave vmload stgi rdmsr clgi vmload, plus an interrupt, in
 * every round trip: six distinct L1 reasons. Counted into the counters as nvmxd's BPF side counts
 * them, into a summary, through JSON and back: every reason keeps its count and its time.
 */
Test(turtles, six_distinct_l1_reasons_keep_count_and_service_time_to_json_and_back)
{
	static const __u32 l1[] = { SVM_VMSAVE, SVM_VMLOAD, SVM_STGI, SVM_MSR,
				    SVM_CLGI,	SVM_VMLOAD, SVM_INTR };
	static const __u64 ns[] = { 10, 20, 30, 40, 50, 60, 70 };
	static const struct {
		__u32 reason;
		uint64_t exits, ns; /* over the two round trips */
	} want[] = {
		{ SVM_VMLOAD, 4, 2 * (20 + 60) },
		{ SVM_CLGI, 2, 100 },
		{ SVM_INTR, 2, 140 },
		{ SVM_MSR, 2, 80 },
		{ SVM_STGI, 2, 60 },
		{ SVM_VMSAVE, 2, 20 },
	};
	const size_t n = sizeof(l1) / sizeof(l1[0]);
	struct nvmx_verdict v = round_trip_with(l1, ns, n);
	struct nvmx_counters c = { 0 };
	struct nvmx_summary *s = nvmx_summary_new(), *back;
	const struct nvmx_bd_entry *e;
	const struct nvmx_bd_l1 **sorted;
	struct nvmx_bd_l1 ovf;
	char path[] = "/tmp/nvmx_l1reasons_XXXXXX", err[256], buf[24];
	size_t n_sorted;
	int fd = mkstemp(path);
	FILE *f;

	cr_assert_eq(v.rt.l1_overflow, 0);
	cr_assert_eq(v.rt.l1_ns[rt_slot(&v.rt, SVM_VMLOAD)], 80);
	cr_assert_eq(v.rt.l1_count[rt_slot(&v.rt, SVM_VMLOAD)], 2);
	cr_assert_eq(v.rt.l1_ns[rt_slot(&v.rt, SVM_INTR)], 70);
	cr_assert_eq(v.rt.l1_service_ns, 280);
	cr_assert_eq(nvmx_counters_add_verdict(&c, &v, 7, 100), 0);
	v = round_trip_with(l1, ns, n);
	cr_assert_eq(nvmx_counters_add_verdict(&c, &v, 7, 100), 0);
	cr_assert_eq(c.n_bd_l1s, 6);
	cr_assert_eq(nvmx_counters_to_summary(&c, 0, 0, s), 0);
	nvmx_counters_free(&c);

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_eq(nvmx_summary_write_json(s, f), 0);
	fclose(f);
	back = nvmx_summary_read_json(path, err, sizeof(err));
	unlink(path);
	cr_assert(back, "%s", err);
	e = nvmx_summary_breakdown_find(back, SVM, SVM_CPUID, NVMX_BD_ROUND_TRIP);
	cr_assert(e);
	cr_assert_eq(e->count, 2);
	cr_assert_eq(e->sum_ns[NVMX_RT_L1_EXIT_SERVICE], 560);
	sorted = nvmx_bd_l1_sorted(e, &n_sorted);
	cr_assert(sorted);
	cr_assert_eq(n_sorted, 6);
	for (size_t i = 0; i < n_sorted; i++) {
		const char *name = nvmx_reason_name(SVM, sorted[i]->reason, buf, sizeof(buf));

		cr_assert_eq(sorted[i]->reason, want[i].reason, "position %zu: %s", i, name);
		cr_assert_eq(sorted[i]->count, want[i].exits, "%s", name);
		cr_assert_eq(sorted[i]->service_ns, want[i].ns, "%s", name);
	}
	free(sorted);
	ovf = nvmx_bd_l1_overflow(e);
	cr_assert_eq(ovf.count, 0);
	cr_assert_eq(ovf.service_ns, 0);
	cr_assert_eq(nvmx_summary_compare_all(s, back, "a", "b", stderr), 0);
	nvmx_summary_free(s);
	nvmx_summary_free(back);
}

Test(turtles, quantiles_interpolate_in_log2_buckets)
{
	uint64_t b[NVMX_HIST_BUCKETS] = { 0 };

	cr_assert_eq(nvmx_hist_quantile(b, 0.5), 0.0);
	b[10] = 100; /* 100 values in (512, 1024] */
	cr_assert_float_eq(nvmx_hist_quantile(b, 0.5), 768.0, 1e-9);
	cr_assert_float_eq(nvmx_hist_quantile(b, 0.99), 512.0 + 512.0 * 0.99, 1e-9);
	b[2] = 100; /* 100 more in (2, 4] */
	cr_assert_float_eq(nvmx_hist_quantile(b, 0.5), 4.0, 1e-9);
}

/* issue 17: a row of one exit of 1421 ns showed p50 1572.9, above its only value */
Test(turtles, quantiles_stay_within_what_the_sum_allows)
{
	uint64_t b[NVMX_HIST_BUCKETS] = { 0 };

	cr_assert_eq(nvmx_hist_quantile_bounded(b, 0.5, 0), 0.0);
	b[11] = 1; /* one value in (1024, 2048]: 1421 */
	cr_assert_float_eq(nvmx_hist_quantile(b, 0.5), 1536.0, 1e-9);
	cr_assert_float_eq(nvmx_hist_quantile_bounded(b, 0.5, 1421), 1421.0, 1e-9);
	cr_assert_float_eq(nvmx_hist_quantile_bounded(b, 0.99, 1421), 1421.0, 1e-9);
	/* two values in (1024, 2048] summing to 2100: the larger is at most 2100 - 1024 = 1076 */
	b[11] = 2;
	cr_assert_float_eq(nvmx_hist_quantile(b, 0.99), 1024.0 + 1024.0 * 0.99, 1e-9);
	cr_assert_float_eq(nvmx_hist_quantile_bounded(b, 0.99, 2100), 1076.0, 1e-9);
	/* a sum that leaves room: the interpolation as it is */
	cr_assert_float_eq(nvmx_hist_quantile_bounded(b, 0.5, 4000), 1536.0, 1e-9);
}

Test(turtles, breakdown_and_vectoring_survive_json)
{
	const uint64_t ns[NVMX_RT_PARTS] = { 100, 10, 20, 30, 15, 25 };
	const uint64_t cyc[NVMX_RT_PARTS] = { 300, 30, 60, 90, 45, 75 };
	uint64_t buckets[NVMX_HIST_BUCKETS] = { 0 };
	struct nvmx_summary *s = nvmx_summary_new(), *back;
	const struct nvmx_bd_entry *e;
	char path[] = "/tmp/nvmx_turtles_XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *f;

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	buckets[7] = 2;
	cr_assert_eq(
		nvmx_summary_add_breakdown(s, SVM, SVM_CPUID, NVMX_BD_ROUND_TRIP, 2, ns, buckets),
		0);
	cr_assert_eq(nvmx_summary_add_breakdown_cycles(s, SVM, SVM_CPUID, 1, cyc), 0);
	cr_assert_eq(nvmx_summary_add_breakdown_l1(s, SVM, SVM_CPUID, SVM_MSR, 6, 600), 0);
	cr_assert_eq(nvmx_summary_add_breakdown_l1(s, SVM, SVM_CPUID, NVMX_BD_L1_OVERFLOW, 1, 9),
		     0);
	cr_assert_eq(nvmx_summary_add_breakdown(s, SVM, SVM_IOIO, NVMX_BD_L0_TO_VMM, 3, ns, NULL),
		     0);
	cr_assert_eq(nvmx_summary_add_vectoring(s, SVM, NVMX_VEC_NMI, 2, NVMX_VEC_HANDED_TO_L1, 4),
		     0);
	cr_assert_eq(nvmx_summary_write_json(s, f), 0);
	fclose(f);
	back = nvmx_summary_read_json(path, err, sizeof(err));
	unlink(path);
	cr_assert(back, "%s", err);
	e = nvmx_summary_breakdown_find(back, SVM, SVM_CPUID, NVMX_BD_ROUND_TRIP);
	cr_assert(e);
	cr_assert_eq(e->count, 2);
	cr_assert_arr_eq(e->sum_ns, ns, sizeof(ns));
	cr_assert_arr_eq(e->buckets, buckets, sizeof(buckets));
	cr_assert_eq(e->cycles_count, 1);
	cr_assert_arr_eq(e->sum_cycles, cyc, sizeof(cyc));
	cr_assert_eq(e->n_l1, 2);
	cr_assert_eq(e->l1[0].reason, SVM_MSR);
	cr_assert_eq(e->l1[0].count, 6);
	cr_assert_eq(e->l1[0].service_ns, 600);
	cr_assert_eq(e->l1[1].reason, NVMX_BD_L1_OVERFLOW);
	cr_assert_eq(e->l1[1].count, 1);
	cr_assert_eq(e->l1[1].service_ns, 9);
	e = nvmx_summary_breakdown_find(back, SVM, SVM_IOIO, NVMX_BD_L0_TO_VMM);
	cr_assert(e);
	cr_assert_eq(e->count, 3);
	cr_assert_eq(e->sum_ns[0], 100);
	cr_assert_eq(
		nvmx_summary_vectoring_count(back, SVM, NVMX_VEC_NMI, 2, NVMX_VEC_HANDED_TO_L1), 4);
	cr_assert_eq(nvmx_summary_compare_all(s, back, "a", "b", stderr), 0);
	nvmx_summary_free(s);
	nvmx_summary_free(back);
}

Test(turtles, a_round_trip_on_two_cpus_has_no_cycle_figures)
{
	struct nvmx_vcpu_state s = in_l2(SVM);
	struct nvmx_event e;
	const struct nvmx_verdicts *out;
	__u64 parts[NVMX_RT_PARTS];
	static const struct {
		__u32 kind, reason, cpu;
		__u64 ts;
	} seq[] = {
		{ NVMX_EV_EXIT, SVM_CPUID, 0, 100 },
		{ NVMX_EV_NESTED_VMEXIT, SVM_CPUID, 0, 101 },
		{ NVMX_EV_NESTED_VMEXIT_INJECT, SVM_CPUID, 0, 110 },
		{ NVMX_EV_ENTRY, 0, 0, 120 },
		{ NVMX_EV_EXIT, SVM_VMRUN, 1, 200 },
		{ NVMX_EV_NESTED_VMENTER, 0, 1, 210 },
		{ NVMX_EV_ENTRY, 0, 1, 220 },
	};

	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		e = ev(seq[i].kind, seq[i].ts, seq[i].kind == NVMX_EV_ENTRY ? 0 : SVM,
		       seq[i].reason, 0);
		e.cycles = 1000 + 2 * seq[i].ts;
		e.cpu = seq[i].cpu;
		out = feed(&s, e);
	}
	cr_assert_eq(verdict(out, NVMX_V_ROUND_TRIP)->latency_ns, 120);
	cr_assert_eq(nvmx_rt_parts_cycles(verdict(out, NVMX_V_ROUND_TRIP), parts), 0);
}

/*
 * A boundary stamped before the one it follows (tracefs's per-CPU clock, a vCPU thread that moved
 * to another CPU; fuzz_trace's input): that part is 0, as a latency is, never a wrapped u64
 * (~1.8e19 ns, which made the replay's JSON unreadable).
 */
Test(turtles, a_part_whose_end_steps_back_is_zero)
{
	struct nvmx_verdict v = { .ts_ns = 1000, .latency_ns = 4000 };
	__u64 parts[NVMX_RT_PARTS];

	v.rt.l2_exit_ts = 1000;
	v.rt.inject_ts = 900; /* before the L2 exit */
	v.rt.l1_entry_ts = 2000;
	v.rt.vmrun_exit_ts = 1500; /* before L1's entry */
	v.rt.l1_service_ns = 10;
	nvmx_rt_parts(&v, parts);
	cr_assert_eq(parts[NVMX_RT_L0_EXIT], 0);
	cr_assert_eq(parts[NVMX_RT_L0_REFLECT], 1100);
	cr_assert_eq(parts[NVMX_RT_L1_HANDLER], 0);
	cr_assert_eq(parts[NVMX_RT_L0_ENTRY_EMULATION], 3500);
	v.rt.vmrun_exit_ts = 6000; /* after the L2 entry at 5000 */
	nvmx_rt_parts(&v, parts);
	cr_assert_eq(parts[NVMX_RT_L0_ENTRY_EMULATION], 0);
	cr_assert_eq(parts[NVMX_RT_L1_HANDLER], 4000 - 10);
}
