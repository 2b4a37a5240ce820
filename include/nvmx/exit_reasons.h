/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit-reason names exactly as the kernel prints them in kvm_exit & co. The x86 tables are built
 * from the uapi x-macros SVM_EXIT_REASONS (<asm/svm.h>) and VMX_EXIT_REASONS (<asm/vmx.h>), the
 * same ones arch/x86/kvm/trace.h uses, never typed by hand; arm64's are not uapi (exit_reasons.c).
 * User space only.
 */
#ifndef NVMX_EXIT_REASONS_H
#define NVMX_EXIT_REASONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The name of reason (VMX: the basic reason, bits 15:0) for isa (1 VMX, 2 SVM, 3 arm64). Unknown reasons
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

/*
 * arm64: the name a capture's kvm_exit printed for ESR_EL2.EC ec (its print fmt's
 * kvm_arm_exception_class), used by nvmx_reason_name() and nvmx_reason_from_name() before nvmx's
 * copy of the kernel's table. Returns 0, -EINVAL (ec > 0x3f, a name too long) or -EEXIST (another
 * EC has that name already). Process-wide: one kernel's names per process.
 */
int nvmx_arm64_learn_name(uint32_t ec, const char *name, size_t len);

/* "vmx", "svm", "arm64" or "unknown"; and back (-ENOENT). */
const char *nvmx_isa_name(uint32_t isa);
int nvmx_isa_from_name(const char *name, uint32_t *isa);

#endif /* NVMX_EXIT_REASONS_H */
