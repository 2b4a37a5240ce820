// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of the SVM workload: a minimal L1 hypervisor (C, run in L1 at the addresses
 * this program is linked at) and the L2 loop (assembly).
 *
 * This file runs in a guest, not in the process: it is built freestanding, without SSE, red zone
 * or stack protector (see CMakeLists.txt), calls nothing outside itself, and finds its per-vCPU
 * state from its stack pointer (each vCPU's area is WL_AREA_SIZE aligned, the mailbox at its
 * base), because every vCPU runs the same code.
 */
#include <stdint.h>

#include <asm/svm.h>

#include "l1_runtime.h"
#include "layout.h"
#include "vmcb.h"
#include "workload.h"

WL_L2_LOOP(wl_svm_l2_main, "vmmcall");

/* L2's general registers that VMRUN does not switch (RAX, RSP and RIP live in the VMCB). */
struct l2_regs {
	uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

/*
 * void svm_run_l2(struct l2_regs *regs, uint64_t vmcb_pa): VMRUN with L2's registers loaded,
 * saving them back after #VMEXIT. VMRUN itself restores L1's RSP, RAX and RIP from the host
 * save area; everything else is saved here.
 */
__asm__(".text\n"
	"svm_run_l2:\n"
	"push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"push %rdi\n"
	"mov %rsi, %rax\n"
	"mov 0x08(%rdi), %rcx\n mov 0x10(%rdi), %rdx\n mov 0x18(%rdi), %rsi\n"
	"mov 0x00(%rdi), %rbx\n mov 0x28(%rdi), %rbp\n"
	"mov 0x30(%rdi), %r8\n mov 0x38(%rdi), %r9\n mov 0x40(%rdi), %r10\n mov 0x48(%rdi), %r11\n"
	"mov 0x50(%rdi), %r12\n mov 0x58(%rdi), %r13\n mov 0x60(%rdi), %r14\n mov 0x68(%rdi), "
	"%r15\n"
	"mov 0x20(%rdi), %rdi\n"
	"vmrun %rax\n"
	"push %rdi\n"
	"mov 8(%rsp), %rdi\n"
	"mov %rbx, 0x00(%rdi)\n mov %rcx, 0x08(%rdi)\n mov %rdx, 0x10(%rdi)\n mov %rsi, "
	"0x18(%rdi)\n"
	"mov %rbp, 0x28(%rdi)\n"
	"mov %r8, 0x30(%rdi)\n mov %r9, 0x38(%rdi)\n mov %r10, 0x40(%rdi)\n mov %r11, 0x48(%rdi)\n"
	"mov %r12, 0x50(%rdi)\n mov %r13, 0x58(%rdi)\n mov %r14, 0x60(%rdi)\n mov %r15, "
	"0x68(%rdi)\n"
	"pop %rax\n mov %rax, 0x20(%rdi)\n"
	"pop %rdi\n"
	"pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"ret\n");
void svm_run_l2(struct l2_regs *regs, uint64_t vmcb_pa);

/*
 * L1's MSR permission map: two bits (read, write) per MSR, three ranges of 8K MSRs (APM vol. 2,
 * 15.11). Only WL_MSR_L1 is intercepted.
 */
static void msrpm_intercept(uint8_t *msrpm, uint32_t msr)
{
	uint32_t base;

	if (msr < 0x2000)
		base = 0;
	else if (msr - 0xc0000000u < 0x2000)
		base = 0x800 * 8, msr -= 0xc0000000u;
	else
		base = 0x1000 * 8, msr -= 0xc0010000u;
	set_bit(msrpm, base + 2 * msr);
	set_bit(msrpm, base + 2 * msr + 1);
}

static void seg(struct vmcb_seg *s, uint16_t selector, uint16_t attrib)
{
	s->selector = selector;
	s->attrib = attrib;
	s->limit = 0xffffffff;
	s->base = 0;
}

static void setup_vmcb(struct wl_mailbox *mb, struct vmcb *vmcb)
{
	vmcb->control.intercept_misc1 = VMCB_MISC1_CPUID | VMCB_MISC1_HLT | VMCB_MISC1_IOIO_PROT |
					VMCB_MISC1_MSR_PROT | VMCB_MISC1_SHUTDOWN;
	if (mb->l1_takes_interrupts)
		vmcb->control.intercept_misc1 |= VMCB_MISC1_INTR;
	vmcb->control.intercept_misc2 = VMCB_MISC2_VMRUN | VMCB_MISC2_VMMCALL;
	if (mb->elements & WL_BIT(WL_VECTORING))
		vmcb->control.intercept_exceptions = 1u << 13; /* #GP */
	vmcb->control.iopm_base_pa = mb->iopm_gpa;
	vmcb->control.msrpm_base_pa = mb->msrpm_gpa;
	vmcb->control.asid = 1;
	/* L2's IF does not mask L1's interrupts: they exit to L1 (APM vol. 2, 15.21.1). */
	vmcb->control.int_ctl = VMCB_INT_CTL_V_INTR_MASKING;

	set_bit((uint8_t *)mb->iopm_gpa, WL_PORT_L1);
	msrpm_intercept((uint8_t *)mb->msrpm_gpa, WL_MSR_L1);

	/*
	 * L2 runs in L1's address space and segments; its IDT is empty (see the L2 loop), or has
	 * the #DE gate of reinject.
	 */
	seg(&vmcb->save.cs, 0x08, 0xa9b);
	seg(&vmcb->save.ds, 0x10, 0xc93);
	seg(&vmcb->save.es, 0x10, 0xc93);
	seg(&vmcb->save.ss, 0x10, 0xc93);
	seg(&vmcb->save.fs, 0x10, 0xc93);
	seg(&vmcb->save.gs, 0x10, 0xc93);
	vmcb->save.gdtr.base = mb->gdt_base;
	vmcb->save.gdtr.limit = mb->gdt_limit;
	vmcb->save.idtr.base = 0;
	vmcb->save.idtr.limit = 0;
	if (mb->elements & WL_BIT(WL_REINJECT)) {
		/* #DE only: INT 0x21 (vectoring) is still beyond the limit, a #GP */
		vmcb->save.idtr.base = l1_setup_l2_idt(mb);
		vmcb->save.idtr.limit = WL_L2_IDT_LIMIT;
	}
	vmcb->save.tr.attrib = 0x8b;
	vmcb->save.tr.limit = 0x67;
	vmcb->save.ldtr.attrib = 0x82;
	vmcb->save.efer = mb->efer;
	vmcb->save.cr0 = mb->cr0;
	vmcb->save.cr3 = mb->cr3;
	vmcb->save.cr4 = mb->cr4;
	vmcb->save.dr6 = 0xffff0ff0;
	vmcb->save.dr7 = 0x400;
	vmcb->save.rflags = 0x2;
	vmcb->save.rip = (uint64_t)wl_svm_l2_main;
	vmcb->save.rsp = mb->l2_stack_top;
	vmcb->save.g_pat = 0x0007040600070406ull;
}

/* Returns whether L1 resumes L2 after this exit (false: the run is over). */
static int handle_exit(struct wl_mailbox *mb, struct vmcb *vmcb, struct l2_regs *regs,
		       int *reflected)
{
	struct vmcb_control *c = &vmcb->control;
	/* No nrip-save under QEMU TCG (kvm_amd nrips=0): fall back to the known lengths. */
	uint64_t next = c->next_rip;
	uint64_t len = 0;

	*reflected = 1;
	switch (c->exit_code) {
	case SVM_EXIT_CPUID:
		mb->counts.cpuid++;
		len = 2;
		break;
	case SVM_EXIT_VMMCALL:
		if ((uint32_t)vmcb->save.rax == WL_DONE_MAGIC) {
			mb->counts.done++;
			return 0;
		}
		mb->counts.vmmcall++;
		len = 3;
		break;
	case SVM_EXIT_HLT:
		mb->counts.hlt++;
		len = 1;
		break;
	case SVM_EXIT_IOIO:
		if (c->exit_info_1 >> 16 != WL_PORT_L1)
			l1_fail(mb, c->exit_code, c->exit_info_1, c->exit_info_2, vmcb->save.rip,
				0);
		if (c->exit_info_1 & SVM_IOIO_TYPE_IN) {
			mb->counts.io_in++;
			vmcb->save.rax = (vmcb->save.rax & ~0xffull) | 0x5a;
		} else {
			mb->counts.io_out++;
		}
		/* EXITINFO2 of an IOIO intercept is always the next RIP. */
		next = c->exit_info_2;
		break;
	case SVM_EXIT_MSR:
		if ((uint32_t)regs->rcx != WL_MSR_L1)
			l1_fail(mb, c->exit_code, c->exit_info_1, regs->rcx, vmcb->save.rip, 0);
		if (c->exit_info_1) {
			mb->counts.wrmsr++;
		} else {
			mb->counts.rdmsr++;
			vmcb->save.rax = 0;
			regs->rdx = 0;
		}
		len = 2;
		break;
	case SVM_EXIT_EXCP_BASE + 13:
		/* The #GP raised while delivering L2's INT n beyond its IDT's limit. */
		if (c->exit_int_info !=
		    (SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_SOFT | WL_SOFTINT_VECTOR))
			l1_fail(mb, c->exit_code, c->exit_info_1, c->exit_int_info, vmcb->save.rip,
				c->exit_int_info_err);
		mb->counts.vectoring++;
		/* Drop the interrupted INT n: skip it, inject nothing. */
		c->event_inj = 0;
		next = 0;
		len = 2;
		break;
	case SVM_EXIT_INTR:
		/* Synthesised by L0 for the MSI the VMM sent: take it, then go back. */
		*reflected = 0;
		mb->counts.intr++;
		__asm__ volatile("stgi");
		__asm__ volatile("clgi");
		return 1;
	default:
		l1_fail(mb, c->exit_code, c->exit_info_1, c->exit_info_2, vmcb->save.rip,
			c->exit_int_info);
	}
	vmcb->save.rip = next ? next : vmcb->save.rip + len;
	return 1;
}

void wl_svm_l1_main(struct wl_mailbox *mb)
{
	struct vmcb *vmcb = (struct vmcb *)mb->vmcb_gpa;
	struct l2_regs regs; /* uint64_t only: zero_u64() */
	int reflected;

	zero_u64((uint64_t *)&regs, sizeof(regs) / sizeof(uint64_t));
	l1_setup_idt(mb, true);
	wrmsr(WL_MSR_VM_HSAVE_PA, mb->hsave_gpa);
	if (mb->l1_takes_interrupts) {
		/* x2APIC mode (bit 10) so that EOI is one WRMSR; the APIC software-enabled. */
		wrmsr(0x1b, rdmsr(0x1b) | (1u << 10) | (1u << 11));
		wrmsr(WL_MSR_X2APIC_SVR, 0x1ff);
		__asm__ volatile("sti");
	}
	setup_vmcb(mb, vmcb);

	regs.rbx = mb->iterations;
	regs.r12 = mb->elements;
	regs.r13 = mb->reinject_top;
	regs.r15 = (uint64_t)mb;
	for (;;) {
		vmcb->control.next_rip = 0;
		mb->counts.vmruns++;
		svm_run_l2(&regs, mb->vmcb_gpa);
		if (!handle_exit(mb, vmcb, &regs, &reflected))
			break;
		if (reflected)
			for (uint32_t i = 0; i < mb->mult; i++) {
				cpuid0();
				mb->counts.mult_ops++;
			}
	}
	l1_finish(mb, WL_STATUS_DONE);
}
