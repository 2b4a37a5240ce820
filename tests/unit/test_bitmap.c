// SPDX-License-Identifier: GPL-2.0
/*
 * The bitmap advisor's rows (lib/bitmap.c) from short synthetic event sequences run through the
 * model: which handler and cost each MSR/port exit gets, and the mechanism KVM's rules give it.
 * VMX rules: only a short list of MSRs is merged (nested_vmx_prepare_msr_bitmap), every port
 * exits (unconditional I/O exiting); the same sequences on SVM for contrast.
 */
#include <criterion/criterion.h>

#include "model_helpers.h"
#include "nvmx/counts.h"
#include "nvmx/counted.h"
#include "nvmx/bitmap.h"

#define VMX_MSR_WRITE 32u
#define K6_1	      6001u
#define K6_12	      6012u

struct seq {
	struct nvmx_vcpu_state st;
	struct nvmx_summary *s;
	__u64 t;
};

static void seq_init(struct seq *q)
{
	memset(q, 0, sizeof(*q));
	q->s = nvmx_summary_new();
	cr_assert_not_null(q->s);
	q->t = 1000;
	/* L1 enters L2: the thread is known to run L2 from here on */
	q->st.state = NVMX_ST_L2_RUNNING;
}

static void step(struct seq *q, struct nvmx_event e)
{
	struct nvmx_verdicts out;

	nvmx_model_step(&q->st, &e, &out);
	for (__u32 i = 0; i < out.n; i++)
		cr_assert_eq(nvmx_summary_add_verdict(q->s, &out.v[i]), 0);
}

static struct nvmx_event rcx_ev(__u64 ts, __u32 rcx)
{
	struct nvmx_event e = ev(NVMX_EV_GUEST_RCX, ts, 0, 0, 0);

	e.value = rcx;
	e.msr = rcx;
	return e;
}

/* An L2 RDMSR/WRMSR that L0 emulates: exit, nested exit, kvm_msr, entry after ns. */
static void l2_msr_in_l0(struct seq *q, __u32 isa, __u32 msr, int write, __u64 ns)
{
	__u32 reason = isa == VMX ? (write ? VMX_MSR_WRITE : VMX_MSR_READ) : SVM_MSR;
	__u64 info1 = isa == VMX ? 0 : (__u64)write;

	step(q, EXIT_I(q->t, isa, reason, info1));
	step(q, rcx_ev(q->t + 1, msr));
	step(q, NESTED_I(q->t + 2, isa, reason, info1));
	step(q, MSR_EV(q->t + 3, msr, write));
	step(q, ENTRY(q->t + ns));
	q->t += ns + 100;
}

/* An L2 port access L0 handles: exit, nested exit, entry after ns. */
static void l2_port_in_l0(struct seq *q, __u32 isa, __u16 port, int out, __u64 ns)
{
	__u64 info1 = isa == VMX ? ((__u64)port << 16) | (out ? 0 : 8) /* 1 byte */
				 : ((__u64)port << 16) | 0x10 | (out ? 0 : 1);
	__u32 reason = isa == VMX ? VMX_IO : SVM_IOIO;

	step(q, EXIT_I(q->t, isa, reason, info1));
	step(q, NESTED_I(q->t + 2, isa, reason, info1));
	step(q, ENTRY(q->t + ns));
	q->t += ns + 100;
}

/*
 * An L2 RDMSR that L1 intercepts: reflected (index from L2's RCX), L1 runs its handler with one
 * exit of its own, then VMRESUME/VMRUN; the round trip lasts trip ns.
 */
static void l2_msr_reflected(struct seq *q, __u32 isa, __u32 msr, __u64 trip)
{
	__u32 reason = isa == VMX ? VMX_MSR_READ : SVM_MSR;
	__u32 resume = isa == VMX ? VMX_VMRESUME : SVM_VMRUN;
	__u64 t = q->t;

	step(q, EXIT_I(t, isa, reason, 0));
	step(q, rcx_ev(t + 1, msr));
	step(q, NESTED_I(t + 2, isa, reason, 0));
	step(q, INJECT(t + 10, isa, reason));
	step(q, ENTRY(t + 20));
	step(q, EXIT(t + 30, isa, isa == VMX ? VMX_CPUID : SVM_CPUID));
	step(q, ENTRY(t + 40));
	step(q, EXIT(t + 50, isa, resume));
	step(q, VMENTER(t + 60, isa));
	step(q, ENTRY(t + trip));
	q->t += trip + 100;
}

static const struct nvmx_bm_row *row_of(const struct nvmx_bm_report *r, bool is_msr, __u32 index,
					bool write, enum nvmx_handler h)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct nvmx_bm_row *w = &r->rows[i];

		if (w->is_msr == is_msr && (is_msr ? w->msr : w->port) == index &&
		    w->write == write && w->handled_by == h)
			return w;
	}
	cr_assert_fail("no row for %s 0x%x", is_msr ? "msr" : "port", index);
	return NULL;
}

static struct nvmx_bm_report report(struct seq *q, nvmx_kver kver)
{
	struct nvmx_bm_report r;

	cr_assert_eq(nvmx_bm_report_build(q->s, NULL, kver, &r), 0);
	return r;
}

static void done(struct seq *q, struct nvmx_bm_report *r)
{
	nvmx_bm_report_free(r);
	nvmx_summary_free(q->s);
}

Test(bitmap, vmx_msr_outside_kvms_merge_list_handled_in_l0_always_exits)
{
	struct seq q;
	struct nvmx_bm_report r;
	const struct nvmx_bm_row *w;

	seq_init(&q);
	l2_msr_in_l0(&q, VMX, 0x1b, 0, 400);  /* IA32_APIC_BASE */
	l2_msr_in_l0(&q, VMX, 0x79, 1, 600);  /* microcode trigger */
	l2_msr_in_l0(&q, VMX, 0x174, 0, 500); /* SYSENTER_CS: merged on SVM, not on VMX */
	r = report(&q, K6_12);
	cr_assert_eq(r.n, 3);
	w = row_of(&r, true, 0x1b, false, NVMX_HANDLED_BY_L0);
	cr_assert_eq(w->mechanism, NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(w->count, 1);
	cr_assert_eq(w->sum_ns, 400, "L0's handling, kvm_exit -> kvm_entry");
	cr_assert_str_eq(w->name, "IA32_APIC_BASE");
	cr_assert_eq(row_of(&r, true, 0x79, true, NVMX_HANDLED_BY_L0)->mechanism,
		     NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(row_of(&r, true, 0x174, false, NVMX_HANDLED_BY_L0)->mechanism,
		     NVMX_BM_ALWAYS_EXITS);
	done(&q, &r);
}

Test(bitmap, vmx_merged_msr_handled_in_l0_is_l0s_intercept_merged)
{
	struct seq q;
	struct nvmx_bm_report r;

	seq_init(&q);
	l2_msr_in_l0(&q, VMX, 0xc0000100, 1, 300); /* FS_BASE */
	l2_msr_in_l0(&q, VMX, 0x48, 1, 300);	   /* SPEC_CTRL */
	r = report(&q, K6_12);
	cr_assert_eq(row_of(&r, true, 0xc0000100, true, NVMX_HANDLED_BY_L0)->mechanism,
		     NVMX_BM_L0_MERGED);
	cr_assert_eq(row_of(&r, true, 0x48, true, NVMX_HANDLED_BY_L0)->mechanism,
		     NVMX_BM_L0_MERGED);
	done(&q, &r);
}

Test(bitmap, vmx_flush_cmd_is_merged_from_6_4_not_on_6_1)
{
	struct seq q;
	struct nvmx_bm_report r;

	seq_init(&q);
	l2_msr_in_l0(&q, VMX, 0x10b, 1, 300); /* IA32_FLUSH_CMD */
	r = report(&q, K6_1);
	cr_assert_eq(r.rows[0].mechanism, NVMX_BM_ALWAYS_EXITS);
	nvmx_bm_report_free(&r);
	r = report(&q, K6_12);
	cr_assert_eq(r.rows[0].mechanism, NVMX_BM_L0_MERGED);
	done(&q, &r);
}

Test(bitmap, vmx_port_io_handled_in_l0_always_exits_whatever_the_port)
{
	struct seq q;
	struct nvmx_bm_report r;
	const struct nvmx_bm_row *w;

	seq_init(&q);
	l2_port_in_l0(&q, VMX, 0x81, 1, 200);
	l2_port_in_l0(&q, VMX, 0x3f8, 1, 200);
	l2_port_in_l0(&q, VMX, 0xcfc, 0, 200);
	r = report(&q, K6_12);
	cr_assert_eq(r.n, 3);
	for (size_t i = 0; i < r.n; i++) {
		cr_assert_not(r.rows[i].is_msr);
		cr_assert_eq(r.rows[i].mechanism, NVMX_BM_ALWAYS_EXITS, "port 0x%x",
			     r.rows[i].port);
	}
	w = row_of(&r, false, 0xcfc, false, NVMX_HANDLED_BY_L0);
	cr_assert_eq(w->size, 1);
	done(&q, &r);
}

Test(bitmap, vmx_x2apic_eoi_handled_in_l0_is_l1_not_virtualizing_the_apic)
{
	struct seq q;
	struct nvmx_bm_report r;

	seq_init(&q);
	l2_msr_in_l0(&q, VMX, 0x80b, 1, 300);
	r = report(&q, K6_12);
	cr_assert_eq(r.rows[0].mechanism, NVMX_BM_L1_NO_APICV);
	done(&q, &r);
}

Test(bitmap, reflected_msr_is_l1s_intercept_and_costs_its_round_trip)
{
	struct seq q;
	struct nvmx_bm_report r;
	const struct nvmx_bm_row *w;

	seq_init(&q);
	l2_msr_reflected(&q, VMX, 0x174, 5000);
	l2_msr_reflected(&q, VMX, 0x174, 7000);
	r = report(&q, K6_12);
	w = row_of(&r, true, 0x174, false, NVMX_HANDLED_BY_L1);
	cr_assert_eq(w->mechanism, NVMX_BM_L1_INTERCEPTS);
	cr_assert_eq(w->count, 2);
	cr_assert_eq(w->timed, 2);
	cr_assert_eq(w->sum_ns, 12000, "L2 exit -> entry into L2, both round trips");
	cr_assert_float_eq(w->mean_ns, 6000, 1e-9);
	cr_assert_float_eq(w->cost_ns, 12000, 1e-9);
	done(&q, &r);
}

Test(bitmap, l1s_own_msr_exit_is_its_own_row)
{
	struct seq q;
	struct nvmx_bm_report r;
	const struct nvmx_bm_row *w;

	seq_init(&q);
	q.st.state = NVMX_ST_L1_RUNNING;
	step(&q, EXIT(100, VMX, VMX_MSR_WRITE));
	step(&q, MSR_EV(110, 0x80b, 1));
	step(&q, ENTRY(350));
	r = report(&q, K6_12);
	cr_assert_eq(r.n, 1);
	w = row_of(&r, true, 0x80b, true, NVMX_HANDLED_BY_NONE);
	cr_assert_eq(w->mechanism, NVMX_BM_L1_OWN);
	cr_assert_eq(w->sum_ns, 250);
	cr_assert_str_eq(nvmx_bm_row_handler(w), "L1's own exit");
	done(&q, &r);
}

Test(bitmap, same_accesses_on_svm_follow_svms_rules)
{
	struct seq q;
	struct nvmx_bm_report r;

	seq_init(&q);
	l2_msr_in_l0(&q, SVM, 0x174, 0, 300); /* SYSENTER_CS: in SVM's merge offsets */
	l2_msr_in_l0(&q, SVM, 0x1b, 0, 300);
	l2_msr_in_l0(&q, SVM, 0x80b, 1, 300); /* x2APIC: never merged on SVM */
	l2_port_in_l0(&q, SVM, 0x81, 1, 200);
	r = report(&q, K6_12);
	cr_assert_eq(row_of(&r, true, 0x174, false, NVMX_HANDLED_BY_L0)->mechanism,
		     NVMX_BM_L0_MERGED);
	cr_assert_eq(row_of(&r, true, 0x1b, false, NVMX_HANDLED_BY_L0)->mechanism,
		     NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(row_of(&r, true, 0x80b, true, NVMX_HANDLED_BY_L0)->mechanism,
		     NVMX_BM_ALWAYS_EXITS);
	cr_assert_eq(row_of(&r, false, 0x81, true, NVMX_HANDLED_BY_L0)->mechanism,
		     NVMX_BM_ALWAYS_EXITS);
	done(&q, &r);
}

Test(bitmap, rows_are_ranked_by_total_cost_not_by_count)
{
	struct seq q;
	struct nvmx_bm_report r;

	seq_init(&q);
	for (int i = 0; i < 10; i++)
		l2_msr_in_l0(&q, VMX, 0x1b, 0, 100); /* 10 x 100 ns */
	l2_msr_reflected(&q, VMX, 0x174, 5000);	     /* 1 x 5000 ns */
	l2_port_in_l0(&q, VMX, 0x80, 1, 2000);	     /* 1 x 2000 ns */
	r = report(&q, K6_12);
	cr_assert_eq(r.n, 3);
	cr_assert_eq(r.rows[0].msr, 0x174);
	cr_assert_not(r.rows[1].is_msr);
	cr_assert_eq(r.rows[2].msr, 0x1b);
	cr_assert_float_eq(r.total_cost_ns, 8000, 1e-9);
	cr_assert_eq(r.total_count, 12);
	done(&q, &r);
}

Test(bitmap, a_live_delta_is_the_difference_of_two_snapshots)
{
	struct seq q;
	struct nvmx_summary *before;
	struct nvmx_bm_report r;

	seq_init(&q);
	l2_msr_in_l0(&q, VMX, 0x1b, 0, 100);
	l2_port_in_l0(&q, VMX, 0x80, 1, 100);
	/* the first snapshot: a copy of the counts so far */
	before = nvmx_summary_new();
	nvmx_summary_add_msr(before, VMX, 0x1b, false, NVMX_HANDLED_BY_L0, 1);
	nvmx_summary_add_msr_cost(before, VMX, 0x1b, false, NVMX_HANDLED_BY_L0, 1, 100);
	nvmx_summary_add_port(before, VMX, 0x80, false, 1, NVMX_HANDLED_BY_L0, 1);
	nvmx_summary_add_port_cost(before, VMX, 0x80, false, 1, NVMX_HANDLED_BY_L0, 1, 100);
	l2_msr_in_l0(&q, VMX, 0x1b, 0, 300);
	l2_msr_in_l0(&q, VMX, 0x1b, 0, 500);
	cr_assert_eq(nvmx_bm_report_build(q.s, before, K6_12, &r), 0);
	cr_assert_eq(r.n, 1, "the port saw nothing in between: no row");
	cr_assert_eq(r.rows[0].count, 2);
	cr_assert_eq(r.rows[0].sum_ns, 800);
	nvmx_summary_free(before);
	done(&q, &r);
}
