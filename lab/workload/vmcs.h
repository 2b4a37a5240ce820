/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMCS as the VMX L1 uses it: field encodings (Intel SDM vol. 3, appendix B), the control
 * bits it sets (SDM vol. 3, chapter 25), and which fields KVM shadows for L1.
 *
 * KVM's shadow list decides the exit multiplication this workload makes certain: with
 * kvm_intel.enable_shadow_vmcs=1, L1's VMREAD of a field in either list and its VMWRITE of a
 * field in the read-write list run in the shadow VMCS without exiting; every other VMREAD and
 * VMWRITE is an L1 exit. The lists are arch/x86/kvm/vmx/vmcs_shadow_fields.h as of kernel 5.3,
 * unchanged in 6.1 and 6.12: GUEST_{CS,SS}_AR_BYTES became read-only ("KVM: nVMX: Intercept
 * VMWRITEs to GUEST_{CS,SS}_AR_BYTES", 5.2) and PIN_BASED_VM_EXEC_CONTROL read-write ("KVM:
 * nVMX: shadow pin based execution controls", 5.3). init_vmcs_shadow_fields() drops
 * GUEST_PML_INDEX, VMX_PREEMPTION_TIMER_VALUE and GUEST_INTR_STATUS when the CPU lacks them, so
 * this L1 never touches those three.
 */
#ifndef NVMX_LAB_VMCS_H
#define NVMX_LAB_VMCS_H

#include <stdbool.h>
#include <stdint.h>

/* 16-bit fields */
#define VMCS_GUEST_ES_SELECTOR 0x0800
#define VMCS_GUEST_CS_SELECTOR 0x0802
#define VMCS_GUEST_SS_SELECTOR 0x0804
#define VMCS_GUEST_DS_SELECTOR 0x0806
#define VMCS_GUEST_FS_SELECTOR 0x0808
#define VMCS_GUEST_GS_SELECTOR 0x080a
#define VMCS_GUEST_TR_SELECTOR 0x080e
#define VMCS_GUEST_INTR_STATUS 0x0810
#define VMCS_GUEST_PML_INDEX   0x0812
#define VMCS_HOST_ES_SELECTOR  0x0c00
#define VMCS_HOST_CS_SELECTOR  0x0c02
#define VMCS_HOST_SS_SELECTOR  0x0c04
#define VMCS_HOST_DS_SELECTOR  0x0c06
#define VMCS_HOST_FS_SELECTOR  0x0c08
#define VMCS_HOST_GS_SELECTOR  0x0c0a
#define VMCS_HOST_TR_SELECTOR  0x0c0c
/* 64-bit fields */
#define VMCS_IO_BITMAP_A	    0x2000
#define VMCS_IO_BITMAP_B	    0x2002
#define VMCS_MSR_BITMAP		    0x2004
#define VMCS_EPT_POINTER	    0x201a
#define VMCS_GUEST_PHYSICAL_ADDRESS 0x2400
#define VMCS_LINK_POINTER	    0x2800
/* 32-bit fields */
#define VMCS_PIN_BASED_VM_EXEC_CONTROL	   0x4000
#define VMCS_CPU_BASED_VM_EXEC_CONTROL	   0x4002
#define VMCS_EXCEPTION_BITMAP		   0x4004
#define VMCS_VM_EXIT_CONTROLS		   0x400c
#define VMCS_VM_ENTRY_CONTROLS		   0x4012
#define VMCS_VM_ENTRY_INTR_INFO_FIELD	   0x4016
#define VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE 0x4018
#define VMCS_VM_ENTRY_INSTRUCTION_LEN	   0x401a
#define VMCS_TPR_THRESHOLD		   0x401c
#define VMCS_SECONDARY_VM_EXEC_CONTROL	   0x401e
#define VMCS_VM_INSTRUCTION_ERROR	   0x4400
#define VMCS_VM_EXIT_REASON		   0x4402
#define VMCS_VM_EXIT_INTR_INFO		   0x4404
#define VMCS_VM_EXIT_INTR_ERROR_CODE	   0x4406
#define VMCS_IDT_VECTORING_INFO_FIELD	   0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE	   0x440a
#define VMCS_VM_EXIT_INSTRUCTION_LEN	   0x440c
#define VMCS_GUEST_ES_LIMIT		   0x4800
#define VMCS_GUEST_CS_LIMIT		   0x4802
#define VMCS_GUEST_SS_LIMIT		   0x4804
#define VMCS_GUEST_DS_LIMIT		   0x4806
#define VMCS_GUEST_FS_LIMIT		   0x4808
#define VMCS_GUEST_GS_LIMIT		   0x480a
#define VMCS_GUEST_TR_LIMIT		   0x480e
#define VMCS_GUEST_GDTR_LIMIT		   0x4810
#define VMCS_GUEST_ES_AR_BYTES		   0x4814
#define VMCS_GUEST_CS_AR_BYTES		   0x4816
#define VMCS_GUEST_SS_AR_BYTES		   0x4818
#define VMCS_GUEST_DS_AR_BYTES		   0x481a
#define VMCS_GUEST_FS_AR_BYTES		   0x481c
#define VMCS_GUEST_GS_AR_BYTES		   0x481e
#define VMCS_GUEST_LDTR_AR_BYTES	   0x4820
#define VMCS_GUEST_TR_AR_BYTES		   0x4822
#define VMCS_GUEST_INTERRUPTIBILITY_INFO   0x4824
#define VMCS_VMX_PREEMPTION_TIMER_VALUE	   0x482e
/* natural-width fields */
#define VMCS_CR0_GUEST_HOST_MASK  0x6000
#define VMCS_CR0_READ_SHADOW	  0x6004
#define VMCS_CR4_READ_SHADOW	  0x6006
#define VMCS_EXIT_QUALIFICATION	  0x6400
#define VMCS_GUEST_LINEAR_ADDRESS 0x640a
#define VMCS_GUEST_CR0		  0x6800
#define VMCS_GUEST_CR3		  0x6802
#define VMCS_GUEST_CR4		  0x6804
#define VMCS_GUEST_GDTR_BASE	  0x6816
#define VMCS_GUEST_RSP		  0x681c
#define VMCS_GUEST_RIP		  0x681e
#define VMCS_GUEST_RFLAGS	  0x6820
#define VMCS_HOST_CR0		  0x6c00
#define VMCS_HOST_CR3		  0x6c02
#define VMCS_HOST_CR4		  0x6c04
#define VMCS_HOST_FS_BASE	  0x6c06
#define VMCS_HOST_GS_BASE	  0x6c08
#define VMCS_HOST_GDTR_BASE	  0x6c0c
#define VMCS_HOST_IDTR_BASE	  0x6c0e
#define VMCS_HOST_RSP		  0x6c14
#define VMCS_HOST_RIP		  0x6c16

/* Controls (SDM vol. 3, 25.6 and 25.7-25.8). */
#define VMX_PIN_EXT_INTR_EXITING      (1u << 0)
#define VMX_PROC_HLT_EXITING	      (1u << 7)
#define VMX_PROC_USE_IO_BITMAPS	      (1u << 25)
#define VMX_PROC_USE_MSR_BITMAPS      (1u << 28)
#define VMX_PROC_ACTIVATE_SECONDARY   (1u << 31)
#define VMX_PROC2_ENABLE_EPT	      (1u << 1)
#define VMX_EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define VMX_EXIT_ACK_INTR_ON_EXIT     (1u << 15)
#define VMX_ENTRY_IA32E_MODE	      (1u << 9)

/* The capability MSRs KVM reports to L1 (SDM vol. 3, appendix A), index = MSR - 0x480. */
#define VMX_MSR_BASE		   0x480
#define VMX_MSR_BASIC		   0x0
#define VMX_MSR_PINBASED_CTLS	   0x1
#define VMX_MSR_PROCBASED_CTLS	   0x2
#define VMX_MSR_EXIT_CTLS	   0x3
#define VMX_MSR_ENTRY_CTLS	   0x4
#define VMX_MSR_PROCBASED_CTLS2	   0xb
#define VMX_MSR_EPT_VPID_CAP	   0xc
#define VMX_MSR_TRUE_PINBASED_CTLS 0xd
#define VMX_MSR_TRUE_PROCBASED	   0xe
#define VMX_MSR_TRUE_EXIT_CTLS	   0xf
#define VMX_MSR_TRUE_ENTRY_CTLS	   0x10
#define VMX_MSR_COUNT		   0x11
#define VMX_BASIC_TRUE_CTLS	   (1ull << 55)
#define VMX_EPT_CAP_WALK_4	   (1ull << 6)
#define VMX_EPT_CAP_WB		   (1ull << 14)
#define VMX_EPT_CAP_2MB		   (1ull << 16)

#define MSR_IA32_FEATURE_CONTROL 0x3a
#define X86_CR4_VMXE		 (1ull << 13)

/* VM-exit interruption and IDT-vectoring information (SDM vol. 3, 25.9.2-25.9.3). */
#define VMX_INTR_INFO_VALID	(1u << 31)
#define VMX_INTR_TYPE_EXT_INTR	(0u << 8)
#define VMX_INTR_TYPE_HW_EXC	(3u << 8)
#define VMX_INTR_TYPE_SOFT_INTR (4u << 8)
#define VMX_INTR_ERROR_VALID	(1u << 11)

/*
 * The fields L1 writes once to set up L2's VMCS, in this order (every other field keeps the
 * zero of the cleared VMCS region). With l1-ept, WL_VMX_EPT_FIELDS follow.
 */
#define WL_VMX_SETUP_FIELDS                                                                        \
	VMCS_CPU_BASED_VM_EXEC_CONTROL, VMCS_PIN_BASED_VM_EXEC_CONTROL, VMCS_EXCEPTION_BITMAP,     \
		VMCS_VM_EXIT_CONTROLS, VMCS_VM_ENTRY_CONTROLS, VMCS_IO_BITMAP_A, VMCS_IO_BITMAP_B, \
		VMCS_MSR_BITMAP, VMCS_LINK_POINTER, VMCS_HOST_CR0, VMCS_HOST_CR3, VMCS_HOST_CR4,   \
		VMCS_HOST_CS_SELECTOR, VMCS_HOST_SS_SELECTOR, VMCS_HOST_DS_SELECTOR,               \
		VMCS_HOST_ES_SELECTOR, VMCS_HOST_FS_SELECTOR, VMCS_HOST_GS_SELECTOR,               \
		VMCS_HOST_TR_SELECTOR, VMCS_HOST_GDTR_BASE, VMCS_HOST_IDTR_BASE, VMCS_HOST_RSP,    \
		VMCS_HOST_RIP, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_SS_SELECTOR,                     \
		VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_FS_SELECTOR,            \
		VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_TR_SELECTOR, VMCS_GUEST_CS_LIMIT,               \
		VMCS_GUEST_SS_LIMIT, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_ES_LIMIT,                     \
		VMCS_GUEST_FS_LIMIT, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_TR_LIMIT,                     \
		VMCS_GUEST_CS_AR_BYTES, VMCS_GUEST_SS_AR_BYTES, VMCS_GUEST_DS_AR_BYTES,            \
		VMCS_GUEST_ES_AR_BYTES, VMCS_GUEST_FS_AR_BYTES, VMCS_GUEST_GS_AR_BYTES,            \
		VMCS_GUEST_TR_AR_BYTES, VMCS_GUEST_LDTR_AR_BYTES, VMCS_GUEST_GDTR_BASE,            \
		VMCS_GUEST_GDTR_LIMIT, VMCS_GUEST_CR0, VMCS_GUEST_CR3, VMCS_GUEST_CR4,             \
		VMCS_GUEST_RSP, VMCS_GUEST_RIP, VMCS_GUEST_RFLAGS
#define WL_VMX_EPT_FIELDS VMCS_SECONDARY_VM_EXEC_CONTROL, VMCS_EPT_POINTER

/* What L1's exit handler reads on every exit it handles, in this order. */
#define WL_VMX_EXIT_READS                                                     \
	VMCS_VM_EXIT_REASON, VMCS_EXIT_QUALIFICATION, VMCS_VM_EXIT_INTR_INFO, \
		VMCS_IDT_VECTORING_INFO_FIELD, VMCS_GUEST_RIP, VMCS_VM_EXIT_INSTRUCTION_LEN
/* What it writes on every exit it resumes L2 from after handling L2's instruction. */
#define WL_VMX_REFLECTED_WRITES VMCS_GUEST_RIP

/* A field in KVM's shadow_read_write_fields (see above). */
static inline bool wl_kvm_shadows_rw(uint32_t field)
{
	switch (field) {
	case VMCS_GUEST_INTR_STATUS:
	case VMCS_GUEST_PML_INDEX:
	case VMCS_HOST_FS_SELECTOR:
	case VMCS_HOST_GS_SELECTOR:
	case VMCS_CPU_BASED_VM_EXEC_CONTROL:
	case VMCS_PIN_BASED_VM_EXEC_CONTROL:
	case VMCS_EXCEPTION_BITMAP:
	case VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE:
	case VMCS_VM_ENTRY_INTR_INFO_FIELD:
	case VMCS_VM_ENTRY_INSTRUCTION_LEN:
	case VMCS_TPR_THRESHOLD:
	case VMCS_GUEST_INTERRUPTIBILITY_INFO:
	case VMCS_VMX_PREEMPTION_TIMER_VALUE:
	case VMCS_GUEST_RIP:
	case VMCS_GUEST_RSP:
	case VMCS_GUEST_CR0:
	case VMCS_GUEST_CR3:
	case VMCS_GUEST_CR4:
	case VMCS_GUEST_RFLAGS:
	case VMCS_CR0_GUEST_HOST_MASK:
	case VMCS_CR0_READ_SHADOW:
	case VMCS_CR4_READ_SHADOW:
	case VMCS_HOST_FS_BASE:
	case VMCS_HOST_GS_BASE:
		return true;
	default:
		return false;
	}
}

/* A field in KVM's shadow_read_only_fields. */
static inline bool wl_kvm_shadows_ro(uint32_t field)
{
	switch (field) {
	case VMCS_VM_EXIT_REASON:
	case VMCS_VM_EXIT_INTR_INFO:
	case VMCS_VM_EXIT_INSTRUCTION_LEN:
	case VMCS_IDT_VECTORING_INFO_FIELD:
	case VMCS_IDT_VECTORING_ERROR_CODE:
	case VMCS_VM_EXIT_INTR_ERROR_CODE:
	case VMCS_GUEST_CS_AR_BYTES:
	case VMCS_GUEST_SS_AR_BYTES:
	case VMCS_EXIT_QUALIFICATION:
	case VMCS_GUEST_LINEAR_ADDRESS:
	case VMCS_GUEST_PHYSICAL_ADDRESS:
		return true;
	default:
		return false;
	}
}

/* Whether L1's VMWRITE / VMREAD of field exits to L0, given kvm_intel.enable_shadow_vmcs. */
static inline bool wl_vmwrite_exits(uint32_t field, bool shadow_vmcs)
{
	return !(shadow_vmcs && wl_kvm_shadows_rw(field));
}

static inline bool wl_vmread_exits(uint32_t field, bool shadow_vmcs)
{
	return !(shadow_vmcs && (wl_kvm_shadows_rw(field) || wl_kvm_shadows_ro(field)));
}

#endif /* NVMX_LAB_VMCS_H */
