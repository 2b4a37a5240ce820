// SPDX-License-Identifier: GPL-2.0
/* L1's IDT, its entry points and the end of a run, for both L1 hypervisors (l1_runtime.h). */
#include "l1_runtime.h"

/*
 * Interrupts save the caller-saved registers and call C; exceptions (0..31) push their vector
 * and end the run with an error.
 */
#define EXC_STUB(n) "wl_l1_exc" #n ":\n push $" #n "\n jmp wl_l1_exc_common\n"
/* clang-format off */
__asm__(".text\n"
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
	"ud2\n"
	EXC_STUB(0) EXC_STUB(1) EXC_STUB(2) EXC_STUB(3) EXC_STUB(4) EXC_STUB(5) EXC_STUB(6)
	EXC_STUB(7) EXC_STUB(8) EXC_STUB(9) EXC_STUB(10) EXC_STUB(11) EXC_STUB(12) EXC_STUB(13)
	EXC_STUB(14) EXC_STUB(15) EXC_STUB(16) EXC_STUB(17) EXC_STUB(18) EXC_STUB(19) EXC_STUB(20)
	EXC_STUB(21) EXC_STUB(22) EXC_STUB(23) EXC_STUB(24) EXC_STUB(25) EXC_STUB(26) EXC_STUB(27)
	EXC_STUB(28) EXC_STUB(29) EXC_STUB(30) EXC_STUB(31));
void wl_l1_intr_stub(void);
#define EXC_DECL(n) void wl_l1_exc##n(void);
EXC_DECL(0) EXC_DECL(1) EXC_DECL(2) EXC_DECL(3) EXC_DECL(4) EXC_DECL(5) EXC_DECL(6) EXC_DECL(7)
EXC_DECL(8) EXC_DECL(9) EXC_DECL(10) EXC_DECL(11) EXC_DECL(12) EXC_DECL(13) EXC_DECL(14)
EXC_DECL(15) EXC_DECL(16) EXC_DECL(17) EXC_DECL(18) EXC_DECL(19) EXC_DECL(20) EXC_DECL(21)
EXC_DECL(22) EXC_DECL(23) EXC_DECL(24) EXC_DECL(25) EXC_DECL(26) EXC_DECL(27) EXC_DECL(28)
EXC_DECL(29) EXC_DECL(30) EXC_DECL(31)

static void (*const exception_stubs[32])(void) = {
	wl_l1_exc0,  wl_l1_exc1,  wl_l1_exc2,  wl_l1_exc3,  wl_l1_exc4,  wl_l1_exc5,  wl_l1_exc6,
	wl_l1_exc7,  wl_l1_exc8,  wl_l1_exc9,  wl_l1_exc10, wl_l1_exc11, wl_l1_exc12, wl_l1_exc13,
	wl_l1_exc14, wl_l1_exc15, wl_l1_exc16, wl_l1_exc17, wl_l1_exc18, wl_l1_exc19, wl_l1_exc20,
	wl_l1_exc21, wl_l1_exc22, wl_l1_exc23, wl_l1_exc24, wl_l1_exc25, wl_l1_exc26, wl_l1_exc27,
	wl_l1_exc28, wl_l1_exc29, wl_l1_exc30, wl_l1_exc31,
};
/* clang-format on */

void l1_finish(struct wl_mailbox *mb, enum wl_status status)
{
	mb->status = status;
	outb(WL_PORT_L1_DONE, (uint8_t)status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void l1_fail(struct wl_mailbox *mb, uint32_t code, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
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

/*
 * L2's #DE handler (reinject), on the fresh page's frame: skip the DIV (F7 F1), count it in the
 * vCPU's area (R15, kept by L2's loop), return.
 */
__asm__(".text\n"
	"wl_l2_de_handler:\n"
	"addq $2, (%rsp)\n"
	"incq " STR(WL_AREA_L2_DE_COUNT) "(%r15)\n"
					 "iretq\n");
void wl_l2_de_handler(void);

uint64_t l1_setup_l2_idt(struct wl_mailbox *mb)
{
	uint64_t *idt = (uint64_t *)((uint64_t)mb + WL_AREA_L2_IDT);

	set_gate(idt, WL_REINJECT_VECTOR, wl_l2_de_handler);
	return (uint64_t)idt;
}

uint64_t l1_setup_idt(struct wl_mailbox *mb, bool intr_gate)
{
	uint64_t *idt = (uint64_t *)((uint64_t)mb + WL_AREA_IDT);
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { WL_IDT_ENTRIES * 16 - 1, (uint64_t)idt };

	for (unsigned int v = 0; v < 32; v++)
		set_gate(idt, v, exception_stubs[v]);
	if (intr_gate)
		set_gate(idt, WL_INTR_VECTOR, wl_l1_intr_stub);
	__asm__ volatile("lidt %0" : : "m"(idtr));
	return (uint64_t)idt;
}
