/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arm64 lab's guest (lab/arm64/guest.S): nvmx's own minimal vEL2 hypervisor (L1) and its L2
 * at EL1, one position-independent blob that the VMM (lab/arm64/workload.c) copies to the start
 * of guest memory. Both run with their MMU off, so every address is an IPA; they share the data
 * page below with the VMM.
 */
#ifndef NVMX_LAB_ARM64_GUEST_H
#define NVMX_LAB_ARM64_GUEST_H

#define WL64_MEM_BASE	0x40000000 /* IPA of the guest memory (the blob at its start) */
#define WL64_MEM_SIZE	0x200000
#define WL64_DATA_OFF	0x100000   /* the data page, from WL64_MEM_BASE */
#define WL64_MMIO_L2	0x50000000 /* unmapped: L2's mmio element (a data abort L0 handles) */
#define WL64_MMIO_DONE	0x50001000 /* unmapped: L1 writes its end code here (an L1 exit) */
#define WL64_MMIO_IRQ	0x50002000 /* unmapped: L2's virq element asks the VMM for an interrupt */
#define WL64_VIRQ_INTID 40	   /* the SPI the VMM raises (edge-triggered, to L1) */
#define WL64_GICD_BASE	0x08000000 /* the in-kernel vGICv3's distributor and redistributor */
#define WL64_GICR_BASE	0x080a0000

/* The elements: one bit each of the mask L2's loop runs (WL64_D_MASK). */
#define WL64_HVC    0 /* hvc #0: forwarded to L1 (EC HVC64) */
#define WL64_SYSREG 1 /* mrs ID_AA64PFR0_EL1, trapped by HCR_EL2.TID3: forwarded (EC SYS64) */
#define WL64_SMC    2 /* smc #0, trapped by HCR_EL2.TSC: forwarded (EC SMC64) */
#define WL64_MMIO   3 /* a store to WL64_MMIO_L2: L1 has no stage 2, L0 (its VMM) handles it */
#define WL64_WFI    4 /* wfi, trapped by HCR_EL2.TWI: forwarded (EC WFx) */
/* msr CONTEXTIDR_EL1, trapped by HCR_EL2.TVM: forwarded (EC SYS64) */
#define WL64_SYSREG_WRITE 5
/* a store to WL64_MMIO_IRQ (L0's); the VMM raises SPI WL64_VIRQ_INTID, which L0 injects into L1 */
#define WL64_VIRQ	 6
#define WL64_NR_ELEMENTS 7
/* Their names in --workload, by bit; the host checks a spec against them (lab/host/lab_arm64.c) */
/* clang-format off */
#define WL64_ELEMENT_NAMES { "hvc", "sysreg", "smc", "mmio", "wfi", "sysreg-write", "virq" }
/* clang-format on */

/* The immediate of the HVC with which L2 tells L1 that it is done. */
#define WL64_HVC_DONE 0xffff

/* End codes L1 writes to WL64_MMIO_DONE. */
#define WL64_END_OK	    1
#define WL64_END_UNEXPECTED 2 /* an exception L1 did not expect: WL64_D_BAD_* say which */

/* The data page: 64-bit words at these offsets. */
#define WL64_D_ITERATIONS 0x00	/* VMM -> L2: iterations */
#define WL64_D_MASK	  0x08	/* VMM -> L2: the elements */
#define WL64_D_MMIO	  0x10	/* VMM -> L2: WL64_MMIO_L2 */
#define WL64_D_DONE	  0x18	/* VMM -> L1: WL64_MMIO_DONE */
#define WL64_D_HCR_SET	  0x20	/* VMM -> L1: bits L1 sets in HCR_EL2 */
#define WL64_D_L2_DONE	  0x28	/* L2: iterations done */
#define WL64_D_ERETS	  0x30	/* L1: its ERETs to L2 */
#define WL64_D_BAD_VECTOR 0x38	/* L1: the vector offset of an unexpected exception */
#define WL64_D_BAD_ESR	  0x40	/* L1: its ESR_EL2 */
#define WL64_D_BAD_ELR	  0x48	/* L1: its ELR_EL2 */
#define WL64_D_IRQS	  0x50	/* L1: interrupts taken while L2 ran */
#define WL64_D_INTID	  0x58	/* L1: the INTID of the last one (ICC_IAR1_EL1) */
#define WL64_D_MMIO_IRQ	  0x60	/* VMM -> L2: WL64_MMIO_IRQ */
#define WL64_D_EC	  0x100 /* L1: exceptions taken from L2, by EC (64 words) */

#ifndef __ASSEMBLER__
extern const unsigned char wl64_guest_start[], wl64_guest_end[];
#endif

#endif /* NVMX_LAB_ARM64_GUEST_H */
