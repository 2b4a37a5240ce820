// SPDX-License-Identifier: GPL-2.0
/*
 * Not a test program of its own: ctest compiles it with clang -target bpf to prove that
 * include/nvmx/model.h stays BPF-safe (no libc, no unbounded loops, fixed-width state). Loaded
 * with `bpftool prog load` it also passes the verifier (checked on 6.18 by hand; loading needs
 * CAP_BPF, so ctest only compiles).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "nvmx/events.h"
#include "nvmx/model.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct nvmx_vcpu_state);
} states SEC(".maps");

struct scratch {
	struct nvmx_event e;
	struct nvmx_verdicts out;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("raw_tp/kvm_exit")
int on_exit(void *ctx)
{
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct nvmx_vcpu_state init = {}, *s;
	struct scratch *sc = bpf_map_lookup_elem(&scratch, &zero);

	if (!sc)
		return 0;
	s = bpf_map_lookup_elem(&states, &tid);
	if (!s) {
		bpf_map_update_elem(&states, &tid, &init, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&states, &tid);
		if (!s)
			return 0;
	}
	sc->e.kind = NVMX_EV_EXIT;
	sc->e.ts_ns = bpf_ktime_get_ns();
	sc->e.tid = tid;
	nvmx_model_step(s, &sc->e, &sc->out);
	for (__u32 i = 0; i < NVMX_MODEL_MAX_VERDICTS; i++) {
		__u32 k;
		__u64 *c;

		if (i >= sc->out.n)
			break;
		k = sc->out.v[i].kind & 7;
		c = bpf_map_lookup_elem(&counts, &k);
		if (c)
			*c += 1;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
