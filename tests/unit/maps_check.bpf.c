// SPDX-License-Identifier: GPL-2.0
/*
 * Not a test program of its own: ctest compiles it with clang -target bpf to prove that
 * include/nvmx/maps.h, the map ABI user space shares with bpf/nvmx.bpf.c, stays BPF-safe on its
 * own (no libc, nothing but the project's BPF-safe headers before it) and that every shared type
 * can be a map's key or value.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, struct nvmx_exit_key);
	__type(value, struct nvmx_hist);
} exits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NVMX_SLOTS);
	__type(key, __u32);
	__type(value, struct nvmx_thread);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NVMX_SELF_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} self SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("raw_tp/kvm_exit")
int on_exit(void *ctx)
{
	__u32 slot = NVMX_SELF_RINGBUF_SENT, tid = (__u32)bpf_get_current_pid_tgid();
	struct nvmx_thread *t = NULL;
	struct nvmx_record *r;
	__u64 *n;

	if (tid & (NVMX_SLOTS - 1))
		t = bpf_map_lookup_elem(&slots, &tid);
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r)
		return 0;
	r->ev.kind = NVMX_EV_EXIT;
	r->ev.tid = tid;
	r->tgid = t ? t->tgid : 0;
	r->cpu = bpf_get_smp_processor_id();
	bpf_ringbuf_submit(r, 0);
	n = bpf_map_lookup_elem(&self, &slot);
	if (n)
		*n += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
