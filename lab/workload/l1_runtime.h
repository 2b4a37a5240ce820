/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What both L1 hypervisors (svm_guest.c, vmx_guest.c) run on: the L2 loop, L1's IDT and its
 * exception and interrupt entry points, port and MSR access, and the end of a run. Guest code:
 * built freestanding like them (see CMakeLists.txt). Every vCPU runs the same code and finds its
 * mailbox from its stack pointer (each vCPU's area is WL_AREA_SIZE aligned, the mailbox at its
 * base).
 */
#ifndef NVMX_LAB_L1_RUNTIME_H
#define NVMX_LAB_L1_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "workload.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

/* Bit numbers for the L2 loop, which is assembly and cannot see the enum. */
#define L2_BIT_CPUID	 0
#define L2_BIT_HYPERCALL 1
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
#define L2_BIT_REINJECT	 13
_Static_assert(L2_BIT_CPUID == WL_CPUID && L2_BIT_HYPERCALL == WL_VMMCALL && L2_BIT_HLT == WL_HLT &&
		       L2_BIT_IO_IN_L1 == WL_IO_IN_L1 && L2_BIT_IO_OUT_L1 == WL_IO_OUT_L1 &&
		       L2_BIT_IO_IN_L0 == WL_IO_IN_L0 && L2_BIT_IO_OUT_L0 == WL_IO_OUT_L0 &&
		       L2_BIT_RDMSR_L1 == WL_RDMSR_L1 && L2_BIT_WRMSR_L1 == WL_WRMSR_L1 &&
		       L2_BIT_RDMSR_L0 == WL_RDMSR_L0 && L2_BIT_WRMSR_L0 == WL_WRMSR_L0 &&
		       L2_BIT_INTR == WL_INTR && L2_BIT_VECTORING == WL_VECTORING &&
		       L2_BIT_REINJECT == WL_REINJECT,
	       "L2 loop bits follow enum wl_element");

/* clang-format off */
/*
 * The L2 loop, NAME(void), the same on both ISAs but for the hypercall instruction (VMMCALL or
 * VMCALL). RBX = iterations, R12 = element mask. One pass runs every chosen element once, in
 * enum order; then the hypercall with RAX = WL_DONE_MAGIC tells L1 it is over. R14 counts, since
 * CPUID clobbers RBX. L1 keeps L2's general registers across exits.
 *
 * reinject (R13 = the top of the next fresh page, R15 = the vCPU's area): L2 first reads what the
 * #DE's delivery will read (its IDT entry, the CS descriptor in the GDT), so that those pages are
 * mapped before it, then moves RSP to the top of a page nothing has touched and divides by zero:
 * the delivery's first push faults in L0's nested page tables (an NPF exit with EXITINTINFO
 * #DE), L0 maps the page and reinjects the #DE; wl_l2_de_handler skips the 2-byte DIV.
 */
#define L2_STEP(bit, insns) "bt $" STR(bit) ", %r12d\n jnc 1f\n" insns "\n1:\n"
#define WL_L2_LOOP(name, hypercall)                                                                \
	__asm__(".text\n"                                                                          \
		".globl " #name "\n"                                                               \
		#name ":\n"                                                                        \
		"mov %rbx, %r14\n"                                                                 \
		"test %r14, %r14\n"                                                                \
		"jz 9f\n"                                                                          \
		"2:\n"                                                                             \
		L2_STEP(L2_BIT_CPUID, "xor %eax, %eax\n cpuid")                                    \
		L2_STEP(L2_BIT_HYPERCALL, "xor %eax, %eax\n " hypercall)                           \
		L2_STEP(L2_BIT_HLT, "hlt")                                                         \
		L2_STEP(L2_BIT_IO_IN_L1, "in $" STR(WL_PORT_L1) ", %al")                           \
		L2_STEP(L2_BIT_IO_OUT_L1, "out %al, $" STR(WL_PORT_L1))                            \
		L2_STEP(L2_BIT_IO_IN_L0, "in $" STR(WL_PORT_L0) ", %al")                           \
		L2_STEP(L2_BIT_IO_OUT_L0, "out %al, $" STR(WL_PORT_L0))                            \
		L2_STEP(L2_BIT_RDMSR_L1, "mov $" STR(WL_MSR_L1) ", %ecx\n rdmsr")                  \
		L2_STEP(L2_BIT_WRMSR_L1, "mov $" STR(WL_MSR_L1)                                    \
			", %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr")                        \
		L2_STEP(L2_BIT_RDMSR_L0, "mov $" STR(WL_MSR_L0_READ) ", %ecx\n rdmsr")             \
		L2_STEP(L2_BIT_WRMSR_L0, "mov $" STR(WL_MSR_L0_WRITE)                              \
			", %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr")                        \
		L2_STEP(L2_BIT_INTR, "out %al, $" STR(WL_PORT_KICK))                               \
		L2_STEP(L2_BIT_VECTORING, "int $" STR(WL_SOFTINT_VECTOR))                          \
		L2_STEP(L2_BIT_REINJECT, "mov " STR(WL_AREA_L2_IDT) "(%r15), %rax\n"               \
			"mov " STR(WL_AREA_L2_IDT) "+8(%r15), %rax\n"                              \
			"mov " STR(WL_GDT_CODE_DESC) ", %rax\n"                                    \
			"mov %rsp, %rbp\n mov %r13, %rsp\n"                                        \
			"add $" STR(WL_REINJECT_STRIDE) ", %r13\n"                                 \
			"xor %eax, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n"                       \
			"div %ecx\n"                                                               \
			"mov %rbp, %rsp")                                                          \
		"dec %r14\n"                                                                       \
		"jnz 2b\n"                                                                         \
		"9:\n"                                                                             \
		"mov $" STR(WL_DONE_MAGIC) ", %eax\n"                                              \
		hypercall "\n"                                                                     \
		"ud2\n");                                                                          \
	void name(void)
/* clang-format on */

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

static inline void set_bit(uint8_t *map, uint32_t bit)
{
	map[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/*
 * Zeroes n 64-bit words with a loop. `struct x = { 0 }` is no substitute here: a compiler may clear
 * a large aggregate with a call to memset (clang -O0 does), which the guest does not have.
 */
static inline void zero_u64(uint64_t *p, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = 0;
}

/* Ends the run: the status in the mailbox, then the VMM is told on WL_PORT_L1_DONE. */
void __attribute__((noreturn)) l1_finish(struct wl_mailbox *mb, enum wl_status status);
void __attribute__((noreturn))
l1_fail(struct wl_mailbox *mb, uint32_t code, uint64_t a, uint64_t b, uint64_t c, uint64_t d);

/*
 * Loads L1's IDT in this vCPU's area: exceptions 0..31 end the run with an error (an exception in
 * L1 is a bug of this program); with intr_gate, WL_INTR_VECTOR counts the interrupt taken and
 * sends the EOI. Returns the IDT's address.
 */
uint64_t l1_setup_idt(struct wl_mailbox *mb, bool intr_gate);

/*
 * reinject: writes L2's IDT in this vCPU's area (vector 0, #DE: wl_l2_de_handler, which counts at
 * WL_AREA_L2_DE_COUNT) and returns its address; its limit covers vector 0 only, so that the
 * INT 0x21 of `vectoring` still raises #GP.
 */
uint64_t l1_setup_l2_idt(struct wl_mailbox *mb);
#define WL_L2_IDT_LIMIT 15

#endif /* NVMX_LAB_L1_RUNTIME_H */
