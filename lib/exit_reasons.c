// SPDX-License-Identifier: GPL-2.0
/* Exit-reason names from the uapi x-macros: one source of truth shared with the kernel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/kvm.h> /* DE_VECTOR ... used by SVM_EXIT_REASONS */
#include <asm/svm.h>
#include <asm/vmx.h>

#include "nvmx/exit_reasons.h"
#include "nvmx/summary.h"

struct reason_name {
	uint32_t reason;
	const char *name;
};

static const struct reason_name svm_reasons[] = { SVM_EXIT_REASONS };
static const struct reason_name vmx_reasons[] = { VMX_EXIT_REASONS };

/*
 * arm64 has no uapi table: asm/kvm_arm.h's kvm_arm_exception_class (ESR_ELx_EC_* of asm/esr.h,
 * named as ECN() names them, as of Linux 7.3), which kvm_exit's print fmt uses, then the kvm_exit
 * types of kvm_arm_exception_type (asm/kvm_asm.h, ARM_EXCEPTION_*) and a FIQ injection, at the
 * reasons include/nvmx/exit_decode.h gives them. A capture's own names come first (learned from
 * its kvm_exit lines, nvmx_arm64_learn_name()): a newer kernel's table wins over this copy.
 */
static const struct reason_name arm64_reasons[] = {
	{ 0x00, "UNKNOWN" },
	{ 0x01, "WFx" },
	{ 0x03, "CP15_32" },
	{ 0x04, "CP15_64" },
	{ 0x05, "CP14_MR" },
	{ 0x06, "CP14_LS" },
	{ 0x07, "FP_ASIMD" },
	{ 0x08, "CP10_ID" },
	{ 0x09, "PAC" },
	{ 0x0c, "CP14_64" },
	{ 0x15, "SVC64" },
	{ 0x16, "HVC64" },
	{ 0x17, "SMC64" },
	{ 0x18, "SYS64" },
	{ 0x19, "SVE" },
	{ 0x1a, "ERET" },
	{ 0x1f, "IMP_DEF" },
	{ 0x20, "IABT_LOW" },
	{ 0x21, "IABT_CUR" },
	{ 0x22, "PC_ALIGN" },
	{ 0x24, "DABT_LOW" },
	{ 0x25, "DABT_CUR" },
	{ 0x26, "SP_ALIGN" },
	{ 0x28, "FP_EXC32" },
	{ 0x2c, "FP_EXC64" },
	{ 0x2f, "SERROR" },
	{ 0x30, "BREAKPT_LOW" },
	{ 0x31, "BREAKPT_CUR" },
	{ 0x32, "SOFTSTP_LOW" },
	{ 0x33, "SOFTSTP_CUR" },
	{ 0x34, "WATCHPT_LOW" },
	{ 0x35, "WATCHPT_CUR" },
	{ 0x38, "BKPT32" },
	{ 0x3a, "VECTOR32" },
	{ 0x3c, "BRK64" },
	/* not traps: NVMX_ARM64_EXIT_TYPE + ARM_EXCEPTION_CODE(ret), and NVMX_ARM64_R_FIQ */
	{ 0x100, "IRQ" },
	{ 0x101, "EL1_SERROR" },
	{ 0x103, "ILLEGAL" },
	{ 0x110, "FIQ" },
	{ 0x1ff, "HYP_GONE" },
};

/* EC names a capture printed (kvm_exit's "(NAME)"), by EC; "" where none was learned. */
#define ARM64_EC_COUNT 64
static char arm64_learned[ARM64_EC_COUNT][24];

int nvmx_arm64_learn_name(uint32_t ec, const char *name, size_t len)
{
	if (ec >= ARM64_EC_COUNT || !len || len >= sizeof(arm64_learned[0]))
		return -EINVAL;
	/* a name must stay one EC's: another EC's learned name is not taken */
	for (uint32_t i = 0; i < ARM64_EC_COUNT; i++)
		if (i != ec && strlen(arm64_learned[i]) == len &&
		    !memcmp(arm64_learned[i], name, len))
			return -EEXIST;
	memcpy(arm64_learned[ec], name, len);
	arm64_learned[ec][len] = '\0';
	return 0;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct reason_name *table_of(uint32_t isa, size_t *n)
{
	if (isa == NVMX_ISA_SVM) {
		*n = ARRAY_SIZE(svm_reasons);
		return svm_reasons;
	}
	if (isa == NVMX_ISA_VMX) {
		*n = ARRAY_SIZE(vmx_reasons);
		return vmx_reasons;
	}
	if (isa == NVMX_ISA_ARM64) {
		*n = ARRAY_SIZE(arm64_reasons);
		return arm64_reasons;
	}
	*n = 0;
	return NULL;
}

const char *nvmx_reason_name(uint32_t isa, uint32_t reason, char *buf, size_t len)
{
	const struct reason_name *t;
	size_t n;

	if (isa == NVMX_ISA_ARM64 && reason < ARM64_EC_COUNT && arm64_learned[reason][0])
		return arm64_learned[reason];
	t = table_of(isa, &n);
	for (size_t i = 0; i < n; i++)
		if (t[i].reason == reason)
			return t[i].name;
	snprintf(buf, len, "0x%x", reason);
	return buf;
}

static int lookup(const struct reason_name *t, size_t n, const char *name, size_t len,
		  uint32_t *reason)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && !memcmp(t[i].name, name, len)) {
			*reason = t[i].reason;
			return 0;
		}
	return -ENOENT;
}

int nvmx_reason_from_name(const char *name, size_t len, uint32_t *isa, uint32_t *reason)
{
	char hex[24];
	char *end;
	unsigned long long v;

	/* the case of the name decides the table; each lookup is exact anyway */
	if (!lookup(svm_reasons, ARRAY_SIZE(svm_reasons), name, len, reason)) {
		*isa = NVMX_ISA_SVM;
		return 0;
	}
	if (!lookup(vmx_reasons, ARRAY_SIZE(vmx_reasons), name, len, reason)) {
		*isa = NVMX_ISA_VMX;
		return 0;
	}
	for (uint32_t ec = 0; ec < ARM64_EC_COUNT; ec++)
		if (strlen(arm64_learned[ec]) == len && !memcmp(arm64_learned[ec], name, len)) {
			*isa = NVMX_ISA_ARM64;
			*reason = ec;
			return 0;
		}
	if (!lookup(arm64_reasons, ARRAY_SIZE(arm64_reasons), name, len, reason)) {
		*isa = NVMX_ISA_ARM64;
		return 0;
	}
	if (len < 3 || len >= sizeof(hex) || name[0] != '0' || (name[1] != 'x' && name[1] != 'X'))
		return -ENOENT;
	memcpy(hex, name, len);
	hex[len] = '\0';
	errno = 0;
	v = strtoull(hex + 2, &end, 16);
	/*
	 * SVM prints the whole u32 (SVM_EXIT_ERR is -1, printed by name); VMX prints only the basic
	 * reason, so its value fits 16 bits.
	 */
	if (errno || *end || end == hex + 2 || v > 0xffffffffull)
		return -ENOENT;
	*reason = (uint32_t)v;
	return 0;
}

const char *nvmx_isa_name(uint32_t isa)
{
	return isa == NVMX_ISA_VMX     ? "vmx"
	       : isa == NVMX_ISA_SVM   ? "svm"
	       : isa == NVMX_ISA_ARM64 ? "arm64"
				       : "unknown";
}

int nvmx_isa_from_name(const char *name, uint32_t *isa)
{
	if (!strcmp(name, "vmx"))
		*isa = NVMX_ISA_VMX;
	else if (!strcmp(name, "svm"))
		*isa = NVMX_ISA_SVM;
	else if (!strcmp(name, "arm64"))
		*isa = NVMX_ISA_ARM64;
	else if (!strcmp(name, "unknown"))
		*isa = NVMX_ISA_UNKNOWN;
	else
		return -ENOENT;
	return 0;
}
