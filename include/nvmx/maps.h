/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF map ABI: what the BPF programs (bpf/nvmx.bpf.c) and user space (nvmxd, nvmxtop
 * --standalone, tests/bpf, bench/) share about nvmx's maps: histogram values, the per-thread
 * state slots, the self-metric slots, the ring-buffer records and the test entry point's
 * arguments. The exit, MSR, port and breakdown keys are in nvmx/counts.h, because replay builds
 * the same keys without any map.
 *
 * No #includes on purpose (libbpf-bootstrap's bootstrap.h habit), and BPF-safe (ctest's
 * unit.maps_compiles_for_bpf compiles it for the BPF target): user space includes
 * <linux/types.h>, then nvmx/events.h, nvmx/model.h and nvmx/counts.h; BPF gets the same from
 * nvmx.bpf.c. Only fixed-width fields, so both sides see one layout.
 */
#ifndef NVMX_MAPS_H
#define NVMX_MAPS_H

/*
 * The value of an exit key: how many exits, and the latency histogram of those that were timed
 * (nvmx_verdict_timed() of counts.h: a handling time, kvm_exit -> kvm_entry, or to L0's decision
 * for an L0-handled exit out to the VMM). An exit still open at the end of a run, a reflected
 * exit (its cost is the round trip) and L1's VMRUN/VMRESUME (its cost is the L0 entry part) are
 * counted, not timed: the buckets add up to timed, not to count. NVMX_HIST_BUCKETS and
 * nvmx_hist_bucket(): include/nvmx/counts.h (replay builds the same).
 */
struct nvmx_hist {
	__u64 count;
	__u64 timed;
	__u64 sum_ns;
	__u64 buckets[NVMX_HIST_BUCKETS];
};

/*
 * Front tables: a per-CPU array in front of each per-CPU hash that a verdict updates
 * (nvmx_exits, nvmx_breakdown, nvmx_bd_l1, nvmx_msrs, nvmx_ports). A key goes to one slot of its
 * CPU's array, chosen by nvmx_front_index() of its words; the first key there claims the slot (no
 * atomics: per-CPU, and nvmx's programs do not nest on a CPU) and is counted in it from then on:
 * an inlined array lookup and a compare of the key's words, instead of a jhash, a bucket walk and
 * a memcmp (about 190 instructions per update under TCG, docs/perf.md). A key whose slot another
 * key holds goes to the hash, as before. Slots are never given back (nothing is deleted from
 * nvmx's maps), so a key's counts are in its front slot on some CPUs and in the hash on others:
 * the reader (src/collect.c) adds every CPU's slot and the hash, by key. Each front value is the
 * key, `used`, then the hash's value.
 */
#define NVMX_FRONT_EXITS 256u /* entries of nvmx_exits_front (a power of two) */
#define NVMX_FRONT_BD	 64u  /* nvmx_breakdown_front */
#define NVMX_FRONT_IO	 64u  /* nvmx_msrs_front and nvmx_ports_front */
/*
 * nvmx_bd_l1_front: a round trip with KVM as L1 ends with 6-8 of these updates (one per distinct
 * L1 exit reason), keys per vCPU thread, reflected reason and L1 reason
 */
#define NVMX_FRONT_BD_L1 128u

struct nvmx_exit_front {
	struct nvmx_exit_key key;
	__u32 used;
	__u32 pad;
	struct nvmx_hist v;
};

struct nvmx_bd_front {
	struct nvmx_bd_key key; /* 20 bytes */
	__u32 used;
	struct nvmx_bd_value v;
};

struct nvmx_bd_l1_front {
	struct nvmx_bd_l1_key key; /* 20 bytes */
	__u32 used;
	struct nvmx_bd_l1_value v;
};

struct nvmx_msr_front {
	struct nvmx_msr_key key; /* 20 bytes */
	__u32 used;
	struct nvmx_io_value v;
};

struct nvmx_port_front {
	struct nvmx_port_key key; /* 16 bytes */
	__u32 used;
	__u32 pad;
	struct nvmx_io_value v;
};

/*
 * The front slot of a key of n 32-bit words (n a constant: unrolled): a multiplicative hash of
 * every word, folded; the caller masks it to the table.
 */
static __always_inline __u32 nvmx_front_index(const __u32 *w, __u32 n)
{
	__u32 h = 0;

	NVMX_UNROLL
	for (__u32 i = 0; i < n; i++)
		h = (h ^ w[i]) * 0x9e3779b1u;
	return h ^ (h >> 16);
}

/*
 * Per vCPU thread: in the slot array nvmx_slots at tid & (NVMX_SLOTS - 1) when the thread owns
 * that slot (an inlined array lookup: the per-event fast path), else in the LRU hash nvmx_threads
 * keyed by tid. nvmx_threads also indexes the slot owners for user space (a marker with
 * NVMX_THREAD_IN_SLOT), which walks it to name VMs and to end every thread's state.
 */
#define NVMX_SLOTS	    16384u
#define NVMX_THREAD_IN_SLOT 0x1u

/* SVM's VMCB exit fields as kvm_exit's record has them: 32 contiguous bytes of the VMCB. */
struct nvmx_svm_exit_span {
	__u32 exit_code;
	__u32 exit_code_hi;
	__u64 exit_info_1;
	__u64 exit_info_2;
	__u32 exit_int_info;
	__u32 exit_int_info_err;
};

struct nvmx_thread {
	struct nvmx_vcpu_state st;
	__u32 tgid;  /* to name the VM of an END verdict at shutdown */
	__u32 tid;   /* the owner of a slot (0: free); in nvmx_threads the key's tid */
	__u32 flags; /* NVMX_THREAD_*: in nvmx_threads, a marker of a slot owner */
	/*
	 * 1: the thread's last event was an SVM kvm_exit whose VMCB fields are in span. SVM's
	 * kvm_nested_vmexit fires next for the same exit (svm_handle_exit), with the same fields
	 * (nothing writes them in between): its program copies them from here instead of reading
	 * the VMCB again (bpf/nvmx.bpf.c, svm_exit_event). Any other event clears it.
	 */
	__u32 span_valid;
	struct nvmx_svm_exit_span span;
};

/* Self-metric slots of the per-CPU array nvmx_self: nothing is lost without a count here. */
#define NVMX_SELF_EVENTS		  0u /* events handled */
#define NVMX_SELF_STATE_UPDATE_FAILED	  1u /* no per-thread state: event not modelled */
#define NVMX_SELF_EXIT_UPDATE_FAILED	  2u /* a verdict not counted (exit map full) */
#define NVMX_SELF_MSR_UPDATE_FAILED	  3u
#define NVMX_SELF_PORT_UPDATE_FAILED	  4u
#define NVMX_SELF_SCRATCH_MISSING	  5u /* cannot happen; counted rather than assumed */
#define NVMX_SELF_RINGBUF_DROPPED	  6u /* recording on and the ring buffer was full */
#define NVMX_SELF_RINGBUF_SENT		  7u
#define NVMX_SELF_BREAKDOWN_UPDATE_FAILED 8u /* a round trip's breakdown not counted (map full) */
#define NVMX_SELF_ANOMALY_DROPPED	  9u /* nvmx_anomalies full: a lost event's details, a new thread */
#define NVMX_SELF_BD_L1_UPDATE_FAILED	  10u /* nvmx_bd_l1 full: a round trip's L1 exits by reason */
#define NVMX_SELF_VECTORING_UPDATE_FAILED 11u /* nvmx_vectoring full: an interrupted event */
#define NVMX_SELF_INJ_UPDATE_FAILED	  12u /* nvmx_injs full: an injection into L1 (arm64) */
#define NVMX_SELF_COUNT			  13u

#define NVMX_COMM_LEN 16

/* One event in the ring buffer (recording on). */
struct nvmx_record {
	struct nvmx_event ev;
	__u32 tgid;
	__u32 cpu;
	char comm[NVMX_COMM_LEN];
};

/* A lost interrupted event (NVMX_VEC_LOST), in the nvmx_anomalies ring buffer. */
struct nvmx_anomaly {
	__u64 ts_ns; /* the L2 exit */
	__u64 rip;   /* L2's rip at the exit */
	__u32 tgid;
	__u32 tid;
	__u32 vcpu_id;
	__u32 isa;
	__u32 reason; /* the L2 exit's basic reason */
	__u32 type;   /* NVMX_VEC_* type */
	__u32 vector;
	__u32 pad;
};

/*
 * A thread whose state was just created (bpf/nvmx.bpf.c announce_thread), in the nvmx_anomalies
 * ring buffer beside struct nvmx_anomaly, told apart by its size: nvmxd names the thread's VM.
 */
struct nvmx_thread_seen {
	__u32 tgid;
	__u32 tid;
};

/*
 * The raw_tp test entry point takes the event as its u64 arguments (BPF_PROG_TEST_RUN ctx_in):
 * words 0..NVMX_TEST_EVENT_WORDS-1 are the struct nvmx_event, the next one is the tgid.
 */
#define NVMX_TEST_EVENT_WORDS 10u
#define NVMX_TEST_ARGS	      (NVMX_TEST_EVENT_WORDS + 1u)

#endif /* NVMX_MAPS_H */
