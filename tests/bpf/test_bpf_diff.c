// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF side counts exactly what lib counts. Each test drives one event sequence through
 * nvmx.bpf.c's handle_event() (its raw_tp entry point nvmx_test_event, by BPF_PROG_TEST_RUN) and
 * through the user-space model + lib (nvmx_summary_add_verdict, as lib/replay.c counts), then
 * asserts that every exit key (process, thread, isa, reason, outcome) has the same count, latency
 * sum and histogram, that msrs and ports are the same, and that lib's summaries (total and per
 * thread) are identical. The four shared captures are also compared with nvmx_replay_path()
 * itself, and one is recorded through the ring buffer and replayed from the recording.
 *
 * Loads BPF: needs root. Not root is a failure, not a skip (ctest -L bpf must not pass silently).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/counted.h"
#include "nvmx/record.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"
#include "collect.h"
#include "turtles.h"
#include "nvmx.skel.h"
#include "trace_parse.h"

/* SVM exit codes (<asm/svm.h>) and VMX basic reasons (<asm/vmx.h>) used below */
#define SVM_INTR	  0x060u
#define SVM_CPUID	  0x072u
#define SVM_IOIO	  0x07bu
#define SVM_MSR		  0x07cu
#define SVM_VMRUN	  0x080u
#define SVM_VMMCALL	  0x081u
#define SVM_NPF		  0x400u
#define VMX_EXTINT	  1u
#define VMX_CPUID	  10u
#define VMX_VMCALL	  18u
#define VMX_VMLAUNCH	  20u
#define VMX_VMRESUME	  24u
#define VMX_IO		  30u
#define VMX_MSR_READ	  31u
#define VMX_MSR_WRITE	  32u
#define VMX_INVALID_STATE 33u

#define SVM NVMX_EV_ISA_SVM
#define VMX NVMX_EV_ISA_VMX

/* ---- the reference: the user-space model and lib, per thread ---- */

struct ref_thread {
	__u32 tgid, tid;
	struct nvmx_vcpu_state st;
};

struct ref {
	struct ref_thread th[64];
	size_t n;
	struct nvmx_summary *total;
	struct nvmx_counters counts; /* the same verdicts, keyed as the BPF maps key them */
	__u64 last_ts;
};

/* ---- the BPF side ---- */

struct bpf_side {
	struct nvmx_bpf *skel;
	int prog_fd;
};

struct harness {
	struct ref ref;
	struct bpf_side bpf;
};

/*
 * nvmx_kvm_exit_svm and nvmx_kvm_nested_vmexit_svm read struct vcpu_svm, kvm_amd's (CO-RE): a
 * kernel without it in its BTF (this host's: no kvm_amd) cannot relocate them, and nvmxd's
 * loader never loads them there. They are left out of the load here only then; the SVM lab
 * tests load and run them (every nvmxd test of label lab). So are the arm64 programs, always.
 */
static void without_svm_programs_unless_kvm_amd(struct nvmx_bpf *s)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool svm = access("/sys/kernel/btf/kvm_amd", F_OK) == 0 ||
		   (vmlinux && btf__find_by_name_kind(vmlinux, "vcpu_svm", BTF_KIND_STRUCT) > 0);

	btf__free(vmlinux);
	/*
	 * The arm64 programs read arm64's records (CO-RE): an x86 kernel cannot relocate them
	 * and the loader loads them on arm64 only; the lab-arm64 test loads and runs them
	 */
	bpf_program__set_autoload(s->progs.nvmx_arm64_kvm_exit, false);
	bpf_program__set_autoload(s->progs.nvmx_arm64_kvm_nested_eret, false);
	bpf_program__set_autoload(s->progs.nvmx_arm64_kvm_inject_nested_exception, false);
	bpf_program__set_autoload(s->progs.nvmx_arm64_kvm_forward_sysreg_trap, false);
	if (svm)
		return;
	bpf_program__set_autoload(s->progs.nvmx_kvm_exit_svm, false);
	bpf_program__set_autoload(s->progs.nvmx_kvm_nested_vmexit_svm, false);
}

/*
 * targ_front_mask of the object each test loads: ~0 (every front slot) unless a test sets 0,
 * which sends every key to slot 0 of its front table, so that all keys but the first per CPU
 * take the hash (criterion runs each test in its own process).
 */
static __u32 front_mask = ~0u;

static void bpf_open(struct bpf_side *b, bool record)
{
	int err;

	cr_assert_eq(geteuid(), 0,
		     "tests/bpf loads BPF programs and needs root (CAP_BPF): run `ctest -L bpf` "
		     "as root. This is a failure, not a skip.");
	b->skel = nvmx_bpf__open();
	cr_assert(b->skel, "nvmx_bpf__open: %s", strerror(errno));
	b->skel->rodata->targ_record = record;
	b->skel->rodata->targ_front_mask = front_mask;
	/*
	 * The tracepoint programs load too (never attached): the same object as nvmxd's, and
	 * proof that all of it passes this kernel's verifier (the SVM-only ones where they can).
	 */
	without_svm_programs_unless_kvm_amd(b->skel);
	err = nvmx_bpf__load(b->skel);
	cr_assert_eq(err, 0, "loading nvmx.bpf.o: %s", strerror(-err));
	b->prog_fd = bpf_program__fd(b->skel->progs.nvmx_test_event);
	cr_assert_geq(b->prog_fd, 0);
}

static void bpf_step(struct bpf_side *b, const struct nvmx_event *e, __u32 tgid)
{
	__u64 args[NVMX_TEST_ARGS];
	int err;

	memcpy(args, e, sizeof(*e));
	args[NVMX_TEST_EVENT_WORDS] = tgid;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	err = bpf_prog_test_run_opts(b->prog_fd, &opts);
	cr_assert_eq(err, 0, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	cr_assert_eq(opts.retval, 0);
}

static struct ref_thread *ref_thread(struct ref *r, __u32 tgid, __u32 tid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->th[i].tid == tid)
			return &r->th[i];
	cr_assert_lt(r->n, sizeof(r->th) / sizeof(r->th[0]));
	memset(&r->th[r->n], 0, sizeof(r->th[0]));
	r->th[r->n].tgid = tgid;
	r->th[r->n].tid = tid;
	return &r->th[r->n++];
}

static void ref_apply(struct ref *r, struct ref_thread *t, const struct nvmx_event *e)
{
	struct nvmx_verdicts out;

	nvmx_model_step(&t->st, e, &out);
	for (__u32 i = 0; i < out.n; i++) {
		cr_assert_eq(nvmx_summary_add_verdict(r->total, &out.v[i]), 0);
		cr_assert_eq(nvmx_counters_add_verdict(&r->counts, &out.v[i], t->tgid, t->tid), 0);
	}
}

static void h_init(struct harness *h, bool record)
{
	memset(h, 0, sizeof(*h));
	h->ref.total = nvmx_summary_new();
	cr_assert(h->ref.total);
	bpf_open(&h->bpf, record);
}

static void h_free(struct harness *h)
{
	nvmx_summary_free(h->ref.total);
	nvmx_counters_free(&h->ref.counts);
	nvmx_bpf__destroy(h->bpf.skel);
}

/* One event of thread tid of process tgid, to both sides. */
static void h_event(struct harness *h, __u32 tgid, struct nvmx_event e)
{
	struct ref_thread *t = ref_thread(&h->ref, tgid, e.tid);

	bpf_step(&h->bpf, &e, tgid);
	/* lib/replay.c: a record without an isa takes the thread's */
	if (e.isa == NVMX_EV_ISA_UNKNOWN)
		e.isa = t->st.isa;
	h->ref.last_ts = e.ts_ns;
	ref_apply(&h->ref, t, &e);
}

/* Lost events: every thread forgets, on both sides (as lib/replay.c's lose()). */
static void h_lost(struct harness *h)
{
	for (size_t i = 0; i < h->ref.n; i++) {
		struct nvmx_event e;

		memset(&e, 0, sizeof(e));
		e.kind = NVMX_EV_LOST;
		e.ts_ns = h->ref.last_ts;
		e.tid = h->ref.th[i].tid;
		e.vcpu_id = NVMX_EV_VCPU_ID_NONE;
		bpf_step(&h->bpf, &e, h->ref.th[i].tgid);
		ref_apply(&h->ref, &h->ref.th[i], &e);
	}
}

static char *json_of(const struct nvmx_summary *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert(f);
	cr_assert_eq(nvmx_summary_write_json(s, f), 0);
	fclose(f);
	return text;
}

static void assert_same_summary(const struct nvmx_summary *want, const struct nvmx_summary *got,
				const char *what)
{
	char *a = json_of(want), *b = json_of(got);

	cr_assert_str_eq(b, a, "%s: BPF side\n%s\nlib side\n%s", what, b, a);
	free(a);
	free(b);
}

static void assert_same_keyed(const struct nvmx_counters_keyed *got, size_t n_got,
			      const struct nvmx_counters_keyed *want, size_t n_want,
			      const char *what)
{
	cr_assert_eq(n_got, n_want, "%s keys: BPF %zu, lib %zu", what, n_got, n_want);
	for (size_t i = 0; i < n_want; i++) {
		bool found = false;

		for (size_t j = 0; j < n_got && !found; j++)
			if (!memcmp(got[j].key, want[i].key, sizeof(want[i].key))) {
				found = true;
				cr_assert_eq(got[j].count, want[i].count, "%s: BPF %llu, lib %llu",
					     what, (unsigned long long)got[j].count,
					     (unsigned long long)want[i].count);
			}
		cr_assert(found, "%s: a key missing on the BPF side", what);
	}
}

/*
 * Ends the capture on both sides (user-space END for every thread: nvmxd's shutdown, lib's end
 * of replay) and compares everything. Returns the BPF side's counts for extra assertions.
 */
static void h_compare(struct harness *h, struct nvmx_counters *bpf)
{
	struct nvmxd_maps m = NVMXD_MAPS_OF(h->bpf.skel);
	struct nvmx_summary *got;
	size_t threads = 0;
	struct nvmx_event end;

	memset(bpf, 0, sizeof(*bpf));
	cr_assert_eq(nvmxd_counts_read(bpf, &m), 0);
	cr_assert_eq(nvmx_counters_update_failures(bpf), 0, "BPF map updates failed");
	cr_assert_eq(nvmxd_counts_end(bpf, m.threads, m.slots, h->ref.last_ts, &threads), 0);
	cr_assert_eq(threads, h->ref.n, "threads in the BPF state map");

	memset(&end, 0, sizeof(end));
	end.kind = NVMX_EV_END;
	end.ts_ns = h->ref.last_ts;
	end.vcpu_id = NVMX_EV_VCPU_ID_NONE;
	for (size_t i = 0; i < h->ref.n; i++) {
		end.tid = h->ref.th[i].tid;
		ref_apply(&h->ref, &h->ref.th[i], &end);
	}

	/* every exit key: count, latency sum, every histogram bucket */
	cr_assert_eq(bpf->n_exits, h->ref.counts.n_exits, "exit keys: BPF %zu, lib %zu",
		     bpf->n_exits, h->ref.counts.n_exits);
	for (size_t i = 0; i < h->ref.counts.n_exits; i++) {
		const struct nvmx_counters_exit *w = &h->ref.counts.exits[i];
		bool found = false;

		for (size_t j = 0; j < bpf->n_exits && !found; j++) {
			const struct nvmx_counters_exit *g = &bpf->exits[j];

			if (memcmp(&g->key, &w->key, sizeof(w->key)))
				continue;
			found = true;
			cr_assert_eq(memcmp(&g->hist, &w->hist, sizeof(w->hist)), 0,
				     "tid %u %s reason 0x%x: count %llu/%llu sum %llu/%llu",
				     w->key.tid, nvmx_outcome_name(w->key.outcome), w->key.reason,
				     (unsigned long long)g->hist.count,
				     (unsigned long long)w->hist.count,
				     (unsigned long long)g->hist.sum_ns,
				     (unsigned long long)w->hist.sum_ns);
		}
		cr_assert(found, "tid %u %s isa %u reason 0x%x missing on the BPF side", w->key.tid,
			  nvmx_outcome_name(w->key.outcome), w->key.isa, w->key.reason);
	}
	cr_assert_eq(bpf->n_msrs, h->ref.counts.n_msrs);
	for (size_t i = 0; i < h->ref.counts.n_msrs; i++) {
		bool found = false;

		for (size_t j = 0; j < bpf->n_msrs; j++)
			if (!memcmp(&bpf->msrs[j].key, &h->ref.counts.msrs[i].key,
				    sizeof(bpf->msrs[j].key))) {
				found = true;
				/* count, timed and cost */
				cr_assert_eq(memcmp(&bpf->msrs[j].v, &h->ref.counts.msrs[i].v,
						    sizeof(bpf->msrs[j].v)),
					     0, "msr 0x%x: count %llu/%llu sum %llu/%llu",
					     h->ref.counts.msrs[i].key.msr,
					     (unsigned long long)bpf->msrs[j].v.count,
					     (unsigned long long)h->ref.counts.msrs[i].v.count,
					     (unsigned long long)bpf->msrs[j].v.sum_ns,
					     (unsigned long long)h->ref.counts.msrs[i].v.sum_ns);
			}
		cr_assert(found, "msr 0x%x missing on the BPF side", h->ref.counts.msrs[i].key.msr);
	}
	cr_assert_eq(bpf->n_ports, h->ref.counts.n_ports);
	for (size_t i = 0; i < h->ref.counts.n_ports; i++) {
		bool found = false;

		for (size_t j = 0; j < bpf->n_ports; j++)
			if (!memcmp(&bpf->ports[j].key, &h->ref.counts.ports[i].key,
				    sizeof(bpf->ports[j].key))) {
				found = true;
				cr_assert_eq(memcmp(&bpf->ports[j].v, &h->ref.counts.ports[i].v,
						    sizeof(bpf->ports[j].v)),
					     0, "port 0x%x: count %llu/%llu sum %llu/%llu",
					     h->ref.counts.ports[i].key.port,
					     (unsigned long long)bpf->ports[j].v.count,
					     (unsigned long long)h->ref.counts.ports[i].v.count,
					     (unsigned long long)bpf->ports[j].v.sum_ns,
					     (unsigned long long)h->ref.counts.ports[i].v.sum_ns);
			}
		cr_assert(found, "port 0x%x missing on the BPF side",
			  h->ref.counts.ports[i].key.port);
	}

	/* the breakdown: every key, count, sum and histogram of every part */
	cr_assert_eq(bpf->n_bds, h->ref.counts.n_bds, "breakdown keys: BPF %zu, lib %zu",
		     bpf->n_bds, h->ref.counts.n_bds);
	for (size_t i = 0; i < h->ref.counts.n_bds; i++) {
		const struct nvmx_counters_bd *w = &h->ref.counts.bds[i];
		bool found = false;

		for (size_t j = 0; j < bpf->n_bds && !found; j++) {
			if (memcmp(&bpf->bds[j].key, &w->key, sizeof(w->key)))
				continue;
			found = true;
			cr_assert_eq(memcmp(&bpf->bds[j].v, &w->v, sizeof(w->v)), 0,
				     "breakdown reason 0x%x kind %u: count %llu/%llu",
				     w->key.reason, w->key.kind,
				     (unsigned long long)bpf->bds[j].v.count,
				     (unsigned long long)w->v.count);
		}
		cr_assert(found, "breakdown reason 0x%x kind %u missing on the BPF side",
			  w->key.reason, w->key.kind);
	}
	assert_same_keyed(bpf->bd_l1s, bpf->n_bd_l1s, h->ref.counts.bd_l1s, h->ref.counts.n_bd_l1s,
			  "L1 exits of round trips");
	assert_same_keyed(bpf->vecs, bpf->n_vecs, h->ref.counts.vecs, h->ref.counts.n_vecs,
			  "vectoring");
	assert_same_keyed(bpf->injs, bpf->n_injs, h->ref.counts.injs, h->ref.counts.n_injs,
			  "arm64 injections into L1 itself");

	/* lib's summary, total: every key of the JSON, every count */
	got = nvmx_summary_new();
	cr_assert(got);
	cr_assert_eq(nvmx_counters_to_summary(bpf, 0, 0, got), 0);
	assert_same_summary(h->ref.total, got, "total");
	nvmx_summary_free(got);
}

static struct nvmx_event ev(__u32 tid, __u32 kind, __u64 ts, __u32 isa, __u32 reason, __u64 info1)
{
	struct nvmx_event e;

	memset(&e, 0, sizeof(e));
	e.tid = tid;
	e.kind = kind;
	e.ts_ns = ts;
	e.isa = isa;
	e.reason = reason;
	e.info1 = info1;
	e.vcpu_id = (kind == NVMX_EV_EXIT || kind == NVMX_EV_NESTED_VMEXIT || kind == NVMX_EV_ENTRY)
			    ? 0
			    : NVMX_EV_VCPU_ID_NONE;
	return e;
}

static struct nvmx_event msr_ev(__u32 tid, __u64 ts, __u32 index, bool write)
{
	struct nvmx_event e = ev(tid, NVMX_EV_MSR, ts, 0, 0, 0);

	e.msr = index;
	e.flags = write ? NVMX_EV_F_MSR_WRITE : 0;
	return e;
}

#define TGID			1000u
#define TID			1001u
#define E(kind, ts, isa, r, i1) h_event(&h, TGID, ev(TID, kind, ts, isa, r, i1))

static uint64_t out_count(const struct nvmx_counters *c, __u32 tid, __u32 isa, __u32 reason,
			  __u32 outcome)
{
	uint64_t n = 0;

	for (size_t i = 0; i < c->n_exits; i++) {
		const struct nvmx_exit_key *k = &c->exits[i].key;

		if ((!tid || k->tid == tid) && k->isa == isa && k->reason == reason &&
		    k->outcome == outcome)
			n += c->exits[i].hist.count;
	}
	return n;
}

/* The SVM loop of the shared captures: L2 cpuid, L1 intercepts it, L1 re-enters with VMRUN. */
static void svm_reflected(struct harness *hp, __u32 tgid, __u32 tid, __u64 t)
{
	h_event(hp, tgid, ev(tid, NVMX_EV_EXIT, t + 0, SVM, SVM_CPUID, 0));
	h_event(hp, tgid, ev(tid, NVMX_EV_NESTED_VMEXIT, t + 10, SVM, SVM_CPUID, 0));
	h_event(hp, tgid, ev(tid, NVMX_EV_NESTED_VMEXIT_INJECT, t + 300, SVM, SVM_CPUID, 0));
	h_event(hp, tgid, ev(tid, NVMX_EV_ENTRY, t + 400, 0, 0, 0));
	h_event(hp, tgid, ev(tid, NVMX_EV_EXIT, t + 500, SVM, SVM_VMRUN, 0));
	h_event(hp, tgid, ev(tid, NVMX_EV_NESTED_VMENTER, t + 600, SVM, 0, 0));
	h_event(hp, tgid, ev(tid, NVMX_EV_ENTRY, t + 700, 0, 0, 0));
}

Test(bpf_diff, reflected_exit_counts_the_same)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	svm_reflected(&h, TGID, TID, 1000);
	svm_reflected(&h, TGID, TID, 2000);
	h_compare(&h, &c);
	cr_assert_eq(out_count(&c, TID, SVM, SVM_CPUID, NVMX_OUT_L2_BY_L1), 2);
	cr_assert_eq(out_count(&c, TID, SVM, SVM_VMRUN, NVMX_OUT_L1_EXIT), 2);
	cr_assert_eq(out_count(&c, TID, SVM, 0, NVMX_OUT_NESTED_ENTRY), 2);
	nvmx_counters_free(&c);
	h_free(&h);
}

/* A reflected exit with L1 exits in its handler (more distinct reasons than the state keeps). */
static void svm_multiplied(struct harness *hp, __u32 tgid, __u32 tid, __u64 t)
{
	static const __u32 l1[] = { SVM_CPUID, SVM_MSR, SVM_CPUID, SVM_IOIO, SVM_INTR, SVM_NPF };

	h_event(hp, tgid, ev(tid, NVMX_EV_EXIT, t + 0, SVM, SVM_IOIO, 0x800010));
	h_event(hp, tgid, ev(tid, NVMX_EV_NESTED_VMEXIT, t + 10, SVM, SVM_IOIO, 0x800010));
	h_event(hp, tgid, ev(tid, NVMX_EV_NESTED_VMEXIT_INJECT, t + 300, SVM, SVM_IOIO, 0x800010));
	h_event(hp, tgid, ev(tid, NVMX_EV_ENTRY, t + 400, 0, 0, 0));
	for (size_t i = 0; i < sizeof(l1) / sizeof(l1[0]); i++) {
		h_event(hp, tgid, ev(tid, NVMX_EV_EXIT, t + 500 + 100 * i, SVM, l1[i], 0));
		h_event(hp, tgid, ev(tid, NVMX_EV_ENTRY, t + 530 + 100 * i + i, 0, 0, 0));
	}
	h_event(hp, tgid, ev(tid, NVMX_EV_EXIT, t + 1500, SVM, SVM_VMRUN, 0));
	h_event(hp, tgid, ev(tid, NVMX_EV_NESTED_VMENTER, t + 1600, SVM, 0, 0));
	h_event(hp, tgid, ev(tid, NVMX_EV_ENTRY, t + 1777, 0, 0, 0));
}

Test(bpf_diff, round_trips_and_exit_multiplication_count_the_same)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	svm_reflected(&h, TGID, TID, 1000);
	svm_multiplied(&h, TGID, TID, 2000);
	svm_multiplied(&h, TGID, TID, 5000);
	/* incomplete: L1 never re-enters, nothing of it counts */
	E(NVMX_EV_EXIT, 9000, SVM, SVM_CPUID, 0);
	E(NVMX_EV_NESTED_VMEXIT, 9010, SVM, SVM_CPUID, 0);
	E(NVMX_EV_NESTED_VMEXIT_INJECT, 9100, SVM, SVM_CPUID, 0);
	E(NVMX_EV_ENTRY, 9200, 0, 0, 0);
	E(NVMX_EV_EXIT, 9300, SVM, SVM_CPUID, 0);
	E(NVMX_EV_ENTRY, 9400, 0, 0, 0);
	h_compare(&h, &c);
	cr_assert_eq(c.n_bds, 2, "cpuid and io round trips");
	cr_assert_eq(c.n_bd_l1s, 5, "cpuid, msr, io, intr, overflow");
	nvmx_counters_free(&c);
	h_free(&h);
}

/* The events of a thread with cycle stamps: cycles = 3 * ts on cpu, as a counter would give. */
static void h_cyc(struct harness *hp, __u32 cpu, struct nvmx_event e)
{
	e.cycles = 3 * e.ts_ns;
	e.cpu = cpu;
	h_event(hp, TGID, e);
}

Test(bpf_diff, round_trips_in_cycles_count_the_same)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	/* one CPU throughout: a round trip with cycle figures */
	h_cyc(&h, 1, ev(TID, NVMX_EV_EXIT, 1000, SVM, SVM_CPUID, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_NESTED_VMEXIT, 1010, SVM, SVM_CPUID, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_NESTED_VMEXIT_INJECT, 1100, SVM, SVM_CPUID, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_ENTRY, 1200, 0, 0, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_EXIT, 1300, SVM, SVM_MSR, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_ENTRY, 1350, 0, 0, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_EXIT, 1500, SVM, SVM_VMRUN, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_NESTED_VMENTER, 1600, SVM, 0, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_ENTRY, 1700, 0, 0, 0));
	/* the thread moves to CPU 2 inside L1's handler: timed in ns, no cycle figures */
	h_cyc(&h, 1, ev(TID, NVMX_EV_EXIT, 2000, SVM, SVM_CPUID, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_NESTED_VMEXIT, 2010, SVM, SVM_CPUID, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_NESTED_VMEXIT_INJECT, 2100, SVM, SVM_CPUID, 0));
	h_cyc(&h, 1, ev(TID, NVMX_EV_ENTRY, 2200, 0, 0, 0));
	h_cyc(&h, 2, ev(TID, NVMX_EV_EXIT, 2500, SVM, SVM_VMRUN, 0));
	h_cyc(&h, 2, ev(TID, NVMX_EV_NESTED_VMENTER, 2600, SVM, 0, 0));
	h_cyc(&h, 2, ev(TID, NVMX_EV_ENTRY, 2700, 0, 0, 0));
	h_compare(&h, &c);
	cr_assert_eq(c.n_bds, 1);
	cr_assert_eq(c.bds[0].v.count, 2);
	cr_assert_eq(c.bds[0].v.cycles_count, 1);
	cr_assert_eq(c.bds[0].v.sum_cycles[NVMX_RT_ROUND_TRIP], 3 * 700);
	cr_assert_eq(c.bds[0].v.sum_cycles[NVMX_RT_L1_EXIT_SERVICE], 3 * 50);
	nvmx_counters_free(&c);
	h_free(&h);
}

/* An L2 exit that interrupted an event, EXITINTINFO / IDT-vectoring info as the record has it. */
static struct nvmx_event vec_ev(__u32 kind, __u64 ts, __u32 isa, __u32 reason, __u32 vectoring)
{
	struct nvmx_event e = ev(TID, kind, ts, isa, reason, 0);

	if (isa == VMX)
		e.info2 = vectoring;
	else
		e.intr_info = vectoring;
	e.value = 0xffffffff81000000ull + ts; /* the rip */
	return e;
}

static struct nvmx_event inj_ev(__u32 kind, __u64 ts, __u32 vector, bool reinjected)
{
	struct nvmx_event e = ev(TID, kind, ts, 0, vector, 0);

	e.flags = reinjected ? NVMX_EV_F_REINJECTED : 0;
	return e;
}

/* What nvmx_anomalies held: lost events' details and new threads (struct nvmx_thread_seen). */
struct anomalies {
	struct nvmx_anomaly got;
	size_t n_anomalies, n_threads;
	struct nvmx_thread_seen thread;
};

static int on_anomaly(void *ctx, void *data, size_t size)
{
	struct anomalies *a = ctx;

	if (size == sizeof(struct nvmx_thread_seen)) {
		memcpy(&a->thread, data, sizeof(a->thread));
		a->n_threads++;
		return 0;
	}
	cr_assert_eq(size, sizeof(struct nvmx_anomaly));
	memcpy(&a->got, data, sizeof(struct nvmx_anomaly));
	a->n_anomalies++;
	return 0;
}

Test(bpf_diff, interrupted_event_deliveries_count_the_same)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	svm_reflected(&h, TGID, TID, 1000);
	/* SVM: #GP during INT 0x21, reflected with EXITINTINFO: handed to L1 */
	h_event(&h, TGID, vec_ev(NVMX_EV_EXIT, 2000, SVM, 0x4d, 0x80000421));
	h_event(&h, TGID, vec_ev(NVMX_EV_NESTED_VMEXIT, 2010, SVM, 0x4d, 0x80000421));
	h_event(&h, TGID, vec_ev(NVMX_EV_NESTED_VMEXIT_INJECT, 2100, SVM, 0x4d, 0x80000421));
	E(NVMX_EV_ENTRY, 2200, 0, 0, 0);
	E(NVMX_EV_EXIT, 2300, SVM, SVM_VMRUN, 0);
	E(NVMX_EV_NESTED_VMENTER, 2400, SVM, 0, 0);
	E(NVMX_EV_ENTRY, 2500, 0, 0, 0);
	/* NPF during an external interrupt's delivery, L0 reinjects it */
	h_event(&h, TGID, vec_ev(NVMX_EV_EXIT, 3000, SVM, SVM_NPF, 0x80000030));
	h_event(&h, TGID, vec_ev(NVMX_EV_NESTED_VMEXIT, 3010, SVM, SVM_NPF, 0x80000030));
	h_event(&h, TGID, inj_ev(NVMX_EV_INJ_VIRQ, 3100, 0x30, true));
	E(NVMX_EV_ENTRY, 3200, 0, 0, 0);
	/* the same, with no reinjection: lost */
	h_event(&h, TGID, vec_ev(NVMX_EV_EXIT, 4000, SVM, SVM_NPF, 0x80000b0e));
	h_event(&h, TGID, vec_ev(NVMX_EV_NESTED_VMEXIT, 4010, SVM, SVM_NPF, 0x80000b0e));
	E(NVMX_EV_ENTRY, 4200, 0, 0, 0);
	h_compare(&h, &c);
	cr_assert_eq(c.n_vecs, 3);
	cr_assert_eq(c.self[NVMX_SELF_ANOMALY_DROPPED], 0);
	/*
	 * the lost one, with its details, in the anomaly ring buffer; before it, the one thread's
	 * creation (nvmxd names its VM from it), once for its many events
	 */
	{
		struct anomalies a = { 0 };
		struct nvmx_anomaly got;
		struct ring_buffer *rb = ring_buffer__new(
			bpf_map__fd(h.bpf.skel->maps.nvmx_anomalies), on_anomaly, &a, NULL);

		cr_assert(rb);
		cr_assert_eq(ring_buffer__consume(rb), 2);
		ring_buffer__free(rb);
		cr_assert_eq(a.n_threads, 1);
		cr_assert_eq(a.thread.tgid, TGID);
		cr_assert_eq(a.thread.tid, TID);
		cr_assert_eq(a.n_anomalies, 1);
		got = a.got;
		cr_assert_eq(got.tgid, TGID);
		cr_assert_eq(got.tid, TID);
		cr_assert_eq(got.vcpu_id, 0);
		cr_assert_eq(got.isa, SVM);
		cr_assert_eq(got.reason, SVM_NPF);
		cr_assert_eq(got.type, NVMX_VEC_HW_EXCEPTION);
		cr_assert_eq(got.vector, 0x0e);
		cr_assert_eq(got.rip, 0xffffffff81000000ull + 4010);
		cr_assert_eq(got.ts_ns, 4000);
	}
	nvmx_counters_free(&c);
	h_free(&h);
}

static const char *test_vm_name(void *ctx, uint32_t tgid)
{
	return tgid == TGID ? "test-vm" : "?";
}

Test(bpf_diff, a_lost_event_is_one_line_of_nvmxd_log)
{
	struct nvmxd_turtles *t;
	struct harness h;
	struct nvmx_counters c;
	char *log = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&log, &len);

	cr_assert(f);
	h_init(&h, false);
	svm_reflected(&h, TGID, TID, 1000);
	h_event(&h, TGID, vec_ev(NVMX_EV_EXIT, 4000, SVM, SVM_NPF, 0x80000b0e));
	h_event(&h, TGID, vec_ev(NVMX_EV_NESTED_VMEXIT, 4010, SVM, SVM_NPF, 0x80000b0e));
	E(NVMX_EV_ENTRY, 4200, 0, 0, 0);
	h_compare(&h, &c);
	cr_assert_eq(nvmxd_turtles_new(f, test_vm_name, NULL, &t), 0);
	cr_assert_eq(nvmxd_turtles_start(t, bpf_map__fd(h.bpf.skel->maps.nvmx_anomalies),
					 bpf_map__fd(h.bpf.skel->maps.nvmx_cycles)),
		     0);
	/* the thread's creation (names its VM, no line) and the lost event */
	cr_assert_eq(nvmxd_turtles_poll(t), 2);
	cr_assert_eq(nvmxd_turtles_lost_events(t), 1);
	nvmxd_turtles_free(t);
	fclose(f);
	cr_assert_str_eq(log,
			 "nvmxd: lost event: VM test-vm (pid 1000) vCPU 0 (thread 1001): "
			 "hw_exception vector 0xe interrupted by L2 exit svm npf at rip "
			 "0xffffffff81000faa was neither reinjected into L2 nor handed to L1\n");
	free(log);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, l0_handled_msr_exit_counts_the_same_with_its_index)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	E(NVMX_EV_EXIT, 100, SVM, SVM_MSR, 0); /* EXITINFO1 0: RDMSR */
	E(NVMX_EV_NESTED_VMEXIT, 110, SVM, SVM_MSR, 0);
	h_event(&h, TGID, msr_ev(TID, 120, 0x1b, false));
	E(NVMX_EV_ENTRY, 5000, 0, 0, 0);
	E(NVMX_EV_EXIT, 6000, SVM, SVM_MSR, 1); /* WRMSR */
	E(NVMX_EV_NESTED_VMEXIT, 6010, SVM, SVM_MSR, 1);
	h_event(&h, TGID, msr_ev(TID, 6020, 0xc0000080, true));
	E(NVMX_EV_ENTRY, 7000, 0, 0, 0);
	h_compare(&h, &c);
	cr_assert_eq(out_count(&c, TID, SVM, SVM_MSR, NVMX_OUT_L2_BY_L0), 2);
	cr_assert_eq(c.n_msrs, 2);
	nvmx_counters_free(&c);
	h_free(&h);
}

/*
 * A reflected WRMSR named by L2's RCX, its round trip (the reflected entry's cost), and L1's own
 * exits in the handler (an emulated RDMSR, an OUT): every MSR/port value the same on both sides.
 */
Test(bpf_diff, reflected_msr_by_rcx_and_l1_own_exits_count_the_same_with_costs)
{
	struct nvmx_event rcx = ev(TID, NVMX_EV_GUEST_RCX, 115, 0, 0, 0);
	struct harness h;
	struct nvmx_counters c;
	int reflected = 0, own = 0;

	rcx.value = 0x174;
	rcx.msr = 0x174;
	h_init(&h, false);
	E(NVMX_EV_EXIT, 100, SVM, SVM_MSR, 1);
	h_event(&h, TGID, rcx);
	E(NVMX_EV_NESTED_VMEXIT, 120, SVM, SVM_MSR, 1);
	E(NVMX_EV_NESTED_VMEXIT_INJECT, 300, SVM, SVM_MSR, 1);
	E(NVMX_EV_ENTRY, 400, 0, 0, 0);
	E(NVMX_EV_EXIT, 500, SVM, SVM_MSR, 0);
	h_event(&h, TGID, msr_ev(TID, 510, 0x1b, false));
	E(NVMX_EV_ENTRY, 800, 0, 0, 0);
	E(NVMX_EV_EXIT, 900, SVM, SVM_IOIO, 0xf0010010);
	E(NVMX_EV_ENTRY, 950, 0, 0, 0);
	E(NVMX_EV_EXIT, 1000, SVM, SVM_VMRUN, 0);
	E(NVMX_EV_NESTED_VMENTER, 1100, SVM, 0, 0);
	E(NVMX_EV_ENTRY, 1300, 0, 0, 0);
	h_compare(&h, &c);
	for (size_t i = 0; i < c.n_msrs; i++) {
		if (c.msrs[i].key.msr == 0x174 && c.msrs[i].key.handled_by == NVMX_V_BY_L1) {
			reflected++;
			cr_assert_eq(c.msrs[i].v.count, 1);
			cr_assert_eq(c.msrs[i].v.sum_ns, 1200, "the round trip, 100 -> 1300");
		}
		if (c.msrs[i].key.msr == 0x1b && c.msrs[i].key.handled_by == NVMX_V_BY_NONE) {
			own++;
			cr_assert_eq(c.msrs[i].v.sum_ns, 300);
		}
	}
	cr_assert_eq(reflected, 1);
	cr_assert_eq(own, 1);
	cr_assert_eq(c.n_ports, 1);
	cr_assert_eq(c.ports[0].key.handled_by, NVMX_V_BY_NONE);
	nvmx_counters_free(&c);
	h_free(&h);
}

/*
 * Two vCPU threads whose tids share a state slot (tid & (NVMX_SLOTS - 1)): the first claims the
 * slot, the second lives in the LRU hash; interleaved, both are modelled apart, and the end of
 * the capture finds both (the slot through its marker in nvmx_threads).
 */
Test(bpf_diff, threads_sharing_a_state_slot_are_kept_apart)
{
	const __u32 a = 2001, b = 2001 + NVMX_SLOTS;
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	for (__u64 i = 0; i < 5; i++) {
		svm_reflected(&h, TGID, a, 10000 * i);
		svm_reflected(&h, TGID + 1, b, 10000 * i + 5000);
	}
	/* both left with an exit pending: the end makes each unattributed, once */
	h_event(&h, TGID, ev(a, NVMX_EV_EXIT, 90000, SVM, SVM_CPUID, 0));
	h_event(&h, TGID + 1, ev(b, NVMX_EV_EXIT, 90001, SVM, SVM_CPUID, 0));
	h_compare(&h, &c);
	cr_assert_eq(out_count(&c, a, SVM, SVM_CPUID, NVMX_OUT_L2_BY_L1), 5);
	cr_assert_eq(out_count(&c, b, SVM, SVM_CPUID, NVMX_OUT_L2_BY_L1), 5);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, synthesised_exits_count_the_same)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	/* 6.12 intr capture: L2 `out 0x81` goes to the VMM, which sends L1 an MSI */
	E(NVMX_EV_EXIT, 100, SVM, SVM_IOIO, 0x810010);
	E(NVMX_EV_NESTED_VMEXIT, 110, SVM, SVM_IOIO, 0x810010);
	E(NVMX_EV_USERSPACE_EXIT, 120, 0, 2, 0);
	E(NVMX_EV_NESTED_INTR_VMEXIT, 130, 0, 0, 0);
	E(NVMX_EV_NESTED_VMEXIT_INJECT, 140, SVM, SVM_INTR, 0);
	E(NVMX_EV_ENTRY, 150, 0, 0, 0);
	E(NVMX_EV_EXIT, 160, SVM, SVM_VMRUN, 0);
	E(NVMX_EV_NESTED_VMENTER, 170, SVM, 0, 0);
	E(NVMX_EV_ENTRY, 180, 0, 0, 0);
	/* VMX: an external interrupt exit to L1 with no L2 exit before it */
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_NESTED_VMEXIT_INJECT, 200, VMX, VMX_EXTINT, 0));
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_ENTRY, 210, 0, 0, 0));
	h_compare(&h, &c);
	cr_assert_eq(out_count(&c, TID, SVM, SVM_IOIO, NVMX_OUT_L2_BY_L0), 1);
	cr_assert_eq(out_count(&c, TID, SVM, SVM_INTR, NVMX_OUT_SYNTHESIZED_TO_L1), 1);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, l1_exits_while_l1_handles_a_reflected_exit_count_the_same)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	E(NVMX_EV_EXIT, 100, VMX, VMX_CPUID, 0);
	E(NVMX_EV_NESTED_VMEXIT, 110, VMX, VMX_CPUID, 0);
	E(NVMX_EV_NESTED_VMEXIT_INJECT, 120, VMX, VMX_CPUID, 0);
	E(NVMX_EV_ENTRY, 130, 0, 0, 0);
	/* L1's handler: an RDMSR L0 emulates, then VMRESUME */
	E(NVMX_EV_EXIT, 140, VMX, VMX_MSR_READ, 0);
	h_event(&h, TGID, msr_ev(TID, 150, 0x1b, false));
	E(NVMX_EV_ENTRY, 160, 0, 0, 0);
	E(NVMX_EV_EXIT, 170, VMX, VMX_VMRESUME, 0);
	E(NVMX_EV_NESTED_VMENTER, 180, VMX, 0, 0);
	E(NVMX_EV_ENTRY, 190, 0, 0, 0);
	h_compare(&h, &c);
	cr_assert_eq(out_count(&c, TID, VMX, VMX_MSR_READ, NVMX_OUT_L1_EXIT), 1);
	cr_assert_eq(out_count(&c, TID, VMX, VMX_VMRESUME, NVMX_OUT_L1_EXIT), 1);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, exit_to_the_vmm_counts_the_same)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	/* VMX `out 0x81`, 1 byte: qualification port << 16, size - 1 = 0, OUT */
	E(NVMX_EV_EXIT, 100, VMX, VMX_IO, 0x810000);
	E(NVMX_EV_NESTED_VMEXIT, 110, VMX, VMX_IO, 0x810000);
	E(NVMX_EV_USERSPACE_EXIT, 120, 0, 2, 0);
	E(NVMX_EV_ENTRY, 9000, 0, 0, 0);
	h_compare(&h, &c);
	cr_assert_eq(out_count(&c, TID, VMX, VMX_IO, NVMX_OUT_L2_BY_L0), 1);
	cr_assert_eq(c.n_ports, 1);
	cr_assert_eq(c.ports[0].key.port, 0x81);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, failed_nested_entry_counts_the_same)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	E(NVMX_EV_EXIT, 100, VMX, VMX_VMLAUNCH, 0);
	E(NVMX_EV_NESTED_VMENTER_FAILED, 110, 0, 0, 0);
	E(NVMX_EV_NESTED_VMEXIT_INJECT, 120, VMX, VMX_INVALID_STATE | NVMX_VMX_FAILED_VMENTRY, 0);
	E(NVMX_EV_ENTRY, 130, 0, 0, 0);
	h_compare(&h, &c);
	cr_assert_eq(out_count(&c, TID, 0, 0, NVMX_OUT_NESTED_ENTRY_FAILED) +
			     out_count(&c, TID, VMX, 0, NVMX_OUT_NESTED_ENTRY_FAILED),
		     1);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, mid_stream_attach_counts_the_same)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	/* attached while L0 delivered a reflected exit: the inject cannot be attributed */
	E(NVMX_EV_NESTED_VMEXIT_INJECT, 100, SVM, SVM_VMMCALL, 0);
	E(NVMX_EV_ENTRY, 110, 0, 0, 0);
	E(NVMX_EV_EXIT, 120, SVM, SVM_VMRUN, 0);
	E(NVMX_EV_NESTED_VMENTER, 130, SVM, 0, 0);
	E(NVMX_EV_ENTRY, 140, 0, 0, 0);
	/* another thread attached between kvm_exit and kvm_nested_vmexit */
	h_event(&h, TGID, ev(TID + 5, NVMX_EV_NESTED_VMEXIT, 150, SVM, SVM_CPUID, 0));
	h_event(&h, TGID, ev(TID + 5, NVMX_EV_NESTED_VMEXIT_INJECT, 160, SVM, SVM_CPUID, 0));
	/* and one that starts with an entry, then a lost stretch, then a pending exit at the end */
	h_event(&h, TGID, ev(TID + 6, NVMX_EV_ENTRY, 170, 0, 0, 0));
	h_event(&h, TGID, ev(TID + 6, NVMX_EV_EXIT, 180, SVM, SVM_NPF, 0));
	h_lost(&h);
	h_event(&h, TGID, ev(TID + 6, NVMX_EV_EXIT, 190, SVM, SVM_MSR, 0));
	h_event(&h, TGID, msr_ev(TID + 6, 195, 0x10, false));
	h_compare(&h, &c);
	cr_assert_eq(out_count(&c, TID, SVM, SVM_VMMCALL, NVMX_OUT_UNATTRIBUTED), 1);
	cr_assert_eq(out_count(&c, TID + 5, SVM, SVM_CPUID, NVMX_OUT_L2_BY_L1), 1);
	cr_assert_eq(out_count(&c, TID + 6, SVM, SVM_MSR, NVMX_OUT_L1_EXIT), 1);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, interleaved_vcpu_threads_of_two_vms_count_the_same)
{
	struct harness h;
	struct nvmx_counters c;
	__u64 t = 1000;

	h_init(&h, false);
	/* vCPU 0 of two VMs (same vcpu_id, different threads), events interleaved */
	for (int i = 0; i < 5; i++, t += 100) {
		h_event(&h, 2000, ev(2001, NVMX_EV_EXIT, t, SVM, SVM_CPUID, 0));
		h_event(&h, 3000, ev(3001, NVMX_EV_EXIT, t + 1, VMX, VMX_CPUID, 0));
		h_event(&h, 2000, ev(2001, NVMX_EV_NESTED_VMEXIT, t + 2, SVM, SVM_CPUID, 0));
		h_event(&h, 3000, ev(3001, NVMX_EV_NESTED_VMEXIT, t + 3, VMX, VMX_CPUID, 0));
		h_event(&h, 3000, ev(3001, NVMX_EV_NESTED_VMEXIT_INJECT, t + 4, VMX, VMX_CPUID, 0));
		h_event(&h, 2000, ev(2001, NVMX_EV_ENTRY, t + 5, 0, 0, 0));
		h_event(&h, 3000, ev(3001, NVMX_EV_ENTRY, t + 6, 0, 0, 0));
		h_event(&h, 3000, ev(3001, NVMX_EV_EXIT, t + 7, VMX, VMX_VMRESUME, 0));
		h_event(&h, 3000, ev(3001, NVMX_EV_NESTED_VMENTER, t + 8, VMX, 0, 0));
		h_event(&h, 3000, ev(3001, NVMX_EV_ENTRY, t + 9, 0, 0, 0));
	}
	h_compare(&h, &c);
	cr_assert_eq(out_count(&c, 2001, SVM, SVM_CPUID, NVMX_OUT_L2_BY_L0), 5);
	cr_assert_eq(out_count(&c, 3001, VMX, VMX_CPUID, NVMX_OUT_L2_BY_L1), 5);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, both_isas_ports_and_msrs_count_the_same)
{
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	/* SVM `out 0x80`, 1 byte, reflected: IOIO EXITINFO1 port << 16 | SZ8 (bit 4) */
	E(NVMX_EV_EXIT, 100, SVM, SVM_IOIO, 0x800010);
	E(NVMX_EV_NESTED_VMEXIT, 110, SVM, SVM_IOIO, 0x800010);
	E(NVMX_EV_NESTED_VMEXIT_INJECT, 120, SVM, SVM_IOIO, 0x800010);
	E(NVMX_EV_ENTRY, 130, 0, 0, 0);
	/* VMX `in 0x80`, 4 bytes, reflected: qualification size-1 = 3, IN = bit 3 */
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_EXIT, 200, VMX, VMX_IO, 0x80000b));
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_NESTED_VMEXIT, 210, VMX, VMX_IO, 0x80000b));
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_NESTED_VMEXIT_INJECT, 220, VMX, VMX_IO, 0x80000b));
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_ENTRY, 230, 0, 0, 0));
	/* VMX RDMSR reflected (index unknown) and WRMSR handled by L0 */
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_EXIT, 300, VMX, VMX_MSR_READ, 0));
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_NESTED_VMEXIT, 310, VMX, VMX_MSR_READ, 0));
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_NESTED_VMEXIT_INJECT, 320, VMX, VMX_MSR_READ, 0));
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_ENTRY, 330, 0, 0, 0));
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_EXIT, 400, VMX, VMX_MSR_WRITE, 0));
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_NESTED_VMEXIT, 410, VMX, VMX_MSR_WRITE, 0));
	h_event(&h, TGID, msr_ev(TID + 1, 420, 0x6e0, true));
	h_event(&h, TGID, ev(TID + 1, NVMX_EV_ENTRY, 430, 0, 0, 0));
	h_compare(&h, &c);
	cr_assert_eq(c.n_ports, 2);
	cr_assert_eq(c.n_msrs, 2);
	nvmx_counters_free(&c);
	h_free(&h);
}

/* ---- the four shared captures ---- */

/*
 * Feeds a capture's events to both sides (tgid made up: a trace has only the thread), then also
 * compares the BPF side with nvmx_replay_path() of the same file. Returns the BPF counts.
 */
static void capture_file(const char *name, const char *file, bool record, struct harness *h,
			 struct nvmx_counters *c)
{
	char path[512];
	struct nvmx_reader *rd = NULL;
	struct nvmx_summary *replayed = NULL, *got;
	struct nvmx_line ln;
	const char *line;
	long len;
	uint64_t events = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", NVMX_TEST_DATA, name, file);
	h_init(h, record);
	cr_assert_eq(nvmx_reader_open(path, &rd), 0, "%s", path);
	while ((len = nvmx_reader_next(rd, &line)) >= 0) {
		nvmx_parse_line(line, (size_t)len, &ln);
		if (ln.type == NVMX_LINE_EVENT) {
			h_event(h, 4000, ln.ev);
			events++;
		} else if (ln.type == NVMX_LINE_LOST || (ln.type == NVMX_LINE_ENTRIES && ln.lost)) {
			h_lost(h);
		}
	}
	cr_assert_eq(len, -1);
	nvmx_reader_close(rd);
	cr_assert_gt(events, 1000);
	h_compare(h, c);

	cr_assert_eq(nvmx_replay_path(path, &replayed, NULL, stderr), 0);
	got = nvmx_summary_new();
	cr_assert(got);
	cr_assert_eq(nvmx_counters_to_summary(c, 0, 0, got), 0);
	assert_same_summary(replayed, got, name);
	nvmx_summary_free(got);
	nvmx_summary_free(replayed);
}

static void capture(const char *name, bool record, struct harness *h, struct nvmx_counters *c)
{
	capture_file(name, "trace.txt.xz", record, h, c);
}

Test(bpf_diff, capture_svm_6_1_counts_as_replay)
{
	struct harness h;
	struct nvmx_counters c;

	capture("6.1-qemu64-N1000", false, &h, &c);
	/* ground-truth.txt: N = 1000 cpuid reflected */
	cr_assert_eq(out_count(&c, 0, SVM, SVM_CPUID, NVMX_OUT_L2_BY_L1), 1000);
	nvmx_counters_free(&c);
	h_free(&h);
}

/*
 * arm64: the capture of the arm64 lab (every element, N = 50) through the arm64 model in BPF (the
 * events the arm64 programs build, fed to the same handle_event() by the test entry point).
 */
Test(bpf_diff, capture_arm64_7_3_virq_counts_as_replay)
{
	struct harness h;
	struct nvmx_counters c;

	/* tracefs.txt.xz: so named that the x86 golden outputs do not take it */
	capture_file("arm64-7.3-virq", "tracefs.txt.xz", false, &h, &c);
	/* the workload's truth: 51 HVC64 (0x16) and 100 SYS64 (0x18) forwarded to L1 */
	cr_assert_eq(out_count(&c, 0, NVMX_EV_ISA_ARM64, 0x16, NVMX_OUT_L2_BY_L1), 51);
	cr_assert_eq(out_count(&c, 0, NVMX_EV_ISA_ARM64, 0x18, NVMX_OUT_L2_BY_L1), 100);
	nvmx_counters_free(&c);
	h_free(&h);
}

/* arm64: an IRQ L0 injects into L1 at vEL2 (no exit of L2) is counted in nvmx_injs, as lib does */
Test(bpf_diff, arm64_injection_into_l1_counts_as_lib)
{
	struct nvmx_event e;
	struct harness h;
	struct nvmx_counters c;

	h_init(&h, false);
	/* L1 runs (an ERET to itself), takes an interrupt: L0 injects it into vEL2 */
	e = ev(TID, NVMX_EV_NESTED_ERET, 1000, NVMX_EV_ISA_ARM64, 0, 0x9 /* EL2h */);
	h_event(&h, TGID, e);
	h_event(&h, TGID, ev(TID, NVMX_EV_ENTRY, 1100, NVMX_EV_ISA_ARM64, 0, 0));
	h_event(&h, TGID, ev(TID, NVMX_EV_EXIT, 1200, NVMX_EV_ISA_ARM64, 0x100 /* IRQ */, 0));
	e = ev(TID, NVMX_EV_INJECT_NESTED_EXC, 1300, NVMX_EV_ISA_ARM64, 0x80 /* IRQ */, 0);
	e.intr_info = 0x9; /* from EL2h: into L1 itself */
	h_event(&h, TGID, e);
	h_event(&h, TGID, ev(TID, NVMX_EV_ENTRY, 1400, NVMX_EV_ISA_ARM64, 0, 0));
	h_compare(&h, &c);
	cr_assert_eq(c.n_injs, 1);
	cr_assert_eq(c.injs[0].count, 1);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, capture_svm_6_12_intr_counts_as_replay)
{
	struct harness h;
	struct nvmx_counters c;

	capture("6.12-qemu64-intr-N1000", false, &h, &c);
	cr_assert_eq(out_count(&c, 0, SVM, SVM_INTR, NVMX_OUT_SYNTHESIZED_TO_L1), 999);
	nvmx_counters_free(&c);
	h_free(&h);
}

/* Keys per map in a per-CPU hash (the keys, not the CPUs' values). */
static size_t hash_keys(int fd, size_t key_size)
{
	unsigned char key[64], next[64];
	size_t n = 0;

	cr_assert_leq(key_size, sizeof(key));
	for (void *k = NULL; !bpf_map_get_next_key(fd, k, next); k = key, n++)
		memcpy(key, next, key_size);
	return n;
}

/*
 * Runs the rest of the test on one CPU: the front tables are per CPU, and BPF_PROG_TEST_RUN runs
 * the program on the caller's CPU, so a test that moved between CPUs would claim slots on several.
 */
static void on_one_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	cr_assert_geq(cpu, 0, "sched_getcpu: %s", strerror(errno));
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	cr_assert_eq(sched_setaffinity(0, sizeof(set), &set), 0, "sched_setaffinity: %s",
		     strerror(errno));
}

/*
 * The front tables (nvmx/maps.h) with one slot: the first key of each table takes it, every
 * other key the hash, and the reader's sum of both still equals replay (capture() compares every
 * count), with the hash really used.
 */
Test(bpf_diff, capture_counts_as_replay_when_the_front_tables_are_full)
{
	struct harness h;
	struct nvmx_counters c;

	front_mask = 0;
	on_one_cpu();
	capture("6.12-qemu64-intr-N1000", false, &h, &c);
	cr_assert_eq(out_count(&c, 0, SVM, SVM_INTR, NVMX_OUT_SYNTHESIZED_TO_L1), 999);
	cr_assert_gt(
		hash_keys(bpf_map__fd(h.bpf.skel->maps.nvmx_exits), sizeof(struct nvmx_exit_key)),
		1);
	cr_assert_gt(
		hash_keys(bpf_map__fd(h.bpf.skel->maps.nvmx_breakdown), sizeof(struct nvmx_bd_key)),
		0);
	nvmx_counters_free(&c);
	h_free(&h);
}

/*
 * Most of the keys of a table (keys of them, what names it) are in its front slots: at most a
 * quarter in the hash (hash_fd, keys of key_size bytes).
 */
static void assert_mostly_front(int hash_fd, size_t key_size, size_t keys, size_t at_least,
				const char *what)
{
	size_t in_hash = hash_keys(hash_fd, key_size);

	cr_assert_geq(keys, at_least, "%zu %s keys", keys, what);
	cr_assert_leq(in_hash * 4, keys, "%zu of %zu %s keys in the hash", in_hash, keys, what);
}

/*
 * The default: most of a capture's keys are counted in their front slots (of this capture's 16
 * exit keys, one collides in the 256-slot table with nvmx_front_index(); breakdown keys, which
 * carry the vCPU thread, may collide in their 64-slot one too), the rest in the hash.
 */
Test(bpf_diff, most_keys_are_counted_in_the_front_tables)
{
	struct harness h;
	struct nvmx_counters c;

	on_one_cpu();
	capture("6.12-qemu64-intr-N1000", false, &h, &c);
	assert_mostly_front(bpf_map__fd(h.bpf.skel->maps.nvmx_exits), sizeof(struct nvmx_exit_key),
			    c.n_exits, 9, "exit");
	assert_mostly_front(bpf_map__fd(h.bpf.skel->maps.nvmx_breakdown),
			    sizeof(struct nvmx_bd_key), c.n_bds, 1, "breakdown");
	nvmx_counters_free(&c);
	h_free(&h);
}

/*
 * KVM as L1 (tests/data/real-l1/kvm: L0's capture of a real --l1 kvm lab run): its round trips
 * hold 6-8 distinct L1 exit reasons each, counted in nvmx_bd_l1's front table (nvmx/maps.h) and,
 * past its slots, in the hash; both as replay, every key.
 */
Test(bpf_diff, capture_kvm_as_l1_counts_as_replay_in_the_bd_l1_front)
{
	struct harness h;
	struct nvmx_counters c;

	on_one_cpu();
	capture_file("real-l1/kvm", "l0-trace-excerpt.txt.xz", false, &h, &c);
	assert_mostly_front(bpf_map__fd(h.bpf.skel->maps.nvmx_bd_l1), sizeof(struct nvmx_bd_l1_key),
			    c.n_bd_l1s, 9, "bd_l1");
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, capture_kvm_as_l1_counts_as_replay_when_the_front_tables_are_full)
{
	struct harness h;
	struct nvmx_counters c;

	front_mask = 0;
	on_one_cpu();
	capture_file("real-l1/kvm", "l0-trace-excerpt.txt.xz", false, &h, &c);
	cr_assert_gt(
		hash_keys(bpf_map__fd(h.bpf.skel->maps.nvmx_bd_l1), sizeof(struct nvmx_bd_l1_key)),
		1);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, capture_vmx_6_12_counts_as_replay)
{
	struct harness h;
	struct nvmx_counters c;

	capture("vmx-6.12-n1000", false, &h, &c);
	cr_assert_eq(out_count(&c, 0, VMX, VMX_VMCALL, NVMX_OUT_L2_BY_L1), 1000);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, capture_vmx_6_12_intr_counts_as_replay)
{
	struct harness h;
	struct nvmx_counters c;

	capture("vmx-6.12-intr-n1000", false, &h, &c);
	cr_assert_eq(out_count(&c, 0, VMX, VMX_EXTINT, NVMX_OUT_SYNTHESIZED_TO_L1), 999);
	nvmx_counters_free(&c);
	h_free(&h);
}

/* ---- recording: the ring buffer, formatted by lib/record.c, replays to the same counts ---- */

struct rec_ctx {
	FILE *f;
	uint64_t n;
};

static int on_rec(void *ctx, void *data, size_t size)
{
	struct rec_ctx *r = ctx;
	const struct nvmx_record *rec = data;
	char comm[NVMX_COMM_LEN + 1], line[512];
	int n;

	cr_assert_geq(size, sizeof(*rec));
	memcpy(comm, rec->comm, NVMX_COMM_LEN);
	comm[NVMX_COMM_LEN] = '\0';
	n = nvmx_record_format(&rec->ev, comm, rec->cpu, line, sizeof(line));
	cr_assert_gt(n, 0);
	fprintf(r->f, "%s\n", line);
	r->n++;
	return 0;
}

Test(bpf_diff, recording_of_a_capture_replays_to_the_bpf_counts)
{
	char path[] = "/tmp/nvmx_test_recording_XXXXXX";
	struct rec_ctx r = { 0 };
	struct ring_buffer *rb;
	struct nvmx_summary *replayed = NULL, *got;
	struct nvmx_replay_stats st;
	struct harness h;
	struct nvmx_counters c;
	int fd;

	capture("6.12-qemu64-intr-N1000", true, &h, &c);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	r.f = fdopen(fd, "w");
	cr_assert(r.f);
	cr_assert_eq(nvmx_record_write_header(r.f, "tests/bpf"), 0);
	rb = ring_buffer__new(bpf_map__fd(h.bpf.skel->maps.nvmx_events), on_rec, &r, NULL);
	cr_assert(rb);
	cr_assert_geq(ring_buffer__consume(rb), 0);
	ring_buffer__free(rb);
	fclose(r.f);
	cr_assert_eq(c.self[NVMX_SELF_RINGBUF_DROPPED], 0);
	cr_assert_eq(r.n, c.self[NVMX_SELF_EVENTS], "records %llu, events %llu",
		     (unsigned long long)r.n, (unsigned long long)c.self[NVMX_SELF_EVENTS]);

	cr_assert_eq(nvmx_replay_path(path, &replayed, &st, stderr), 0);
	cr_assert_eq(st.malformed, 0);
	got = nvmx_summary_new();
	cr_assert(got);
	cr_assert_eq(nvmx_counters_to_summary(&c, 0, 0, got), 0);
	assert_same_summary(replayed, got, "replay of the recording");
	nvmx_summary_free(got);
	nvmx_summary_free(replayed);
	unlink(path);
	nvmx_counters_free(&c);
	h_free(&h);
}

/* ---- knobs and self-metrics ---- */

Test(bpf_diff, ring_buffer_drops_are_counted_and_lose_no_counts)
{
	struct nvmx_bpf *skel;
	struct harness h;
	struct nvmx_counters c;
	int err;

	cr_assert_eq(geteuid(), 0, "tests/bpf needs root (CAP_BPF); a failure, not a skip");
	memset(&h, 0, sizeof(h));
	h.ref.total = nvmx_summary_new();
	skel = nvmx_bpf__open();
	cr_assert(skel);
	skel->rodata->targ_record = 1;
	/* one page holds about 39 records of 104 bytes: nobody consumes, the rest is dropped */
	cr_assert_eq(bpf_map__set_max_entries(skel->maps.nvmx_events, 4096), 0);
	/* the drops per CPU, as src/loader.c sizes them and nvmxd mmaps them */
	cr_assert_eq(
		bpf_map__set_max_entries(skel->maps.nvmx_drops, (__u32)libbpf_num_possible_cpus()),
		0);
	without_svm_programs_unless_kvm_amd(skel);
	err = nvmx_bpf__load(skel);
	cr_assert_eq(err, 0, "%s", strerror(-err));
	h.bpf.skel = skel;
	h.bpf.prog_fd = bpf_program__fd(skel->progs.nvmx_test_event);
	for (__u64 t = 0; t < 30; t++)
		svm_reflected(&h, TGID, TID, 1000 * (t + 1));
	h_compare(&h, &c);
	cr_assert_gt(c.self[NVMX_SELF_RINGBUF_DROPPED], 0);
	cr_assert_eq(c.self[NVMX_SELF_RINGBUF_DROPPED] + c.self[NVMX_SELF_RINGBUF_SENT],
		     c.self[NVMX_SELF_EVENTS]);
	cr_assert_eq(c.self[NVMX_SELF_EVENTS], 30 * 7);
	/* read as nvmxd reads them (mmap, no syscall): the same drops, per CPU */
	{
		int ncpus = libbpf_num_possible_cpus();
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		size_t len = ((size_t)ncpus * sizeof(__u64) + page - 1) & ~(page - 1);
		const __u64 *drops = mmap(NULL, len, PROT_READ, MAP_SHARED,
					  bpf_map__fd(skel->maps.nvmx_drops), 0);
		__u64 sum = 0;

		cr_assert_neq(drops, MAP_FAILED, "mmap nvmx_drops: %s", strerror(errno));
		for (int cpu = 0; cpu < ncpus; cpu++)
			sum += drops[cpu];
		munmap((void *)drops, len);
		cr_assert_eq(sum, c.self[NVMX_SELF_RINGBUF_DROPPED]);
	}
	/* the counters saw every event: dropping records loses no count */
	cr_assert_eq(out_count(&c, TID, SVM, SVM_CPUID, NVMX_OUT_L2_BY_L1), 30);
	nvmx_counters_free(&c);
	h_free(&h);
}

Test(bpf_diff, pid_knob_counts_only_that_vmm)
{
	struct nvmx_bpf *skel;
	struct bpf_side b;
	struct nvmx_counters c;
	struct nvmxd_maps m;
	int err;

	cr_assert_eq(geteuid(), 0, "tests/bpf needs root (CAP_BPF); a failure, not a skip");
	skel = nvmx_bpf__open();
	cr_assert(skel);
	skel->rodata->targ_tgid = 2000;
	without_svm_programs_unless_kvm_amd(skel);
	err = nvmx_bpf__load(skel);
	cr_assert_eq(err, 0, "%s", strerror(-err));
	b.skel = skel;
	b.prog_fd = bpf_program__fd(skel->progs.nvmx_test_event);
	for (__u32 tgid = 2000; tgid <= 3000; tgid += 1000) {
		struct nvmx_event e = ev(tgid + 1, NVMX_EV_EXIT, 10, SVM, SVM_VMRUN, 0);

		bpf_step(&b, &e, tgid);
		e = ev(tgid + 1, NVMX_EV_ENTRY, 20, 0, 0, 0);
		bpf_step(&b, &e, tgid);
	}
	m = NVMXD_MAPS_OF(skel);
	memset(&c, 0, sizeof(c));
	cr_assert_eq(nvmxd_counts_read(&c, &m), 0);
	cr_assert_eq(c.self[NVMX_SELF_EVENTS], 2);
	cr_assert_eq(c.n_exits, 1);
	cr_assert_eq(c.exits[0].key.tgid, 2000);
	cr_assert_eq(out_count(&c, 2001, SVM, SVM_VMRUN, NVMX_OUT_L1_EXIT), 1);
	nvmx_counters_free(&c);
	nvmx_bpf__destroy(skel);
}
