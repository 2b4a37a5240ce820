/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit-reason names exactly as the kernel prints them in kvm_exit & co. The tables are built from
 * the uapi x-macros SVM_EXIT_REASONS (<asm/svm.h>) and VMX_EXIT_REASONS (<asm/vmx.h>), the same
 * ones arch/x86/kvm/trace.h uses, never typed by hand. User space only.
 */
#ifndef NVMX_EXIT_REASONS_H
#define NVMX_EXIT_REASONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The name of reason (VMX: the basic reason, bits 15:0) for isa (1 VMX, 2 SVM). Unknown reasons
 * give "0x%x" in buf, as the kernel's __print_symbolic does. Returns the name (a static string or
 * buf).
 */
const char *nvmx_reason_name(uint32_t isa, uint32_t reason, char *buf, size_t len);

/*
 * The reverse: reason and isa of a printed name. SVM names are lowercase and VMX names uppercase
 * (and some SVM names contain spaces, "GP excp"), so the name tells the isa, except for a "0x%x"
 * name of a reason the kernel had no name for: that needs the isa from context (*isa on input;
 * NVMX_ISA_UNKNOWN leaves it unknown). Returns 0, or -ENOENT if the name is neither.
 */
int nvmx_reason_from_name(const char *name, size_t len, uint32_t *isa, uint32_t *reason);

/* "vmx", "svm" or "unknown"; and back (-ENOENT). */
const char *nvmx_isa_name(uint32_t isa);
int nvmx_isa_from_name(const char *name, uint32_t *isa);

#endif /* NVMX_EXIT_REASONS_H */
