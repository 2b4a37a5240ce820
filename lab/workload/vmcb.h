/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMCB as L1 writes it: AMD64 Architecture Programmer's Manual vol. 2, appendix B (control
 * area, table B-1; state save area, table B-2). Only the fields this L1 uses are named; the
 * static asserts pin every offset to the manual.
 */
#ifndef NVMX_LAB_VMCB_H
#define NVMX_LAB_VMCB_H

#include <stddef.h>
#include <stdint.h>

struct vmcb_seg {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
};

struct vmcb_control {
	uint16_t intercept_cr_read;    /* 0x000 */
	uint16_t intercept_cr_write;   /* 0x002 */
	uint16_t intercept_dr_read;    /* 0x004 */
	uint16_t intercept_dr_write;   /* 0x006 */
	uint32_t intercept_exceptions; /* 0x008 */
	uint32_t intercept_misc1;      /* 0x00c: INTR ... SHUTDOWN */
	uint32_t intercept_misc2;      /* 0x010: VMRUN ... */
	uint32_t intercept_misc3;      /* 0x014 */
	uint8_t reserved_1[0x3c - 0x18];
	uint16_t pause_filter_thresh; /* 0x03c */
	uint16_t pause_filter_count;  /* 0x03e */
	uint64_t iopm_base_pa;	      /* 0x040 */
	uint64_t msrpm_base_pa;	      /* 0x048 */
	uint64_t tsc_offset;	      /* 0x050 */
	uint32_t asid;		      /* 0x058 */
	uint8_t tlb_ctl;	      /* 0x05c */
	uint8_t reserved_2[3];
	uint32_t int_ctl;    /* 0x060 */
	uint32_t int_vector; /* 0x064 */
	uint32_t int_state;  /* 0x068 */
	uint8_t reserved_3[4];
	uint32_t exit_code;	    /* 0x070 */
	uint32_t exit_code_hi;	    /* 0x074 */
	uint64_t exit_info_1;	    /* 0x078 */
	uint64_t exit_info_2;	    /* 0x080 */
	uint32_t exit_int_info;	    /* 0x088 */
	uint32_t exit_int_info_err; /* 0x08c */
	uint64_t nested_ctl;	    /* 0x090 */
	uint64_t avic_vapic_bar;    /* 0x098 */
	uint64_t ghcb_gpa;	    /* 0x0a0 */
	uint32_t event_inj;	    /* 0x0a8 */
	uint32_t event_inj_err;	    /* 0x0ac */
	uint64_t nested_cr3;	    /* 0x0b0 */
	uint64_t virt_ext;	    /* 0x0b8 */
	uint32_t clean;		    /* 0x0c0 */
	uint32_t reserved_4;
	uint64_t next_rip; /* 0x0c8 */
	uint8_t insn_len;  /* 0x0d0 */
	uint8_t insn_bytes[15];
	uint8_t reserved_5[0x400 - 0xe0];
};

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs; /* 0x000 .. 0x050 */
	struct vmcb_seg gdtr, ldtr, idtr, tr;	/* 0x060 .. 0x090 */
	uint8_t reserved_1[0xcb - 0xa0];
	uint8_t cpl; /* 0x0cb */
	uint32_t reserved_2;
	uint64_t efer; /* 0x0d0 */
	uint8_t reserved_3[0x148 - 0xd8];
	uint64_t cr4;	 /* 0x148 */
	uint64_t cr3;	 /* 0x150 */
	uint64_t cr0;	 /* 0x158 */
	uint64_t dr7;	 /* 0x160 */
	uint64_t dr6;	 /* 0x168 */
	uint64_t rflags; /* 0x170 */
	uint64_t rip;	 /* 0x178 */
	uint8_t reserved_4[0x1d8 - 0x180];
	uint64_t rsp; /* 0x1d8 */
	uint8_t reserved_5[0x1f8 - 0x1e0];
	uint64_t rax;					  /* 0x1f8 */
	uint64_t star, lstar, cstar, sfmask;		  /* 0x200 .. 0x218 */
	uint64_t kernel_gs_base;			  /* 0x220 */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip; /* 0x228 .. 0x238 */
	uint64_t cr2;					  /* 0x240 */
	uint8_t reserved_6[0x268 - 0x248];
	uint64_t g_pat; /* 0x268 */
	uint8_t reserved_7[0xc00 - 0x270];
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
};

_Static_assert(offsetof(struct vmcb_control, iopm_base_pa) == 0x040, "VMCB layout");
_Static_assert(offsetof(struct vmcb_control, int_ctl) == 0x060, "VMCB layout");
_Static_assert(offsetof(struct vmcb_control, exit_code) == 0x070, "VMCB layout");
_Static_assert(offsetof(struct vmcb_control, exit_int_info) == 0x088, "VMCB layout");
_Static_assert(offsetof(struct vmcb_control, event_inj) == 0x0a8, "VMCB layout");
_Static_assert(offsetof(struct vmcb_control, next_rip) == 0x0c8, "VMCB layout");
_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, idtr) == 0x080, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, cpl) == 0x0cb, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, efer) == 0x0d0, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, cr4) == 0x148, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, rflags) == 0x170, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, rsp) == 0x1d8, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, rax) == 0x1f8, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, sysenter_cs) == 0x228, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, g_pat) == 0x268, "VMCB layout");
_Static_assert(sizeof(struct vmcb) == 0x1000, "VMCB layout");

/* Intercept bits (APM vol. 2, table B-1). */
#define VMCB_MISC1_INTR	     (1u << 0)
#define VMCB_MISC1_CPUID     (1u << 18)
#define VMCB_MISC1_HLT	     (1u << 24)
#define VMCB_MISC1_IOIO_PROT (1u << 27)
#define VMCB_MISC1_MSR_PROT  (1u << 28)
#define VMCB_MISC1_SHUTDOWN  (1u << 31)
#define VMCB_MISC2_VMRUN     (1u << 0)
#define VMCB_MISC2_VMMCALL   (1u << 1)

#define VMCB_INT_CTL_V_INTR_MASKING (1u << 24)

/* EXITINTINFO / EVENTINJ (APM vol. 2, 15.20). */
#define SVM_EVTINJ_VEC_MASK   0xffu
#define SVM_EVTINJ_TYPE_SHIFT 8
#define SVM_EVTINJ_TYPE_MASK  (7u << SVM_EVTINJ_TYPE_SHIFT)
#define SVM_EVTINJ_TYPE_SOFT  (4u << SVM_EVTINJ_TYPE_SHIFT)
#define SVM_EVTINJ_VALID      (1u << 31)

/* EXITINFO1 of an IOIO intercept (APM vol. 2, 15.10.2). */
#define SVM_IOIO_TYPE_IN (1u << 0)

#endif /* NVMX_LAB_VMCB_H */
