/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal "vmlinux.h" for nvmx: the tracefs records (struct trace_event_raw_<event>, made by
 * TRACE_EVENT() in arch/x86/kvm/trace.h) of the KVM tracepoints nvmx reads, with only the fields it
 * reads. Written by hand, not generated: the ___nvmx suffix makes libbpf match them by name to
 * the kernel's types (libbpf ignores the ___suffix), and preserve_access_index makes every field
 * access a CO-RE relocation, so offsets come from the running kernel's BTF: /sys/kernel/btf/vmlinux
 * when kvm is built in (this host, 6.18), /sys/kernel/btf/kvm when it is a module (Debian 6.1 and
 * 6.12; libbpf looks for candidate types in module BTF too).
 *
 * Field presence was checked against the tracefs format files of Debian 6.1.192 and 6.12.117
 * (/work/shared/traces/<capture>/formats) and this host's 6.18 (events/kvm/<event>/format).
 * Field sizes must equal the kernel's: a CO-RE load keeps the local size.
 */
#ifndef NVMX_KVM_TP_BPF_H
#define NVMX_KVM_TP_BPF_H

/*
 * kvm_exit and kvm_nested_vmexit: the same TRACE_EVENT_KVM_EXIT() layout, two types. 6.18 appends
 * `requests` (u64) after vcpu_id; nvmx does not read it, so its offset does not matter here.
 */
struct trace_event_raw_kvm_exit___nvmx {
	unsigned int exit_reason; /* 6.1, 6.12, 6.18 */
	unsigned long guest_rip;  /* 6.1, 6.12, 6.18; not captured (nvmx_event has no rip) */
	__u32 isa;		  /* 6.1, 6.12, 6.18 */
	__u64 info1;		  /* 6.1, 6.12, 6.18 */
	__u64 info2;		  /* 6.1, 6.12, 6.18 */
	__u32 intr_info;	  /* 6.1, 6.12, 6.18 */
	__u32 error_code;	  /* 6.1, 6.12, 6.18 */
	unsigned int vcpu_id;	  /* 6.1, 6.12, 6.18 */
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_nested_vmexit___nvmx {
	unsigned int exit_reason; /* 6.1, 6.12, 6.18 */
	unsigned long guest_rip;  /* 6.1, 6.12, 6.18 */
	__u32 isa;		  /* 6.1, 6.12, 6.18 */
	__u64 info1;		  /* 6.1, 6.12, 6.18 */
	__u64 info2;		  /* 6.1, 6.12, 6.18 */
	__u32 intr_info;	  /* 6.1, 6.12, 6.18 */
	__u32 error_code;	  /* 6.1, 6.12, 6.18 */
	unsigned int vcpu_id;	  /* 6.1, 6.12, 6.18 */
} __attribute__((preserve_access_index));

/* kvm_nested_vmexit_inject: exit_code is the raw reason (VMX: with its flag bits). */
struct trace_event_raw_kvm_nested_vmexit_inject___nvmx {
	__u32 exit_code;	 /* 6.1, 6.12, 6.18 */
	__u64 exit_info1;	 /* 6.1, 6.12, 6.18 */
	__u64 exit_info2;	 /* 6.1, 6.12, 6.18 */
	__u32 exit_int_info;	 /* 6.1, 6.12, 6.18 */
	__u32 exit_int_info_err; /* 6.1, 6.12, 6.18 */
	__u32 isa; /* 6.1, 6.12, 6.18; older kernels lacked it: bpf_core_field_exists() */
} __attribute__((preserve_access_index));

/*
 * kvm_nested_vmenter: only `isa` is read. 6.1+ also has guest_pgd (renamed from guest_cr3 in
 * 2022, which is why nothing here names it).
 */
struct trace_event_raw_kvm_nested_vmenter___nvmx {
	__u32 isa; /* 6.1, 6.12, 6.18; older kernels lacked it: bpf_core_field_exists() */
} __attribute__((preserve_access_index));

/*
 * kvm_entry: only vcpu_id is read. 6.10+ appends intr_info and error_code after immediate_exit
 * (6.1 and 6.12 formats above lack them; this host's 6.18 has them).
 */
struct trace_event_raw_kvm_entry___nvmx {
	unsigned int vcpu_id; /* 6.1, 6.12, 6.18 */
} __attribute__((preserve_access_index));

/* kvm_msr */
struct trace_event_raw_kvm_msr___nvmx {
	unsigned int write; /* 6.1, 6.12, 6.18 */
	__u32 ecx;	    /* 6.1, 6.12, 6.18 */
	__u64 data;	    /* 6.1, 6.12, 6.18 */
	__u8 exception;	    /* 6.1, 6.12, 6.18 */
} __attribute__((preserve_access_index));

/* kvm_userspace_exit: the KVM_EXIT_* reason and KVM_RUN's errno. */
struct trace_event_raw_kvm_userspace_exit___nvmx {
	__u32 reason; /* 6.1, 6.12, 6.18 */
	int errno;    /* 6.1, 6.12, 6.18 */
} __attribute__((preserve_access_index));

/*
 * kvm_inj_virq: 6.18's format has vector, soft, reinjected (5.19+; older kernels had only `irq`,
 * hence the existence checks in nvmx.bpf.c). kvm_inj_exception: exception, has_error,
 * error_code, reinjected (reinjected 5.19+).
 */
struct trace_event_raw_kvm_inj_virq___nvmx {
	unsigned int vector;
	_Bool soft;
	_Bool reinjected;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_inj_exception___nvmx {
	__u8 exception;
	__u8 has_error;
	__u32 error_code;
	_Bool reinjected;
} __attribute__((preserve_access_index));

/* kvm_nested_vmenter_failed and kvm_nested_intr_vmexit: no field is read, so no type here. */

/*
 * The vcpu of a tp_btf program (kvm_nested_vmexit's first argument): only the guest GPRs,
 * arch.regs[] indexed by enum kvm_reg (arch/x86/include/asm/kvm_host.h: VCPU_REGS_RAX 0,
 * VCPU_REGS_RCX 1, stable since the enum exists). In vmlinux BTF when kvm is built in, in the kvm
 * module's BTF otherwise.
 */
#define NVMX_VCPU_REGS_RCX 1
#define NVMX_VCPU_REGS_RIP 16 /* VCPU_REGS_RIP on x86_64 (after R8-R15), 6.1 and 6.12 */

/*
 * The guest RIP: regs[VCPU_REGS_RIP] up to 6.12 (regs[17]); 7.x keeps the GPRs in regs[16] and
 * the RIP in a field of its own, `rip` (VCPU_REG_RIP); read where bpf_core_field_exists says.
 */
struct kvm_vcpu_arch___nvmx {
	unsigned long regs[17]; /* 6.1, 6.12: 17 (RIP last); 7.3: 16 */
	unsigned long rip;	/* 7.3 */
} __attribute__((preserve_access_index));

struct kvm_vcpu___nvmx {
	int vcpu_id; /* what kvm_entry's record prints as vcpu */
	struct kvm_vcpu_arch___nvmx arch;
} __attribute__((preserve_access_index));

/*
 * SVM's exit fields, for kvm_exit and kvm_nested_vmexit as tp_btf: their prototype is (vcpu, isa)
 * and the record's fields come from kvm_x86_ops.get_exit_info, which on SVM (svm_get_exit_info)
 * copies them from the current VMCB's control area: reason = exit_code (the low 32 bits),
 * info1/info2 = exit_info_1/2, intr_info = exit_int_info, error_code = exit_int_info_err when
 * exit_int_info has VALID and VALID_ERR, else 0. struct vcpu_svm and struct vmcb are kvm_amd's
 * (its module BTF, /sys/kernel/btf/kvm_amd; never in vmlinux on Debian's kernels), found by
 * libbpf's CO-RE candidate search through every module's BTF. Checked against the BTF of Debian
 * 6.1.192, 6.12.118 and 7.3.4 (kvm-amd.ko): vcpu_svm starts with `struct kvm_vcpu vcpu` (to_svm
 * is a container_of), then `struct vmcb *vmcb` (the VMCB in use: vmcb02 while L2 runs);
 * vmcb.control is a struct vmcb_control_area whose exit fields are at 112-143 in all three.
 */
struct vmcb_control_area___nvmx {
	/*
	 * 6.1 and 6.12: u32 exit_code, then u32 exit_code_hi; 7.x: u64 exit_code. Four bytes at
	 * its offset are the low half either way (x86 is little-endian), which is what
	 * svm_get_exit_info's u32 reason gets.
	 */
	__u32 exit_code;
	__u64 exit_info_1;	 /* 6.1, 6.12, 7.3 */
	__u64 exit_info_2;	 /* 6.1, 6.12, 7.3 */
	__u32 exit_int_info;	 /* 6.1, 6.12, 7.3 */
	__u32 exit_int_info_err; /* 6.1, 6.12, 7.3 */
} __attribute__((preserve_access_index));

struct vmcb___nvmx {
	struct vmcb_control_area___nvmx control;
} __attribute__((preserve_access_index));

struct vcpu_svm___nvmx {
	struct kvm_vcpu___nvmx vcpu;
	struct vmcb___nvmx *vmcb;
} __attribute__((preserve_access_index));

/* SVM_EXITINTINFO_VALID, SVM_EXITINTINFO_VALID_ERR (arch/x86/include/asm/svm.h) */
#define NVMX_SVM_EXITINTINFO_VALID     0x80000000u
#define NVMX_SVM_EXITINTINFO_VALID_ERR 0x800u

/*
 * arm64 (arch/arm64/kvm/trace_arm.h and trace_handle_exit.h, FEAT_NV2): the records of the five
 * events the arm64 model reads, matched by CO-RE to the arm64 kernel's own types (the ___nvmx_arm64
 * suffix: x86's kvm_exit and kvm_entry records are other types of the same names). Fields as in the
 * tracefs formats of Debian's 7.3.4 arm64 kernel (tests/data/arm64-7.3/formats). Only the arm64
 * loader table attaches them (src/loader.c): on x86 they are never loaded.
 */
struct trace_event_raw_kvm_exit___nvmx_arm64 {
	int ret;	     /* ARM_EXCEPTION_* (asm/kvm_asm.h): 2 is a trap */
	unsigned int esr_ec; /* ESR_ELx.EC, meaningful for a trap only */
	unsigned long vcpu_pc;
} __attribute__((preserve_access_index));

/* kvm_entry: vcpu_pc only, not read (the level comes from the thread's state) */

struct trace_event_raw_kvm_nested_eret___nvmx_arm64 {
	unsigned long elr_el2;
	unsigned long spsr_el2; /* the mode it returns to in its M bits */
	unsigned long hcr_el2;	/* L1's HCR_EL2 (TGE) */
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_inject_nested_exception___nvmx_arm64 {
	unsigned long esr_el2;
	int type; /* except_type_sync 0, irq 0x80, fiq 0x100, serror 0x180 */
	unsigned long source_mode;
	unsigned long hcr_el2;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_forward_sysreg_trap___nvmx_arm64 {
	__u64 pc;
	__u32 sysreg;
	_Bool is_read;
} __attribute__((preserve_access_index));

#endif /* NVMX_KVM_TP_BPF_H */
