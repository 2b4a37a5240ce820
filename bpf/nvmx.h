/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF programs (nvmx.bpf.c) and user space (nvmxd, tests/bpf) share: map keys and values,
 * the self-metric slots, the ring-buffer record, and the one mapping from a model verdict to those
 * keys.
 *
 * No #includes on purpose (libbpf-bootstrap's bootstrap.h habit): user space includes
 * <linux/types.h>, then nvmx/events.h and nvmx/model.h; BPF gets the same from nvmx.bpf.c. Only
 * fixed-width fields, so both sides see one layout.
 */
#ifndef NVMX_BPF_SHARED_H
#define NVMX_BPF_SHARED_H

/*
 * Latency histogram: bucket i counts latencies <= 2^i ns (rounded up, so a bucket is exactly a
 * Prometheus `le` bound, as cloudflare/ebpf_exporter's right-inclusive exp2 histograms do); the
 * last bucket also takes everything larger (+Inf), so the largest finite bound is 2^30 ns (1.07 s).
 * A power of two: the BPF side masks the index with it, which every verifier since 6.1 accepts
 * (6.1's lost the bound of a clamped index through a 32-bit zero extension).
 */
#define NVMX_HIST_BUCKETS 32u
_Static_assert((NVMX_HIST_BUCKETS & (NVMX_HIST_BUCKETS - 1)) == 0, "a power of two");

struct nvmx_hist {
	__u64 count;
	__u64 sum_ns;
	__u64 buckets[NVMX_HIST_BUCKETS];
};

/* Per vCPU thread, in an LRU hash keyed by tid. */
struct nvmx_thread {
	struct nvmx_vcpu_state st;
	__u32 tgid; /* to name the VM of an END verdict at shutdown */
	__u32 pad;
};

/* Self-metric slots of the per-CPU array nvmx_self: nothing is lost without a count here. */
#define NVMX_SELF_EVENTS	      0u /* events handled */
#define NVMX_SELF_STATE_UPDATE_FAILED 1u /* no per-thread state: event not modelled */
#define NVMX_SELF_EXIT_UPDATE_FAILED  2u /* a verdict not counted (exit map full) */
#define NVMX_SELF_MSR_UPDATE_FAILED   3u
#define NVMX_SELF_PORT_UPDATE_FAILED  4u
#define NVMX_SELF_SCRATCH_MISSING     5u /* cannot happen; counted rather than assumed */
#define NVMX_SELF_RINGBUF_DROPPED     6u /* recording on and the ring buffer was full */
#define NVMX_SELF_RINGBUF_SENT	      7u
#define NVMX_SELF_COUNT		      8u

#define NVMX_COMM_LEN 16

/* One event in the ring buffer (recording on). */
struct nvmx_record {
	struct nvmx_event ev;
	__u32 tgid;
	__u32 cpu;
	char comm[NVMX_COMM_LEN];
};

/*
 * The raw_tp test entry point takes the event as its u64 arguments (BPF_PROG_TEST_RUN ctx_in):
 * words 0..NVMX_TEST_EVENT_WORDS-1 are the struct nvmx_event, the next one is the tgid.
 */
#define NVMX_TEST_EVENT_WORDS 9u
#define NVMX_TEST_ARGS	      (NVMX_TEST_EVENT_WORDS + 1u)

/* floor(log2(v)) without loops (bcc libbpf-tools bits.bpf.h); 0 for v == 0. */
static __always_inline __u32 nvmx_log2_32(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xffff) << 4;
	v >>= r;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 nvmx_log2_64(__u64 v)
{
	__u32 hi = (__u32)(v >> 32);

	return hi ? nvmx_log2_32(hi) + 32 : nvmx_log2_32((__u32)v);
}

/*
 * Bucket i holds ns <= 2^i: floor(log2) rounded up when ns is not a power of two (ebpf_exporter's
 * "right-inclusive histogram"), clamped to the last bucket.
 */
static __always_inline __u32 nvmx_hist_bucket(__u64 ns)
{
	__u32 b = nvmx_log2_64(ns);

	if (b < 63 && (1ull << b) < ns)
		b++;
	return b < NVMX_HIST_BUCKETS - 1 ? b : NVMX_HIST_BUCKETS - 1;
}

#endif /* NVMX_BPF_SHARED_H */
