/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxd's count of KVM_GET_NESTED_STATE / KVM_SET_NESTED_STATE per VMM process: loads and
 * attaches bpf/nested_state.bpf.c, fexit on kvm_arch_vcpu_ioctl where the kernel allows it (its
 * BTF has the function with the prototype the program reads, and the trampoline attaches), else
 * the classic pair on syscalls:sys_enter_ioctl and sys_exit_ioctl (docs/design.md, "Nested state
 * save and restore"). Separate from the KVM tracepoints' loader (src/loader.h): a kernel with
 * neither loses these counts only, and says so.
 */
#ifndef NVMXD_NESTED_STATE_H
#define NVMXD_NESTED_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#include "collect.h"

struct nvmxd_ns;

/*
 * Opens, loads and attaches (tgid 0: every process; else only that one): the fexit program, or
 * with classic_only (or when fexit cannot be had) the classic pair. NULL when neither can, with
 * the reason in why (one line) and errno set; nothing stays loaded then.
 */
struct nvmxd_ns *nvmxd_ns_start(const char *tracefs, __u32 tgid, bool classic_only, char *why,
				size_t why_len);

/* What runs, one line: "fexit kvm_arch_vcpu_ioctl ..." or the classic pair and why; "" for NULL. */
const char *nvmxd_ns_programs(const struct nvmxd_ns *ns);

/* Whether the fexit program runs (false: the classic pair, or NULL). */
bool nvmxd_ns_fexit(const struct nvmxd_ns *ns);

/*
 * Sets m's nested_state (the per-CPU hash of counts: key tgid, struct nvmx_ns_value), ns_progs
 * (the programs that run: their recursion_misses, runs the kernel skipped, ioctls maybe not
 * counted) and ns_failed (counts a full map kept out), which nvmxd_counts_read() reads into
 * struct nvmx_counters' ns, ns_skipped and ns_update_failures; all 0 for NULL.
 */
void nvmxd_ns_maps(const struct nvmxd_ns *ns, struct nvmxd_maps *m);

/* No program runs after it; the maps stay readable. NULL is fine. */
void nvmxd_ns_detach(struct nvmxd_ns *ns);
void nvmxd_ns_destroy(struct nvmxd_ns *ns);

#endif /* NVMXD_NESTED_STATE_H */
