// SPDX-License-Identifier: GPL-2.0
/*
 * The nested bitmap rules (bitmap_rules.h): which MSRs KVM merges per ISA and kernel version,
 * the mechanism behind an MSR or port exit, names, and the advice texts.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nvmx/bitmap_rules.h"
#include "nvmx/summary.h"

#define VMX NVMX_ISA_VMX
#define SVM NVMX_ISA_SVM

Test(kver, parses_debian_releases)
{
	cr_assert_eq(nvmx_kver_parse("6.1.0-44-amd64"), 6001);
	cr_assert_eq(nvmx_kver_parse("6.12.57+deb13-amd64"), 6012);
	cr_assert_eq(nvmx_kver_parse("7.2.13"), 7002);
	cr_assert_eq(nvmx_kver_parse("6.18"), 6018);
}

Test(kver, rejects_garbage)
{
	cr_assert_eq(nvmx_kver_parse("garbage"), 0);
	cr_assert_eq(nvmx_kver_parse(""), 0);
	cr_assert_eq(nvmx_kver_parse(NULL), 0);
	cr_assert_eq(nvmx_kver_parse("6"), 0);
	cr_assert_eq(nvmx_kver_parse("6.x"), 0);
}

Test(vmx_merge, fs_gs_kernel_gs_base_spec_ctrl_merged_since_6_1)
{
	for (uint32_t msr = 0xc0000100; msr <= 0xc0000102; msr++) {
		cr_assert(nvmx_msr_merged(VMX, msr, 6001));
		cr_assert(nvmx_msr_merged(VMX, msr, 6012));
		cr_assert(nvmx_msr_merged(VMX, msr, 0));
		cr_assert_eq(nvmx_msr_merged_since(VMX, msr), 6001);
	}
	cr_assert(nvmx_msr_merged(VMX, 0x48, 6001));
	cr_assert(nvmx_msr_merged_access(VMX, 0x49, true, 6001));
	cr_assert_not(nvmx_msr_merged_access(VMX, 0x49, false, 6001));
}

Test(vmx_merge, apic_base_ucode_sysenter_efer_not_merged)
{
	uint32_t msrs[] = { 0x1b, 0x79, 0x174, 0x175, 0x176, 0xc0000080, 0x10 };

	for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
		cr_assert_not(nvmx_msr_merged(VMX, msrs[i], 6001), "0x%x", msrs[i]);
		cr_assert_not(nvmx_msr_merged(VMX, msrs[i], 6012), "0x%x", msrs[i]);
		cr_assert_not(nvmx_msr_merged(VMX, msrs[i], 0), "0x%x", msrs[i]);
		cr_assert_eq(nvmx_msr_merged_since(VMX, msrs[i]), 0, "0x%x", msrs[i]);
	}
}

Test(vmx_merge, flush_cmd_in_6_12_not_6_1)
{
	cr_assert_not(nvmx_msr_merged(VMX, 0x10b, 6001));
	cr_assert(nvmx_msr_merged(VMX, 0x10b, 6012));
	cr_assert_eq(nvmx_msr_merged_since(VMX, 0x10b), 6004);
	cr_assert_not(nvmx_msr_merged_since_verified(VMX, 0x10b));
}

Test(vmx_merge, aperf_mperf_reads_from_6_17)
{
	cr_assert_not(nvmx_msr_merged(VMX, 0xe8, 6012));
	cr_assert(nvmx_msr_merged(VMX, 0xe8, 6017));
	cr_assert(nvmx_msr_merged(VMX, 0xe7, 0));
	cr_assert(nvmx_msr_merged_access(VMX, 0xe8, false, 6017));
	cr_assert_not(nvmx_msr_merged_access(VMX, 0xe8, true, 6017));
	cr_assert_eq(nvmx_msr_merged_since(VMX, 0xe7), 6017);
}

Test(vmx_merge, cet_from_6_18_without_int_ssp_tab)
{
	cr_assert_not(nvmx_msr_merged(VMX, 0x6a2, 6017));
	cr_assert(nvmx_msr_merged(VMX, 0x6a2, 6018));
	cr_assert(nvmx_msr_merged(VMX, 0x6a7, 7002));
	cr_assert_not(nvmx_msr_merged(VMX, 0x6a8, 0));
}

Test(vmx_merge, x2apic_tpr_eoi_self_ipi_but_not_icr)
{
	cr_assert(nvmx_msr_merged(VMX, 0x808, 6001));
	cr_assert(nvmx_msr_merged(VMX, 0x80b, 6001));
	cr_assert(nvmx_msr_merged(VMX, 0x83f, 6001));
	cr_assert_not(nvmx_msr_merged(VMX, 0x830, 6001));
	cr_assert_not(nvmx_msr_merged_access(VMX, 0x830, true, 6001));
	/* reads of the whole range with APIC-register virtualization */
	cr_assert(nvmx_msr_merged_access(VMX, 0x830, false, 6001));
	cr_assert(nvmx_msr_merged_access(VMX, 0x80b, true, 6001));
}

Test(svm_merge, sysenter_and_syscall_msrs_merged)
{
	cr_assert(nvmx_msr_merged(SVM, 0x174, 6001));
	cr_assert(nvmx_msr_merged(SVM, 0x174, 6012));
	cr_assert(nvmx_msr_merged(SVM, 0x174, 0));
	cr_assert(nvmx_msr_merged(SVM, 0xc0000082, 6012));
	cr_assert_eq(nvmx_msr_merged_since(SVM, 0x174), 6001);
	cr_assert(nvmx_msr_merged_since_verified(SVM, 0x174));
}

Test(svm_merge, apic_base_ucode_hsave_x2apic_not_merged)
{
	uint32_t msrs[] = { 0x1b, 0x79, 0xc0010117, 0x80b, 0x808, 0x830 };

	for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
		cr_assert_not(nvmx_msr_merged(SVM, msrs[i], 6001), "0x%x", msrs[i]);
		cr_assert_not(nvmx_msr_merged(SVM, msrs[i], 0), "0x%x", msrs[i]);
		cr_assert_not(nvmx_msr_merged_access(SVM, msrs[i], false, 6012), "0x%x", msrs[i]);
	}
}

Test(svm_merge, efer_and_pat_merged_only_before_6_17)
{
	cr_assert(nvmx_msr_merged(SVM, 0xc0000080, 6001));
	cr_assert(nvmx_msr_merged(SVM, 0xc0000080, 6012));
	cr_assert_not(nvmx_msr_merged(SVM, 0xc0000080, 6017));
	cr_assert_not(nvmx_msr_merged(SVM, 0xc0000080, 0));
	cr_assert(nvmx_msr_merged(SVM, 0x277, 6012));
	cr_assert_not(nvmx_msr_merged(SVM, 0x277, 7002));
	cr_assert_eq(nvmx_msr_merged_since(SVM, 0xc0000080), 6001);
}

Test(svm_merge, debugctl_in_6_12_only)
{
	cr_assert_not(nvmx_msr_merged(SVM, 0x1d9, 6001));
	cr_assert(nvmx_msr_merged(SVM, 0x1d9, 6012));
	cr_assert_not(nvmx_msr_merged(SVM, 0x1d9, 6017));
}

Test(svm_merge, mediated_pmu_counters_from_7_0)
{
	cr_assert_not(nvmx_msr_merged(SVM, 0xc0010004, 6018));
	cr_assert(nvmx_msr_merged(SVM, 0xc0010004, 7000));
	cr_assert(nvmx_msr_merged(VMX, 0x38f, 7002));
	cr_assert_not(nvmx_msr_merged(VMX, 0x38f, 6012));
}

Test(kver, older_than_6_1_gets_the_6_1_rules)
{
	cr_assert(nvmx_msr_merged(VMX, 0xc0000100, 5015));
	cr_assert_not(nvmx_msr_merged(VMX, 0x10b, 5015));
}

Test(mechanism, handler_none_is_l1_own)
{
	cr_assert_eq(nvmx_bm_msr_mechanism(VMX, 0x1b, NVMX_HANDLED_BY_NONE, 6012), NVMX_BM_L1_OWN);
	cr_assert_eq(nvmx_bm_port_mechanism(SVM, 0x80, NVMX_HANDLED_BY_NONE, 6012), NVMX_BM_L1_OWN);
}

Test(mechanism, reflected_is_l1_intercepts)
{
	cr_assert_eq(nvmx_bm_msr_mechanism(VMX, 0xc0000100, NVMX_HANDLED_BY_L1, 6012),
		     NVMX_BM_L1_INTERCEPTS);
	cr_assert_eq(nvmx_bm_msr_mechanism(SVM, 0x174, NVMX_HANDLED_BY_L1, 6001),
		     NVMX_BM_L1_INTERCEPTS);
	cr_assert_eq(nvmx_bm_port_mechanism(VMX, 0x80, NVMX_HANDLED_BY_L1, 6001),
		     NVMX_BM_L1_INTERCEPTS);
}

Test(mechanism, l0_handled_merged_msr_is_l0_merged)
{
	cr_assert_eq(nvmx_bm_msr_mechanism(VMX, 0xc0000100, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_L0_MERGED);
	cr_assert_eq(nvmx_bm_msr_mechanism(SVM, 0x174, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_L0_MERGED);
}

Test(mechanism, l0_handled_unmerged_msr_always_exits)
{
	cr_assert_eq(nvmx_bm_msr_mechanism(VMX, 0x1b, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(nvmx_bm_msr_mechanism(VMX, 0x174, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(nvmx_bm_msr_mechanism(SVM, 0x1b, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(nvmx_bm_msr_mechanism(SVM, 0x80b, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_ALWAYS_EXITS);
}

Test(mechanism, l0_handled_depends_on_version)
{
	cr_assert_eq(nvmx_bm_msr_mechanism(VMX, 0x10b, NVMX_HANDLED_BY_L0, 6001),
		     NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(nvmx_bm_msr_mechanism(VMX, 0x10b, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_L0_MERGED);
}

Test(mechanism, direction_matters_for_read_only_merges)
{
	cr_assert_eq(nvmx_bm_msr_access_mechanism(VMX, 0xe8, false, NVMX_HANDLED_BY_L0, 6017),
		     NVMX_BM_L0_MERGED);
	cr_assert_eq(nvmx_bm_msr_access_mechanism(VMX, 0xe8, true, NVMX_HANDLED_BY_L0, 6017),
		     NVMX_BM_ALWAYS_EXITS);
}

Test(mechanism, vmx_x2apic_in_l0_is_l1_no_apicv)
{
	cr_assert_eq(nvmx_bm_msr_mechanism(VMX, 0x80b, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_L1_NO_APICV);
	cr_assert_eq(nvmx_bm_msr_access_mechanism(VMX, 0x830, false, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_L1_NO_APICV);
	cr_assert_eq(nvmx_bm_msr_access_mechanism(VMX, 0x830, true, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_ALWAYS_EXITS);
}

Test(mechanism, unknown_msr_follows_the_handler)
{
	cr_assert_eq(nvmx_bm_msr_mechanism(VMX, NVMX_MSR_UNKNOWN, NVMX_HANDLED_BY_L1, 6012),
		     NVMX_BM_L1_INTERCEPTS);
	cr_assert_eq(nvmx_bm_msr_mechanism(SVM, NVMX_MSR_UNKNOWN, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(nvmx_bm_msr_mechanism(SVM, NVMX_MSR_UNKNOWN, NVMX_HANDLED_BY_NONE, 6012),
		     NVMX_BM_L1_OWN);
}

Test(mechanism, io_in_l0_always_exits_on_both_isas)
{
	cr_assert_eq(nvmx_bm_port_mechanism(VMX, 0x81, NVMX_HANDLED_BY_L0, 6012),
		     NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(nvmx_bm_port_mechanism(SVM, 0x81, NVMX_HANDLED_BY_L0, 6001),
		     NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(nvmx_bm_port_mechanism(SVM, 0x3f8, NVMX_HANDLED_BY_L0, 0),
		     NVMX_BM_ALWAYS_EXITS);
}

Test(mechanism, ids)
{
	cr_assert_str_eq(nvmx_bm_mechanism_id(NVMX_BM_L1_INTERCEPTS), "l1_intercepts");
	cr_assert_str_eq(nvmx_bm_mechanism_id(NVMX_BM_L0_MERGED), "l0_merged");
	cr_assert_str_eq(nvmx_bm_mechanism_id(NVMX_BM_ALWAYS_EXITS), "always_exits");
	cr_assert_str_eq(nvmx_bm_mechanism_id(NVMX_BM_L1_OWN), "l1_own");
	cr_assert_str_eq(nvmx_bm_mechanism_id(NVMX_BM_L1_NO_APICV), "l1_no_apicv");
	cr_assert_str_eq(nvmx_bm_mechanism_id((enum nvmx_bm_mechanism)99), "unknown");
}

Test(names, msrs)
{
	cr_assert_str_eq(nvmx_msr_name(0x1b), "IA32_APIC_BASE");
	cr_assert_str_eq(nvmx_msr_name(0x174), "IA32_SYSENTER_CS");
	cr_assert_str_eq(nvmx_msr_name(0x79), "IA32_BIOS_UPDT_TRIG");
	cr_assert_str_eq(nvmx_msr_name(0x10), "IA32_TIME_STAMP_COUNTER");
	cr_assert_str_eq(nvmx_msr_name(0xc0000080), "EFER");
	cr_assert_str_eq(nvmx_msr_name(0xc0000100), "FS_BASE");
	cr_assert_str_eq(nvmx_msr_name(0xc0010117), "VM_HSAVE_PA");
	cr_assert_str_eq(nvmx_msr_name(0x80b), "X2APIC_EOI");
	cr_assert_str_eq(nvmx_msr_name(0x80f), "X2APIC_SVR");
	cr_assert_str_eq(nvmx_msr_name(0x830), "X2APIC_ICR");
	cr_assert_str_eq(nvmx_msr_name(0x813), "X2APIC_ISR");
	cr_assert_null(nvmx_msr_name(0x12345678));
	cr_assert_null(nvmx_msr_name(NVMX_MSR_UNKNOWN));
}

Test(names, ports)
{
	cr_assert_str_eq(nvmx_port_name(0x80), "POST");
	cr_assert_str_eq(nvmx_port_name(0x3f8), "COM1");
	cr_assert_str_eq(nvmx_port_name(0x3fd), "COM1");
	cr_assert_str_eq(nvmx_port_name(0xcf8), "PCI_CONFIG_ADDRESS");
	cr_assert_str_eq(nvmx_port_name(0xcfc), "PCI_CONFIG_DATA");
	cr_assert_str_eq(nvmx_port_name(0xcff), "PCI_CONFIG_DATA");
	cr_assert_str_eq(nvmx_port_name(0x20), "PIC1");
	cr_assert_str_eq(nvmx_port_name(0x21), "PIC1");
	cr_assert_str_eq(nvmx_port_name(0x43), "PIT");
	cr_assert_str_eq(nvmx_port_name(0x60), "I8042");
	cr_assert_str_eq(nvmx_port_name(0x64), "I8042");
	cr_assert_str_eq(nvmx_port_name(0x71), "RTC_CMOS");
	cr_assert_str_eq(nvmx_port_name(0x92), "PORT_92");
	cr_assert_null(nvmx_port_name(0x1234));
}

static void assert_advice(uint32_t isa, bool is_msr, enum nvmx_bm_mechanism m, nvmx_kver kver,
			  const char *needle)
{
	char buf[256];
	const char *a = nvmx_bm_advice(isa, is_msr, m, kver, buf, sizeof(buf));

	cr_assert_eq(a, buf);
	cr_assert_not_null(strstr(a, needle), "\"%s\" lacks \"%s\"", a, needle);
	cr_assert_leq(strlen(a), 160, "too long (%zu): %s", strlen(a), a);
	cr_assert_null(strchr(a, '\n'));
}

Test(advice, names_the_kernel_functions)
{
	assert_advice(VMX, true, NVMX_BM_ALWAYS_EXITS, 6012, "nested_vmx_prepare_msr_bitmap");
	assert_advice(VMX, true, NVMX_BM_L0_MERGED, 6012, "nested_vmx_prepare_msr_bitmap");
	assert_advice(SVM, true, NVMX_BM_L0_MERGED, 6017, "nested_svm_merge_msrpm");
	assert_advice(SVM, true, NVMX_BM_L0_MERGED, 6012, "nested_svm_vmrun_msrpm");
	assert_advice(SVM, true, NVMX_BM_L0_MERGED, 0, "Linux 6.17+");
	assert_advice(SVM, true, NVMX_BM_ALWAYS_EXITS, 6012,
		      "KVM intercepts this MSR for every guest");
	assert_advice(VMX, true, NVMX_BM_L1_INTERCEPTS, 6012, "nested_vmx_exit_handled_msr");
	assert_advice(SVM, true, NVMX_BM_L1_INTERCEPTS, 6012, "nested_svm_exit_handled_msr");
	assert_advice(VMX, false, NVMX_BM_L1_INTERCEPTS, 6012, "nested_vmx_exit_handled_io");
	assert_advice(SVM, false, NVMX_BM_L1_INTERCEPTS, 6012, "nested_svm_intercept_ioio");
	assert_advice(VMX, false, NVMX_BM_ALWAYS_EXITS, 6012, "unconditional I/O exiting");
	assert_advice(SVM, false, NVMX_BM_ALWAYS_EXITS, 6012, "IOPM");
	assert_advice(VMX, true, NVMX_BM_L1_NO_APICV, 6012, "virtualize-x2APIC");
}

Test(advice, says_what_to_change)
{
	assert_advice(VMX, true, NVMX_BM_L1_INTERCEPTS, 6012, "an L1 hypervisor setting");
	assert_advice(SVM, true, NVMX_BM_L0_MERGED, 6012, "an L0 setting");
	assert_advice(VMX, true, NVMX_BM_L1_OWN, 6012, "L1 itself");
}

Test(advice, truncates_to_the_buffer)
{
	char buf[16];

	nvmx_bm_advice(VMX, true, NVMX_BM_ALWAYS_EXITS, 6012, buf, sizeof(buf));
	cr_assert_eq(strlen(buf), 15);
}
