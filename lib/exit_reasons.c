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
	*n = 0;
	return NULL;
}

const char *nvmx_reason_name(uint32_t isa, uint32_t reason, char *buf, size_t len)
{
	const struct reason_name *t;
	size_t n;

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
	return isa == NVMX_ISA_VMX ? "vmx" : isa == NVMX_ISA_SVM ? "svm" : "unknown";
}

int nvmx_isa_from_name(const char *name, uint32_t *isa)
{
	if (!strcmp(name, "vmx"))
		*isa = NVMX_ISA_VMX;
	else if (!strcmp(name, "svm"))
		*isa = NVMX_ISA_SVM;
	else if (!strcmp(name, "unknown"))
		*isa = NVMX_ISA_UNKNOWN;
	else
		return -ENOENT;
	return 0;
}
