/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM's nested MSR / I/O bitmap rules, in one table: which MSRs KVM merges when it builds L2's
 * MSR bitmap (VMX: nested_vmx_prepare_msr_bitmap; SVM: nested_svm_merge_msrpm, named
 * nested_svm_vmrun_msrpm before Linux 6.17), per kernel version, and what that means for an MSR
 * or port exit seen with a given handler. See docs/bitmaps.md for the sources read. User space.
 */
#ifndef NVMX_BITMAP_RULES_H
#define NVMX_BITMAP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A kernel version: major*1000+minor (6012 for 6.12); 0 when unknown (then: the newest rules, and
 * texts say "Linux X.Y+" where it matters). Versions older than 6.1 get the 6.1 rules.
 */
typedef uint32_t nvmx_kver;

/* "6.12.57+deb13-amd64" -> 6012; 0 if not parsable */
nvmx_kver nvmx_kver_parse(const char *release);

/* The architectural name of a well-known MSR (msr-index.h / SDM / APM), x2APIC as X2APIC_<REG>;
 * NULL if not in the table. */
const char *nvmx_msr_name(uint32_t msr);

/* The name of a well-known x86 PC I/O port ("COM1", "PCI_CONFIG_DATA", ...); NULL if none. */
const char *nvmx_port_name(uint16_t port);

/*
 * Whether KVM merges L0's and L1's intercept for this MSR when building L2's bitmap (so an L2
 * access can run without any exit when neither L0-for-L1 nor L1 intercepts it), for at least one
 * direction. isa: 1 VMX, 2 SVM (KVM_ISA_*). Named x2APIC MSRs on VMX (TPR, EOI, SELF_IPI) count,
 * although they pass through only when L1 uses virtualize-x2APIC mode; the x2APIC read range of
 * APIC-register virtualization does not (see nvmx_msr_merged_access).
 */
bool nvmx_msr_merged(uint32_t isa, uint32_t msr, nvmx_kver kver);

/* The same for one direction (write: WRMSR, else RDMSR), including the x2APIC read range. */
bool nvmx_msr_merged_access(uint32_t isa, uint32_t msr, bool write, nvmx_kver kver);

/* The first kernel version from which the MSR is merged on that ISA, 0 if never (as far as
 * verified). For an MSR merged only in a range of versions (SVM EFER, before 6.17) the first. */
nvmx_kver nvmx_msr_merged_since(uint32_t isa, uint32_t msr);

/* Whether the entry behind nvmx_msr_merged_since() was read in a release tree (6.1.192,
 * 6.12.117, 7.2.13) at that first version; false: the version comes from a pull request or
 * commit and was not verified in a tree of that version. */
bool nvmx_msr_merged_since_verified(uint32_t isa, uint32_t msr);

/* The mechanism behind an MSR / port exit seen with this handler */
enum nvmx_bm_mechanism {
	/* an L2 exit reflected to L1: L1's bitmap (MSR bitmap/MSRPM, I/O bitmaps/IOPM) intercepts
	 * it: an L1 hypervisor setting */
	NVMX_BM_L1_INTERCEPTS = 0,
	/* an L2 exit handled in L0 for an MSR KVM merges: L0 intercepts it for L1 and KVM merges
	 * the bitmaps (an L0 setting) */
	NVMX_BM_L0_MERGED = 1,
	/* an L2 exit handled in L0 that exits whatever L1 and L0's settings: VMX MSRs outside the
	 * merged list, I/O on VMX (unconditional I/O exiting) and SVM (KVM's IOPM intercepts every
	 * port), x2APIC MSRs on SVM: a KVM limitation */
	NVMX_BM_ALWAYS_EXITS = 2,
	/* an exit of L1 itself: L0 intercepts L1's own access */
	NVMX_BM_L1_OWN = 3,
	/* VMX only: an L2 x2APIC access (TPR, EOI, SELF_IPI, APIC reads) handled in L0 because L1
	 * does not enable virtualize-x2APIC mode (+ APIC-register virtualization /
	 * virtual-interrupt delivery) for L2: KVM passes these through on L1's bitmap alone when
	 * it does */
	NVMX_BM_L1_NO_APICV = 4,
};

/*
 * handler: 0 = an exit of L1 itself, 1 = L2 exit handled in L0, 2 = L2 exit reflected to L1
 * (enum nvmx_handler of summary.h, NVMX_HANDLED_BY_NONE meaning "L1's own exit" here). For
 * NVMX_MSR_UNKNOWN (0xffffffff) the mechanism follows the handler only (L0: always_exits).
 */
enum nvmx_bm_mechanism nvmx_bm_msr_mechanism(uint32_t isa, uint32_t msr, int handler,
					     nvmx_kver kver);
/* The same knowing the direction of the access (write: WRMSR): exact for MSRs merged for one
 * direction only (APERF/MPERF reads, PRED_CMD writes, the x2APIC read range). */
enum nvmx_bm_mechanism nvmx_bm_msr_access_mechanism(uint32_t isa, uint32_t msr, bool write,
						    int handler, nvmx_kver kver);
enum nvmx_bm_mechanism nvmx_bm_port_mechanism(uint32_t isa, uint16_t port, int handler,
					      nvmx_kver kver);

/* "l1_intercepts", "l0_merged", "always_exits", "l1_own", "l1_no_apicv"; "unknown" otherwise */
const char *nvmx_bm_mechanism_id(enum nvmx_bm_mechanism m);

/*
 * The advice sentence (one line, <= 160 chars) naming the mechanism, the kernel function and the
 * knob, specific to isa and MSR vs port, written into buf (truncated to len); returns buf.
 */
const char *nvmx_bm_advice(uint32_t isa, bool is_msr, enum nvmx_bm_mechanism m, nvmx_kver kver,
			   char *buf, size_t len);

#endif /* NVMX_BITMAP_RULES_H */
