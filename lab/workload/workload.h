/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nested workload generator: a minimal L1 hypervisor whose L2 runs a workload chosen at run
 * time, and the exact counts that workload makes certain.
 *
 * One static binary holds the VMM (user space in L0), the L1 hypervisor and the L2 code. The
 * VMM copies its own loaded image into guest memory at the same addresses and maps it 1:1, so L1
 * and L2 run C functions of this very program (see vm.c); they talk to the VMM through a
 * per-vCPU mailbox in guest memory and a few I/O ports.
 */
#ifndef NVMX_LAB_WORKLOAD_H
#define NVMX_LAB_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The elements of a workload; each is one bit of the mask L2's loop runs. */
enum wl_element {
	WL_CPUID,
	WL_VMMCALL,
	WL_HLT,
	WL_IO_IN_L1,
	WL_IO_OUT_L1,
	WL_IO_IN_L0,
	WL_IO_OUT_L0,
	WL_RDMSR_L1,
	WL_WRMSR_L1,
	WL_RDMSR_L0,
	WL_WRMSR_L0,
	WL_INTR,
	WL_VECTORING,
	WL_REINJECT,
	WL_NR_ELEMENTS,
};

#define WL_BIT(e) (1u << (e))

/* Elements whose L2 exit L1 intercepts: each iteration reflects one exit per element. */
#define WL_REFLECTED_MASK                                                               \
	(WL_BIT(WL_CPUID) | WL_BIT(WL_VMMCALL) | WL_BIT(WL_HLT) | WL_BIT(WL_IO_IN_L1) | \
	 WL_BIT(WL_IO_OUT_L1) | WL_BIT(WL_RDMSR_L1) | WL_BIT(WL_WRMSR_L1) | WL_BIT(WL_VECTORING))

/*
 * Ports. None is emulated inside KVM (the in-kernel irqchip has the PIC at 0x20/0xa0/0x4d0 and
 * no PIT is created), so an access L0 handles goes out to this program.
 */
#define WL_PORT_L1	0x80 /* set in L1's I/O permission map: reflected */
#define WL_PORT_L0	0x81 /* clear in L1's map: L0 handles it, exiting to the VMM */
#define WL_PORT_KICK	0x82 /* clear in L1's map: the VMM answers with an MSI to this vCPU's L1 */
#define WL_PORT_L1_DONE 0x84 /* written by L1 itself (an L1 exit): the run is over */

/* MSRs. */
#define WL_MSR_L1	   0x174 /* IA32_SYSENTER_CS: set in L1's MSR permission map: reflected */
#define WL_MSR_L0_READ	   0x1b	 /* IA32_APIC_BASE: L0 intercepts it, L1 does not */
#define WL_MSR_L0_WRITE	   0x79	 /* IA32_UCODE_WRITE: L0 intercepts it and ignores the write */
#define WL_MSR_VM_HSAVE_PA 0xc0010117
#define WL_MSR_X2APIC_EOI  0x80b
#define WL_MSR_X2APIC_SVR  0x80f

/* The vector L1's interrupts arrive on, and the software interrupt L2 raises for vectoring. */
#define WL_INTR_VECTOR	  0x30
#define WL_SOFTINT_VECTOR 0x21
/* reinject: the exception L2 raises (#DE: a fault, no error code, intercepted by neither level) */
#define WL_REINJECT_VECTOR 0

/* RAX value of the VMMCALL that tells L1 the workload is over. */
#define WL_DONE_MAGIC 0x4e564d58 /* "NVMX"; no u suffix: L2 loads it in asm, clang rejects it */

#define WL_MAX_VCPUS 8

/* What L1 counted, by what it handled; the VMM checks these against the plan. */
struct wl_l1_counts {
	uint64_t cpuid, vmmcall, hlt, io_in, io_out, rdmsr, wrmsr, vectoring, intr, done;
	uint64_t vmruns;
	uint64_t interrupts_taken; /* by L1's IDT handler */
	uint64_t mult_ops;	   /* extra intercepted operations done by L1's handlers */
	/* VMX: VMREAD/VMWRITEs executed, and those of fields KVM's shadow VMCS covers. */
	uint64_t vmreads, vmreads_shadowable, vmwrites, vmwrites_shadowable;
};

enum wl_status {
	WL_STATUS_RUNNING = 0,
	WL_STATUS_DONE = 1,
	WL_STATUS_ERROR = 2,
};

/*
 * The per-vCPU mailbox, in guest memory, written by the VMM before L1 starts and by L1 while it
 * runs. Fixed-width fields only: the same layout is read by the VMM and by L1.
 */
struct wl_mailbox {
	/* in */
	uint64_t iterations;
	uint32_t elements; /* WL_BIT() mask */
	uint32_t mult;	   /* intercepted operations L1 performs per reflected exit */
	uint32_t vcpu;
	uint32_t l1_takes_interrupts;
	uint64_t vmcb_gpa, hsave_gpa, msrpm_gpa, iopm_gpa;
	uint64_t l2_stack_top;
	/*
	 * L1's own control state as the VMM set it, for L2's VMCB: reading it in L1 would add
	 * exits that depend on L0's configuration (CR4 and EFER reads exit under some).
	 */
	uint64_t cr0, cr3, cr4, efer;
	uint64_t gdt_base;
	uint32_t gdt_limit;
	uint32_t l1_ept;       /* VMX: L1 gives L2 an EPT */
	uint64_t reinject_top; /* reinject: top of this vCPU's first fresh page (L2's R13) */
	/* VMX: the capability MSRs 0x480.. as KVM reports them to L1 (read by the VMM). */
	uint64_t vmx_msr[17];
	uint64_t vmcs_gpa, vmxon_gpa, io_bitmap_b_gpa, ept_pml4_gpa;
	/* out */
	uint32_t status; /* enum wl_status */
	uint32_t error_exit_code;
	uint64_t error_info[4];
	struct wl_l1_counts counts;
};

/* Knowledge of one element: its name in SPEC, what it means, what it makes certain. */
struct wl_element_info {
	const char *name;
	const char *meaning;
	const char *certain; /* the certain counts it adds per iteration, for `--list` */
};

extern const struct wl_element_info wl_elements[WL_NR_ELEMENTS];

struct wl_spec {
	uint32_t elements;
	uint32_t mult;
	bool has_mult;
	bool l1_ept; /* "l1-ept": the VMX L1 runs L2 with EPT (VMX only) */
};

/* Parses SPEC ("cpuid,io-out-l0,mult=3"). On error returns -EINVAL and a reason in err. */
int wl_spec_parse(const char *text, struct wl_spec *spec, char *err, size_t errlen);

/* L0's configuration that decides which of L1's own instructions exit. */
struct wl_l0_config {
	bool vgif;	  /* kvm_amd.vgif: STGI/CLGI run without exiting */
	bool shadow_vmcs; /* kvm_intel.enable_shadow_vmcs: some VMREAD/VMWRITEs do not exit */
};

/* VMX L1: the VMREAD and VMWRITE L1 exits of one run of one vCPU, from vmcs.h's lists. */
struct wl_vmx_plan {
	uint64_t setup_vmwrites, setup_vmwrite_exits;
	uint64_t exit_vmreads, exit_vmread_exits;	      /* per exit L1 handles */
	uint64_t reflected_vmwrites, reflected_vmwrite_exits; /* per reflected exit */
};
void wl_vmx_plan(bool l1_ept, bool shadow_vmcs, struct wl_vmx_plan *plan);

struct nvmx_summary;

/* The counts a run of spec makes certain, for all vCPUs. Returns 0 or -ENOMEM. */
int wl_truth_svm(const struct wl_spec *spec, uint64_t iterations, uint32_t vcpus,
		 const struct wl_l0_config *l0, struct nvmx_summary *truth);

int wl_truth_vmx(const struct wl_spec *spec, uint64_t iterations, uint32_t vcpus,
		 const struct wl_l0_config *l0, struct nvmx_summary *truth);

/* The guest side (svm_guest.c, vmx_guest.c). */
void wl_svm_l1_main(struct wl_mailbox *mb);
void wl_vmx_l1_main(struct wl_mailbox *mb);

#endif /* NVMX_LAB_WORKLOAD_H */
