/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding KVM's exit records, for the model (model.h) and the counters (counts.h): basic exit
 * reasons, MSR and port I/O exits, and the vectoring field of an interrupted event delivery.
 * BPF-safe like model.h, no #includes: include <linux/types.h> (or vmlinux.h) and events.h first.
 */
#ifndef NVMX_EXIT_DECODE_H
#define NVMX_EXIT_DECODE_H

/*
 * Event types of an interrupted event delivery (IDT-vectoring / EXITINTINFO), one numbering for
 * both ISAs. VMX type field bits 10:8 (SDM 25.9.3): 0 ext intr, 2 NMI, 3 hw exception, 4 sw
 * interrupt, 5 privileged sw exception (INT1), 6 sw exception (INT3/INTO); 5 counts as a
 * software exception. SVM EXITINTINFO type bits 10:8 (APM vol. 2, 15.7.2): 0 INTR, 2 NMI,
 * 3 exception, 4 software interrupt (INTn).
 */
#define NVMX_VEC_EXT_INTR     0u
#define NVMX_VEC_NMI	      1u
#define NVMX_VEC_HW_EXCEPTION 2u
#define NVMX_VEC_SW_INTERRUPT 3u
#define NVMX_VEC_SW_EXCEPTION 4u
#define NVMX_VEC_TYPES	      5u
#define NVMX_VEC_NONE	      0xffu

static __always_inline __u32 nvmx_model_basic_reason(__u32 isa, __u32 raw)
{
	return isa == NVMX_EV_ISA_VMX ? (raw & NVMX_VMX_BASIC_REASON_MASK) : raw;
}

/*
 * Exit decoding both sides need. MSR: SVM EXITINFO1 0 = RDMSR, 1 = WRMSR (APM vol. 2, 15.11);
 * VMX has separate reasons. I/O: SVM IOIO EXITINFO1 (APM 15.10.2): port 31:16, IN = bit 0,
 * SZ8/16/32 = bits 4..6; VMX exit qualification (SDM table 28-5): size-1 in 2:0, IN = bit 3,
 * port 31:16. A size no hardware gives (a record of another writer) is 0, "not said", which is
 * what every reader of the counts takes.
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
		/* 0, 1 and 3 are the only encodings (1, 2, 4 bytes); another: not said (0) */
		*size = (info1 & 7) == 0 ? 1 : (info1 & 7) == 1 ? 2 : (info1 & 7) == 3 ? 4 : 0;
		return 1;
	}
	return 0;
}

/*
 * The vectoring field of an exit or inject record: VMX info2 / exit_info2 (IDT-vectoring info;
 * on the inject vmcs12's idt_vectoring_info_field), SVM intr_info / exit_int_info (EXITINTINFO).
 * Returns 1 with the type (NVMX_VEC_*) and vector when it holds a valid event (bit 31).
 */
static __always_inline int nvmx_vectoring_decode(__u32 isa, const struct nvmx_event *e, __u32 *type,
						 __u32 *vector)
{
	__u32 info = isa == NVMX_EV_ISA_VMX ? (__u32)e->info2 : e->intr_info;
	__u32 t = (info >> 8) & 7;

	if (!(info & 0x80000000u) || (isa != NVMX_EV_ISA_VMX && isa != NVMX_EV_ISA_SVM))
		return 0;
	*vector = info & 0xff;
	switch (t) {
	case 0:
		*type = NVMX_VEC_EXT_INTR;
		return 1;
	case 2:
		*type = NVMX_VEC_NMI;
		return 1;
	case 3:
		*type = NVMX_VEC_HW_EXCEPTION;
		return 1;
	case 4:
		*type = NVMX_VEC_SW_INTERRUPT;
		return 1;
	case 5:
	case 6:
		/* VMX only; SVM has no such types (reserved) */
		if (isa != NVMX_EV_ISA_VMX)
			return 0;
		*type = NVMX_VEC_SW_EXCEPTION;
		return 1;
	default:
		return 0;
	}
}

/*
 * arm64 (FEAT_NV2). One reason space for NVMX_EV_ISA_ARM64, named by exit_reasons.c:
 *  - 0x00..0x3f: ESR_EL2.EC of a trap (kvm_exit's esr_ec when its ret is ARM_EXCEPTION_TRAP, the
 *    EC of a SYNC kvm_inject_nested_exception's esr_el2);
 *  - NVMX_ARM64_EXIT_TYPE + ret: a kvm_exit that was no trap (ret of asm/kvm_asm.h: 0 IRQ,
 *    1 SERROR, 3 ILLEGAL; esr_ec is 0 then, TP_fast_assign of kvm_exit in trace_arm.h);
 *  - NVMX_ARM64_R_FIQ: a FIQ injected into vEL2; an injected IRQ takes the kvm_exit type IRQ's
 *    reason, an injected SError the EC of an SError (ESR_ELx_EC_SERROR).
 */
#define NVMX_ARM64_EXC_TRAP  2u	    /* ARM_EXCEPTION_TRAP */
#define NVMX_ARM64_EXIT_TYPE 0x100u /* + ARM_EXCEPTION_CODE(ret) when not a trap */
#define NVMX_ARM64_R_IRQ     0x100u
#define NVMX_ARM64_R_SERROR  0x101u /* the kvm_exit type ARM_EXCEPTION_EL1_SERROR */
#define NVMX_ARM64_R_FIQ     0x110u
#define NVMX_ARM64_EC_HVC64  0x16u
#define NVMX_ARM64_EC_SYS64  0x18u
#define NVMX_ARM64_EC_ERET   0x1au
#define NVMX_ARM64_EC_SERROR 0x2fu
/* kvm_inject_nested_exception's type: enum exception_type of asm/kvm_emulate.h */
#define NVMX_ARM64_INJ_SYNC	0x0u
#define NVMX_ARM64_INJ_IRQ	0x80u
#define NVMX_ARM64_INJ_FIQ	0x100u
#define NVMX_ARM64_INJ_SERROR	0x180u
#define NVMX_ARM64_HCR_TGE	(1ull << 27) /* HCR_EL2.TGE */
#define NVMX_ARM64_PSR_MODE32	0x10u	     /* PSR_MODE32_BIT */
#define NVMX_ARM64_PSR_AA32_HYP 0x1au	     /* PSR_AA32_MODE_HYP */

/* The reason of a kvm_exit record: its EC when ret says trap, else the exit type. */
static __always_inline __u32 nvmx_arm64_exit_reason(__u32 ret, __u32 esr_ec)
{
	if (ret == NVMX_ARM64_EXC_TRAP)
		return esr_ec & 0x3f;
	return NVMX_ARM64_EXIT_TYPE + (ret < 0xff ? ret : 0xff);
}

/* The reason of an injected exception: a SYNC's EC (ESR_EL2 bits 31:26), else its type. */
static __always_inline __u32 nvmx_arm64_inject_reason(__u32 type, __u64 esr_el2)
{
	if (type == NVMX_ARM64_INJ_SYNC)
		return (__u32)(esr_el2 >> 26) & 0x3f;
	if (type == NVMX_ARM64_INJ_IRQ)
		return NVMX_ARM64_R_IRQ;
	if (type == NVMX_ARM64_INJ_FIQ)
		return NVMX_ARM64_R_FIQ;
	return NVMX_ARM64_EC_SERROR;
}

/* Whether a PSTATE mode (spsr & (PSR_MODE_MASK | PSR_MODE32_BIT)) is EL2: EL2t, EL2h, AArch32 HYP. */
static __always_inline int nvmx_arm64_mode_is_el2(__u64 mode)
{
	if (mode & NVMX_ARM64_PSR_MODE32)
		return (mode & 0x1f) == NVMX_ARM64_PSR_AA32_HYP;
	return ((mode >> 2) & 3) == 2;
}

/*
 * Whether a mode with L1's HCR_EL2 is L2's context: EL1 or EL0 with HCR_EL2.TGE clear (a VHE L1
 * runs its own EL0 with TGE set: that is L1).
 */
static __always_inline int nvmx_arm64_is_l2_context(__u64 mode, __u64 hcr_el2)
{
	return !nvmx_arm64_mode_is_el2(mode) && !(hcr_el2 & NVMX_ARM64_HCR_TGE);
}

#endif /* NVMX_EXIT_DECODE_H */
