// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx's BPF side: one program per KVM tracepoint builds a struct nvmx_event from the tracepoint's
 * record and hands it to handle_event(), which runs the attribution model (include/nvmx/model.h,
 * the same code lib/replay.c runs) on the vCPU thread's state and counts its verdicts into per-CPU
 * maps. nvmxd (src/) loads, attaches, reads and sums them.
 *
 * Every event has a tp_btf program, which the kernel never skips for another task's map syscall
 * (a classic tracepoint program is skipped while that CPU's bpf_prog_active is raised) and for
 * which it builds no record: it reads the tracepoint's arguments, and on SVM kvm_exit's and
 * kvm_nested_vmexit's exit fields from the VMCB (kvm_amd's struct vcpu_svm). Each has its classic
 * tracepoint program as the fallback (no BTF, a prototype that differs, VMX's kvm_exit, whose
 * exit qualification and error code are not in memory when it fires), reading the record through
 * the CO-RE types of kvm_tp.bpf.h. docs/design.md says which program reads what, per ISA and
 * kernel.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/maps.h"
#include "kvm_tp.bpf.h"

/* Knobs, set by nvmxd between open and load (libbpf-tools' targ_* habit). */
const volatile __u8 targ_record = 0; /* send every event to the nvmx_events ring buffer */
/*
 * Wake nvmxd only when this much is waiting in nvmx_events (a quarter of it, set by the loader):
 * a wakeup is an irq_work, a self-IPI, and on a vCPU thread about to enter its guest an exit
 * ("interrupt") of its own. Waking on every record made each entry exit at once: L2 Linux under
 * KVM as L1 booted 20 times slower with --record (5.7 s to /init without, 133-174 s with).
 * nvmxd reads the rest every 200 ms (ring_buffer__consume).
 */
const volatile __u64 targ_wakeup_bytes = 0;
const volatile __u32 targ_tgid = 0;  /* only this VMM process; 0: every process */
const volatile __u8 targ_cycles = 0; /* nvmx_cycles holds a cycle counter for every CPU */
/*
 * The front tables' slots are index & targ_front_mask (& their size): a test sets 0 to send
 * every key to slot 0, so that the keys after the first take the hash (tests/bpf).
 */
const volatile __u32 targ_front_mask = ~0u;

/* Thread state: see struct nvmx_thread in nvmx/maps.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NVMX_SLOTS);
	__type(key, __u32); /* tid & (NVMX_SLOTS - 1) */
	__type(value, struct nvmx_thread);
} nvmx_slots SEC(".maps");

/* Which thread claimed a slot: BPF_NOEXIST arbitrates two claims at once without atomics. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NVMX_SLOTS);
	__type(key, __u32);   /* slot */
	__type(value, __u32); /* tid */
} nvmx_slot_owner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct nvmx_thread);
} nvmx_threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct nvmx_exit_key);
	__type(value, struct nvmx_hist);
} nvmx_exits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nvmx_port_key);
	__type(value, struct nvmx_io_value);
} nvmx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nvmx_msr_key);
	__type(value, struct nvmx_io_value);
} nvmx_msrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NVMX_SELF_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} nvmx_self SEC(".maps");

/*
 * The Turtles breakdown: sums and histograms of every part, per VM, vCPU thread, exit reason and
 * kind: some 10-40 keys a vCPU thread (docs/model.md, "Drill-down"). Full: the update is counted
 * as NVMX_SELF_BREAKDOWN_UPDATE_FAILED (nvmx_bd_l1's, nvmx_vectoring's, nvmx_injs' in slots of
 * their own: the failure metric names the map).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nvmx_bd_key);
	__type(value, struct nvmx_bd_value);
} nvmx_breakdown SEC(".maps");

/*
 * L1's exits inside complete round trips (exit multiplication) and L0's time serving them, per VM,
 * vCPU thread, reflected reason and L1 exit reason: up to 9 keys a reason (16-byte values).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct nvmx_bd_l1_key);
	__type(value, struct nvmx_bd_l1_value);
} nvmx_bd_l1 SEC(".maps");

/* The front tables of the five maps above (nvmx/maps.h, "Front tables"). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NVMX_FRONT_EXITS);
	__type(key, __u32);
	__type(value, struct nvmx_exit_front);
} nvmx_exits_front SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NVMX_FRONT_BD);
	__type(key, __u32);
	__type(value, struct nvmx_bd_front);
} nvmx_breakdown_front SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NVMX_FRONT_BD_L1);
	__type(key, __u32);
	__type(value, struct nvmx_bd_l1_front);
} nvmx_bd_l1_front SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NVMX_FRONT_IO);
	__type(key, __u32);
	__type(value, struct nvmx_msr_front);
} nvmx_msrs_front SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NVMX_FRONT_IO);
	__type(key, __u32);
	__type(value, struct nvmx_port_front);
} nvmx_ports_front SEC(".maps");

/* Interrupted event deliveries by outcome. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nvmx_vec_key);
	__type(value, __u64);
} nvmx_vectoring SEC(".maps");

/* arm64: exceptions L0 injected into L1 itself (NVMX_V_INJECTED_TO_L1), by reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nvmx_inj_key);
	__type(value, __u64);
} nvmx_injs SEC(".maps");

/*
 * One PERF_COUNT_HW_CPU_CYCLES event per CPU (nvmxd opens them and sizes the map to the CPUs)
 * when the hardware has counters: each event gets its CPU's count, for the breakdown in cycles.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} nvmx_cycles SEC(".maps");

/* Lost events, one record each, always on: nvmxd logs them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} nvmx_anomalies SEC(".maps");

/*
 * Ring-buffer drops (record() could not reserve) per CPU, the index: the same drops as
 * NVMX_SELF_RINGBUF_DROPPED, counted at the same place, in an array nvmxd mmaps so that its
 * record's [LOST n EVENTS] lines need no map syscall (a classic program is skipped while one runs).
 * max_entries: the possible CPUs, set by the loader. Touched only when an event is dropped.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nvmx_drops SEC(".maps");

/* nvmxd shrinks it to one page before load when it does not record. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} nvmx_events SEC(".maps");

/* The event and the verdicts of one step: too big for the 512-byte BPF stack with the rest. */
struct scratch {
	struct nvmx_event e;
	struct nvmx_verdicts out;
	__u64 parts[NVMX_RT_PARTS];
	__u64 cyc[NVMX_RT_PARTS];
	__u32 tgid; /* the current process, from begin()'s one bpf_get_current_pid_tgid() */
	/* the keys of one verdict's counters: off the stack, whose 512 bytes the model needs */
	struct nvmx_exit_key ek;
	struct nvmx_bd_key bk;
	struct nvmx_bd_l1_key lk;
	struct nvmx_msr_key mk;
	struct nvmx_port_key pk;
	struct nvmx_io_value inc;
	struct nvmx_vec_key vk;
	struct nvmx_inj_key ik;
	__u32 front_idx; /* the key of a front table's lookup */
	/* a new thread's state or marker, built here: the stack cannot hold it beside the rest */
	struct nvmx_thread tinit;
	/* SVM's VMCB exit fields, read as one span (svm_exit_event): off the full stack */
	struct nvmx_svm_exit_span span;
	__u32 stash_span; /* 1: handle_event keeps span in the thread's state (SVM kvm_exit) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} nvmx_scratch SEC(".maps");

/* The initial value of a new histogram entry (never written). */
static const struct nvmx_hist zero_hist;
static const struct nvmx_bd_value zero_bd;

static __always_inline void self_inc(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&nvmx_self, &slot);

	/* per-CPU, and tracepoint programs do not nest on one CPU: no atomics needed */
	if (c)
		*c += 1;
}

/*
 * The entry of key, created from init if absent (BPF_NOEXIST: a CPU creating it at the same time
 * wins, both then update the same entry); NULL only when the map is full.
 */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	(void)bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/*
 * The value of key in its front slot (nvmx/maps.h, "Front tables"), claiming the slot if it is
 * free; NULL when another key holds it. A front value is the key (ksize bytes, whole 32-bit
 * words), a u32 `used` at used_off, the counters at val_off. The caller falls back to the hash.
 */
static __always_inline void *front_value(void *front, __u32 entries, const void *key, __u32 ksize,
					 __u32 used_off, __u32 val_off, __u32 *idx)
{
	const __u32 *k = key;
	__u32 *s;

	*idx = nvmx_front_index(k, ksize / 4) & targ_front_mask & (entries - 1);
	s = bpf_map_lookup_elem(front, idx);

	if (!s)
		return NULL;
	if (!s[used_off / 4]) {
		NVMX_UNROLL
		for (__u32 i = 0; i < ksize / 4; i++)
			s[i] = k[i];
		s[used_off / 4] = 1;
		return (char *)s + val_off;
	}
	NVMX_UNROLL
	for (__u32 i = 0; i < ksize / 4; i++)
		if (s[i] != k[i])
			return NULL;
	return (char *)s + val_off;
}

/*
 * The counters of key: in its front slot of front (ENTRIES entries of struct T), else the hash's
 * entry, created from init if absent; NULL only when the hash is full.
 */
#define front_or_hash(sc, front, entries, T, hash, key, init)                                 \
	({                                                                                    \
		void *_v = front_value(&(front), (entries), (key), sizeof(*(key)),            \
				       __builtin_offsetof(T, used), __builtin_offsetof(T, v), \
				       &(sc)->front_idx);                                     \
		_v ? _v : lookup_or_init(&(hash), (key), (init));                             \
	})

static const __u64 zero_u64;

/* Adds n to a u64 entry, counting failed_slot when the map is full. */
static __always_inline void add_u64(void *map, const void *key, __u64 n, __u32 failed_slot)
{
	__u64 *c = lookup_or_init(map, key, &zero_u64);

	if (c)
		*c += n;
	else
		self_inc(failed_slot);
}

static const struct nvmx_bd_l1_value zero_bd_l1;

/*
 * Adds n L1 exits served in ns to the bd_l1 counters of sc->lk (its front slot, else the hash),
 * counting a failed update when the hash is full.
 */
static __always_inline void add_bd_l1(struct scratch *sc, __u64 n, __u64 ns)
{
	struct nvmx_bd_l1_value *c =
		front_or_hash(sc, nvmx_bd_l1_front, NVMX_FRONT_BD_L1, struct nvmx_bd_l1_front,
			      nvmx_bd_l1, &sc->lk, &zero_bd_l1);

	if (!c) {
		self_inc(NVMX_SELF_BD_L1_UPDATE_FAILED);
		return;
	}
	c->count += n;
	c->sum_ns += ns;
}

static const struct nvmx_io_value zero_io;

/* Adds inc to an MSR or port entry c (nvmx_verdict_io of counts.h), NULL when the map is full. */
static __always_inline void add_io(struct nvmx_io_value *c, const struct nvmx_io_value *inc,
				   __u32 failed_slot)
{
	if (!c) {
		self_inc(failed_slot);
		return;
	}
	c->count += inc->count;
	c->timed += inc->timed;
	c->sum_ns += inc->sum_ns;
}

_Static_assert(sizeof(struct nvmx_msr_key) == 5 * 4, "no padding: every byte a field");
_Static_assert(sizeof(struct nvmx_port_key) == 4 + 4 + 2 + 1 + 1 + 4, "no padding");

static __always_inline void count_io_verdict(const struct nvmx_verdict *v, struct scratch *sc)
{
	/*
	 * No clearing of the keys first: nvmx_verdict_io sets every field of the one it returns,
	 * and they have no padding (the asserts), so their bytes are all defined.
	 */
	switch (nvmx_verdict_io(v, sc->tgid, &sc->mk, &sc->pk, &sc->inc)) {
	case 1:
		add_io(front_or_hash(sc, nvmx_msrs_front, NVMX_FRONT_IO, struct nvmx_msr_front,
				     nvmx_msrs, &sc->mk, &zero_io),
		       &sc->inc, NVMX_SELF_MSR_UPDATE_FAILED);
		break;
	case 2:
		add_io(front_or_hash(sc, nvmx_ports_front, NVMX_FRONT_IO, struct nvmx_port_front,
				     nvmx_ports, &sc->pk, &zero_io),
		       &sc->inc, NVMX_SELF_PORT_UPDATE_FAILED);
		break;
	}
}

static __always_inline void report_lost(const struct nvmx_verdict *v, __u32 tgid, __u32 tid)
{
	struct nvmx_anomaly *a = bpf_ringbuf_reserve(&nvmx_anomalies, sizeof(*a), 0);

	if (!a) {
		self_inc(NVMX_SELF_ANOMALY_DROPPED);
		return;
	}
	a->ts_ns = v->ts_ns;
	a->rip = v->info1;
	a->tgid = tgid;
	a->tid = tid;
	a->vcpu_id = v->vcpu_id;
	a->isa = v->isa;
	a->reason = v->reason;
	a->type = v->vec_type;
	a->vector = v->vec_vector;
	a->pad = 0;
	bpf_ringbuf_submit(a, 0);
}

/*
 * The breakdown of a verdict (counts.h decides which): sums, histograms, L1's exits. An
 * L0-handled kind has only part 0 (the others are always 0): only it is counted here, and the
 * reader adds the other parts' bucket 0 (nvmx_bd_fill_zero_parts of counts.h), exactly what
 * counting their zeros made.
 */
static __always_inline void count_breakdown(const struct nvmx_verdict *v, struct scratch *sc,
					    __u32 tid)
{
	struct nvmx_bd_l1_key *lk = &sc->lk;
	struct nvmx_bd_key *k = &sc->bk;
	__u64 *parts = sc->parts, *cyc = sc->cyc;
	struct nvmx_bd_value *b;
	__u64 bucket;

	if (!nvmx_verdict_breakdown(v, sc->tgid, tid, k, parts))
		return;
	b = front_or_hash(sc, nvmx_breakdown_front, NVMX_FRONT_BD, struct nvmx_bd_front,
			  nvmx_breakdown, k, &zero_bd);
	if (!b) {
		self_inc(NVMX_SELF_BREAKDOWN_UPDATE_FAILED);
		return;
	}
	b->count++;
	if (k->kind != NVMX_BD_ROUND_TRIP) {
		/* parts 1.. are 0: the reader adds their bucket 0 (nvmx_bd_fill_zero_parts) */
		b->sum_ns[0] += parts[0];
		bucket = nvmx_hist_bucket(parts[0]);
		asm volatile("" : "+r"(bucket));
		b->buckets[0][bucket & (NVMX_HIST_BUCKETS - 1)]++;
		return;
	}
	NVMX_UNROLL
	for (__u32 i = 0; i < NVMX_RT_PARTS; i++) {
		b->sum_ns[i] += parts[i];
		bucket = nvmx_hist_bucket(parts[i]);
		/* as in count_verdict: the mask proves the bound to 6.1's verifier */
		asm volatile("" : "+r"(bucket));
		b->buckets[i][bucket & (NVMX_HIST_BUCKETS - 1)]++;
	}
	if (nvmx_rt_parts_cycles(v, cyc)) {
		b->cycles_count++;
		NVMX_UNROLL
		for (__u32 i = 0; i < NVMX_RT_PARTS; i++)
			b->sum_cycles[i] += cyc[i];
	}
	NVMX_UNROLL
	for (__u32 i = 0; i < NVMX_RT_L1_REASONS; i++) {
		/* slots fill in order and stay taken until the round trip ends: none after */
		if (!v->rt.l1_count[i])
			break;
		nvmx_bd_l1_key_of(k, v->rt.l1_reason[i], lk);
		add_bd_l1(sc, v->rt.l1_count[i], v->rt.l1_ns[i]);
	}
	if (v->rt.l1_overflow) {
		nvmx_bd_l1_key_of(k, NVMX_BD_L1_OVERFLOW, lk);
		add_bd_l1(sc, v->rt.l1_overflow, v->rt.l1_overflow_ns);
	}
}

static __noinline void count_verdict(const struct nvmx_verdict *v, struct scratch *sc, __u32 tid)
{
	struct nvmx_exit_key *k = &sc->ek;
	__u32 tgid = sc->tgid;
	struct nvmx_hist *h;
	__u64 b;

	if (v->kind == NVMX_V_VECTORING) {
		struct nvmx_vec_key *vk = &sc->vk;

		vk->tgid = tgid;
		vk->isa = v->isa;
		vk->type = v->vec_type;
		vk->vector = v->vec_vector;
		vk->outcome = v->vec_outcome;
		vk->pad = 0;
		add_u64(&nvmx_vectoring, vk, 1, NVMX_SELF_VECTORING_UPDATE_FAILED);
		if (v->vec_outcome == NVMX_VEC_LOST)
			report_lost(v, tgid, tid);
		return;
	}
	if (v->kind == NVMX_V_INJECTED_TO_L1) {
		struct nvmx_inj_key *ik = &sc->ik;

		ik->tgid = tgid;
		ik->tid = tid;
		ik->isa = v->isa;
		ik->reason = v->reason;
		add_u64(&nvmx_injs, ik, 1, NVMX_SELF_INJ_UPDATE_FAILED);
		return;
	}
	count_breakdown(v, sc, tid);
	count_io_verdict(v, sc);
	if (v->kind == NVMX_V_ROUND_TRIP)
		return;
	k->tgid = tgid;
	k->tid = tid;
	k->isa = v->isa;
	k->reason = v->reason;
	k->outcome = nvmx_verdict_outcome(v);
	k->pad = 0;
	h = front_or_hash(sc, nvmx_exits_front, NVMX_FRONT_EXITS, struct nvmx_exit_front,
			  nvmx_exits, k, &zero_hist);
	if (h) {
		h->count++;
		if (!nvmx_verdict_timed(v))
			return;
		h->timed++;
		h->sum_ns += v->latency_ns;
		b = nvmx_hist_bucket(v->latency_ns);
		/*
		 * The mask changes nothing (b < NVMX_HIST_BUCKETS), it proves the bound to the
		 * verifier: 6.1's lost the clamp's bound through a 32-bit zero extension. The
		 * empty asm hides b's range from clang, which would drop the mask otherwise.
		 */
		asm volatile("" : "+r"(b));
		h->buckets[b & (NVMX_HIST_BUCKETS - 1)]++;
	} else {
		self_inc(NVMX_SELF_EXIT_UPDATE_FAILED);
	}
}

static __always_inline void record(const struct nvmx_event *e, __u32 tgid)
{
	struct nvmx_record *r = bpf_ringbuf_reserve(&nvmx_events, sizeof(*r), 0);

	if (!r) {
		__u32 cpu = bpf_get_smp_processor_id();
		__u64 *d = bpf_map_lookup_elem(&nvmx_drops, &cpu);

		self_inc(NVMX_SELF_RINGBUF_DROPPED);
		if (d) /* shared memory, read by nvmxd while it changes */
			__sync_fetch_and_add(d, 1);
		return;
	}
	r->ev = *e;
	r->tgid = tgid;
	r->cpu = bpf_get_smp_processor_id();
	(void)bpf_get_current_comm(r->comm, sizeof(r->comm));
	bpf_ringbuf_submit(r,
			   bpf_ringbuf_query(&nvmx_events, BPF_RB_AVAIL_DATA) >= targ_wakeup_bytes
				   ? BPF_RB_FORCE_WAKEUP
				   : BPF_RB_NO_WAKEUP);
	self_inc(NVMX_SELF_RINGBUF_SENT);
}

/*
 * A thread's state was just created: one record in nvmx_anomalies (told apart from struct
 * nvmx_anomaly by its size), which nvmxd already reads, so that it names the thread's VM without
 * walking nvmx_threads (a map syscall). Once per thread (again after an LRU eviction); no wakeup:
 * nvmxd reads the ring every 200 ms.
 */
static __always_inline void announce_thread(__u32 tgid, __u32 tid)
{
	struct nvmx_thread_seen *s = bpf_ringbuf_reserve(&nvmx_anomalies, sizeof(*s), 0);

	if (!s) {
		self_inc(NVMX_SELF_ANOMALY_DROPPED);
		return;
	}
	s->tgid = tgid;
	s->tid = tid;
	bpf_ringbuf_submit(s, BPF_RB_NO_WAKEUP);
}

/* sc->tinit cleared, with tgid, tid and flags: the value of a new nvmx_threads entry */
static __always_inline struct nvmx_thread *thread_init(struct scratch *sc, __u32 tgid, __u32 tid,
						       __u32 flags)
{
	__builtin_memset(&sc->tinit, 0, sizeof(sc->tinit));
	sc->tinit.tgid = tgid;
	sc->tinit.tid = tid;
	sc->tinit.flags = flags;
	return &sc->tinit;
}

/*
 * The state of thread tid: its slot when it owns it (the common case: one inlined array lookup,
 * a third of a hash lookup's cost per event, bench/bpf_event_cost.c), a free slot it claims, or
 * its entry in the LRU hash when another thread holds the slot. Zeroed is NVMX_ST_UNKNOWN: we
 * may have attached mid-stream. Slots are never given back: a later thread with a colliding tid
 * uses the hash (slower, as correct).
 */
static __always_inline struct nvmx_thread *thread_of(struct scratch *sc, __u32 tid, __u32 tgid)
{
	__u32 slot = tid & (NVMX_SLOTS - 1);
	struct nvmx_thread *t = bpf_map_lookup_elem(&nvmx_slots, &slot);

	if (!t)
		return NULL;
	if (t->tid == tid)
		return t;
	if (!t->tid && !bpf_map_update_elem(&nvmx_slot_owner, &slot, &tid, BPF_NOEXIST)) {
		t->tgid = tgid;
		t->tid = tid;
		/* user space finds the thread through nvmx_threads */
		(void)bpf_map_update_elem(&nvmx_threads, &tid,
					  thread_init(sc, tgid, tid, NVMX_THREAD_IN_SLOT), BPF_ANY);
		announce_thread(tgid, tid);
		return t;
	}
	t = bpf_map_lookup_elem(&nvmx_threads, &tid);
	if (!t) {
		if (!bpf_map_update_elem(&nvmx_threads, &tid, thread_init(sc, tgid, tid, 0),
					 BPF_NOEXIST))
			announce_thread(tgid, tid);
		t = bpf_map_lookup_elem(&nvmx_threads, &tid);
	}
	/* a marker here with the slot someone else's cannot happen: slots stay claimed */
	return t && !(t->flags & NVMX_THREAD_IN_SLOT) ? t : NULL;
}

/* The state of thread tid if it has one (nothing is created). */
static __always_inline struct nvmx_thread *thread_peek(__u32 tid)
{
	__u32 slot = tid & (NVMX_SLOTS - 1);
	struct nvmx_thread *t = bpf_map_lookup_elem(&nvmx_slots, &slot);

	if (t && t->tid == tid)
		return t;
	t = bpf_map_lookup_elem(&nvmx_threads, &tid);
	return t && !(t->flags & NVMX_THREAD_IN_SLOT) ? t : NULL;
}

/*
 * The model's step as a BPF subprogram, as count_verdict is one: both would fit inline in the
 * 512-byte stack now that a new thread's state is built in the scratch, but the icount lab
 * measured the inline build heavier (36,955 against 38,491 ns of L0 clock per kvm_exit,
 * docs/perf.md): the SVM exit programs, which reach neither, carry less register pressure.
 */
static __noinline void model_step(struct nvmx_vcpu_state *st, const struct nvmx_event *e,
				  struct nvmx_verdicts *out)
{
	nvmx_model_step(st, e, out);
}

/*
 * The one place every entry point ends: record the event as the tracepoint gave it, run the model
 * on the thread's state, count the verdicts. sc->e and sc->tgid are filled: by begin() and the
 * program for a tracepoint, from its arguments for the test entry point.
 */
static __always_inline int handle_event(struct scratch *sc)
{
	__u32 tgid = sc->tgid;
	struct nvmx_event *e = &sc->e;
	struct nvmx_thread *t;
	__u32 tid = e->tid;

	if (targ_tgid && tgid != targ_tgid)
		return 0;
	self_inc(NVMX_SELF_EVENTS);
	t = thread_of(sc, tid, tgid);
	/*
	 * As lib/replay.c does: a record without an isa takes the thread's; before recording, so
	 * that a recording of a tp_btf event without one (kvm_nested_vmenter) tells it.
	 */
	if (t && e->isa == NVMX_EV_ISA_UNKNOWN)
		e->isa = t->st.isa;
	if (targ_record)
		record(e, tgid);
	if (!t) {
		self_inc(NVMX_SELF_STATE_UPDATE_FAILED);
		return 0;
	}
	t->span_valid = sc->stash_span;
	if (sc->stash_span)
		t->span = sc->span;
	model_step(&t->st, e, &sc->out);
	for (__u32 i = 0; i < NVMX_MODEL_MAX_VERDICTS; i++) {
		if (i >= sc->out.n)
			break;
		count_verdict(&sc->out.v[i], sc, tid);
	}
	return 0;
}

/* The scratch event, cleared, with the current thread and time filled in. */
static __always_inline struct scratch *begin(__u32 kind)
{
	__u32 zero = 0;
	struct scratch *sc = bpf_map_lookup_elem(&nvmx_scratch, &zero);
	__u64 id;

	if (!sc) {
		self_inc(NVMX_SELF_SCRATCH_MISSING);
		return NULL;
	}
	__builtin_memset(&sc->e, 0, sizeof(sc->e));
	sc->stash_span = 0;
	sc->e.kind = kind;
	sc->e.ts_ns = bpf_ktime_get_ns();
	id = bpf_get_current_pid_tgid();
	sc->e.tid = (__u32)id;
	sc->tgid = (__u32)(id >> 32);
	sc->e.vcpu_id = NVMX_EV_VCPU_ID_NONE;
	if (targ_cycles) {
		struct bpf_perf_event_value val = {};

		/*
		 * A multiplexed counter (running < enabled) is scaled, not a stamp: no cycles
		 * then, and the round trip it falls in has no cycle figures.
		 */
		if (!bpf_perf_event_read_value(&nvmx_cycles, BPF_F_CURRENT_CPU, &val,
					       sizeof(val)) &&
		    val.running == val.enabled) {
			sc->e.cycles = val.counter;
			sc->e.cpu = bpf_get_smp_processor_id();
		}
	}
	return sc;
}

/*
 * kvm_exit and kvm_nested_vmexit print one record layout (the kernel's TRACE_EVENT_KVM_EXIT), but
 * their CO-RE types differ, so the copy is a macro rather than a function.
 */
#define fill_exit_record(sc, ctx)                       \
	do {                                            \
		(sc)->e.reason = (ctx)->exit_reason;    \
		(sc)->e.isa = (ctx)->isa;               \
		(sc)->e.value = (ctx)->guest_rip;       \
		(sc)->e.info1 = (ctx)->info1;           \
		(sc)->e.info2 = (ctx)->info2;           \
		(sc)->e.intr_info = (ctx)->intr_info;   \
		(sc)->e.error_code = (ctx)->error_code; \
		(sc)->e.vcpu_id = (ctx)->vcpu_id;       \
	} while (0)

SEC("tracepoint/kvm/kvm_exit")
int nvmx_kvm_exit(struct trace_event_raw_kvm_exit___nvmx *ctx)
{
	struct scratch *sc = begin(NVMX_EV_EXIT);

	if (!sc)
		return 0;
	fill_exit_record(sc, ctx);
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_nested_vmexit")
int nvmx_kvm_nested_vmexit(struct trace_event_raw_kvm_nested_vmexit___nvmx *ctx)
{
	struct scratch *sc = begin(NVMX_EV_NESTED_VMEXIT);

	if (!sc)
		return 0;
	fill_exit_record(sc, ctx);
	return handle_event(sc);
}

/*
 * L2's RCX as an event of its own (NVMX_EV_GUEST_RCX), right after the kvm_nested_vmexit of an
 * RDMSR/WRMSR whose index no kvm_msr gave (see nvmx_kvm_nested_vmexit_rcx below): run by that
 * program, and on SVM by kvm_nested_vmexit's own program, which then replaces it.
 */
static __always_inline int guest_rcx_event(struct kvm_vcpu___nvmx *vcpu, __u32 tid)
{
	struct nvmx_thread *t = thread_peek(tid);
	struct scratch *sc;
	__u32 write;

	if (!t || !(t->st.pending_flags & NVMX_PF_EXIT) ||
	    (t->st.pending_flags & NVMX_PF_MSR_KNOWN) ||
	    !nvmx_exit_msr_access(t->st.pending_isa,
				  nvmx_model_basic_reason(t->st.pending_isa, t->st.pending_reason),
				  t->st.pending_info1, &write))
		return 0;
	/* 6.12's verifier types raw tracepoint pointer arguments as maybe NULL */
	if (!vcpu)
		return 0;
	sc = begin(NVMX_EV_GUEST_RCX);
	if (!sc)
		return 0;
	sc->e.value = vcpu->arch.regs[NVMX_VCPU_REGS_RCX];
	sc->e.msr = (__u32)sc->e.value;
	return handle_event(sc);
}

/*
 * kvm_exit and kvm_nested_vmexit as tp_btf on SVM: the prototype is (vcpu, isa), so the fields the
 * record gets from svm_get_exit_info are read where it reads them, in the current VMCB's control
 * area (kvm_tp.bpf.h), at the same moment; vcpu_id and the guest RIP (the record's kvm_rip_read:
 * svm_vcpu_run has copied the VMCB's RIP into arch.regs, always available on SVM) from the vcpu.
 * The VMCB is kvm_amd's memory, not a BTF-typed argument: read with bpf_probe_read_kernel
 * (BPF_CORE_READ), offsets relocated against kvm_amd's BTF. The loader keeps these only where
 * kernel BTF has struct vcpu_svm (kvm_amd loaded); on VMX the classic programs stay.
 */
static __always_inline int svm_exit_event(__u32 kind, struct kvm_vcpu___nvmx *vcpu, __u32 isa)
{
	struct vcpu_svm___nvmx *svm;
	struct vmcb___nvmx *vmcb;
	struct scratch *sc;
	__u32 off;

	/* 6.12's verifier types raw tracepoint pointer arguments as maybe NULL */
	if (!vcpu)
		return 0;
	sc = begin(kind);
	if (!sc)
		return 0;
	sc->e.isa = isa;
	sc->e.vcpu_id = (__u32)vcpu->vcpu_id;
	if (bpf_core_field_exists(vcpu->arch.rip))
		sc->e.value = vcpu->arch.rip;
	else
		sc->e.value = vcpu->arch.regs[NVMX_VCPU_REGS_RIP];
	/* to_svm(): vcpu is vcpu_svm's member `vcpu` (its first in every kernel) */
	svm = (void *)((char *)vcpu - bpf_core_field_offset(struct vcpu_svm___nvmx, vcpu));
	/*
	 * The five fields are 32 contiguous bytes (exit_code at +0, exit_info_1 +8, exit_info_2
	 * +16, exit_int_info +24, exit_int_info_err +28) in 6.1, 6.12 and 7.3: one probe read of
	 * the span instead of five, a helper call each. The offsets are CO-RE constants, so the
	 * verifier sees one branch; a kernel where they are not contiguous reads field by field.
	 * exit_int_info_err is kept only when exit_int_info says it is valid, as before.
	 */
	off = bpf_core_field_offset(struct vmcb___nvmx, control.exit_code);
	if (bpf_core_field_offset(struct vmcb___nvmx, control.exit_info_1) == off + 8 &&
	    bpf_core_field_offset(struct vmcb___nvmx, control.exit_info_2) == off + 16 &&
	    bpf_core_field_offset(struct vmcb___nvmx, control.exit_int_info) == off + 24 &&
	    bpf_core_field_offset(struct vmcb___nvmx, control.exit_int_info_err) == off + 28) {
		struct nvmx_thread *t;

		/*
		 * kvm_nested_vmexit right after its exit's kvm_exit: the span that program read
		 * (struct nvmx_thread's span_valid), without the two probe reads (VMCB pointer, span)
		 */
		if (kind == NVMX_EV_NESTED_VMEXIT && (t = thread_peek(sc->e.tid)) &&
		    t->span_valid) {
			sc->span = t->span;
		} else {
			vmcb = BPF_CORE_READ(svm, vmcb);
			if (bpf_probe_read_kernel(&sc->span, sizeof(sc->span), (char *)vmcb + off))
				__builtin_memset(&sc->span, 0, sizeof(sc->span));
			sc->stash_span = kind == NVMX_EV_EXIT;
		}
		sc->e.reason = sc->span.exit_code;
		sc->e.info1 = sc->span.exit_info_1;
		sc->e.info2 = sc->span.exit_info_2;
		sc->e.intr_info = sc->span.exit_int_info;
		if ((sc->span.exit_int_info & NVMX_SVM_EXITINTINFO_VALID) &&
		    (sc->span.exit_int_info & NVMX_SVM_EXITINTINFO_VALID_ERR))
			sc->e.error_code = sc->span.exit_int_info_err;
	} else {
		vmcb = BPF_CORE_READ(svm, vmcb);
		sc->e.reason = BPF_CORE_READ(vmcb, control.exit_code);
		sc->e.info1 = BPF_CORE_READ(vmcb, control.exit_info_1);
		sc->e.info2 = BPF_CORE_READ(vmcb, control.exit_info_2);
		sc->e.intr_info = BPF_CORE_READ(vmcb, control.exit_int_info);
		if ((sc->e.intr_info & NVMX_SVM_EXITINTINFO_VALID) &&
		    (sc->e.intr_info & NVMX_SVM_EXITINTINFO_VALID_ERR))
			sc->e.error_code = BPF_CORE_READ(vmcb, control.exit_int_info_err);
	}
	handle_event(sc);
	/*
	 * L2's RCX of a reflected RDMSR/WRMSR here rather than in nvmx_kvm_nested_vmexit_rcx,
	 * which nvmxd then leaves out: one program run less per L2 exit (about 3,000 ns of L0
	 * clock under TCG, docs/perf.md)
	 */
	if (kind == NVMX_EV_NESTED_VMEXIT)
		guest_rcx_event(vcpu, sc->e.tid);
	return 0;
}

SEC("tp_btf/kvm_exit")
int BPF_PROG(nvmx_kvm_exit_svm, struct kvm_vcpu___nvmx *vcpu, __u32 isa)
{
	return svm_exit_event(NVMX_EV_EXIT, vcpu, isa);
}

SEC("tp_btf/kvm_nested_vmexit")
int BPF_PROG(nvmx_kvm_nested_vmexit_svm, struct kvm_vcpu___nvmx *vcpu, __u32 isa)
{
	return svm_exit_event(NVMX_EV_NESTED_VMEXIT, vcpu, isa);
}

/*
 * An inject, from whichever program saw it (the record's fields or the tracepoint's arguments):
 * isa 0 when the source has none (classic record before isa was added), as begin() leaves it.
 */
static __always_inline int inject_event(__u32 exit_code, __u64 exit_info1, __u64 exit_info2,
					__u32 exit_int_info, __u32 exit_int_info_err, __u32 isa)
{
	struct scratch *sc = begin(NVMX_EV_NESTED_VMEXIT_INJECT);

	if (!sc)
		return 0;
	sc->e.reason = exit_code;
	sc->e.info1 = exit_info1;
	sc->e.info2 = exit_info2;
	sc->e.intr_info = exit_int_info;
	sc->e.error_code = exit_int_info_err;
	sc->e.isa = isa;
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_nested_vmexit_inject")
int nvmx_kvm_nested_vmexit_inject(struct trace_event_raw_kvm_nested_vmexit_inject___nvmx *ctx)
{
	__u32 isa = 0;

	if (bpf_core_field_exists(ctx->isa))
		isa = ctx->isa;
	return inject_event(ctx->exit_code, ctx->exit_info1, ctx->exit_info2, ctx->exit_int_info,
			    ctx->exit_int_info_err, isa);
}

/*
 * kvm_nested_vmexit_inject as tp_btf (once per exit delivered to L1): every field nvmx reads is
 * an argument, (exit_code, exit_info1, exit_info2, exit_int_info, exit_int_info_err, isa) since
 * isa was added (before 6.1); nvmxd checks the sizes against the kernel's prototype
 * (btf_trace_kvm_nested_vmexit_inject) and keeps the classic program when they differ.
 */
SEC("tp_btf/kvm_nested_vmexit_inject")
int BPF_PROG(nvmx_kvm_nested_vmexit_inject_btf, __u32 exit_code, __u64 exit_info1, __u64 exit_info2,
	     __u32 exit_int_info, __u32 exit_int_info_err, __u32 isa)
{
	return inject_event(exit_code, exit_info1, exit_info2, exit_int_info, exit_int_info_err,
			    isa);
}

/*
 * The same on kernels whose prototype takes exit_code as 8 bytes (7.x: "u64 exit_code"; the
 * record's field kept its size). Each argument of a tp_btf program is an 8-byte slot: only the
 * declared type differs, and the verifier checks it against the kernel's prototype, so each
 * kernel gets the variant whose sizes nvmxd's probe matched.
 */
SEC("tp_btf/kvm_nested_vmexit_inject")
int BPF_PROG(nvmx_kvm_nested_vmexit_inject_btf64, __u64 exit_code, __u64 exit_info1,
	     __u64 exit_info2, __u32 exit_int_info, __u32 exit_int_info_err, __u32 isa)
{
	return inject_event((__u32)exit_code, exit_info1, exit_info2, exit_int_info,
			    exit_int_info_err, isa);
}

/*
 * kvm_nested_vmenter as tp_btf (once per emulated VMLAUNCH/VMRESUME/VMRUN): no argument is read
 * (their list changed between kernels: 6.18 added one before isa), so this works on every
 * kernel; the isa is the thread's, as the model takes it for a record without one
 * (handle_event fills it before the event is recorded).
 */
SEC("tp_btf/kvm_nested_vmenter")
int BPF_PROG(nvmx_kvm_nested_vmenter_btf)
{
	struct scratch *sc = begin(NVMX_EV_NESTED_VMENTER);

	return sc ? handle_event(sc) : 0;
}

SEC("tracepoint/kvm/kvm_nested_vmenter")
int nvmx_kvm_nested_vmenter(struct trace_event_raw_kvm_nested_vmenter___nvmx *ctx)
{
	struct scratch *sc = begin(NVMX_EV_NESTED_VMENTER);

	if (!sc)
		return 0;
	if (bpf_core_field_exists(ctx->isa))
		sc->e.isa = ctx->isa;
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_nested_vmenter_failed")
int nvmx_kvm_nested_vmenter_failed(void *ctx)
{
	struct scratch *sc = begin(NVMX_EV_NESTED_VMENTER_FAILED);

	return sc ? handle_event(sc) : 0;
}

/* As tp_btf: no argument is read ((msg, err) and (rip) in 6.1 to 7.3), the event is all. */
SEC("tp_btf/kvm_nested_vmenter_failed")
int BPF_PROG(nvmx_kvm_nested_vmenter_failed_btf)
{
	struct scratch *sc = begin(NVMX_EV_NESTED_VMENTER_FAILED);

	return sc ? handle_event(sc) : 0;
}

SEC("tracepoint/kvm/kvm_nested_intr_vmexit")
int nvmx_kvm_nested_intr_vmexit(void *ctx)
{
	struct scratch *sc = begin(NVMX_EV_NESTED_INTR_VMEXIT);

	return sc ? handle_event(sc) : 0;
}

SEC("tp_btf/kvm_nested_intr_vmexit")
int BPF_PROG(nvmx_kvm_nested_intr_vmexit_btf)
{
	struct scratch *sc = begin(NVMX_EV_NESTED_INTR_VMEXIT);

	return sc ? handle_event(sc) : 0;
}

SEC("tracepoint/kvm/kvm_entry")
int nvmx_kvm_entry(struct trace_event_raw_kvm_entry___nvmx *ctx)
{
	struct scratch *sc = begin(NVMX_EV_ENTRY);

	if (!sc)
		return 0;
	sc->e.vcpu_id = ctx->vcpu_id;
	return handle_event(sc);
}

/*
 * kvm_entry as tp_btf: the same event from the tracepoint's argument (the vcpu) instead of its
 * record, so the kernel does not build the record for it (perf_trace_kvm_entry) on every entry,
 * as often as kvm_exit. nvmxd prefers it and falls back to nvmx_kvm_entry when the kernel has no
 * BTF for struct kvm_vcpu or refuses it. Every kernel's kvm_entry passes the vcpu first (6.10
 * added a second argument, force_immediate_exit, not read here).
 */
SEC("tp_btf/kvm_entry")
int BPF_PROG(nvmx_kvm_entry_btf, struct kvm_vcpu___nvmx *vcpu)
{
	struct scratch *sc;

	/* 6.12's verifier types raw tracepoint pointer arguments as maybe NULL */
	if (!vcpu)
		return 0;
	sc = begin(NVMX_EV_ENTRY);
	if (!sc)
		return 0;
	sc->e.vcpu_id = (__u32)vcpu->vcpu_id;
	return handle_event(sc);
}

/*
 * The events whose record is a copy of the tracepoint's arguments have one function each, called
 * by the classic program with the record's fields and by the tp_btf program with the arguments
 * (the record's field types: each argument is converted as TP_fast_assign converts it). The
 * tp_btf programs read the arguments by position; nvmxd checks their sizes against the kernel's
 * btf_trace_<event> prototype (6.1, 6.12 and 7.3 have the same ones) and keeps the classic
 * program when they differ.
 */
static __always_inline int userspace_exit_event(__u32 reason, int err)
{
	struct scratch *sc = begin(NVMX_EV_USERSPACE_EXIT);

	if (!sc)
		return 0;
	/* for the recording only (lib/record.c); the model ignores both */
	sc->e.reason = reason;
	sc->e.value = (__u64)(__s64)err;
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_userspace_exit")
int nvmx_kvm_userspace_exit(struct trace_event_raw_kvm_userspace_exit___nvmx *ctx)
{
	return userspace_exit_event(ctx->reason, ctx->errno);
}

/* kvm_userspace_exit(__u32 reason, int errno) */
SEC("tp_btf/kvm_userspace_exit")
int BPF_PROG(nvmx_kvm_userspace_exit_btf, __u32 reason, int err)
{
	return userspace_exit_event(reason, err);
}

static __always_inline int msr_event(unsigned int write, __u32 ecx, __u64 data, __u8 exception)
{
	struct scratch *sc = begin(NVMX_EV_MSR);

	if (!sc)
		return 0;
	sc->e.msr = ecx;
	sc->e.value = data;
	if (write)
		sc->e.flags |= NVMX_EV_F_MSR_WRITE;
	if (exception)
		sc->e.flags |= NVMX_EV_F_MSR_GP;
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_msr")
int nvmx_kvm_msr(struct trace_event_raw_kvm_msr___nvmx *ctx)
{
	return msr_event(ctx->write, ctx->ecx, ctx->data, ctx->exception);
}

/* kvm_msr(unsigned write, u32 ecx, u64 data, bool exception) */
SEC("tp_btf/kvm_msr")
int BPF_PROG(nvmx_kvm_msr_btf, unsigned int write, __u32 ecx, __u64 data, _Bool exception)
{
	return msr_event(write, ecx, data, exception);
}

/*
 * The guest's RCX at an L2 exit, for the index of an RDMSR/WRMSR that L0 reflects to L1 (L0 never
 * emulates it, so no kvm_msr names it). tp_btf, not a classic tracepoint: the record has no
 * registers, the tracepoint's argument is the vcpu. The guest GPRs are in vcpu->arch.regs by
 * then (__vmx_vcpu_run / __svm_vcpu_run save them on every exit), and kvm_exit's program has
 * already made this exit pending, so only an MSR exit goes on to the model.
 */
SEC("tp_btf/kvm_nested_vmexit")
int BPF_PROG(nvmx_kvm_nested_vmexit_rcx, struct kvm_vcpu___nvmx *vcpu, __u32 isa)
{
	return guest_rcx_event(vcpu, (__u32)bpf_get_current_pid_tgid());
}

/*
 * Injections, for the reinjection of an interrupted event. `reinjected` (and kvm_inj_virq's
 * vector/soft) since Linux 5.19 ("KVM: x86: Trace re-injected exceptions", "KVM: x86: Print the
 * soft/hard and reinjected bits of kvm_inj_virq"); without it nothing counts as reinjected.
 */
static __always_inline int inj_virq_event(unsigned int vector, _Bool soft, _Bool reinjected)
{
	struct scratch *sc = begin(NVMX_EV_INJ_VIRQ);

	if (!sc)
		return 0;
	sc->e.reason = vector;
	if (soft)
		sc->e.flags |= NVMX_EV_F_SOFT;
	if (reinjected)
		sc->e.flags |= NVMX_EV_F_REINJECTED;
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_inj_virq")
int nvmx_kvm_inj_virq(struct trace_event_raw_kvm_inj_virq___nvmx *ctx)
{
	unsigned int vector = 0;
	_Bool soft = 0, reinjected = 0;

	if (bpf_core_field_exists(ctx->vector))
		vector = ctx->vector;
	if (bpf_core_field_exists(ctx->soft))
		soft = ctx->soft;
	if (bpf_core_field_exists(ctx->reinjected))
		reinjected = ctx->reinjected;
	return inj_virq_event(vector, soft, reinjected);
}

/* kvm_inj_virq(unsigned int vector, bool soft, bool reinjected), 5.19+ (the prototype check) */
SEC("tp_btf/kvm_inj_virq")
int BPF_PROG(nvmx_kvm_inj_virq_btf, unsigned int vector, _Bool soft, _Bool reinjected)
{
	return inj_virq_event(vector, soft, reinjected);
}

static __always_inline int inj_exception_event(__u8 exception, _Bool has_error, __u32 error_code,
					       _Bool reinjected)
{
	struct scratch *sc = begin(NVMX_EV_INJ_EXCEPTION);

	if (!sc)
		return 0;
	sc->e.reason = exception;
	sc->e.error_code = error_code;
	if (has_error)
		sc->e.flags |= NVMX_EV_F_HAS_ERROR;
	if (reinjected)
		sc->e.flags |= NVMX_EV_F_REINJECTED;
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_inj_exception")
int nvmx_kvm_inj_exception(struct trace_event_raw_kvm_inj_exception___nvmx *ctx)
{
	_Bool reinjected = 0;

	if (bpf_core_field_exists(ctx->reinjected))
		reinjected = ctx->reinjected;
	return inj_exception_event(ctx->exception, ctx->has_error, ctx->error_code, reinjected);
}

/*
 * kvm_inj_exception(unsigned exception, bool has_error, unsigned error_code, bool reinjected):
 * the record keeps the exception in a u8, so the argument is cut to 8 bits as it is.
 */
SEC("tp_btf/kvm_inj_exception")
int BPF_PROG(nvmx_kvm_inj_exception_btf, unsigned int exception, _Bool has_error,
	     unsigned int error_code, _Bool reinjected)
{
	return inj_exception_event((__u8)exception, has_error, error_code, reinjected);
}

/*
 * The test entry point (tests/bpf): BPF_PROG_TEST_RUN with the event in ctx_in as u64 arguments
 * (nvmx/maps.h, NVMX_TEST_ARGS). raw_tp because test runs work for it and not for tracepoint or
 * tp_btf programs. No attach target: nvmxd never loads it (autoload off).
 */
SEC("raw_tp")
int nvmx_test_event(__u64 *ctx)
{
	__u32 zero = 0;
	struct scratch *sc = bpf_map_lookup_elem(&nvmx_scratch, &zero);
	__u64 *w;

	if (!sc)
		return 0;
	w = (__u64 *)&sc->e;
#pragma unroll
	for (int i = 0; i < NVMX_TEST_EVENT_WORDS; i++)
		w[i] = ctx[i];
	sc->tgid = (__u32)ctx[NVMX_TEST_EVENT_WORDS];
	sc->stash_span = 0;
	return handle_event(sc);
}

/*
 * arm64 (FEAT_NV2): classic tracepoint programs on the five events of the arm64 model, reading the
 * record through kvm_tp.bpf.h's ___nvmx_arm64 CO-RE types and filling struct nvmx_event as the
 * replay's reader does (lib/trace_fields.c), then the same handle_event() and model step as x86.
 * nvmxd attaches them instead of the x86 programs when the kernel is arm64 (src/loader.c).
 */
SEC("tracepoint/kvm/kvm_exit")
int nvmx_arm64_kvm_exit(struct trace_event_raw_kvm_exit___nvmx_arm64 *ctx)
{
	struct scratch *sc = begin(NVMX_EV_EXIT);

	if (!sc)
		return 0;
	sc->e.isa = NVMX_EV_ISA_ARM64;
	sc->e.reason = nvmx_arm64_exit_reason((__u32)ctx->ret, ctx->esr_ec);
	sc->e.value = ctx->vcpu_pc;
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_entry")
int nvmx_arm64_kvm_entry(void *ctx)
{
	struct scratch *sc = begin(NVMX_EV_ENTRY);

	if (!sc)
		return 0;
	sc->e.isa = NVMX_EV_ISA_ARM64;
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_nested_eret")
int nvmx_arm64_kvm_nested_eret(struct trace_event_raw_kvm_nested_eret___nvmx_arm64 *ctx)
{
	struct scratch *sc = begin(NVMX_EV_NESTED_ERET);

	if (!sc)
		return 0;
	sc->e.isa = NVMX_EV_ISA_ARM64;
	sc->e.info1 = ctx->spsr_el2;
	sc->e.info2 = ctx->hcr_el2;
	sc->e.value = ctx->elr_el2;
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_inject_nested_exception")
int nvmx_arm64_kvm_inject_nested_exception(
	struct trace_event_raw_kvm_inject_nested_exception___nvmx_arm64 *ctx)
{
	struct scratch *sc = begin(NVMX_EV_INJECT_NESTED_EXC);

	if (!sc)
		return 0;
	sc->e.isa = NVMX_EV_ISA_ARM64;
	sc->e.reason = (__u32)ctx->type;
	sc->e.info1 = ctx->esr_el2;
	sc->e.info2 = ctx->hcr_el2;
	sc->e.intr_info = (__u32)ctx->source_mode;
	return handle_event(sc);
}

SEC("tracepoint/kvm/kvm_forward_sysreg_trap")
int nvmx_arm64_kvm_forward_sysreg_trap(
	struct trace_event_raw_kvm_forward_sysreg_trap___nvmx_arm64 *ctx)
{
	struct scratch *sc = begin(NVMX_EV_FORWARD_SYSREG_TRAP);

	if (!sc)
		return 0;
	sc->e.isa = NVMX_EV_ISA_ARM64;
	sc->e.msr = ctx->sysreg;
	if (!ctx->is_read)
		sc->e.flags |= NVMX_EV_F_MSR_WRITE;
	sc->e.value = ctx->pc;
	return handle_event(sc);
}

/*
 * nvmxd --baseline: an empty program and a single-counter program on kvm_exit, loaded in the same
 * object, so a benchmark can put nvmx's per-event cost (run_time_ns / run_cnt) beside the cost
 * of any BPF program at all and of the simplest useful one (ebpf_exporter's benchmark habit;
 * issue #10's yardstick). Their raw_tp twins are for BPF_PROG_TEST_RUN on the host
 * (bench/bpf_event_cost.c), which never fires kvm_exit.
 */
SEC("tracepoint/kvm/kvm_exit")
int nvmx_baseline_kvm_exit(void *ctx)
{
	return 0;
}

/*
 * Empty tp_btf programs: the floor of nvmx's tp_btf programs, as nvmx_baseline_kvm_exit is of the
 * classic ones (a tp_btf program is called by __bpf_trace_run with the arguments, a classic one
 * by trace_call_bpf after the record is built: each kind has its own empty program).
 */
SEC("tp_btf/kvm_exit")
int BPF_PROG(nvmx_baseline_kvm_exit_btf)
{
	return 0;
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(nvmx_baseline_kvm_entry_btf)
{
	return 0;
}

SEC("tp_btf/kvm_nested_vmexit")
int BPF_PROG(nvmx_baseline_kvm_nested_vmexit_btf)
{
	return 0;
}

SEC("tp_btf/kvm_nested_vmexit_inject")
int BPF_PROG(nvmx_baseline_kvm_nested_vmexit_inject_btf)
{
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nvmx_baseline_count SEC(".maps");

static __always_inline int single_counter(void)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&nvmx_baseline_count, &zero);

	if (c)
		*c += 1;
	return 0;
}

SEC("tracepoint/kvm/kvm_exit")
int nvmx_baseline_counter_kvm_exit(void *ctx)
{
	return single_counter();
}

SEC("raw_tp")
int nvmx_test_empty(__u64 *ctx)
{
	return 0;
}

SEC("raw_tp")
int nvmx_test_counter(__u64 *ctx)
{
	return single_counter();
}

char LICENSE[] SEC("license") = "GPL";
