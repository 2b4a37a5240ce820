// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_NESTED_STATE and KVM_SET_NESTED_STATE per VMM process (tgid): what a VMM calls to save
 * and restore a vCPU's nested state (migration, savevm/loadvm; QEMU also at every vCPU reset and
 * full register sync). No KVM tracepoint fires for them, so this object (separate from nvmx.bpf.c,
 * loaded by nvmxd: src/nested_state.c) has two ways to see them; nvmxd loads one:
 *
 * - nvmx_ns_fexit (the default): fexit on kvm_arch_vcpu_ioctl(filp, ioctl, arg) in kvm.ko, the
 *   function kvm_vcpu_ioctl calls for every vCPU ioctl its own switch does not handle; KVM_RUN is
 *   handled there (kvm_arch_vcpu_ioctl_run) and never reaches it (6.1, 6.12 and 7.3's kvm.ko), so
 *   the program costs nothing per KVM_RUN. One run sees the request, the return value, and the
 *   flags in the caller's struct kvm_nested_state (SET: what the caller passed, which KVM only
 *   reads; GET: what KVM wrote). A trampoline program has a recursion check of its own: a map
 *   syscall on its CPU (bpf_prog_active) does not skip it. It counts the calls that reach the
 *   vCPU: not a request on a file that is not a vCPU's.
 * - nvmx_ns_enter / nvmx_ns_exit (the fallback, or --classic-only): the classic syscall
 *   tracepoints. sys_enter_ioctl keeps the two request numbers (and SET's flags) in a pending map,
 *   every other ioctl (KVM_RUN above all) costs one compare; sys_exit_ioctl counts the result, and
 *   for a successful GET reads the flags KVM wrote. The records of syscalls:sys_enter_ioctl and
 *   sys_exit_ioctl are the syscall ABI (__syscall_nr, then each argument or the return value as 8
 *   bytes: the "format" files), not KVM's: plain structs, no CO-RE. A classic program is skipped
 *   while its CPU is in a map syscall (counted: recursion_misses, nested_state_skipped).
 *
 * docs/design.md, "Nested state save and restore".
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "nvmx/nested_state.h"

const volatile __u32 targ_tgid = 0; /* only this VMM process; 0: every process */

struct sys_enter_ioctl {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__u64 fd;
	__u64 cmd;
	__u64 arg;
};

struct sys_exit_ioctl {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__s64 ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tid */
	__type(value, struct nvmx_ns_pending);
} nvmx_ns_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tgid */
	__type(value, struct nvmx_ns_value);
} nvmx_nested_state SEC(".maps");

/* Counting failures (a full map): slot 0 of this per-CPU array, shown by nvmxd. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nvmx_ns_failed SEC(".maps");

/* A count that could not be made (a map full): counted here, never lost silently. */
static __always_inline void count_failed(void)
{
	__u32 k = 0;
	__u64 *f = bpf_map_lookup_elem(&nvmx_ns_failed, &k);

	if (f)
		(*f)++;
}

static __always_inline void count(__u32 tgid, __u32 slot)
{
	static const struct nvmx_ns_value zero;
	struct nvmx_ns_value *v = bpf_map_lookup_elem(&nvmx_nested_state, &tgid);

	if (!v) {
		bpf_map_update_elem(&nvmx_nested_state, &tgid, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&nvmx_nested_state, &tgid);
	}
	if (v && slot < NVMX_NS_COUNT)
		v->n[slot]++;
	else
		count_failed();
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int nvmx_ns_enter(struct sys_enter_ioctl *ctx)
{
	__u32 cmd = (__u32)ctx->cmd;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct nvmx_ns_pending p = { .arg = ctx->arg, .cmd = cmd };
	__u16 flags = 0;

	if (cmd != NVMX_KVM_GET_NESTED_STATE && cmd != NVMX_KVM_SET_NESTED_STATE)
		return 0;
	if (targ_tgid && tgid != targ_tgid)
		return 0;
	if (cmd == NVMX_KVM_SET_NESTED_STATE &&
	    !bpf_probe_read_user(&flags, sizeof(flags), (const void *)ctx->arg))
		p.flags = flags;
	count(tgid, cmd == NVMX_KVM_GET_NESTED_STATE ? NVMX_NS_GET : NVMX_NS_SET);
	/* without it the result is not counted: a call with no failed and no guest mode */
	if (bpf_map_update_elem(&nvmx_ns_pending, &tid, &p, BPF_ANY))
		count_failed();
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int nvmx_ns_exit(struct sys_exit_ioctl *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct nvmx_ns_pending *p = bpf_map_lookup_elem(&nvmx_ns_pending, &tid);
	__u16 flags = 0;

	if (!p)
		return 0;
	if (ctx->ret < 0)
		count(tgid, p->cmd == NVMX_KVM_GET_NESTED_STATE ? NVMX_NS_GET_FAILED
								: NVMX_NS_SET_FAILED);
	else if (p->cmd == NVMX_KVM_SET_NESTED_STATE) {
		if (p->flags & NVMX_KVM_STATE_NESTED_GUEST_MODE)
			count(tgid, NVMX_NS_SET_GUEST_MODE);
	} else if (!bpf_probe_read_user(&flags, sizeof(flags), (const void *)p->arg) &&
		   (flags & NVMX_KVM_STATE_NESTED_GUEST_MODE))
		count(tgid, NVMX_NS_GET_GUEST_MODE);
	bpf_map_delete_elem(&nvmx_ns_pending, &tid);
	return 0;
}

/*
 * kvm_arch_vcpu_ioctl's return: the ioctl's result. Both requests take a struct kvm_nested_state
 * whose first field is the __u16 flags; after a SET it still holds the caller's flags.
 */
SEC("fexit/kvm_arch_vcpu_ioctl")
int BPF_PROG(nvmx_ns_fexit, void *filp, unsigned int ioctl, unsigned long arg, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	int get = ioctl == NVMX_KVM_GET_NESTED_STATE;
	__u16 flags = 0;

	if (!get && ioctl != NVMX_KVM_SET_NESTED_STATE)
		return 0;
	if (targ_tgid && tgid != targ_tgid)
		return 0;
	count(tgid, get ? NVMX_NS_GET : NVMX_NS_SET);
	if (ret < 0)
		count(tgid, get ? NVMX_NS_GET_FAILED : NVMX_NS_SET_FAILED);
	else if (!bpf_probe_read_user(&flags, sizeof(flags), (const void *)arg) &&
		 (flags & NVMX_KVM_STATE_NESTED_GUEST_MODE))
		count(tgid, get ? NVMX_NS_GET_GUEST_MODE : NVMX_NS_SET_GUEST_MODE);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
