// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of the VMX workload: a minimal L1 hypervisor (C, run in L1 at the addresses
 * this program is linked at) and the L2 loop (assembly).
 *
 * Built freestanding like svm_guest.c (see CMakeLists.txt). L1 enters VMX operation (VMXON,
 * VMCLEAR, VMPTRLD), writes the fields of vmcs.h's WL_VMX_SETUP_FIELDS, VMLAUNCHes L2, and
 * resumes it with VMRESUME after every exit it handles. Every VMREAD and VMWRITE goes through
 * vmread()/vmwrite(), which count them: KVM turns some of them into L1 exits (vmcs.h), and the
 * truth has to know exactly how many.
 */
#include <stddef.h>
#include <stdint.h>

#include <asm/vmx.h>

#include "l1_runtime.h"
#include "layout.h"
#include "vmcs.h"
#include "workload.h"

_Static_assert(WL_AREA_SIZE == 0x40000, "the exit stub masks RSP with -0x40000");
WL_L2_LOOP(wl_vmx_l2_main, "vmcall");

/* clang-format off */
/* L2's general registers but RSP, which lives in the VMCS. */
struct l2_regs {
	uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rax;
};

/*
 * int vmx_run_l2(struct l2_regs *regs, int launched): VMLAUNCH (launched == 0) or VMRESUME with
 * L2's registers loaded. Returns 0 after a VM exit, with L2's registers saved back, or 1 when
 * the instruction failed (VMfail: L1 goes on right after it, nothing switched).
 * L1's stack pointer is kept at WL_AREA_L1_RSP of this vCPU's area; HOST_RSP is the area's exit
 * stack and HOST_RIP vmx_exit_stub, which finds the area from RSP (every area is WL_AREA_SIZE
 * aligned), saves L2's registers and returns here on L1's stack.
 */
__asm__(".text\n"
	"vmx_run_l2:\n"
	"push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"push %rdi\n"
	"mov %rsp, %rax\n"
	"and $-0x40000, %rax\n"
	"mov %rsp, " STR(WL_AREA_L1_RSP) "(%rax)\n"
	"test %esi, %esi\n"
	"mov 0x00(%rdi), %rbx\n mov 0x08(%rdi), %rcx\n mov 0x10(%rdi), %rdx\n"
	"mov 0x18(%rdi), %rsi\n mov 0x28(%rdi), %rbp\n"
	"mov 0x30(%rdi), %r8\n mov 0x38(%rdi), %r9\n mov 0x40(%rdi), %r10\n mov 0x48(%rdi), %r11\n"
	"mov 0x50(%rdi), %r12\n mov 0x58(%rdi), %r13\n mov 0x60(%rdi), %r14\n mov 0x68(%rdi), %r15\n"
	"mov 0x70(%rdi), %rax\n"
	"mov 0x20(%rdi), %rdi\n"
	"jnz 1f\n"
	"vmlaunch\n"
	"jmp 2f\n"
	"1:\n"
	"vmresume\n"
	"2:\n"
	"pop %rdi\n"
	"mov $1, %eax\n"
	"jmp 3f\n"
	".globl vmx_exit_stub\n"
	"vmx_exit_stub:\n"
	"push %rax\n"
	"push %rdi\n"
	"mov %rsp, %rdi\n"
	"and $-0x40000, %rdi\n"
	"mov " STR(WL_AREA_L1_RSP) "(%rdi), %rdi\n"
	"mov (%rdi), %rdi\n"
	"mov %rbx, 0x00(%rdi)\n mov %rcx, 0x08(%rdi)\n mov %rdx, 0x10(%rdi)\n"
	"mov %rsi, 0x18(%rdi)\n mov %rbp, 0x28(%rdi)\n"
	"mov %r8, 0x30(%rdi)\n mov %r9, 0x38(%rdi)\n mov %r10, 0x40(%rdi)\n mov %r11, 0x48(%rdi)\n"
	"mov %r12, 0x50(%rdi)\n mov %r13, 0x58(%rdi)\n mov %r14, 0x60(%rdi)\n mov %r15, 0x68(%rdi)\n"
	"pop %rax\n mov %rax, 0x20(%rdi)\n"
	"pop %rax\n mov %rax, 0x70(%rdi)\n"
	"mov %rsp, %rax\n"
	"and $-0x40000, %rax\n"
	"mov " STR(WL_AREA_L1_RSP) "(%rax), %rsp\n"
	"pop %rdi\n"
	"xor %eax, %eax\n"
	"3:\n"
	"pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"ret\n");
int vmx_run_l2(struct l2_regs *regs, int launched);
void vmx_exit_stub(void);
/* clang-format on */

static const uint32_t setup_fields[] = { WL_VMX_SETUP_FIELDS };
static const uint32_t ept_fields[] = { WL_VMX_EPT_FIELDS };

/* Failure codes of L1's own VMX instructions, for error_exit_code. */
enum { FAIL_VMXON = 0xfffe0000, FAIL_VMCLEAR, FAIL_VMPTRLD, FAIL_VMWRITE, FAIL_VMREAD, FAIL_ENTRY };

/* A VMX instruction failed when CF (VMfailInvalid) or ZF (VMfailValid) is set. */
static uint64_t vmread(struct wl_mailbox *mb, uint32_t field)
{
	uint64_t value = 0;
	uint8_t failed;

	mb->counts.vmreads++;
	if (wl_vmread_exits(field, true) == false)
		mb->counts.vmreads_shadowable++;
	__asm__ volatile("vmread %2, %0\n setbe %1"
			 : "=rm"(value), "=qm"(failed)
			 : "r"((uint64_t)field)
			 : "cc");
	if (failed)
		l1_fail(mb, FAIL_VMREAD, field, 0, 0, 0);
	return value;
}

static void vmwrite(struct wl_mailbox *mb, uint32_t field, uint64_t value)
{
	uint8_t failed;

	mb->counts.vmwrites++;
	if (wl_vmwrite_exits(field, true) == false)
		mb->counts.vmwrites_shadowable++;
	__asm__ volatile("vmwrite %1, %2\n setbe %0"
			 : "=qm"(failed)
			 : "rm"(value), "r"((uint64_t)field)
			 : "cc", "memory");
	if (failed)
		l1_fail(mb, FAIL_VMWRITE, field, value, 0, 0);
}

static void vmx_op(struct wl_mailbox *mb, uint32_t code, uint64_t pa)
{
	uint8_t failed;

	switch (code) {
	case FAIL_VMXON:
		__asm__ volatile("vmxon %1\n setbe %0" : "=qm"(failed) : "m"(pa) : "cc", "memory");
		break;
	case FAIL_VMCLEAR:
		__asm__ volatile("vmclear %1\n setbe %0"
				 : "=qm"(failed)
				 : "m"(pa)
				 : "cc", "memory");
		break;
	default:
		__asm__ volatile("vmptrld %1\n setbe %0"
				 : "=qm"(failed)
				 : "m"(pa)
				 : "cc", "memory");
		break;
	}
	if (failed)
		l1_fail(mb, code, pa, 0, 0, 0);
}

/*
 * A control value from its capability MSR: bits 31:0 must be 1, bits 63:32 may be 1 (SDM vol.
 * 3, A.3). A wanted control the CPU lacks ends the run.
 */
static uint32_t control(struct wl_mailbox *mb, uint32_t msr_index, uint32_t want)
{
	uint64_t cap = mb->vmx_msr[msr_index];
	uint32_t value = (want | (uint32_t)cap) & (uint32_t)(cap >> 32);

	if ((value & want) != want)
		l1_fail(mb, FAIL_ENTRY, VMX_MSR_BASE + msr_index, cap, want, 0);
	return value;
}

/* L1's EPT for L2: the first GiB 1:1 with 2 MiB pages, write-back (SDM vol. 3, 29.3.2). */
static uint64_t setup_ept(struct wl_mailbox *mb)
{
	uint64_t *pml4 = (uint64_t *)mb->ept_pml4_gpa;
	uint64_t *pdpt = (uint64_t *)(mb->ept_pml4_gpa + 0x1000);
	uint64_t *pd = (uint64_t *)(mb->ept_pml4_gpa + 0x2000);

	pml4[0] = (uint64_t)pdpt | 0x7;
	pdpt[0] = (uint64_t)pd | 0x7;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | (1u << 7) | (6u << 3) | 0x7;
	return (uint64_t)pml4 | (3u << 3) | 6u;
}

static uint64_t setup_value(struct wl_mailbox *mb, uint32_t field, uint64_t idt, uint64_t eptp)
{
	bool true_ctls = mb->vmx_msr[VMX_MSR_BASIC] & VMX_BASIC_TRUE_CTLS;
	uint32_t proc = VMX_PROC_HLT_EXITING | VMX_PROC_USE_IO_BITMAPS | VMX_PROC_USE_MSR_BITMAPS;
	uint32_t exit = VMX_EXIT_HOST_ADDR_SPACE_SIZE;

	if (mb->l1_ept)
		proc |= VMX_PROC_ACTIVATE_SECONDARY;
	/* The vector is acknowledged on the exit: L1 reads it, nothing to deliver afterwards. */
	if (mb->l1_takes_interrupts)
		exit |= VMX_EXIT_ACK_INTR_ON_EXIT;
	switch (field) {
	case VMCS_PIN_BASED_VM_EXEC_CONTROL:
		return control(mb, true_ctls ? VMX_MSR_TRUE_PINBASED_CTLS : VMX_MSR_PINBASED_CTLS,
			       mb->l1_takes_interrupts ? VMX_PIN_EXT_INTR_EXITING : 0);
	case VMCS_CPU_BASED_VM_EXEC_CONTROL:
		return control(mb, true_ctls ? VMX_MSR_TRUE_PROCBASED : VMX_MSR_PROCBASED_CTLS,
			       proc);
	case VMCS_SECONDARY_VM_EXEC_CONTROL:
		return control(mb, VMX_MSR_PROCBASED_CTLS2, VMX_PROC2_ENABLE_EPT);
	case VMCS_EPT_POINTER:
		return eptp;
	case VMCS_EXCEPTION_BITMAP:
		return (mb->elements & WL_BIT(WL_VECTORING)) ? 1u << 13 : 0; /* #GP */
	case VMCS_VM_EXIT_CONTROLS:
		return control(mb, true_ctls ? VMX_MSR_TRUE_EXIT_CTLS : VMX_MSR_EXIT_CTLS, exit);
	case VMCS_VM_ENTRY_CONTROLS:
		return control(mb, true_ctls ? VMX_MSR_TRUE_ENTRY_CTLS : VMX_MSR_ENTRY_CTLS,
			       VMX_ENTRY_IA32E_MODE);
	case VMCS_IO_BITMAP_A:
		return mb->iopm_gpa;
	case VMCS_IO_BITMAP_B:
		return mb->io_bitmap_b_gpa;
	case VMCS_MSR_BITMAP:
		return mb->msrpm_gpa;
	case VMCS_LINK_POINTER:
		return ~0ull;
	case VMCS_HOST_CR0:
	case VMCS_GUEST_CR0:
		return mb->cr0;
	case VMCS_HOST_CR3:
	case VMCS_GUEST_CR3:
		return mb->cr3;
	case VMCS_HOST_CR4:
	case VMCS_GUEST_CR4:
		return mb->cr4;
	case VMCS_HOST_CS_SELECTOR:
	case VMCS_GUEST_CS_SELECTOR:
		return 0x08;
	case VMCS_HOST_SS_SELECTOR:
	case VMCS_HOST_DS_SELECTOR:
	case VMCS_HOST_ES_SELECTOR:
	case VMCS_HOST_FS_SELECTOR:
	case VMCS_HOST_GS_SELECTOR:
	case VMCS_GUEST_SS_SELECTOR:
	case VMCS_GUEST_DS_SELECTOR:
	case VMCS_GUEST_ES_SELECTOR:
	case VMCS_GUEST_FS_SELECTOR:
	case VMCS_GUEST_GS_SELECTOR:
		return 0x10;
	case VMCS_HOST_TR_SELECTOR:
	case VMCS_GUEST_TR_SELECTOR:
		return 0x18;
	case VMCS_HOST_GDTR_BASE:
	case VMCS_GUEST_GDTR_BASE:
		return mb->gdt_base;
	case VMCS_GUEST_GDTR_LIMIT:
		return mb->gdt_limit;
	case VMCS_HOST_IDTR_BASE:
		return idt;
	case VMCS_HOST_RSP:
		return (uint64_t)mb + WL_AREA_EXIT_STACK_TOP;
	case VMCS_HOST_RIP:
		return (uint64_t)vmx_exit_stub;
	case VMCS_GUEST_CS_LIMIT:
	case VMCS_GUEST_SS_LIMIT:
	case VMCS_GUEST_DS_LIMIT:
	case VMCS_GUEST_ES_LIMIT:
	case VMCS_GUEST_FS_LIMIT:
	case VMCS_GUEST_GS_LIMIT:
		return 0xffffffff;
	case VMCS_GUEST_TR_LIMIT:
		return 0x67;
	case VMCS_GUEST_CS_AR_BYTES:
		return 0xa09b; /* 64-bit code, present, G */
	case VMCS_GUEST_SS_AR_BYTES:
	case VMCS_GUEST_DS_AR_BYTES:
	case VMCS_GUEST_ES_AR_BYTES:
	case VMCS_GUEST_FS_AR_BYTES:
	case VMCS_GUEST_GS_AR_BYTES:
		return 0xc093; /* data, present, G, D */
	case VMCS_GUEST_TR_AR_BYTES:
		return 0x8b; /* busy 64-bit TSS */
	case VMCS_GUEST_LDTR_AR_BYTES:
		return 0x10000; /* unusable */
	case VMCS_GUEST_RSP:
		return mb->l2_stack_top;
	case VMCS_GUEST_RIP:
		return (uint64_t)wl_vmx_l2_main;
	case VMCS_GUEST_RFLAGS:
		return 0x2;
	}
	l1_fail(mb, FAIL_VMWRITE, field, 0, 0, 1);
}

/* Returns whether L1 resumes L2 after this exit (false: the run is over). */
static int handle_exit(struct wl_mailbox *mb, struct l2_regs *regs, int *reflected)
{
	uint64_t v[6];
	static const uint32_t reads[6] = { WL_VMX_EXIT_READS };

	for (int i = 0; i < 6; i++)
		v[i] = vmread(mb, reads[i]);
	uint32_t reason = (uint32_t)v[0], intr_info = (uint32_t)v[2], idt_info = (uint32_t)v[3];
	uint64_t qual = v[1], rip = v[4], len = v[5];

	*reflected = 1;
	if (reason & (1u << 31))
		l1_fail(mb, reason, qual, rip, 0, 0);
	if (idt_info & VMX_INTR_INFO_VALID && reason != EXIT_REASON_EXCEPTION_NMI)
		l1_fail(mb, reason, qual, idt_info, rip, 1);
	switch (reason & 0xffff) {
	case EXIT_REASON_CPUID:
		mb->counts.cpuid++;
		break;
	case EXIT_REASON_VMCALL:
		if ((uint32_t)regs->rax == WL_DONE_MAGIC) {
			mb->counts.done++;
			return 0;
		}
		mb->counts.vmmcall++;
		break;
	case EXIT_REASON_HLT:
		mb->counts.hlt++;
		break;
	case EXIT_REASON_IO_INSTRUCTION:
		/* Exit qualification: port in 31:16, direction (1 = IN) in bit 3 (SDM table 28-5). */
		if ((qual >> 16 & 0xffff) != WL_PORT_L1)
			l1_fail(mb, reason, qual, rip, 0, 2);
		if (qual & (1u << 3)) {
			mb->counts.io_in++;
			regs->rax = (regs->rax & ~0xffull) | 0x5a;
		} else {
			mb->counts.io_out++;
		}
		break;
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
		if ((uint32_t)regs->rcx != WL_MSR_L1)
			l1_fail(mb, reason, regs->rcx, rip, 0, 3);
		if ((reason & 0xffff) == EXIT_REASON_MSR_WRITE) {
			mb->counts.wrmsr++;
		} else {
			mb->counts.rdmsr++;
			regs->rax = 0;
			regs->rdx = 0;
		}
		break;
	case EXIT_REASON_EXCEPTION_NMI:
		/* The #GP raised while delivering L2's INT n through its empty IDT. */
		if (intr_info != (VMX_INTR_INFO_VALID | VMX_INTR_TYPE_HW_EXC |
				  VMX_INTR_ERROR_VALID | 13) ||
		    idt_info != (VMX_INTR_INFO_VALID | VMX_INTR_TYPE_SOFT_INTR | WL_SOFTINT_VECTOR))
			l1_fail(mb, reason, intr_info, idt_info, rip, 4);
		mb->counts.vectoring++;
		/* Drop the interrupted INT n (2 bytes): skip it, inject nothing. */
		len = 2;
		break;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		/* Synthesised by L0 for the VMM's MSI, acknowledged on exit: EOI, then go back. */
		if (intr_info != (VMX_INTR_INFO_VALID | VMX_INTR_TYPE_EXT_INTR | WL_INTR_VECTOR))
			l1_fail(mb, reason, intr_info, rip, 0, 5);
		*reflected = 0;
		mb->counts.intr++;
		mb->counts.interrupts_taken++;
		wrmsr(WL_MSR_X2APIC_EOI, 0);
		return 1;
	default:
		l1_fail(mb, reason, qual, intr_info, rip, idt_info);
	}
	vmwrite(mb, WL_VMX_REFLECTED_WRITES, rip + len);
	return 1;
}

void wl_vmx_l1_main(struct wl_mailbox *mb)
{
	struct l2_regs regs; /* uint64_t only: zero_u64() */
	uint64_t idt, eptp = 0;
	int reflected;

	zero_u64((uint64_t *)&regs, sizeof(regs) / sizeof(uint64_t));
	idt = l1_setup_idt(mb, false);
	if (mb->l1_takes_interrupts) {
		/* x2APIC mode (bit 10) so that EOI is one WRMSR; the APIC software-enabled. */
		wrmsr(0x1b, rdmsr(0x1b) | (1u << 10) | (1u << 11));
		wrmsr(WL_MSR_X2APIC_SVR, 0x1ff);
	}
	set_bit((uint8_t *)mb->iopm_gpa, WL_PORT_L1);
	/* MSR bitmap: read-low at 0, write-low at 0x800 (SDM vol. 3, 25.6.9). */
	set_bit((uint8_t *)mb->msrpm_gpa, WL_MSR_L1);
	set_bit((uint8_t *)mb->msrpm_gpa + 0x800, WL_MSR_L1);
	if (mb->l1_ept)
		eptp = setup_ept(mb);

	vmx_op(mb, FAIL_VMXON, mb->vmxon_gpa);
	vmx_op(mb, FAIL_VMCLEAR, mb->vmcs_gpa);
	vmx_op(mb, FAIL_VMPTRLD, mb->vmcs_gpa);
	for (uint32_t i = 0; i < sizeof(setup_fields) / sizeof(setup_fields[0]); i++)
		vmwrite(mb, setup_fields[i], setup_value(mb, setup_fields[i], idt, eptp));
	if (mb->l1_ept)
		for (uint32_t i = 0; i < sizeof(ept_fields) / sizeof(ept_fields[0]); i++)
			vmwrite(mb, ept_fields[i], setup_value(mb, ept_fields[i], idt, eptp));

	regs.rbx = mb->iterations;
	regs.r12 = mb->elements;
	for (int launched = 0;; launched = 1) {
		mb->counts.vmruns++;
		if (vmx_run_l2(&regs, launched))
			l1_fail(mb, FAIL_ENTRY, launched, vmread(mb, VMCS_VM_INSTRUCTION_ERROR), 0,
				0);
		if (!handle_exit(mb, &regs, &reflected))
			break;
		if (reflected)
			for (uint32_t i = 0; i < mb->mult; i++) {
				cpuid0();
				mb->counts.mult_ops++;
			}
	}
	l1_finish(mb, WL_STATUS_DONE);
}
