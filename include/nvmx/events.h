/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The events the attribution model consumes: one record per KVM tracepoint hit, the same for the
 * BPF programs and for replayed traces.
 *
 * No #includes on purpose: user space includes <linux/types.h> first, BPF gets __u32/__u64 from
 * vmlinux.h. Only fixed-width fields, so the layout is identical on both sides.
 */
#ifndef NVMX_EVENTS_H
#define NVMX_EVENTS_H

/*
 * The kernel's `isa` field values (KVM_ISA_VMX, KVM_ISA_SVM in arch/x86/kvm/trace.h); arm64's
 * records have no isa field: nvmx's own value, set by the reader from the record's format.
 */
#define NVMX_EV_ISA_UNKNOWN 0u
#define NVMX_EV_ISA_VMX	    1u
#define NVMX_EV_ISA_SVM	    2u
#define NVMX_EV_ISA_ARM64   3u

/* VMX exit_reason: basic reason in bits 15:0, flags above (SDM 25.9.1, VMX_EXIT_REASONS_*). */
#define NVMX_VMX_BASIC_REASON_MASK 0xffffu
#define NVMX_VMX_FAILED_VMENTRY	   0x80000000u

/* Event kinds: one per tracepoint the model needs, plus markers of the source. */
#define NVMX_EV_EXIT		      1u /* kvm_exit: any hardware exit, of L1 or of L2 */
#define NVMX_EV_NESTED_VMEXIT	      2u /* kvm_nested_vmexit: the exit above was an L2 exit */
#define NVMX_EV_NESTED_VMEXIT_INJECT  3u /* kvm_nested_vmexit_inject: an exit delivered to L1 */
#define NVMX_EV_NESTED_VMENTER	      4u /* kvm_nested_vmenter: L0 emulates L1's VMRUN/VMRESUME */
#define NVMX_EV_NESTED_VMENTER_FAILED 5u /* kvm_nested_vmenter_failed: a consistency check failed */
#define NVMX_EV_NESTED_INTR_VMEXIT    6u /* kvm_nested_intr_vmexit (SVM only) */
#define NVMX_EV_ENTRY		      7u /* kvm_entry: any VM entry, into L1 or L2 */
#define NVMX_EV_USERSPACE_EXIT	      8u /* kvm_userspace_exit: KVM_RUN returns to the VMM */
#define NVMX_EV_MSR		      9u /* kvm_msr: L0 emulated an RDMSR/WRMSR */
#define NVMX_EV_LOST		      10u /* the source lost events: state is unknown again */
#define NVMX_EV_END		      11u /* end of the capture: undecided exits are unattributed */
#define NVMX_EV_INJ_VIRQ	      12u /* kvm_inj_virq: L0 injects an interrupt; reason = vector */
#define NVMX_EV_INJ_EXCEPTION	      13u /* kvm_inj_exception: reason = vector, error_code */
/*
 * The guest's RCX at an L2 exit (tp_btf on kvm_nested_vmexit: kvm_vcpu.arch.regs), value = RCX,
 * msr = its low 32 bits: the index of an RDMSR/WRMSR that L0 reflects to L1 and so never
 * emulates (no kvm_msr). Not a tracepoint of its own: a recording writes it as "nvmx_guest_rcx".
 */
#define NVMX_EV_GUEST_RCX 14u
/*
 * arm64 (arch/arm64/kvm/trace_arm.h, FEAT_NV2): kvm_exit and kvm_entry are the ones above with
 * isa NVMX_EV_ISA_ARM64; these three say which level runs (docs/model.md, "arm64").
 *  - kvm_nested_eret: L0 emulates L1's ERET; info1 = spsr_el2 (target_mode in its M bits),
 *    info2 = L1's HCR_EL2;
 *  - kvm_inject_nested_exception: L0 delivers an exception to vEL2; reason = its type
 *    (NVMX_ARM64_INJ_*), info1 = esr_el2, info2 = HCR_EL2, intr_info = source_mode (the M
 *    bits of the mode it interrupted);
 *  - kvm_forward_sysreg_trap: the pending sysreg trap goes to L1; msr = sysreg encoding,
 *    flags NVMX_EV_F_MSR_WRITE for a write.
 */
#define NVMX_EV_NESTED_ERET	    15u
#define NVMX_EV_INJECT_NESTED_EXC   16u
#define NVMX_EV_FORWARD_SYSREG_TRAP 17u

/* vcpu_id of records that carry none (inject, vmenter, msr, ...). */
#define NVMX_EV_VCPU_ID_NONE 0xffffffffu

/* flags */
#define NVMX_EV_F_MSR_WRITE  0x1u  /* kvm_msr: a WRMSR (else RDMSR) */
#define NVMX_EV_F_MSR_GP     0x2u  /* kvm_msr: the access raised #GP */
#define NVMX_EV_F_REINJECTED 0x4u  /* kvm_inj_virq/kvm_inj_exception: an interrupted event again */
#define NVMX_EV_F_SOFT	     0x8u  /* kvm_inj_virq: a software interrupt (INTn) */
#define NVMX_EV_F_HAS_ERROR  0x10u /* kvm_inj_exception: error_code is valid */

struct nvmx_event {
	__u64 ts_ns;	  /* trace clock, ns */
	__u32 tid;	  /* the vCPU thread (TASK-PID in a trace, the tid in BPF) */
	__u32 kind;	  /* NVMX_EV_* */
	__u32 isa;	  /* NVMX_EV_ISA_*, when the record tells it */
	__u32 reason;	  /* exit_reason (kvm_exit, kvm_nested_vmexit) / exit_code (inject), raw */
	__u64 info1;	  /* info1 / exit_info1 */
	__u64 info2;	  /* info2 / exit_info2 */
	__u32 intr_info;  /* intr_info / exit_int_info */
	__u32 error_code; /* error_code / exit_int_info_err */
	__u32 vcpu_id;	  /* vcpu_id, or NVMX_EV_VCPU_ID_NONE */
	__u32 msr;	  /* kvm_msr: the MSR index */
	/*
	 * kvm_msr: the data; NVMX_EV_LOST: how many events were lost (0: unknown); kvm_exit and
	 * kvm_nested_vmexit: the guest RIP (for the details of a lost event)
	 */
	__u64 value;
	__u32 flags;  /* NVMX_EV_F_* */
	__u32 cpu;    /* the CPU the event happened on, when cycles is set */
	__u64 cycles; /* that CPU's cycle counter at the event; 0: not counted (no counter) */
};

#endif /* NVMX_EVENTS_H */
