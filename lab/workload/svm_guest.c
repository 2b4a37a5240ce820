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

#include "layout.h"
#include "vmcb.h"
#include "workload.h"

/* Bit numbers for the L2 loop, which is assembly and cannot see the enum. */
#define L2_BIT_CPUID	 0
#define L2_BIT_VMMCALL	 1
#define L2_BIT_HLT	 2
#define L2_BIT_IO_IN_L1	 3
#define L2_BIT_IO_OUT_L1 4
#define L2_BIT_IO_IN_L0	 5
#define L2_BIT_IO_OUT_L0 6
#define L2_BIT_RDMSR_L1	 7
#define L2_BIT_WRMSR_L1	 8
#define L2_BIT_RDMSR_L0	 9
#define L2_BIT_WRMSR_L0	 10
#define L2_BIT_INTR	 11
#define L2_BIT_VECTORING 12
_Static_assert(L2_BIT_CPUID == WL_CPUID && L2_BIT_VMMCALL == WL_VMMCALL && L2_BIT_HLT == WL_HLT &&
		       L2_BIT_IO_IN_L1 == WL_IO_IN_L1 && L2_BIT_IO_OUT_L1 == WL_IO_OUT_L1 &&
		       L2_BIT_IO_IN_L0 == WL_IO_IN_L0 && L2_BIT_IO_OUT_L0 == WL_IO_OUT_L0 &&
		       L2_BIT_RDMSR_L1 == WL_RDMSR_L1 && L2_BIT_WRMSR_L1 == WL_WRMSR_L1 &&
		       L2_BIT_RDMSR_L0 == WL_RDMSR_L0 && L2_BIT_WRMSR_L0 == WL_WRMSR_L0 &&
		       L2_BIT_INTR == WL_INTR && L2_BIT_VECTORING == WL_VECTORING,
	       "L2 loop bits follow enum wl_element");

#define STR_(x) #x
#define STR(x)	STR_(x)

/*
 * L2: RBX = iterations, R12 = element mask. One pass of the loop runs every chosen element once,
 * in enum order; then a VMMCALL with RAX = WL_DONE_MAGIC tells L1 it is over. R14 counts, since
 * CPUID clobbers RBX. L1 keeps L2's general registers across exits (svm_run_l2).
 */
#define L2_STEP(bit, insns) "bt $" STR(bit) ", %r12d\n jnc 1f\n" insns "\n1:\n"
__asm__(".text\n"
	".globl wl_svm_l2_main\n"
	"wl_svm_l2_main:\n"
	"mov %rbx, %r14\n"
	"test %r14, %r14\n"
	"jz 9f\n"
	"2:\n" L2_STEP(L2_BIT_CPUID, "xor %eax, %eax\n cpuid") L2_STEP(
		L2_BIT_VMMCALL,
		"xor %eax, %eax\n vmmcall") L2_STEP(L2_BIT_HLT,
						    "hlt") L2_STEP(L2_BIT_IO_IN_L1,
								   "in $" STR(WL_PORT_L1) ", %al")
		L2_STEP(L2_BIT_IO_OUT_L1, "out %al, $" STR(WL_PORT_L1)) L2_STEP(
			L2_BIT_IO_IN_L0,
			"in $" STR(WL_PORT_L0) ", %al") L2_STEP(L2_BIT_IO_OUT_L0,
								"out %al, $" STR(WL_PORT_L0))
			L2_STEP(L2_BIT_RDMSR_L1, "mov $" STR(WL_MSR_L1) ", %ecx\n rdmsr") L2_STEP(
				L2_BIT_WRMSR_L1,
				"mov $" STR(
					WL_MSR_L1) ", %ecx\n xor %eax, %eax\n xor %edx, %edx\n "
						   "wrmsr") L2_STEP(L2_BIT_RDMSR_L0,
								    "mov $" STR(
									    WL_MSR_L0_READ) ", "
											    "%ecx\n"
											    " rdms"
											    "r")
				L2_STEP(L2_BIT_WRMSR_L0,
					"mov $" STR(WL_MSR_L0_WRITE) ", %ecx\n xor %eax, %eax\n "
								     "xor %edx, %edx\n wrmsr")
					L2_STEP(L2_BIT_INTR, "out %al, $" STR(WL_PORT_KICK)) L2_STEP(
						L2_BIT_VECTORING,
						"int $" STR(
							WL_SOFTINT_VECTOR)) "dec %r14\n"
									    "jnz 2b\n"
									    "9:\n"
									    "mov $" STR(
										    WL_DONE_MAGIC) ", %eax\n"
												   "vmmcall\n"
												   "ud2\n");
void wl_svm_l2_main(void);

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
 * L1's interrupt and exception entry points. Interrupts save the caller-saved registers and call
 * C; exceptions (0..31) push their vector and end the run with an error.
 */
#define EXC_STUB(n) "wl_l1_exc" #n ":\n push $" #n "\n jmp wl_l1_exc_common\n"
__asm__(".text\n"
	".globl wl_l1_intr_stub\n"
	"wl_l1_intr_stub:\n"
	"push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
	"push %r8\n push %r9\n push %r10\n push %r11\n"
	"call wl_l1_on_interrupt\n"
	"pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
	"pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
	"iretq\n"
	"wl_l1_exc_common:\n"
	"mov (%rsp), %rdi\n"
	"mov %rsp, %rsi\n"
	"call wl_l1_on_exception\n"
	"ud2\n" EXC_STUB(0) EXC_STUB(1) EXC_STUB(2) EXC_STUB(3) EXC_STUB(4) EXC_STUB(5) EXC_STUB(6)
		EXC_STUB(7) EXC_STUB(8) EXC_STUB(9) EXC_STUB(10) EXC_STUB(11) EXC_STUB(12)
			EXC_STUB(13) EXC_STUB(14) EXC_STUB(15) EXC_STUB(16) EXC_STUB(17)
				EXC_STUB(18) EXC_STUB(19) EXC_STUB(20) EXC_STUB(21) EXC_STUB(22)
					EXC_STUB(23) EXC_STUB(24) EXC_STUB(25) EXC_STUB(26)
						EXC_STUB(27) EXC_STUB(28) EXC_STUB(29) EXC_STUB(30)
							EXC_STUB(31));
void wl_l1_intr_stub(void);
#define EXC_DECL(n) void wl_l1_exc##n(void);
EXC_DECL(0)
EXC_DECL(1) EXC_DECL(2) EXC_DECL(3) EXC_DECL(4) EXC_DECL(5) EXC_DECL(6) EXC_DECL(7) EXC_DECL(8)
	EXC_DECL(9) EXC_DECL(10) EXC_DECL(11) EXC_DECL(12) EXC_DECL(13) EXC_DECL(14) EXC_DECL(15)
		EXC_DECL(16) EXC_DECL(17) EXC_DECL(18) EXC_DECL(19) EXC_DECL(20) EXC_DECL(21)
			EXC_DECL(22) EXC_DECL(23) EXC_DECL(24) EXC_DECL(25) EXC_DECL(26)
				EXC_DECL(27) EXC_DECL(28) EXC_DECL(29) EXC_DECL(30) EXC_DECL(31)

					static void (*const exception_stubs[32])(void) = {
						wl_l1_exc0,  wl_l1_exc1,  wl_l1_exc2,  wl_l1_exc3,
						wl_l1_exc4,  wl_l1_exc5,  wl_l1_exc6,  wl_l1_exc7,
						wl_l1_exc8,  wl_l1_exc9,  wl_l1_exc10, wl_l1_exc11,
						wl_l1_exc12, wl_l1_exc13, wl_l1_exc14, wl_l1_exc15,
						wl_l1_exc16, wl_l1_exc17, wl_l1_exc18, wl_l1_exc19,
						wl_l1_exc20, wl_l1_exc21, wl_l1_exc22, wl_l1_exc23,
						wl_l1_exc24, wl_l1_exc25, wl_l1_exc26, wl_l1_exc27,
						wl_l1_exc28, wl_l1_exc29, wl_l1_exc30, wl_l1_exc31,
					};

static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static inline void cpuid0(void)
{
	uint32_t a = 0, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
}

static inline struct wl_mailbox *this_mailbox(void)
{
	uint64_t rsp;

	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	return (struct wl_mailbox *)(rsp & ~(uint64_t)(WL_AREA_SIZE - 1));
}

static void __attribute__((noreturn)) l1_finish(struct wl_mailbox *mb, enum wl_status status)
{
	mb->status = status;
	outb(WL_PORT_L1_DONE, (uint8_t)status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void __attribute__((noreturn))
l1_fail(struct wl_mailbox *mb, uint32_t code, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	mb->error_exit_code = code;
	mb->error_info[0] = a;
	mb->error_info[1] = b;
	mb->error_info[2] = c;
	mb->error_info[3] = d;
	l1_finish(mb, WL_STATUS_ERROR);
}

void wl_l1_on_interrupt(void);
void wl_l1_on_interrupt(void)
{
	this_mailbox()->counts.interrupts_taken++;
	wrmsr(WL_MSR_X2APIC_EOI, 0);
}

/* An exception in L1 itself is a bug of this program: report it with its frame and stop. */
void wl_l1_on_exception(uint64_t vector, uint64_t *frame);
void wl_l1_on_exception(uint64_t vector, uint64_t *frame)
{
	l1_fail(this_mailbox(), 0xffff0000u | (uint32_t)vector, frame[1], frame[2], frame[3],
		frame[4]);
}

static void set_gate(uint64_t *idt, unsigned int vector, void (*handler)(void))
{
	uint64_t addr = (uint64_t)handler;

	/* 64-bit interrupt gate, present, DPL 0, code selector 0x08 (SDM vol. 3, 6.14.1). */
	idt[2 * vector] =
		(addr & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | ((addr >> 16 & 0xffff) << 48);
	idt[2 * vector + 1] = addr >> 32;
}

static void setup_idt(struct wl_mailbox *mb)
{
	uint64_t *idt = (uint64_t *)((uint64_t)mb + WL_AREA_IDT);
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { WL_IDT_ENTRIES * 16 - 1, (uint64_t)idt };

	for (unsigned int v = 0; v < 32; v++)
		set_gate(idt, v, exception_stubs[v]);
	set_gate(idt, WL_INTR_VECTOR, wl_l1_intr_stub);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

static void set_bit(uint8_t *map, uint32_t bit)
{
	map[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

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

	/* L2 runs in L1's address space and segments; its IDT is empty, see the L2 loop. */
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
		/* The #GP raised while delivering L2's INT n through its empty IDT. */
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
	struct l2_regs regs = { 0 };
	int reflected;

	setup_idt(mb);
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
