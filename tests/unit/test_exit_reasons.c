// SPDX-License-Identifier: GPL-2.0
/* Exit-reason names: the kernel's own, from the uapi x-macros, both ways. */
#include <errno.h>
#include <string.h>

#include <asm/kvm.h>
#include <asm/svm.h>
#include <asm/vmx.h>
#include <criterion/criterion.h>

#include "nvmx/exit_reasons.h"
#include "nvmx/summary.h"

struct rn {
	uint32_t reason;
	const char *name;
};

static const struct rn svm_table[] = { SVM_EXIT_REASONS };
static const struct rn vmx_table[] = { VMX_EXIT_REASONS };

Test(exit_reasons, every_uapi_svm_reason_prints_its_name_and_reads_back)
{
	char buf[24];

	for (size_t i = 0; i < sizeof(svm_table) / sizeof(svm_table[0]); i++) {
		uint32_t isa = NVMX_ISA_UNKNOWN, reason = 0;

		cr_assert_str_eq(
			nvmx_reason_name(NVMX_ISA_SVM, svm_table[i].reason, buf, sizeof(buf)),
			svm_table[i].name);
		cr_assert_eq(nvmx_reason_from_name(svm_table[i].name, strlen(svm_table[i].name),
						   &isa, &reason),
			     0, "%s", svm_table[i].name);
		cr_assert_eq(isa, NVMX_ISA_SVM);
		cr_assert_eq(reason, svm_table[i].reason);
	}
}

Test(exit_reasons, every_uapi_vmx_reason_prints_its_name_and_reads_back)
{
	char buf[24];

	for (size_t i = 0; i < sizeof(vmx_table) / sizeof(vmx_table[0]); i++) {
		uint32_t isa = NVMX_ISA_UNKNOWN, reason = 0;

		cr_assert_str_eq(
			nvmx_reason_name(NVMX_ISA_VMX, vmx_table[i].reason, buf, sizeof(buf)),
			vmx_table[i].name);
		cr_assert_eq(nvmx_reason_from_name(vmx_table[i].name, strlen(vmx_table[i].name),
						   &isa, &reason),
			     0);
		cr_assert_eq(isa, NVMX_ISA_VMX);
		cr_assert_eq(reason, vmx_table[i].reason);
	}
}

Test(exit_reasons, names_the_captures_use)
{
	char buf[24];

	cr_assert_str_eq(nvmx_reason_name(NVMX_ISA_SVM, 0x72, buf, sizeof(buf)), "cpuid");
	cr_assert_str_eq(nvmx_reason_name(NVMX_ISA_SVM, 0x81, buf, sizeof(buf)), "hypercall");
	cr_assert_str_eq(nvmx_reason_name(NVMX_ISA_VMX, 30, buf, sizeof(buf)), "IO_INSTRUCTION");
	cr_assert_str_eq(nvmx_reason_name(NVMX_ISA_VMX, 1, buf, sizeof(buf)), "EXTERNAL_INTERRUPT");
}

Test(exit_reasons, unknown_reason_prints_as_hex_like_the_kernel)
{
	char buf[24];

	cr_assert_str_eq(nvmx_reason_name(NVMX_ISA_VMX, 0x1234, buf, sizeof(buf)), "0x1234");
	cr_assert_str_eq(nvmx_reason_name(NVMX_ISA_SVM, 0x4ff, buf, sizeof(buf)), "0x4ff");
}

Test(exit_reasons, names_with_spaces_read_back_as_svm)
{
	uint32_t isa = NVMX_ISA_VMX, reason = 0;

	cr_assert_eq(nvmx_reason_from_name("GP excp", 7, &isa, &reason), 0);
	cr_assert_eq(isa, NVMX_ISA_SVM);
	cr_assert_eq(reason, 0x40 + 13);
}

Test(exit_reasons, hex_name_keeps_the_isa_from_context)
{
	uint32_t isa = NVMX_ISA_VMX, reason = 0;

	cr_assert_eq(nvmx_reason_from_name("0x45", 4, &isa, &reason), 0);
	cr_assert_eq(isa, NVMX_ISA_VMX);
	cr_assert_eq(reason, 0x45);
	isa = NVMX_ISA_UNKNOWN;
	cr_assert_eq(nvmx_reason_from_name("0x45", 4, &isa, &reason), 0);
	cr_assert_eq(isa, NVMX_ISA_UNKNOWN);
}

Test(exit_reasons, name_lookup_is_exact_and_case_sensitive)
{
	uint32_t isa = 0, reason = 0;

	cr_assert_eq(nvmx_reason_from_name("Cpuid", 5, &isa, &reason), -ENOENT);
	cr_assert_eq(nvmx_reason_from_name("cpuid rip", 5, &isa, &reason), 0, "length bounds it");
	cr_assert_eq(nvmx_reason_from_name("cpui", 4, &isa, &reason), -ENOENT);
	cr_assert_eq(nvmx_reason_from_name("0x", 2, &isa, &reason), -ENOENT);
}

Test(exit_reasons, isa_names)
{
	uint32_t isa = 9;

	cr_assert_str_eq(nvmx_isa_name(NVMX_ISA_VMX), "vmx");
	cr_assert_str_eq(nvmx_isa_name(NVMX_ISA_SVM), "svm");
	cr_assert_eq(nvmx_isa_from_name("svm", &isa), 0);
	cr_assert_eq(isa, NVMX_ISA_SVM);
	cr_assert_eq(nvmx_isa_from_name("SVM", &isa), -ENOENT);
}
