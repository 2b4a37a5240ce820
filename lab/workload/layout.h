/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-physical layout of the workload VM. Guest memory is mapped 1:1 (virtual = physical) and
 * holds, besides this program's own image at its link address, the page tables and GDT below
 * WL_AREAS_BASE and one area per vCPU, WL_AREA_SIZE aligned so that code running on a vCPU finds
 * its mailbox from its stack pointer.
 */
#ifndef NVMX_LAB_LAYOUT_H
#define NVMX_LAB_LAYOUT_H

#define WL_GUEST_MEM_SIZE (64ull << 20) /* must cover this program's image (static, at 4 MiB) */
#define WL_PML4_GPA	  0x1000ull
#define WL_PDPT_GPA	  0x2000ull
#define WL_PD_GPA	  0x3000ull
#define WL_GDT_GPA	  0x4000ull

#define WL_AREAS_BASE 0x200000ull
#define WL_AREA_SIZE  0x40000ull
/* Offsets inside a vCPU's area. */
#define WL_AREA_MAILBOX 0x0000ull
#define WL_AREA_VMCB	0x1000ull
#define WL_AREA_HSAVE	0x2000ull
#define WL_AREA_IDT	0x3000ull
#define WL_AREA_MSRPM	0x4000ull /* 8 KiB */
#define WL_AREA_IOPM	0x6000ull /* 12 KiB */
/* VMX reuses the VMCB and host save slots for the VMCS and VMXON regions. */
#define WL_AREA_VMCS	     WL_AREA_VMCB
#define WL_AREA_VMXON	     WL_AREA_HSAVE
#define WL_AREA_VMX_MSR_BMP  WL_AREA_MSRPM /* 4 KiB */
#define WL_AREA_VMX_IO_BMP_A WL_AREA_IOPM  /* 4 KiB: ports 0-0x7fff */
#define WL_AREA_VMX_IO_BMP_B 0x7000ull	   /* 4 KiB: ports 0x8000-0xffff */
#define WL_AREA_EPT_PML4     0x9000ull	   /* L1's EPT for L2 (l1-ept): 1 GiB 1:1 */
#define WL_AREA_EPT_PDPT     0xa000ull
#define WL_AREA_EPT_PD	     0xb000ull
/* Plain numbers: assembly uses these (the VMX exit stub; the L2 loop and handler of reinject). */
#define WL_AREA_L1_RSP	       0xc000 /* L1's stack pointer while L2 runs */
#define WL_AREA_EXIT_STACK_TOP 0xe000 /* HOST_RSP: the exit stub's scratch stack */
#define WL_AREA_L2_IDT	       0xf000 /* reinject: L2's IDT (vector 0 only) */
#define WL_AREA_L2_DE_COUNT    0xf800 /* reinject: #DEs L2's handler took (u64) */
#define WL_AREA_L2_STACK_TOP   0x20000ull
#define WL_AREA_L1_STACK_TOP   0x40000ull
#define WL_IDT_ENTRIES	       256

/*
 * reinject: one fresh page per iteration and vCPU for the #DE's exception frame, in a memory slot
 * of its own above WL_GUEST_MEM_SIZE that nothing else touches. The pages are 8 pages apart:
 * L0's MMU prefetches at most PTE_PREFETCH_NUM (8) neighbouring entries of an aligned group of
 * 8 (arch/x86/kvm/mmu/mmu.c, __direct_pte_prefetch), so each page is alone in its group. L1's
 * page tables map the first GiB: that is the region's end.
 */
#define WL_REINJECT_BASE   WL_GUEST_MEM_SIZE
#define WL_REINJECT_END	   (1ull << 30)
#define WL_REINJECT_STRIDE 0x8000 /* plain: the L2 loop (assembly) adds it */
#define WL_GDT_CODE_DESC   0x4008 /* plain: WL_GDT_GPA + 8, L2's CS descriptor */

#endif /* NVMX_LAB_LAYOUT_H */
