/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM_GET_NESTED_STATE and KVM_SET_NESTED_STATE, counted per VMM process (docs/design.md,
 * "Nested state save and restore"; the glossary rows: docs/model.md). The map ABI between
 * bpf/nested_state.bpf.c and user space (src/nested_state.c, lib/counters.c), BPF-safe like
 * nvmx/maps.h: no #includes, fixed-width fields; include <linux/types.h> first.
 */
#ifndef NVMX_NESTED_STATE_H
#define NVMX_NESTED_STATE_H

/* The ioctl request numbers (<linux/kvm.h>: _IOWR/_IOW(KVMIO, 0xbe/0xbf, 128 bytes)). */
#define NVMX_KVM_GET_NESTED_STATE 0xc080aebeu
#define NVMX_KVM_SET_NESTED_STATE 0x4080aebfu
/* struct kvm_nested_state's first field, __u16 flags: the vCPU is (to be) in guest mode (L2) */
#define NVMX_KVM_STATE_NESTED_GUEST_MODE 0x1u

/* The counts of one process: slots of struct nvmx_ns_value. */
#define NVMX_NS_GET	       0u /* KVM_GET_NESTED_STATE calls */
#define NVMX_NS_GET_FAILED     1u /* ... that returned an error */
#define NVMX_NS_GET_GUEST_MODE 2u /* successful GETs of a vCPU in guest mode (flags say so) */
#define NVMX_NS_SET	       3u /* KVM_SET_NESTED_STATE calls */
#define NVMX_NS_SET_FAILED     4u /* ... that returned an error */
#define NVMX_NS_SET_GUEST_MODE 5u /* successful SETs that put the vCPU in guest mode */
#define NVMX_NS_COUNT	       6u

/* Per-CPU hash nvmx_nested_state: key __u32 tgid, this value. */
struct nvmx_ns_value {
	__u64 n[NVMX_NS_COUNT];
};

/* Between sys_enter_ioctl and sys_exit_ioctl of one thread (hash nvmx_ns_pending, key tid). */
struct nvmx_ns_pending {
	__u64 arg;   /* the struct kvm_nested_state in user memory */
	__u32 cmd;   /* NVMX_KVM_GET/SET_NESTED_STATE */
	__u32 flags; /* SET: the flags the caller passed */
};

#endif /* NVMX_NESTED_STATE_H */
