/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxd's count of KVM_GET_NESTED_STATE / KVM_SET_NESTED_STATE per VMM process: loads and
 * attaches bpf/nested_state.bpf.c on syscalls:sys_enter_ioctl and sys_exit_ioctl (docs/design.md,
 * "Nested state save and restore"). Separate from the KVM tracepoints' loader (src/loader.h): a
 * kernel without syscall tracepoints (CONFIG_FTRACE_SYSCALLS) loses these counts only, and says so.
 */
#ifndef NVMXD_NESTED_STATE_H
#define NVMXD_NESTED_STATE_H

#include <stddef.h>

#include <linux/types.h>

struct nvmxd_ns;

/*
 * Opens, loads and attaches (tgid 0: every process; else only that one). NULL when it cannot,
 * with the reason in why (one line) and errno set; nothing stays loaded then.
 */
struct nvmxd_ns *nvmxd_ns_start(const char *tracefs, __u32 tgid, char *why, size_t why_len);

/* The per-CPU hash of counts (key tgid, struct nvmx_ns_value), or -1 for NULL. */
int nvmxd_ns_map_fd(const struct nvmxd_ns *ns);

/* Counts not made because a map was full (summed over CPUs); 0 for NULL. */
__u64 nvmxd_ns_failures(const struct nvmxd_ns *ns);

/*
 * Runs of its two programs the kernel skipped (bpf_prog_info.recursion_misses: a classic
 * tracepoint program is not run while its CPU is in a map syscall): ioctls not counted. Kept apart
 * from struct nvmx_counters' skipped, which counts KVM events the model missed. 0 for NULL.
 */
__u64 nvmxd_ns_skipped(const struct nvmxd_ns *ns);

/* No program runs after it; the maps stay readable. NULL is fine. */
void nvmxd_ns_detach(struct nvmxd_ns *ns);
void nvmxd_ns_destroy(struct nvmxd_ns *ns);

#endif /* NVMXD_NESTED_STATE_H */
