// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's nested MSR / I/O bitmap rules: the one table of the MSRs KVM merges when it builds L2's
 * MSR bitmap, per ISA and kernel version, the names of well-known MSRs and ports, and the
 * mechanism and advice for an MSR or port exit. docs/bitmaps.md explains the rules and the
 * sources: each entry below names the kernel function it comes from. "read" means read in the
 * Debian linux-source trees 6.1.192, 6.12.117 and 7.2.13; versions named from a pull request or
 * commit only are marked "not verified in a tree".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmx/bitmap_rules.h"

#define ISA_VMX 1u
#define ISA_SVM 2u

/* handler values of enum nvmx_handler (summary.h) */
#define HANDLER_NONE 0
#define HANDLER_L0   1
#define HANDLER_L1   2

#define MSR_UNKNOWN 0xffffffffu

/* The oldest rules read: older kernels get these. */
#define KVER_OLDEST 6001u

enum rule_type {
	R = 1, /* reads (RDMSR) */
	W = 2, /* writes (WRMSR) */
	RW = R | W,
};

enum rule_cond {
	COND_NONE = 0,	  /* intercept in vmcs02/msrpm02 = L0's intercept for L1 | L1's */
	COND_X2APIC,	  /* VMX: only with L1's virtualize-x2APIC mode, on L1's bitmap alone */
	COND_X2APIC_VID,  /* ... and virtual-interrupt delivery */
	COND_X2APIC_REGV, /* ... and APIC-register virtualization (the whole read range) */
	COND_MEDIATED_PMU /* only when the vCPU has a mediated PMU (kvm enable_mediated_pmu) */
};

struct merge_rule {
	uint32_t isa;
	uint32_t first, last; /* MSR range, inclusive */
	uint8_t type;	      /* enum rule_type */
	uint8_t cond;	      /* enum rule_cond */
	bool range_only;      /* not counted by nvmx_msr_merged(): only a direction of a range */
	bool since_verified;  /* since was read in a tree of that version (see the file comment) */
	nvmx_kver since;      /* first version merged */
	nvmx_kver until;      /* first version no longer merged, 0 if still merged */
};

static const struct merge_rule rules[] = {
	/*
	 * VMX: nested_vmx_prepare_msr_bitmap() (arch/x86/kvm/vmx/nested.c), read in 6.1.192,
	 * 6.12.117 and 7.2.13. enable_x2apic_msr_intercepts() first intercepts 0x800-0x8ff; then
	 * with virtualize-x2APIC mode and APIC-register virtualization the read bits of the range
	 * are copied from L1's bitmap, and nested_vmx_disable_intercept_for_x2apic_msr() clears TPR
	 * (R/W) and, with virtual-interrupt delivery, EOI and SELF_IPI (W) when L1 does not
	 * intercept them. Every other MSR comes from nested_vmx_set_intercept_for_msr():
	 * intercepted in vmcs02 iff vmcs01 or vmcs12 intercepts it (nested_vmx_merge_msr_bitmaps_*
	 * in 7.2).
	 */
	{ ISA_VMX, 0x800, 0x8ff, R, COND_X2APIC_REGV, true, true, 6001, 0 },
	/* X2APIC_MSR(APIC_TASKPRI) */
	{ ISA_VMX, 0x808, 0x808, RW, COND_X2APIC, false, true, 6001, 0 },
	/* X2APIC_MSR(APIC_EOI) */
	{ ISA_VMX, 0x80b, 0x80b, W, COND_X2APIC_VID, false, true, 6001, 0 },
	/* X2APIC_MSR(APIC_SELF_IPI) */
	{ ISA_VMX, 0x83f, 0x83f, W, COND_X2APIC_VID, false, true, 6001, 0 },
	/* FS/GS/KERNEL_GS_BASE */
	{ ISA_VMX, 0xc0000100, 0xc0000102, RW, COND_NONE, false, true, 6001, 0 },
	/* MSR_IA32_SPEC_CTRL */
	{ ISA_VMX, 0x48, 0x48, RW, COND_NONE, false, true, 6001, 0 },
	/* MSR_IA32_PRED_CMD */
	{ ISA_VMX, 0x49, 0x49, W, COND_NONE, false, true, 6001, 0 },
	/* MSR_IA32_FLUSH_CMD: absent in 6.1.192, present in 6.12.117; 6.4 not verified in a tree */
	{ ISA_VMX, 0x10b, 0x10b, W, COND_NONE, false, false, 6004, 0 },
	/* MSR_IA32_MPERF, MSR_IA32_APERF reads: Jim Mattson's APERF/MPERF commit of the
	 * kvm-x86-misc-6.17 pull; present in 7.2.13, 6.17 not verified in a tree */
	{ ISA_VMX, 0xe7, 0xe8, R, COND_NONE, false, false, 6017, 0 },
	/* MSR_IA32_U_CET, MSR_IA32_S_CET, MSR_IA32_PL0_SSP..PL3_SSP: "CET virtualization for 6.18"
	 * pull; present in 7.2.13 (not MSR_IA32_INT_SSP_TAB), 6.18 not verified in a tree */
	{ ISA_VMX, 0x6a0, 0x6a0, RW, COND_NONE, false, false, 6018, 0 },
	{ ISA_VMX, 0x6a2, 0x6a2, RW, COND_NONE, false, false, 6018, 0 },
	{ ISA_VMX, 0x6a4, 0x6a7, RW, COND_NONE, false, false, 6018, 0 },
	/* nested_vmx_merge_pmu_msr_bitmaps(), mediated PMU only: "Mediated PMU for 6.20" pull
	 * (released as 7.0); present in 7.2.13, 7.0 not verified in a tree. GP counters
	 * PERFCTR0+i and PMC0+i (i < 8, KVM_MAX_NR_INTEL_GP_COUNTERS), FIXED_CTR0+i (i < 3) */
	{ ISA_VMX, 0xc1, 0xc8, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	{ ISA_VMX, 0x4c1, 0x4c8, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	{ ISA_VMX, 0x309, 0x30b, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	/* PERF_GLOBAL_CTRL */
	{ ISA_VMX, 0x38f, 0x38f, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	/* PERF_GLOBAL_STATUS */
	{ ISA_VMX, 0x38e, 0x38e, R, COND_MEDIATED_PMU, false, false, 7000, 0 },
	/* PERF_GLOBAL_OVF_CTRL */
	{ ISA_VMX, 0x390, 0x390, W, COND_MEDIATED_PMU, false, false, 7000, 0 },

	/*
	 * SVM, 6.1/6.12: nested_svm_vmrun_msrpm() (arch/x86/kvm/svm/nested.c) ORs msrpm01 and L1's
	 * MSRPM over msrpm_offsets[], built by init_msrpm_offsets() from direct_access_msrs[] in
	 * svm.c, skipping x2APIC offsets ("x2apic msrs are intercepted always for the nested
	 * guest"). set_msr_interception() only clears bits of direct_access_msrs, so those are the
	 * MSRs that can pass through. From 6.17: nested_svm_merge_msrpm() over the merge_msrs[] of
	 * nested_svm_init_msrpm_merge_offsets() (kvm-x86-misc-6.17 pull; read in 7.2.13).
	 */
	/* STAR LSTAR CSTAR SYSCALL_MASK */
	{ ISA_SVM, 0xc0000081, 0xc0000084, RW, COND_NONE, false, true, 6001, 0 },
	/* SYSENTER_CS/ESP/EIP */
	{ ISA_SVM, 0x174, 0x176, RW, COND_NONE, false, true, 6001, 0 },
	/* FS/GS/KERNEL_GS_BASE */
	{ ISA_SVM, 0xc0000100, 0xc0000102, RW, COND_NONE, false, true, 6001, 0 },
	/* SPEC_CTRL, PRED_CMD */
	{ ISA_SVM, 0x48, 0x49, RW, COND_NONE, false, true, 6001, 0 },
	/* LASTBRANCH/LASTINT FROM/TO IP */
	{ ISA_SVM, 0x1db, 0x1de, RW, COND_NONE, false, true, 6001, 0 },
	/* direct_access_msrs only (SEV-ES / LBR passthrough), dropped from the merge by "KVM: nSVM:
	 * Omit SEV-ES specific passthrough MSRs from L0+L1 bitmap merge" (6.17 pull) */
	/* EFER */
	{ ISA_SVM, 0xc0000080, 0xc0000080, RW, COND_NONE, false, true, 6001, 6017 },
	/* CR_PAT */
	{ ISA_SVM, 0x277, 0x277, RW, COND_NONE, false, true, 6001, 6017 },
	/* SEV_ES_GHCB */
	{ ISA_SVM, 0xc0010130, 0xc0010130, RW, COND_NONE, false, true, 6001, 6017 },
	/* TSC_AUX */
	{ ISA_SVM, 0xc0000103, 0xc0000103, RW, COND_NONE, false, true, 6001, 6017 },
	/* DEBUGCTL and XSS: in 6.12.117's direct_access_msrs, not in 6.1.192's; first version
	 * between them not verified */
	{ ISA_SVM, 0x1d9, 0x1d9, RW, COND_NONE, false, false, 6012, 6017 },
	{ ISA_SVM, 0xda0, 0xda0, RW, COND_NONE, false, false, 6012, 6017 },
	/* FLUSH_CMD: as on VMX, 6.4 not verified in a tree */
	{ ISA_SVM, 0x10b, 0x10b, W, COND_NONE, false, false, 6004, 0 },
	/* APERF/MPERF reads (6.17 pull, read in 7.2.13) */
	{ ISA_SVM, 0xe7, 0xe8, R, COND_NONE, false, false, 6017, 0 },
	/* mediated PMU (7.0, read in 7.2.13): K7_PERFCTR0-3, F15H_PERF_CTR0-5, GLOBAL_* */
	{ ISA_SVM, 0xc0010004, 0xc0010007, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	{ ISA_SVM, 0xc0010201, 0xc0010201, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	{ ISA_SVM, 0xc0010203, 0xc0010203, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	{ ISA_SVM, 0xc0010205, 0xc0010205, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	{ ISA_SVM, 0xc0010207, 0xc0010207, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	{ ISA_SVM, 0xc0010209, 0xc0010209, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	{ ISA_SVM, 0xc001020b, 0xc001020b, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
	{ ISA_SVM, 0xc0000300, 0xc0000303, RW, COND_MEDIATED_PMU, false, false, 7000, 0 },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

nvmx_kver nvmx_kver_parse(const char *release)
{
	unsigned long major, minor;
	char *end;

	if (!release || release[0] < '0' || release[0] > '9')
		return 0;
	major = strtoul(release, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return 0;
	minor = strtoul(end + 1, &end, 10);
	if (*end != '\0' && *end != '.' && *end != '-' && *end != '+' && *end != '_' && *end != '~')
		return 0;
	if (major == 0 || major > 99 || minor > 999)
		return 0;
	return (nvmx_kver)(major * 1000 + minor);
}

static bool rule_in_version(const struct merge_rule *r, nvmx_kver kver)
{
	if (kver == 0)
		return r->until == 0;
	if (kver < KVER_OLDEST)
		kver = KVER_OLDEST;
	return kver >= r->since && (r->until == 0 || kver < r->until);
}

static const struct merge_rule *find_rule(uint32_t isa, uint32_t msr, int dir, bool with_ranges,
					  nvmx_kver kver, bool any_version)
{
	for (size_t i = 0; i < ARRAY_LEN(rules); i++) {
		const struct merge_rule *r = &rules[i];

		if (r->isa != isa || msr < r->first || msr > r->last)
			continue;
		if (r->range_only && !with_ranges)
			continue;
		if (dir && !(r->type & dir))
			continue;
		if (!any_version && !rule_in_version(r, kver))
			continue;
		return r;
	}
	return NULL;
}

bool nvmx_msr_merged(uint32_t isa, uint32_t msr, nvmx_kver kver)
{
	return find_rule(isa, msr, 0, false, kver, false) != NULL;
}

bool nvmx_msr_merged_access(uint32_t isa, uint32_t msr, bool write, nvmx_kver kver)
{
	return find_rule(isa, msr, write ? W : R, true, kver, false) != NULL;
}

static const struct merge_rule *first_rule(uint32_t isa, uint32_t msr)
{
	const struct merge_rule *best = NULL;

	for (size_t i = 0; i < ARRAY_LEN(rules); i++) {
		const struct merge_rule *r = &rules[i];

		if (r->isa != isa || msr < r->first || msr > r->last || r->range_only)
			continue;
		if (!best || r->since < best->since)
			best = r;
	}
	return best;
}

nvmx_kver nvmx_msr_merged_since(uint32_t isa, uint32_t msr)
{
	const struct merge_rule *r = first_rule(isa, msr);

	return r ? r->since : 0;
}

bool nvmx_msr_merged_since_verified(uint32_t isa, uint32_t msr)
{
	const struct merge_rule *r = first_rule(isa, msr);

	return r && r->since_verified;
}

static enum nvmx_bm_mechanism l0_mechanism(const struct merge_rule *r)
{
	if (!r)
		return NVMX_BM_ALWAYS_EXITS;
	if (r->cond == COND_X2APIC || r->cond == COND_X2APIC_VID || r->cond == COND_X2APIC_REGV)
		return NVMX_BM_L1_NO_APICV;
	return NVMX_BM_L0_MERGED;
}

static enum nvmx_bm_mechanism msr_mechanism(uint32_t isa, uint32_t msr, int dir, int handler,
					    nvmx_kver kver)
{
	if (handler == HANDLER_NONE)
		return NVMX_BM_L1_OWN;
	if (handler == HANDLER_L1)
		return NVMX_BM_L1_INTERCEPTS;
	if (msr == MSR_UNKNOWN)
		return NVMX_BM_ALWAYS_EXITS;
	return l0_mechanism(find_rule(isa, msr, dir, dir != 0, kver, false));
}

enum nvmx_bm_mechanism nvmx_bm_msr_mechanism(uint32_t isa, uint32_t msr, int handler,
					     nvmx_kver kver)
{
	return msr_mechanism(isa, msr, 0, handler, kver);
}

enum nvmx_bm_mechanism nvmx_bm_msr_access_mechanism(uint32_t isa, uint32_t msr, bool write,
						    int handler, nvmx_kver kver)
{
	return msr_mechanism(isa, msr, write ? W : R, handler, kver);
}

enum nvmx_bm_mechanism nvmx_bm_port_mechanism(uint32_t isa, uint16_t port, int handler,
					      nvmx_kver kver)
{
	(void)isa;
	(void)port;
	(void)kver;
	/*
	 * No I/O bitmap is merged: VMX vmcs02 sets CPU_BASED_UNCOND_IO_EXITING and clears
	 * CPU_BASED_USE_IO_BITMAPS (prepare_vmcs02_early); SVM vmcb02 takes vmcb01's iopm_base_pa
	 * (nested_vmcb02_prepare_control), KVM's IOPM with every bit set. Read in 6.1, 6.12, 7.2.
	 */
	if (handler == HANDLER_NONE)
		return NVMX_BM_L1_OWN;
	if (handler == HANDLER_L1)
		return NVMX_BM_L1_INTERCEPTS;
	return NVMX_BM_ALWAYS_EXITS;
}

const char *nvmx_bm_mechanism_id(enum nvmx_bm_mechanism m)
{
	switch (m) {
	case NVMX_BM_L1_INTERCEPTS:
		return "l1_intercepts";
	case NVMX_BM_L0_MERGED:
		return "l0_merged";
	case NVMX_BM_ALWAYS_EXITS:
		return "always_exits";
	case NVMX_BM_L1_OWN:
		return "l1_own";
	case NVMX_BM_L1_NO_APICV:
		return "l1_no_apicv";
	}
	return "unknown";
}

/* The name of SVM's merge function for this version. */
static const char *svm_merge_fn(nvmx_kver kver)
{
	if (kver == 0)
		return "nested_svm_merge_msrpm, Linux 6.17+";
	if (kver < 6017)
		return "nested_svm_vmrun_msrpm";
	return "nested_svm_merge_msrpm";
}

const char *nvmx_bm_advice(uint32_t isa, bool is_msr, enum nvmx_bm_mechanism m, nvmx_kver kver,
			   char *buf, size_t len)
{
	bool svm = isa == ISA_SVM;

	if (!buf || len == 0)
		return buf;
	if (m == NVMX_BM_L0_MERGED && !is_msr)
		m = NVMX_BM_ALWAYS_EXITS; /* ports are never merged */
	if (m == NVMX_BM_L1_NO_APICV && (svm || !is_msr))
		m = NVMX_BM_ALWAYS_EXITS; /* x2APIC virtualization for L2 exists on VMX only */

	switch (m) {
	case NVMX_BM_L1_INTERCEPTS:
		if (is_msr)
			snprintf(buf, len,
				 "reflected because L1 intercepts it (an L1 hypervisor setting: "
				 "clear "
				 "its bit in L1's %s if L1 does not need the access; %s)",
				 svm ? "MSRPM" : "MSR bitmap",
				 svm ? "nested_svm_exit_handled_msr"
				     : "nested_vmx_exit_handled_msr");
		else
			snprintf(buf, len,
				 "reflected because L1 intercepts it (an L1 hypervisor setting: "
				 "clear "
				 "its bit in L1's %s if L1 does not need the access; %s)",
				 svm ? "IOPM" : "I/O bitmaps",
				 svm ? "nested_svm_intercept_ioio" : "nested_vmx_exit_handled_io");
		break;
	case NVMX_BM_L0_MERGED:
		if (svm)
			snprintf(buf, len,
				 "handled in L0 because L0 intercepts it for L1 and KVM merges it "
				 "(%s: msrpm02 = msrpm01 | msrpm12); an L0 setting",
				 svm_merge_fn(kver));
		else
			snprintf(buf, len,
				 "handled in L0 because L0 intercepts it for L1 and KVM merges it "
				 "(nested_vmx_prepare_msr_bitmap: vmcs01 | vmcs12); an L0 setting");
		break;
	case NVMX_BM_ALWAYS_EXITS:
		if (is_msr && svm)
			snprintf(buf, len,
				 "always exits on SVM: KVM intercepts this MSR for every guest "
				 "(not in "
				 "%s's offsets); L0 emulates every L2 access",
				 svm_merge_fn(kver));
		else if (is_msr)
			snprintf(buf, len,
				 "always exits on VMX: KVM does not merge this MSR's bitmap "
				 "(nested_vmx_prepare_msr_bitmap merges only a short list); L0 "
				 "emulates every L2 access");
		else if (svm)
			snprintf(buf, len,
				 "always exits on SVM: vmcb02 uses KVM's IOPM, which intercepts "
				 "every "
				 "port (nested_vmcb02_prepare_control); L0 emulates what L1 does "
				 "not");
		else
			snprintf(buf, len,
				 "always exits on VMX: vmcs02 uses unconditional I/O exiting "
				 "(prepare_vmcs02_early); L0 emulates what L1's I/O bitmaps do not "
				 "take");
		break;
	case NVMX_BM_L1_OWN:
		if (is_msr)
			snprintf(buf, len,
				 "an exit of L1 itself: L0 intercepts L1's own access (KVM's %s "
				 "for L1, "
				 "e.g. set by userspace MSR filters or CPUID)",
				 svm ? "msrpm01" : "vmcs01 MSR bitmap");
		else
			snprintf(buf, len,
				 "an exit of L1 itself: KVM intercepts every port access of its "
				 "guests "
				 "(%s)",
				 svm ? "its IOPM has every bit set" : "unconditional I/O exiting");
		break;
	case NVMX_BM_L1_NO_APICV:
		snprintf(buf, len,
			 "handled in L0 because L1 does not virtualize x2APIC for L2 "
			 "(nested_vmx_prepare_msr_bitmap passes it only with virtualize-x2APIC "
			 "mode/APICv)");
		break;
	default:
		snprintf(buf, len, "unknown mechanism");
		break;
	}
	return buf;
}

struct name_range {
	uint32_t first, last;
	const char *name;
};

/*
 * Well-known MSRs, names as in the SDM / APM (Linux arch/x86/include/asm/msr-index.h for the
 * index, and its name where the manuals differ: SYSCALL_MASK, KERNEL_GS_BASE, LASTBRANCH*).
 * x2APIC registers (SDM vol. 3 table "Local APIC Register Address Map Supported by x2APIC") as
 * X2APIC_<REG>; KVM's paravirtual MSRs from Documentation/virt/kvm/x86/msr.rst.
 */
static const struct name_range msr_names[] = {
	{ 0x10, 0x10, "IA32_TIME_STAMP_COUNTER" },
	{ 0x11, 0x11, "KVM_WALL_CLOCK" },
	{ 0x12, 0x12, "KVM_SYSTEM_TIME" },
	{ 0x1b, 0x1b, "IA32_APIC_BASE" },
	{ 0x3a, 0x3a, "IA32_FEATURE_CONTROL" },
	{ 0x3b, 0x3b, "IA32_TSC_ADJUST" },
	{ 0x48, 0x48, "IA32_SPEC_CTRL" },
	{ 0x49, 0x49, "IA32_PRED_CMD" },
	{ 0x79, 0x79, "IA32_BIOS_UPDT_TRIG" },
	{ 0x8b, 0x8b, "IA32_BIOS_SIGN_ID" },
	{ 0xc1, 0xc1, "IA32_PMC0" },
	{ 0xe7, 0xe7, "IA32_MPERF" },
	{ 0xe8, 0xe8, "IA32_APERF" },
	{ 0xfe, 0xfe, "IA32_MTRRCAP" },
	{ 0x10a, 0x10a, "IA32_ARCH_CAPABILITIES" },
	{ 0x10b, 0x10b, "IA32_FLUSH_CMD" },
	{ 0x122, 0x122, "IA32_TSX_CTRL" },
	{ 0x174, 0x174, "IA32_SYSENTER_CS" },
	{ 0x175, 0x175, "IA32_SYSENTER_ESP" },
	{ 0x176, 0x176, "IA32_SYSENTER_EIP" },
	{ 0x179, 0x179, "IA32_MCG_CAP" },
	{ 0x17a, 0x17a, "IA32_MCG_STATUS" },
	{ 0x186, 0x186, "IA32_PERFEVTSEL0" },
	{ 0x198, 0x198, "IA32_PERF_STATUS" },
	{ 0x199, 0x199, "IA32_PERF_CTL" },
	{ 0x19c, 0x19c, "IA32_THERM_STATUS" },
	{ 0x1a0, 0x1a0, "IA32_MISC_ENABLE" },
	{ 0x1d9, 0x1d9, "IA32_DEBUGCTL" },
	{ 0x1db, 0x1db, "LASTBRANCHFROMIP" },
	{ 0x1dc, 0x1dc, "LASTBRANCHTOIP" },
	{ 0x1dd, 0x1dd, "LASTINTFROMIP" },
	{ 0x1de, 0x1de, "LASTINTTOIP" },
	{ 0x277, 0x277, "IA32_PAT" },
	{ 0x2ff, 0x2ff, "IA32_MTRR_DEF_TYPE" },
	{ 0x309, 0x309, "IA32_FIXED_CTR0" },
	{ 0x345, 0x345, "IA32_PERF_CAPABILITIES" },
	{ 0x38d, 0x38d, "IA32_FIXED_CTR_CTRL" },
	{ 0x38e, 0x38e, "IA32_PERF_GLOBAL_STATUS" },
	{ 0x38f, 0x38f, "IA32_PERF_GLOBAL_CTRL" },
	{ 0x390, 0x390, "IA32_PERF_GLOBAL_OVF_CTRL" },
	{ 0x480, 0x480, "IA32_VMX_BASIC" },
	{ 0x481, 0x481, "IA32_VMX_PINBASED_CTLS" },
	{ 0x482, 0x482, "IA32_VMX_PROCBASED_CTLS" },
	{ 0x483, 0x483, "IA32_VMX_EXIT_CTLS" },
	{ 0x484, 0x484, "IA32_VMX_ENTRY_CTLS" },
	{ 0x485, 0x485, "IA32_VMX_MISC" },
	{ 0x486, 0x486, "IA32_VMX_CR0_FIXED0" },
	{ 0x487, 0x487, "IA32_VMX_CR0_FIXED1" },
	{ 0x488, 0x488, "IA32_VMX_CR4_FIXED0" },
	{ 0x489, 0x489, "IA32_VMX_CR4_FIXED1" },
	{ 0x48a, 0x48a, "IA32_VMX_VMCS_ENUM" },
	{ 0x48b, 0x48b, "IA32_VMX_PROCBASED_CTLS2" },
	{ 0x48c, 0x48c, "IA32_VMX_EPT_VPID_CAP" },
	{ 0x48d, 0x48d, "IA32_VMX_TRUE_PINBASED_CTLS" },
	{ 0x48e, 0x48e, "IA32_VMX_TRUE_PROCBASED_CTLS" },
	{ 0x48f, 0x48f, "IA32_VMX_TRUE_EXIT_CTLS" },
	{ 0x490, 0x490, "IA32_VMX_TRUE_ENTRY_CTLS" },
	{ 0x491, 0x491, "IA32_VMX_VMFUNC" },
	{ 0x4c1, 0x4c1, "IA32_A_PMC0" },
	{ 0x6a0, 0x6a0, "IA32_U_CET" },
	{ 0x6a2, 0x6a2, "IA32_S_CET" },
	{ 0x6a4, 0x6a4, "IA32_PL0_SSP" },
	{ 0x6a5, 0x6a5, "IA32_PL1_SSP" },
	{ 0x6a6, 0x6a6, "IA32_PL2_SSP" },
	{ 0x6a7, 0x6a7, "IA32_PL3_SSP" },
	{ 0x6a8, 0x6a8, "IA32_INTERRUPT_SSP_TABLE_ADDR" },
	{ 0x6e0, 0x6e0, "IA32_TSC_DEADLINE" },
	{ 0x802, 0x802, "X2APIC_APICID" },
	{ 0x803, 0x803, "X2APIC_VERSION" },
	{ 0x808, 0x808, "X2APIC_TPR" },
	{ 0x80a, 0x80a, "X2APIC_PPR" },
	{ 0x80b, 0x80b, "X2APIC_EOI" },
	{ 0x80d, 0x80d, "X2APIC_LDR" },
	{ 0x80f, 0x80f, "X2APIC_SVR" },
	{ 0x810, 0x817, "X2APIC_ISR" },
	{ 0x818, 0x81f, "X2APIC_TMR" },
	{ 0x820, 0x827, "X2APIC_IRR" },
	{ 0x828, 0x828, "X2APIC_ESR" },
	{ 0x82f, 0x82f, "X2APIC_LVT_CMCI" },
	{ 0x830, 0x830, "X2APIC_ICR" },
	{ 0x832, 0x832, "X2APIC_LVT_TIMER" },
	{ 0x833, 0x833, "X2APIC_LVT_THERMAL" },
	{ 0x834, 0x834, "X2APIC_LVT_PMI" },
	{ 0x835, 0x835, "X2APIC_LVT_LINT0" },
	{ 0x836, 0x836, "X2APIC_LVT_LINT1" },
	{ 0x837, 0x837, "X2APIC_LVT_ERROR" },
	{ 0x838, 0x838, "X2APIC_INIT_COUNT" },
	{ 0x839, 0x839, "X2APIC_CUR_COUNT" },
	{ 0x83e, 0x83e, "X2APIC_DIV_CONF" },
	{ 0x83f, 0x83f, "X2APIC_SELF_IPI" },
	{ 0xda0, 0xda0, "IA32_XSS" },
	{ 0x4b564d00, 0x4b564d00, "KVM_WALL_CLOCK_NEW" },
	{ 0x4b564d01, 0x4b564d01, "KVM_SYSTEM_TIME_NEW" },
	{ 0x4b564d02, 0x4b564d02, "KVM_ASYNC_PF_EN" },
	{ 0x4b564d03, 0x4b564d03, "KVM_STEAL_TIME" },
	{ 0x4b564d04, 0x4b564d04, "KVM_PV_EOI_EN" },
	{ 0xc0000080, 0xc0000080, "EFER" },
	{ 0xc0000081, 0xc0000081, "STAR" },
	{ 0xc0000082, 0xc0000082, "LSTAR" },
	{ 0xc0000083, 0xc0000083, "CSTAR" },
	{ 0xc0000084, 0xc0000084, "SYSCALL_MASK" },
	{ 0xc0000100, 0xc0000100, "FS_BASE" },
	{ 0xc0000101, 0xc0000101, "GS_BASE" },
	{ 0xc0000102, 0xc0000102, "KERNEL_GS_BASE" },
	{ 0xc0000103, 0xc0000103, "TSC_AUX" },
	{ 0xc0000300, 0xc0000300, "PERF_CNTR_GLOBAL_STATUS" },
	{ 0xc0000301, 0xc0000301, "PERF_CNTR_GLOBAL_CTL" },
	{ 0xc0000302, 0xc0000302, "PERF_CNTR_GLOBAL_STATUS_CLR" },
	{ 0xc0000303, 0xc0000303, "PERF_CNTR_GLOBAL_STATUS_SET" },
	{ 0xc0010000, 0xc0010000, "K7_EVNTSEL0" },
	{ 0xc0010004, 0xc0010004, "K7_PERFCTR0" },
	{ 0xc0010010, 0xc0010010, "SYSCFG" },
	{ 0xc0010015, 0xc0010015, "HWCR" },
	{ 0xc0010114, 0xc0010114, "VM_CR" },
	{ 0xc0010117, 0xc0010117, "VM_HSAVE_PA" },
	{ 0xc0010130, 0xc0010130, "SEV_ES_GHCB" },
	{ 0xc0010131, 0xc0010131, "SEV_STATUS" },
	{ 0xc0010140, 0xc0010140, "OSVW_ID_LENGTH" },
	{ 0xc0010141, 0xc0010141, "OSVW_STATUS" },
	{ 0xc0010200, 0xc0010200, "F15H_PERF_CTL0" },
	{ 0xc0010201, 0xc0010201, "F15H_PERF_CTR0" },
	{ 0xc0011029, 0xc0011029, "DE_CFG" },
};

/*
 * Well-known PC ports (the IBM PC/AT map, PCI configuration mechanism #1, QEMU's fw_cfg and
 * debug console). The first match wins: single ports before the ranges that hold them.
 */
static const struct name_range port_names[] = {
	{ 0x0000, 0x000f, "DMA1" },
	{ 0x0020, 0x0021, "PIC1" },
	{ 0x0040, 0x0043, "PIT" },
	{ 0x0060, 0x0060, "I8042" },
	{ 0x0061, 0x0061, "PORT_B" },
	{ 0x0064, 0x0064, "I8042" },
	{ 0x0070, 0x0071, "RTC_CMOS" },
	{ 0x0080, 0x0080, "POST" },
	{ 0x0081, 0x008f, "DMA_PAGE" },
	{ 0x0092, 0x0092, "PORT_92" },
	{ 0x00a0, 0x00a1, "PIC2" },
	{ 0x00b2, 0x00b3, "APM_CNT" },
	{ 0x00c0, 0x00df, "DMA2" },
	{ 0x00ed, 0x00ed, "IO_DELAY" },
	{ 0x0170, 0x0177, "ATA2" },
	{ 0x01f0, 0x01f7, "ATA1" },
	{ 0x02e8, 0x02ef, "COM4" },
	{ 0x02f8, 0x02ff, "COM2" },
	{ 0x0378, 0x037a, "LPT1" },
	{ 0x03b0, 0x03df, "VGA" },
	{ 0x03e8, 0x03ef, "COM3" },
	{ 0x03f0, 0x03f7, "FDC" },
	{ 0x03f8, 0x03ff, "COM1" },
	{ 0x0402, 0x0402, "QEMU_DEBUGCON" },
	{ 0x04d0, 0x04d1, "ELCR" },
	{ 0x0510, 0x0511, "QEMU_FW_CFG" },
	{ 0x0cf9, 0x0cf9, "RESET_CONTROL" },
	{ 0x0cf8, 0x0cfb, "PCI_CONFIG_ADDRESS" },
	{ 0x0cfc, 0x0cff, "PCI_CONFIG_DATA" },
};

static const char *lookup(const struct name_range *t, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (v >= t[i].first && v <= t[i].last)
			return t[i].name;
	return NULL;
}

const char *nvmx_msr_name(uint32_t msr)
{
	return lookup(msr_names, ARRAY_LEN(msr_names), msr);
}

const char *nvmx_port_name(uint16_t port)
{
	return lookup(port_names, ARRAY_LEN(port_names), port);
}
