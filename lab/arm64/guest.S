/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmx's minimal vEL2 hypervisor (L1) and its L2, see guest.h. The VMM starts the vCPU at
 * l1_entry in EL2h (KVM_ARM_VCPU_HAS_EL2) with x0 = the data page.
 *
 * L1 points VBAR_EL2 at its vectors, sets HCR_EL2 (RW, TID3, TSC, TWI, TVM; TGE clear, so that
 * EL1 is its guest) and ERETs to L2 at EL1h. Every synchronous exception from L2 arrives at the
 * "lower EL, AArch64" vector: L1 counts it by EC, steps over a trapped SMC, WFI or system
 * register access (their ELR_EL2 is the instruction itself; an HVC's is the next one) and ERETs
 * back. L2's HVC
 * #WL64_HVC_DONE ends the run: L1 writes WL64_END_OK to WL64_MMIO_DONE, an MMIO exit to the VMM.
 * Anything else is unexpected: L1 records it and writes WL64_END_UNEXPECTED.
 *
 * Registers: L1 keeps the data page in TPIDR_EL2 and uses only x9-x15; L2 uses only x19-x25.
 */
#include "guest.h"

#define EC_HVC64 0x16

	.section .rodata.wl64_guest, "a"
	.balign 4096
	.global wl64_guest_start
wl64_guest_start:
l1_entry:
	msr	tpidr_el2, x0
	adr	x9, l1_vectors
	msr	vbar_el2, x9
	mrs	x9, hcr_el2
	ldr	x10, [x0, #WL64_D_HCR_SET]
	orr	x9, x9, x10
	bic	x9, x9, #(1 << 27)		/* TGE */
	msr	hcr_el2, x9
	isb
	adr	x9, l2_entry
	msr	elr_el2, x9
	mov	x9, #0x3c5			/* EL1h, DAIF masked */
	msr	spsr_el2, x9
	mov	x19, x0
	ldr	x10, [x0, #WL64_D_MASK]
	tbz	x10, #WL64_VIRQ, l1_eret
	/*
	 * virq: L1's GICv3 (KVM's vGIC, reached through L0): the system register interface on
	 * (ICC_SRE_EL2.SRE, Enable), the distributor's group 1 with affinity routing, SPI
	 * WL64_VIRQ_INTID in group 1, edge-triggered, priority 0x80, routed to CPU 0 and enabled,
	 * the redistributor awake, every priority unmasked and group 1 on. HCR_EL2.IMO (set by the
	 * VMM) routes the interrupt to L1 while L2 runs.
	 */
	mrs	x9, icc_sre_el2
	mov	x10, #0x9
	orr	x9, x9, x10
	msr	icc_sre_el2, x9
	isb
	ldr	x9, =WL64_GICD_BASE
	mov	w10, #0x12			/* GICD_CTLR: ARE, EnableGrp1 */
	str	w10, [x9]
	mov	w10, #(1 << (WL64_VIRQ_INTID - 32))
	str	w10, [x9, #0x84]		/* GICD_IGROUPR1 */
	mov	w10, #(2 << (2 * (WL64_VIRQ_INTID - 32)))
	str	w10, [x9, #0xc08]		/* GICD_ICFGR2: edge */
	mov	w10, #0x80
	strb	w10, [x9, #(0x400 + WL64_VIRQ_INTID)]	/* GICD_IPRIORITYR */
	add	x11, x9, #0x6000
	str	xzr, [x11, #(8 * WL64_VIRQ_INTID)]	/* GICD_IROUTER: affinity 0 */
	mov	w10, #(1 << (WL64_VIRQ_INTID - 32))
	str	w10, [x9, #0x104]		/* GICD_ISENABLER1 */
	ldr	x9, =WL64_GICR_BASE
	str	wzr, [x9, #0x14]		/* GICR_WAKER: awake */
	mov	x9, #0xff
	msr	icc_pmr_el1, x9
	mov	x9, #1
	msr	icc_igrpen1_el1, x9
	isb
	b	l1_eret
	.ltorg

/* The interrupt, taken from L2: acknowledged, counted, ended, back to L2. */
l1_irq_lower:
	mrs	x9, tpidr_el2
	mrs	x10, icc_iar1_el1
	str	x10, [x9, #WL64_D_INTID]
	msr	icc_eoir1_el1, x10
	ldr	x11, [x9, #WL64_D_IRQS]
	add	x11, x11, #1
	str	x11, [x9, #WL64_D_IRQS]
	b	l1_eret

/* x9 = data page, x10 = the vector offset */
l1_unexpected:
	str	x10, [x9, #WL64_D_BAD_VECTOR]
	mrs	x11, esr_el2
	str	x11, [x9, #WL64_D_BAD_ESR]
	mrs	x11, elr_el2
	str	x11, [x9, #WL64_D_BAD_ELR]
	mov	x11, #WL64_END_UNEXPECTED
	b	l1_end

l1_sync_lower:
	mrs	x9, tpidr_el2
	mrs	x10, esr_el2
	ubfx	x11, x10, #26, #6		/* EC */
	add	x12, x9, #WL64_D_EC
	ldr	x13, [x12, x11, lsl #3]
	add	x13, x13, #1
	str	x13, [x12, x11, lsl #3]
	cmp	x11, #EC_HVC64
	b.ne	1f
	and	x13, x10, #0xffff		/* the HVC's immediate */
	mov	x14, #WL64_HVC_DONE
	cmp	x13, x14
	b.ne	l1_eret
	mov	x11, #WL64_END_OK
	b	l1_end
1:	mrs	x13, elr_el2			/* SMC64, SYS64, WFx: step over it */
	add	x13, x13, #4
	msr	elr_el2, x13
l1_eret:
	mrs	x9, tpidr_el2
	ldr	x13, [x9, #WL64_D_ERETS]
	add	x13, x13, #1
	str	x13, [x9, #WL64_D_ERETS]
	eret

/* x9 = data page, x11 = the end code */
l1_end:
	ldr	x12, [x9, #WL64_D_DONE]
	str	w11, [x12]
2:	wfi
	b	2b

/* L2, at EL1 with x19 = the data page */
l2_entry:
	ldr	x20, [x19, #WL64_D_ITERATIONS]
	ldr	x21, [x19, #WL64_D_MASK]
	ldr	x22, [x19, #WL64_D_MMIO]
	ldr	x25, [x19, #WL64_D_MMIO_IRQ]
3:	cbz	x20, 9f
	tbz	x21, #WL64_HVC, 4f
	hvc	#0
4:	tbz	x21, #WL64_SYSREG, 5f
	mrs	x23, id_aa64pfr0_el1
5:	tbz	x21, #WL64_SMC, 6f
	smc	#0
6:	tbz	x21, #WL64_MMIO, 7f
	str	w20, [x22]
7:	tbz	x21, #WL64_WFI, 8f
	wfi
8:	tbz	x21, #WL64_SYSREG_WRITE, 11f
	msr	contextidr_el1, x20
11:	tbz	x21, #WL64_VIRQ, 10f
	str	w20, [x25]
10:	ldr	x24, [x19, #WL64_D_L2_DONE]
	add	x24, x24, #1
	str	x24, [x19, #WL64_D_L2_DONE]
	sub	x20, x20, #1
	b	3b
9:	hvc	#WL64_HVC_DONE
	b	9b

/* VBAR_EL2: 16 entries of 0x80 bytes, 2 KiB aligned; only "lower EL, AArch64" sync and IRQ. */
.macro	vector off
	.balign	0x80
	.if	\off == 0x400
	b	l1_sync_lower
	.elseif	\off == 0x480
	b	l1_irq_lower
	.else
	mrs	x9, tpidr_el2
	mov	x10, #\off
	b	l1_unexpected
	.endif
.endm
	.balign	2048
l1_vectors:
	.irp	off, 0x000, 0x080, 0x100, 0x180, 0x200, 0x280, 0x300, 0x380, 0x400, 0x480, 0x500, 0x580, 0x600, 0x680, 0x700, 0x780
	vector	\off
	.endr
	.global	wl64_guest_end
wl64_guest_end:
