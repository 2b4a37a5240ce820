// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 nested virtualization (FEAT_NV2) in the one model (include/nvmx/model.h, docs/model.md
 * "arm64"): hand-built event sequences with known timestamps (ns), each level decision and each
 * breakdown part; then the same records as tracefs text (lib/trace_parse.c) and a replay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "model_helpers.h"
#include "nvmx/counts.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"
#include "trace_parse.h"

#define ARM NVMX_EV_ISA_ARM64
/* ESR_ELx_EC_* of asm/esr.h */
#define EC_HVC64    0x16u
#define EC_SYS64    0x18u
#define EC_ERET	    0x1au
#define EC_DABT_LOW 0x24u
/* PSTATE modes (PSR_MODE_* of asm/ptrace.h) and HCR_EL2 bits */
#define EL0t	0x0u
#define EL1h	0x5u
#define EL2h	0x9u
#define HCR_RW	(1ull << 31)
#define HCR_TGE (1ull << 27)
#define HCR_E2H (1ull << 34)

#define A_EXIT(ts, r) ev(NVMX_EV_EXIT, ts, ARM, r, 0)
#define A_ENTRY(ts)   ev(NVMX_EV_ENTRY, ts, ARM, 0, 0)
#define FWD(ts)	      ev(NVMX_EV_FORWARD_SYSREG_TRAP, ts, ARM, 0, 0)

static struct nvmx_event ERET_EV(__u64 ts, __u32 mode, __u64 hcr) {
	struct nvmx_event e = ev(NVMX_EV_NESTED_ERET, ts, ARM, 0, mode | 0x3c0);

	e.info2 = hcr;
	return e;
}

static struct nvmx_event
INJ(__u64 ts, __u32 type, __u32 ec, __u32 source_mode, __u64 hcr) {
	struct nvmx_event e = ev(NVMX_EV_INJECT_NESTED_EXC, ts, ARM, type, (__u64)ec << 26);

	e.intr_info = source_mode;
	e.info2 = hcr;
	return e;
}

/* From a capture's start: L1's ERET into L2 (EL1h, TGE clear) is the first decisive record. */
static struct nvmx_vcpu_state
l2_running(void)
{
	struct nvmx_vcpu_state s = { 0 };
	const struct nvmx_verdicts *v;

	feed(&s, A_EXIT(1, EC_ERET));
	cr_assert_eq(s.state, NVMX_ST_L0_ANY_EXIT);
	v = feed(&s, ERET_EV(2, EL1h, HCR_RW));
	cr_assert_eq(v->n, 2);
	cr_assert_eq(v->v[0].kind, NVMX_V_L1_EXIT, "only L1 ERETs into L2");
	cr_assert_eq(v->v[0].reason, EC_ERET);
	cr_assert_eq(v->v[1].kind, NVMX_V_NESTED_ENTRY);
	cr_assert_eq(v->v[1].isa, ARM);
	feed(&s, A_ENTRY(3));
	cr_assert_eq(s.state, NVMX_ST_L2_RUNNING);
	return s;
}

/* L1 known to run: an HVC of L1 at vEL2 that L0 injects back into vEL2 (source EL2h). */
static struct nvmx_vcpu_state l1_running(void)
{
	struct nvmx_vcpu_state s = { 0 };
	const struct nvmx_verdicts *v;

	feed(&s, A_EXIT(1, EC_HVC64));
	v = feed(&s, INJ(2, NVMX_ARM64_INJ_SYNC, EC_HVC64, EL2h, HCR_RW));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_INJECTED_TO_L1);
	v = feed(&s, A_ENTRY(3));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_L1_EXIT);
	cr_assert_eq(v->v[0].reason, EC_HVC64);
	cr_assert_eq(s.state, NVMX_ST_L1_RUNNING);
	return s;
}

Test(arm64, esr_ec_counts_only_for_a_trap)
{
	cr_assert_eq(nvmx_arm64_exit_reason(NVMX_ARM64_EXC_TRAP, EC_HVC64), EC_HVC64);
	cr_assert_eq(nvmx_arm64_exit_reason(0, EC_HVC64), NVMX_ARM64_R_IRQ, "IRQ: no EC");
	cr_assert_eq(nvmx_arm64_exit_reason(1, 0), NVMX_ARM64_R_SERROR);
	cr_assert_eq(nvmx_arm64_inject_reason(NVMX_ARM64_INJ_SYNC, 0x5a000000ull), EC_HVC64);
	cr_assert_eq(nvmx_arm64_inject_reason(NVMX_ARM64_INJ_IRQ, 0), NVMX_ARM64_R_IRQ);
	cr_assert_eq(nvmx_arm64_inject_reason(NVMX_ARM64_INJ_FIQ, 0), NVMX_ARM64_R_FIQ);
	cr_assert_eq(nvmx_arm64_inject_reason(NVMX_ARM64_INJ_SERROR, 0), NVMX_ARM64_EC_SERROR);
}

Test(arm64, level_contexts)
{
	cr_assert(nvmx_arm64_is_l2_context(EL1h, HCR_RW));
	cr_assert(nvmx_arm64_is_l2_context(EL0t, HCR_RW));
	cr_assert(!nvmx_arm64_is_l2_context(EL0t, HCR_RW | HCR_TGE | HCR_E2H), "VHE L1's EL0");
	cr_assert(!nvmx_arm64_is_l2_context(EL2h, HCR_RW));
	cr_assert(!nvmx_arm64_is_l2_context(0x8, HCR_RW), "EL2t");
	cr_assert(!nvmx_arm64_is_l2_context(0x1a, 0), "AArch32 HYP");
	cr_assert(nvmx_arm64_is_l2_context(0x13, 0), "AArch32 SVC is EL1");
}

Test(arm64, exit_alone_does_not_tell_the_level_at_the_start)
{
	struct nvmx_vcpu_state s = { 0 };
	const struct nvmx_verdicts *v;

	v = feed(&s, A_ENTRY(1));
	cr_assert_eq(v->n, 0);
	cr_assert_eq(s.state, NVMX_ST_UNKNOWN, "an entry alone says nothing");
	v = feed(&s, A_EXIT(10, EC_HVC64));
	cr_assert_eq(v->n, 0);
	cr_assert_eq(s.state, NVMX_ST_L0_ANY_EXIT);
	v = feed(&s, A_ENTRY(12));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_UNATTRIBUTED, "entered again: still no level");
	cr_assert_eq(v->v[0].reason, EC_HVC64);
	cr_assert_eq(s.state, NVMX_ST_UNKNOWN);
}

Test(arm64, capture_starting_mid_exit_is_decided_by_the_forward)
{
	struct nvmx_vcpu_state s = { 0 };
	const struct nvmx_verdicts *v;

	feed(&s, A_EXIT(10, EC_HVC64));
	v = feed(&s, INJ(14, NVMX_ARM64_INJ_SYNC, EC_HVC64, EL1h, HCR_RW));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_L2_EXIT);
	cr_assert_eq(v->v[0].handled_by, NVMX_V_BY_L1);
	cr_assert_eq(v->v[0].isa, ARM);
	cr_assert_eq(v->v[0].reason, EC_HVC64);
	cr_assert_eq(v->v[0].ts_ns, 10);
	cr_assert_eq(v->v[0].latency_ns, 4);
	cr_assert_eq(s.state, NVMX_ST_REFLECTED);
	feed(&s, A_ENTRY(20));
	cr_assert_eq(s.state, NVMX_ST_L1_REFLECTED);
}

/* The complete round trip of a forwarded HVC, with one L1 exit in L1's handler. */
Test(arm64, forwarded_hvc_round_trip_and_its_parts)
{
	struct nvmx_vcpu_state s = l2_running();
	const struct nvmx_verdicts *v;
	__u64 parts[NVMX_RT_PARTS];

	v = feed(&s, A_EXIT(10, EC_HVC64));
	cr_assert_eq(v->n, 0);
	cr_assert_eq(s.state, NVMX_ST_L0_L2_EXIT, "L2 ran: its exit");
	v = feed(&s, INJ(14, NVMX_ARM64_INJ_SYNC, EC_HVC64, EL1h, HCR_RW));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_L2_EXIT);
	cr_assert_eq(v->v[0].handled_by, NVMX_V_BY_L1);
	cr_assert_eq(v->v[0].latency_ns, 4);
	cr_assert_eq(feed(&s, A_ENTRY(20))->n, 0);
	cr_assert_eq(feed(&s, A_EXIT(30, EC_SYS64))->n, 0);
	v = feed(&s, A_ENTRY(35));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_L1_EXIT);
	cr_assert_eq(v->v[0].reason, EC_SYS64);
	cr_assert(v->v[0].flags & NVMX_VF_IN_L1_REFLECTED);
	cr_assert_eq(feed(&s, A_EXIT(50, EC_ERET))->n, 0);
	v = feed(&s, ERET_EV(53, EL1h, HCR_RW));
	cr_assert_eq(v->n, 2);
	cr_assert_eq(v->v[0].kind, NVMX_V_L1_EXIT);
	cr_assert_eq(v->v[0].reason, EC_ERET);
	cr_assert_eq(v->v[1].kind, NVMX_V_NESTED_ENTRY);
	cr_assert_eq(v->v[1].latency_ns, 3, "L1's ERET exit to the emulated ERET");
	v = feed(&s, A_ENTRY(60));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_ROUND_TRIP);
	cr_assert_eq(v->v[0].reason, EC_HVC64);
	cr_assert_eq(v->v[0].isa, ARM);
	cr_assert_eq(v->v[0].rt.l1_count[0], 1, "one L1 exit per round trip");
	cr_assert_eq(v->v[0].rt.l1_reason[0], EC_SYS64);
	nvmx_rt_parts(&v->v[0], parts);
	cr_assert_eq(parts[NVMX_RT_ROUND_TRIP], 50);
	cr_assert_eq(parts[NVMX_RT_L0_EXIT], 4, "L2 exit -> forward");
	cr_assert_eq(parts[NVMX_RT_L0_REFLECT], 6, "forward -> entry into L1");
	cr_assert_eq(parts[NVMX_RT_L1_HANDLER], 25, "20 -> 50 less L1's exit");
	cr_assert_eq(parts[NVMX_RT_L1_EXIT_SERVICE], 5);
	cr_assert_eq(parts[NVMX_RT_L0_ENTRY_EMULATION], 10, "L1's ERET exit -> entry into L2");
	cr_assert_eq(s.state, NVMX_ST_L2_RUNNING);
}

Test(arm64, forwarded_sysreg_trap)
{
	struct nvmx_vcpu_state s = { 0 };
	const struct nvmx_verdicts *v;

	/* from the start: the forward alone tells the pending trap was L2's */
	feed(&s, A_EXIT(10, EC_SYS64));
	cr_assert_eq(feed(&s, FWD(12))->n, 0);
	cr_assert_eq(s.state, NVMX_ST_L0_L2_EXIT);
	v = feed(&s, INJ(15, NVMX_ARM64_INJ_SYNC, EC_SYS64, EL1h, HCR_RW));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_L2_EXIT);
	cr_assert_eq(v->v[0].handled_by, NVMX_V_BY_L1);
	cr_assert_eq(v->v[0].reason, EC_SYS64);
	cr_assert_eq(v->v[0].latency_ns, 5);
}

Test(arm64, l0_handled_l2_exit)
{
	struct nvmx_vcpu_state s = l2_running();
	const struct nvmx_verdicts *v;
	struct nvmx_bd_key k;
	__u64 parts[NVMX_RT_PARTS];

	feed(&s, A_EXIT(10, EC_DABT_LOW));
	v = feed(&s, A_ENTRY(18));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_L2_EXIT);
	cr_assert_eq(v->v[0].handled_by, NVMX_V_BY_L0, "no inject: L0 kept it");
	cr_assert_eq(v->v[0].reason, EC_DABT_LOW);
	cr_assert_eq(v->v[0].latency_ns, 8);
	cr_assert(nvmx_verdict_breakdown(&v->v[0], 1, 100, &k, parts));
	cr_assert_eq(k.kind, NVMX_BD_L0_HANDLED);
	cr_assert_eq(parts[0], 8);
	cr_assert_eq(s.state, NVMX_ST_L2_RUNNING);
}

Test(arm64, tge_eret_to_el0_is_not_l2)
{
	struct nvmx_vcpu_state s = l1_running();
	const struct nvmx_verdicts *v;

	feed(&s, A_EXIT(10, EC_ERET));
	v = feed(&s, ERET_EV(12, EL0t, HCR_RW | HCR_TGE | HCR_E2H));
	cr_assert_eq(v->n, 0, "no nested entry");
	v = feed(&s, A_ENTRY(15));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_L1_EXIT);
	cr_assert_eq(v->v[0].reason, EC_ERET);
	cr_assert_eq(s.state, NVMX_ST_L1_RUNNING);
	/* L1's own EL0 runs: its next exit is L1's too */
	feed(&s, A_EXIT(20, 0x15));
	v = feed(&s, A_ENTRY(22));
	cr_assert_eq(v->v[0].kind, NVMX_V_L1_EXIT);
}

Test(arm64, irq_injected_into_l1_itself)
{
	struct nvmx_vcpu_state s = l1_running();
	const struct nvmx_verdicts *v;

	feed(&s, A_EXIT(10, NVMX_ARM64_R_IRQ));
	v = feed(&s, INJ(12, NVMX_ARM64_INJ_IRQ, 0, EL2h, HCR_RW));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_INJECTED_TO_L1, "not an exit of L2");
	cr_assert_eq(v->v[0].reason, NVMX_ARM64_R_IRQ);
	cr_assert_eq(nvmx_verdict_outcome(&v->v[0]), NVMX_OUT_NONE, "not counted as an exit");
	v = feed(&s, A_ENTRY(15));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_L1_EXIT);
	cr_assert_eq(v->v[0].reason, NVMX_ARM64_R_IRQ);
	cr_assert_eq(v->v[0].latency_ns, 5);
	cr_assert_eq(s.state, NVMX_ST_L1_RUNNING);
}

Test(arm64, irq_while_l2_runs_is_synthesized_to_l1)
{
	struct nvmx_vcpu_state s = l2_running();
	const struct nvmx_verdicts *v;

	feed(&s, A_EXIT(10, NVMX_ARM64_R_IRQ));
	v = feed(&s, INJ(12, NVMX_ARM64_INJ_IRQ, 0, EL1h, HCR_RW));
	cr_assert_eq(v->n, 2);
	cr_assert_eq(v->v[0].kind, NVMX_V_L2_EXIT);
	cr_assert_eq(v->v[0].handled_by, NVMX_V_BY_L0);
	cr_assert_eq(v->v[0].reason, NVMX_ARM64_R_IRQ);
	cr_assert_eq(v->v[1].kind, NVMX_V_SYNTHESIZED_TO_L1);
	cr_assert_eq(v->v[1].reason, NVMX_ARM64_R_IRQ);
	feed(&s, A_ENTRY(15));
	cr_assert_eq(s.state, NVMX_ST_L1_RUNNING);
}

Test(arm64, sync_of_another_ec_is_made_up_by_l0)
{
	struct nvmx_vcpu_state s = l2_running();
	const struct nvmx_verdicts *v;

	feed(&s, A_EXIT(10, EC_DABT_LOW));
	v = feed(&s, INJ(12, NVMX_ARM64_INJ_SYNC, 0x00, EL1h, HCR_RW));
	cr_assert_eq(v->n, 2);
	cr_assert_eq(v->v[0].handled_by, NVMX_V_BY_L0);
	cr_assert_eq(v->v[1].kind, NVMX_V_SYNTHESIZED_TO_L1);
}

Test(arm64, lost_events_make_the_level_unknown)
{
	struct nvmx_vcpu_state s = l2_running();
	const struct nvmx_verdicts *v;

	feed(&s, A_EXIT(10, EC_HVC64));
	v = feed(&s, LOST(11));
	cr_assert_eq(v->n, 1);
	cr_assert_eq(v->v[0].kind, NVMX_V_UNATTRIBUTED);
	feed(&s, A_EXIT(20, EC_HVC64));
	cr_assert_eq(s.state, NVMX_ST_L0_ANY_EXIT);
}

/* ---- the same records as tracefs text ---- */

static struct nvmx_line parse(const char *s)
{
	struct nvmx_line l;

	nvmx_parse_line(s, strlen(s), &l);
	return l;
}

#define PFX "  arm64-vmm-201     [000] .....    12.000100: "

Test(arm64, parse_kvm_exit_trap)
{
	struct nvmx_line l = parse(PFX "kvm_exit: TRAP: HSR_EC: 0x0016 (HVC64), PC: "
				       "0x0000000040001008");
	char buf[16];

	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.kind, NVMX_EV_EXIT);
	cr_assert_eq(l.ev.isa, NVMX_ISA_ARM64);
	cr_assert_eq(l.ev.reason, EC_HVC64);
	cr_assert_eq(l.ev.value, 0x40001008);
	cr_assert_str_eq(nvmx_reason_name(NVMX_ISA_ARM64, EC_HVC64, buf, sizeof(buf)), "HVC64");
}

Test(arm64, parse_kvm_exit_irq_ignores_the_ec)
{
	struct nvmx_line l =
		parse(PFX "kvm_exit: IRQ: HSR_EC: 0x0000 (UNKNOWN), PC: 0xffff800080010000");

	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.reason, NVMX_ARM64_R_IRQ);
}

Test(arm64, the_capture_names_the_ec)
{
	struct nvmx_line l = parse(PFX "kvm_exit: TRAP: HSR_EC: 0x003d (NEWER_EC), PC: 0x1000");
	uint32_t isa = 0, reason = 0;
	char buf[16];

	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.reason, 0x3d);
	cr_assert_str_eq(nvmx_reason_name(NVMX_ISA_ARM64, 0x3d, buf, sizeof(buf)), "NEWER_EC");
	cr_assert_eq(nvmx_reason_from_name("NEWER_EC", 8, &isa, &reason), 0);
	cr_assert_eq(isa, NVMX_ISA_ARM64);
	cr_assert_eq(reason, 0x3d);
}

Test(arm64, parse_malformed_kvm_exit)
{
	struct nvmx_line l = parse(PFX "kvm_exit: BOGUS: HSR_EC: 0x0016 (HVC64), PC: 0x1000");

	cr_assert_eq(l.type, NVMX_LINE_MALFORMED);
	cr_assert(strstr(l.expected, "HSR_EC"), "%s", l.expected);
}

Test(arm64, parse_kvm_entry)
{
	struct nvmx_line l = parse(PFX "kvm_entry: PC: 0x0000000040001000");

	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.kind, NVMX_EV_ENTRY);
	cr_assert_eq(l.ev.isa, NVMX_ISA_ARM64);
}

Test(arm64, parse_nested_eret)
{
	struct nvmx_line l = parse(PFX "kvm_nested_eret: elr_el2: 0x40002000 spsr_el2: 0x000003c5 "
				       "(M: EL1h) hcr_el2: 80040000");

	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.kind, NVMX_EV_NESTED_ERET);
	cr_assert_eq(l.ev.info1 & 0x1f, EL1h);
	cr_assert_eq(l.ev.info2, 0x80040000);
}

Test(arm64, parse_inject_nested_exception)
{
	struct nvmx_line l = parse(PFX "kvm_inject_nested_exception: SYNC: esr_el2 0x5a000000 "
				       "elr_el2: 0x40002004 spsr_el2: 0x000003c5 (M: EL1h) "
				       "hcr_el2: 80040000");

	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.kind, NVMX_EV_INJECT_NESTED_EXC);
	cr_assert_eq(l.ev.reason, NVMX_ARM64_INJ_SYNC);
	cr_assert_eq(l.ev.info1, 0x5a000000);
	cr_assert_eq(l.ev.intr_info, EL1h);
	l = parse(PFX "kvm_inject_nested_exception: IRQ: esr_el2 0x0 elr_el2: 0x1 spsr_el2: "
		      "0x000003c9 (M: EL2h) hcr_el2: 80040000");
	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.reason, NVMX_ARM64_INJ_IRQ);
	cr_assert_eq(l.ev.intr_info, EL2h);
}

Test(arm64, parse_forward_sysreg_trap)
{
	struct nvmx_line l = parse(PFX "kvm_forward_sysreg_trap: 40002008 R (3,0,0,1,0)");

	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.kind, NVMX_EV_FORWARD_SYSREG_TRAP);
	cr_assert_eq(l.ev.msr, (3u << 19) | (1u << 8), "ID_PFR0_EL1");
	cr_assert_eq(l.ev.flags & NVMX_EV_F_MSR_WRITE, 0);
}

Test(arm64, names_are_arm64s_and_round_trip)
{
	static const uint32_t reasons[] = { 0x01, 0x16, 0x17,  0x18,  0x1a,
					    0x24, 0x2f, 0x100, 0x101, 0x110 };

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		char buf[16];
		const char *n = nvmx_reason_name(NVMX_ISA_ARM64, reasons[i], buf, sizeof(buf));
		uint32_t isa = 0, r = 0;

		cr_assert_eq(nvmx_reason_from_name(n, strlen(n), &isa, &r), 0, "%s", n);
		cr_assert_eq(isa, NVMX_ISA_ARM64, "%s is no x86 name", n);
		cr_assert_eq(r, reasons[i], "%s", n);
	}
	cr_assert_str_eq(nvmx_isa_name(NVMX_ISA_ARM64), "arm64");
}

/* A forwarded HVC, a forwarded sysreg read and an L0-handled abort, as tracefs prints them. */
static const char capture[] =
	"# tracer: nop\n" PFX "kvm_exit: TRAP: HSR_EC: 0x001a (ERET), PC: 0x1000\n"
	"  arm64-vmm-201     [000] .....    12.000102: kvm_nested_eret: elr_el2: 0x2000 spsr_el2: "
	"0x000003c5 (M: EL1h) hcr_el2: 80040000\n"
	"  arm64-vmm-201     [000] .....    12.000103: kvm_entry: PC: 0x2000\n"
	"  arm64-vmm-201     [000] .....    12.000110: kvm_exit: TRAP: HSR_EC: 0x0016 (HVC64), "
	"PC: 0x2004\n"
	"  arm64-vmm-201     [000] .....    12.000114: kvm_inject_nested_exception: SYNC: esr_el2 "
	"0x5a000000 elr_el2: 0x2004 spsr_el2: 0x000003c5 (M: EL1h) hcr_el2: 80040000\n"
	"  arm64-vmm-201     [000] .....    12.000120: kvm_entry: PC: 0x1400\n"
	"  arm64-vmm-201     [000] .....    12.000150: kvm_exit: TRAP: HSR_EC: 0x001a (ERET), PC: "
	"0x1480\n"
	"  arm64-vmm-201     [000] .....    12.000153: kvm_nested_eret: elr_el2: 0x2008 spsr_el2: "
	"0x000003c5 (M: EL1h) hcr_el2: 80040000\n"
	"  arm64-vmm-201     [000] .....    12.000160: kvm_entry: PC: 0x2008\n"
	"  arm64-vmm-201     [000] .....    12.000170: kvm_exit: TRAP: HSR_EC: 0x0018 (SYS64), "
	"PC: 0x2008\n"
	"  arm64-vmm-201     [000] .....    12.000172: kvm_forward_sysreg_trap: 2008 R "
	"(3,0,0,1,0)\n"
	"  arm64-vmm-201     [000] .....    12.000175: kvm_inject_nested_exception: SYNC: esr_el2 "
	"0x62300402 elr_el2: 0x2008 spsr_el2: 0x000003c5 (M: EL1h) hcr_el2: 80040000\n"
	"  arm64-vmm-201     [000] .....    12.000180: kvm_entry: PC: 0x1400\n"
	"  arm64-vmm-201     [000] .....    12.000190: kvm_exit: TRAP: HSR_EC: 0x001a (ERET), PC: "
	"0x1480\n"
	"  arm64-vmm-201     [000] .....    12.000192: kvm_nested_eret: elr_el2: 0x200c spsr_el2: "
	"0x000003c5 (M: EL1h) hcr_el2: 80040000\n"
	"  arm64-vmm-201     [000] .....    12.000195: kvm_entry: PC: 0x200c\n"
	"  arm64-vmm-201     [000] .....    12.000200: kvm_exit: TRAP: HSR_EC: 0x0024 (DABT_LOW), "
	"PC: 0x200c\n"
	"  arm64-vmm-201     [000] .....    12.000209: kvm_entry: PC: 0x2010\n";

/* Replays text through a file (path: "/tmp/nvmx-arm64-XXXXXX", kept for the caller to reuse). */
static struct nvmx_summary *replay_text(const char *text, size_t len, char *path)
{
	int fd = mkstemp(path);
	struct nvmx_summary *s = NULL;
	struct nvmx_replay_stats st;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	cr_assert_eq(nvmx_replay_path(path, &s, &st, NULL), 0);
	cr_assert_eq(st.malformed, 0);
	return s;
}

Test(arm64, replay_of_a_tracefs_capture)
{
	char path[] = "/tmp/nvmx-arm64-XXXXXX";
	struct nvmx_summary *s = replay_text(capture, sizeof(capture) - 1, path);
	FILE *out;
	char *json = NULL;
	size_t len = 0;

	unlink(path);
	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_L2_EXIT, NVMX_ISA_ARM64, EC_HVC64,
					     NVMX_HANDLED_BY_L1),
		     1);
	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_L2_EXIT, NVMX_ISA_ARM64, EC_SYS64,
					     NVMX_HANDLED_BY_L1),
		     1);
	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_L2_EXIT, NVMX_ISA_ARM64, EC_DABT_LOW,
					     NVMX_HANDLED_BY_L0),
		     1);
	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_L1_EXIT, NVMX_ISA_ARM64, EC_ERET,
					     NVMX_HANDLED_BY_NONE),
		     3);
	cr_assert_eq(nvmx_summary_nested_entries(s), 3);
	cr_assert_eq(nvmx_summary_unattributed(s), 0);
	out = open_memstream(&json, &len);
	cr_assert_eq(nvmx_summary_write_json(s, out), 0);
	fclose(out);
	cr_assert(strstr(json, "\"isa\": \"arm64\""), "%s", json);
	cr_assert(strstr(json, "\"HVC64\""), "%s", json);
	free(json);
	nvmx_summary_free(s);
}

/* L1's own HVC at vEL2 and an interrupt for L1: injections into L1 itself, counted apart. */
static const char capture_l1[] = PFX
	"kvm_exit: TRAP: HSR_EC: 0x0016 (HVC64), PC: 0x1000\n"
	"  arm64-vmm-201     [000] .....    12.000102: kvm_inject_nested_exception: SYNC: esr_el2 "
	"0x5a000000 elr_el2: 0x1000 spsr_el2: 0x000003c9 (M: EL2h) hcr_el2: 80040000\n"
	"  arm64-vmm-201     [000] .....    12.000104: kvm_entry: PC: 0x1400\n"
	"  arm64-vmm-201     [000] .....    12.000110: kvm_exit: IRQ: HSR_EC: 0x0000 (UNKNOWN), "
	"PC: 0x1404\n"
	"  arm64-vmm-201     [000] .....    12.000112: kvm_inject_nested_exception: IRQ: esr_el2 "
	"0x0 elr_el2: 0x1404 spsr_el2: 0x000003c9 (M: EL2h) hcr_el2: 80040000\n"
	"  arm64-vmm-201     [000] .....    12.000115: kvm_entry: PC: 0x1480\n";

Test(arm64, replay_counts_injections_into_l1_apart)
{
	char path[] = "/tmp/nvmx-arm64-XXXXXX";
	struct nvmx_summary *s = replay_text(capture_l1, sizeof(capture_l1) - 1, path), *back;
	char err[256];
	FILE *out;

	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_L1_EXIT, NVMX_ISA_ARM64, EC_HVC64,
					     NVMX_HANDLED_BY_NONE),
		     1);
	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_L1_EXIT, NVMX_ISA_ARM64, NVMX_ARM64_R_IRQ,
					     NVMX_HANDLED_BY_NONE),
		     1);
	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_INJECTED_TO_L1, NVMX_ISA_ARM64, EC_HVC64,
					     NVMX_HANDLED_BY_NONE),
		     1);
	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_INJECTED_TO_L1, NVMX_ISA_ARM64,
					     NVMX_ARM64_R_IRQ, NVMX_HANDLED_BY_NONE),
		     1);
	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_SYNTHESIZED_TO_L1, NVMX_ISA_ARM64,
					     NVMX_ARM64_R_IRQ, NVMX_HANDLED_BY_NONE),
		     0, "no exit of L2");
	cr_assert_eq(nvmx_summary_unattributed(s), 0);
	/* the JSON carries them, and reads back the same */
	out = fopen(path, "w");
	cr_assert_eq(nvmx_summary_write_json(s, out), 0);
	fclose(out);
	back = nvmx_summary_read_json(path, err, sizeof(err));
	unlink(path);
	cr_assert(back, "%s", err);
	cr_assert_eq(nvmx_summary_compare_all(s, back, "a", "b", NULL), 0);
	cr_assert_eq(nvmx_summary_exit_count(back, NVMX_KIND_INJECTED_TO_L1, NVMX_ISA_ARM64,
					     NVMX_ARM64_R_IRQ, NVMX_HANDLED_BY_NONE),
		     1);
	nvmx_summary_free(back);
	nvmx_summary_free(s);
}

/* Records read by field name (trace.dat through libtraceevent, perf's raw fields): the same. */
Test(arm64, records_by_field_name)
{
	struct nvmx_line l =
		parse(PFX "kvm_exit: [FAILED TO PARSE] ret=2 esr_ec=24 vcpu_pc=0x2008");

	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.isa, NVMX_ISA_ARM64);
	cr_assert_eq(l.ev.reason, EC_SYS64);
	l = parse(PFX "kvm_exit: [FAILED TO PARSE] ret=0 esr_ec=0 vcpu_pc=0x2008");
	cr_assert_eq(l.ev.reason, NVMX_ARM64_R_IRQ);
	l = parse(PFX "kvm_entry: [FAILED TO PARSE] vcpu_pc=0x2008");
	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.isa, NVMX_ISA_ARM64);
	l = parse(PFX "kvm_nested_eret: [FAILED TO PARSE] vcpu=0xffff0000 elr_el2=0x2000 "
		      "spsr_el2=0x3c5 target_mode=5 hcr_el2=0x88040000");
	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.info1 & 0x1f, EL1h);
	cr_assert(l.ev.info2 & HCR_TGE);
	l = parse(PFX "kvm_inject_nested_exception: [FAILED TO PARSE] vcpu=0xffff0000 "
		      "esr_el2=0x5a000000 type=0 spsr_el2=0x3c5 pc=0x2004 source_mode=5 "
		      "hcr_el2=0x80040000");
	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.kind, NVMX_EV_INJECT_NESTED_EXC);
	cr_assert_eq(l.ev.intr_info, EL1h);
	cr_assert_eq(l.ev.info1, 0x5a000000);
	l = parse(PFX "kvm_nested_eret: [FAILED TO PARSE] vcpu=0xffff0000 elr_el2=0x2000");
	cr_assert_eq(l.type, NVMX_LINE_MALFORMED, "a level must not be guessed from zeroes");
	cr_assert(strstr(l.expected, "spsr_el2"), "%s", l.expected);
}

/*
 * A real capture: the arm64 lab's run of hvc, sysreg, smc, mmio, wfi and sysreg-write, 50 times
 * each, on Linux 7.3.4 under QEMU 10 (tests/data/arm64-7.3, from the arm64 lab's branch, with
 * its README). Its certain counts are the workload generator's truth; the only exits the model
 * cannot attribute are the two before the first decisive record.
 */
Test(arm64, replay_of_the_lab_capture_equals_its_truth)
{
	struct nvmx_summary *obs = NULL, *truth;
	struct nvmx_replay_stats st;
	char err[256];

	cr_assert_eq(nvmx_replay_path(NVMX_TEST_DATA "/arm64-7.3/tracefs.txt.xz", &obs, &st, NULL),
		     0);
	truth = nvmx_summary_read_json(NVMX_TEST_DATA "/arm64-7.3/truth.json", err, sizeof(err));
	cr_assert(truth, "%s", err);
	cr_assert_eq(st.malformed, 0);
	cr_assert_eq(nvmx_summary_lost(obs), 0);
	cr_assert_eq(nvmx_summary_compare_certain(truth, obs, stderr), 0);
	cr_assert_eq(nvmx_summary_nested_entries(obs), nvmx_summary_nested_entries(truth),
		     "every ERET into L2");
	cr_assert_leq(nvmx_summary_unattributed(obs), 2, "only before the first decisive record");
	cr_assert_eq(nvmx_summary_exit_count(obs, NVMX_KIND_L1_EXIT, NVMX_ISA_ARM64, EC_ERET,
					     NVMX_HANDLED_BY_NONE),
		     nvmx_summary_exit_count(truth, NVMX_KIND_L1_EXIT, NVMX_ISA_ARM64, EC_ERET,
					     NVMX_HANDLED_BY_NONE));
	nvmx_summary_free(truth);
	nvmx_summary_free(obs);
}
