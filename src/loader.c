// SPDX-License-Identifier: GPL-2.0
/* Loading nvmx's BPF object: probe → open → choose → set rodata → load → attach (src/loader.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include <bpf/libbpf.h>

#include "loader.h"
#include "probe.h"
#include "nvmx.skel.h"

/*
 * How a program attaches. A tp_btf program reads the tracepoint's arguments, not its record, so
 * the kernel builds no record for it: the loader prefers one where it exists (TP_BTF_FIRST), with
 * the classic program of the same event as its fallback (TP_FALLBACK, the next entry); TP_BTF has
 * no fallback (what it adds is lost without it, and the loader says so).
 */
enum tp_kind { TP_CLASSIC, TP_BTF, TP_BTF_FIRST, TP_FALLBACK };

/* One tracepoint: its probe result, program and link. */
struct tp_prog {
	struct nvmxd_tp tp;
	struct bpf_program *prog;
	struct bpf_link *link;
	const char *baseline; /* a --baseline program: what it is */
	enum tp_kind kind;
	bool attached;
	/* a TP_FALLBACK kept: why not its tp_btf variant ("" if asked); "not tp_btf: " + missing */
	char why_classic[sizeof(((struct nvmxd_tp *)0)->missing) + 16];
	struct nvmx_loader_prog pub; /* what nvmx_loader__prog() shows, see publish() */
};

/*
 * Why kvm_exit and kvm_nested_vmexit stay classic where struct vcpu_svm is not in the kernel's
 * BTF: their tp_btf programs read the exit fields from SVM's VMCB. On VMX, vmx_get_exit_info
 * reads the exit qualification and interruption info lazily (VMREAD unless this exit already
 * cached them) and the error code always by VMREAD: not in memory when the tracepoint fires.
 */
#define SVM_ONLY_WHY                                                                           \
	"tp_btf reads the exit from SVM's VMCB (kvm_amd's BTF); on VMX its qualification and " \
	"error code are not in memory when it fires"

_Static_assert(NVMX_LOADER_MAX_PROGS <= NVMXD_MAX_PROGS, "struct nvmxd_maps holds every program");

struct nvmx_loader {
	struct nvmx_loader_opts o;
	struct nvmx_bpf *skel;
	struct tp_prog tps[NVMX_LOADER_MAX_PROGS];
	size_t n_tps;
	bool no_tp_btf; /* a tp_btf program failed to load: loaded again with classic ones only */
	char tracefs[128];
	bool tracefs_mounted;
	const char *btf_where;
	bool arm64; /* the running kernel is arm64: the arm64 programs (setup_table) */
	char err[512];
};

__attribute__((format(printf, 3, 4))) static void
say(const struct nvmx_loader *l, enum nvmx_loader_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!l->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	l->o.log(l->o.log_ctx, level, line);
}

/* The sentence of a failed step, for nvmx_loader__error(); returns err (or -EINVAL). */
__attribute__((format(printf, 3, 4))) static int fail(struct nvmx_loader *l, int err,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -EINVAL;
}

static void publish(struct tp_prog *p)
{
	p->pub = (struct nvmx_loader_prog){
		.tracepoint = p->tp.event,
		.name = bpf_program__name(p->prog),
		.baseline = p->baseline,
		.tp_btf = bpf_program__type(p->prog) == BPF_PROG_TYPE_TRACING,
		.attached = p->attached,
		.missing = p->tp.missing,
		.fd = bpf_program__fd(p->prog),
	};
	if (p->pub.fd < 0)
		p->pub.fd = -1;
}

static void publish_all(struct nvmx_loader *l)
{
	for (size_t i = 0; i < l->n_tps; i++)
		publish(&l->tps[i]);
}

struct nvmx_loader *nvmx_loader__new(const struct nvmx_loader_opts *opts)
{
	struct nvmx_loader *l = calloc(1, sizeof(*l));

	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	l->o = *opts;
	l->no_tp_btf = opts->classic_only;
	if (!l->o.who)
		l->o.who = "nvmx";
	l->btf_where = "";
	return l;
}

/* ---- the table: every program of the object that runs on a KVM tracepoint ---- */

struct table_row {
	const char *event, *btf_type;
	struct bpf_program *prog;
	const char *baseline;
	enum tp_kind kind;
	const char *args; /* tp_btf reading arguments by position: their sizes */
};

/*
 * Which programs: the running kernel's machine (uname), as the kernel's KVM tracepoints differ
 * by architecture (arm64's kvm_exit has ret/esr_ec/vcpu_pc, x86's exit_reason/isa/info1...).
 */
static void choose_arch(struct nvmx_loader *l)
{
	struct utsname u;

	if (uname(&u))
		snprintf(u.machine, sizeof(u.machine), "unknown");
	l->arm64 = !strcmp(u.machine, "aarch64");
	/* x86 says it only with -v: its messages stay as they were */
	say(l, l->arm64 ? NVMX_LOADER_LOG_INFO : NVMX_LOADER_LOG_DEBUG,
	    "uname machine %s: the %s programs", u.machine,
	    l->arm64 ? "arm64 (kvm_exit, kvm_entry, kvm_nested_eret, kvm_inject_nested_exception, "
		       "kvm_forward_sysreg_trap, kvm_userspace_exit)"
		     : "x86");
}

static void setup_table(struct nvmx_loader *l)
{
	struct nvmx_bpf *s = l->skel;
	const struct table_row t[] = {
		/*
		 * tp_btf on SVM only: the exit fields from the VMCB (struct vcpu_svm, kvm_amd's
		 * BTF); VMX keeps the classic programs (SVM_ONLY_WHY)
		 */
		{ "kvm_exit", "vcpu_svm", s->progs.nvmx_kvm_exit_svm, NULL, TP_BTF_FIRST, "8,4" },
		{ "kvm_exit", "trace_event_raw_kvm_exit", s->progs.nvmx_kvm_exit, NULL, TP_FALLBACK,
		  NULL },
		{ "kvm_nested_vmexit", "vcpu_svm", s->progs.nvmx_kvm_nested_vmexit_svm, NULL,
		  TP_BTF_FIRST, "8,4" },
		{ "kvm_nested_vmexit", "trace_event_raw_kvm_nested_vmexit",
		  s->progs.nvmx_kvm_nested_vmexit, NULL, TP_FALLBACK, NULL },
		/* tp_btf: L2's RCX, the index of a reflected RDMSR/WRMSR (needs struct kvm_vcpu) */
		{ "kvm_nested_vmexit", "kvm_vcpu", s->progs.nvmx_kvm_nested_vmexit_rcx, NULL,
		  TP_BTF, NULL },
		{ "kvm_nested_vmexit_inject", NULL, s->progs.nvmx_kvm_nested_vmexit_inject_btf,
		  NULL, TP_BTF_FIRST, "4,8,8,4,4,4" },
		/* 7.x: exit_code is a u64 argument */
		{ "kvm_nested_vmexit_inject", NULL, s->progs.nvmx_kvm_nested_vmexit_inject_btf64,
		  NULL, TP_BTF_FIRST, "8,8,8,4,4,4" },
		{ "kvm_nested_vmexit_inject", "trace_event_raw_kvm_nested_vmexit_inject",
		  s->progs.nvmx_kvm_nested_vmexit_inject, NULL, TP_FALLBACK, NULL },
		{ "kvm_nested_vmenter", NULL, s->progs.nvmx_kvm_nested_vmenter_btf, NULL,
		  TP_BTF_FIRST, NULL },
		{ "kvm_nested_vmenter", "trace_event_raw_kvm_nested_vmenter",
		  s->progs.nvmx_kvm_nested_vmenter, NULL, TP_FALLBACK, NULL },
		{ "kvm_nested_vmenter_failed", NULL, s->progs.nvmx_kvm_nested_vmenter_failed_btf,
		  NULL, TP_BTF_FIRST, NULL },
		{ "kvm_nested_vmenter_failed", NULL, s->progs.nvmx_kvm_nested_vmenter_failed, NULL,
		  TP_FALLBACK, NULL },
		{ "kvm_nested_intr_vmexit", NULL, s->progs.nvmx_kvm_nested_intr_vmexit_btf, NULL,
		  TP_BTF_FIRST, NULL },
		{ "kvm_nested_intr_vmexit", NULL, s->progs.nvmx_kvm_nested_intr_vmexit, NULL,
		  TP_FALLBACK, NULL },
		{ "kvm_entry", "kvm_vcpu", s->progs.nvmx_kvm_entry_btf, NULL, TP_BTF_FIRST, NULL },
		{ "kvm_entry", "trace_event_raw_kvm_entry", s->progs.nvmx_kvm_entry, NULL,
		  TP_FALLBACK, NULL },
		{ "kvm_userspace_exit", NULL, s->progs.nvmx_kvm_userspace_exit_btf, NULL,
		  TP_BTF_FIRST, "4,4" },
		{ "kvm_userspace_exit", "trace_event_raw_kvm_userspace_exit",
		  s->progs.nvmx_kvm_userspace_exit, NULL, TP_FALLBACK, NULL },
		{ "kvm_msr", NULL, s->progs.nvmx_kvm_msr_btf, NULL, TP_BTF_FIRST, "4,4,8,1" },
		{ "kvm_msr", "trace_event_raw_kvm_msr", s->progs.nvmx_kvm_msr, NULL, TP_FALLBACK,
		  NULL },
		{ "kvm_inj_virq", NULL, s->progs.nvmx_kvm_inj_virq_btf, NULL, TP_BTF_FIRST,
		  "4,1,1" },
		{ "kvm_inj_virq", "trace_event_raw_kvm_inj_virq", s->progs.nvmx_kvm_inj_virq, NULL,
		  TP_FALLBACK, NULL },
		{ "kvm_inj_exception", NULL, s->progs.nvmx_kvm_inj_exception_btf, NULL,
		  TP_BTF_FIRST, "4,1,4,1" },
		{ "kvm_inj_exception", "trace_event_raw_kvm_inj_exception",
		  s->progs.nvmx_kvm_inj_exception, NULL, TP_FALLBACK, NULL },
		{ "kvm_exit", NULL, s->progs.nvmx_baseline_kvm_exit, "empty program", TP_CLASSIC,
		  NULL },
		{ "kvm_exit", NULL, s->progs.nvmx_baseline_counter_kvm_exit,
		  "single-counter program", TP_CLASSIC, NULL },
		{ "kvm_exit", NULL, s->progs.nvmx_baseline_kvm_exit_btf,
		  "empty tp_btf program on kvm_exit", TP_BTF, NULL },
		{ "kvm_entry", NULL, s->progs.nvmx_baseline_kvm_entry_btf,
		  "empty tp_btf program on kvm_entry", TP_BTF, NULL },
		{ "kvm_nested_vmexit", NULL, s->progs.nvmx_baseline_kvm_nested_vmexit_btf,
		  "empty tp_btf program on kvm_nested_vmexit", TP_BTF, NULL },
		{ "kvm_nested_vmexit_inject", NULL,
		  s->progs.nvmx_baseline_kvm_nested_vmexit_inject_btf,
		  "empty tp_btf program on kvm_nested_vmexit_inject", TP_BTF, NULL },
	};

	/*
	 * arm64 (FEAT_NV2): classic programs on the arm64 model's five events, reading the records
	 * by CO-RE (bpf/kvm_tp.bpf.h, ___nvmx_arm64); x86's programs would not find their fields.
	 * And kvm_userspace_exit: an exit L0 took out to the VMM (the model's TO_USERSPACE)
	 */
	const struct table_row a[] = {
		{ "kvm_exit", "trace_event_raw_kvm_exit", s->progs.nvmx_arm64_kvm_exit, NULL,
		  TP_CLASSIC, NULL },
		{ "kvm_entry", NULL, s->progs.nvmx_arm64_kvm_entry, NULL, TP_CLASSIC, NULL },
		{ "kvm_nested_eret", "trace_event_raw_kvm_nested_eret",
		  s->progs.nvmx_arm64_kvm_nested_eret, NULL, TP_CLASSIC, NULL },
		{ "kvm_inject_nested_exception", "trace_event_raw_kvm_inject_nested_exception",
		  s->progs.nvmx_arm64_kvm_inject_nested_exception, NULL, TP_CLASSIC, NULL },
		{ "kvm_forward_sysreg_trap", "trace_event_raw_kvm_forward_sysreg_trap",
		  s->progs.nvmx_arm64_kvm_forward_sysreg_trap, NULL, TP_CLASSIC, NULL },
		/* virt/kvm's own event, the same on every architecture: x86's programs */
		{ "kvm_userspace_exit", NULL, s->progs.nvmx_kvm_userspace_exit_btf, NULL,
		  TP_BTF_FIRST, "4,4" },
		{ "kvm_userspace_exit", "trace_event_raw_kvm_userspace_exit",
		  s->progs.nvmx_kvm_userspace_exit, NULL, TP_FALLBACK, NULL },
		{ "kvm_exit", NULL, s->progs.nvmx_baseline_kvm_exit, "empty program", TP_CLASSIC,
		  NULL },
		{ "kvm_exit", NULL, s->progs.nvmx_baseline_counter_kvm_exit,
		  "single-counter program", TP_CLASSIC, NULL },
	};
	const struct table_row *rows = l->arm64 ? a : t;
	size_t n_rows = l->arm64 ? sizeof(a) / sizeof(a[0]) : sizeof(t) / sizeof(t[0]);

	_Static_assert(sizeof(t) / sizeof(t[0]) <= NVMX_LOADER_MAX_PROGS,
		       "NVMX_LOADER_MAX_PROGS is too small");
	_Static_assert(sizeof(a) / sizeof(a[0]) <= NVMX_LOADER_MAX_PROGS,
		       "NVMX_LOADER_MAX_PROGS is too small");
	l->n_tps = 0;
	for (size_t i = 0; i < n_rows; i++) {
		struct tp_prog *p = &l->tps[l->n_tps];

		if (rows[i].baseline && !l->o.baseline)
			continue;
		memset(p, 0, sizeof(*p));
		p->tp.event = rows[i].event;
		p->tp.btf_type = rows[i].btf_type;
		p->prog = rows[i].prog;
		p->baseline = rows[i].baseline;
		p->kind = rows[i].kind;
		p->tp.args = rows[i].args;
		l->n_tps++;
	}
}

/*
 * After the probe: each event keeps one program. A TP_BTF_FIRST program the kernel can take
 * (and no tp_btf load failed) replaces its TP_FALLBACK; otherwise the fallback stays. TP_BTF
 * programs stay listed, missing with the reason, after a tp_btf load failure.
 */
/*
 * p->why_classic = "not tp_btf: " and why v, its tp_btf variant, is missing. Through a copy: both
 * are elements of one array, which gcc's -Wrestrict cannot tell apart.
 */
static void why_not_btf(struct tp_prog *p, const struct tp_prog *v)
{
	char why[sizeof(v->tp.missing)];

	memcpy(why, v->tp.missing, sizeof(why));
	why[sizeof(why) - 1] = '\0';
	snprintf(p->why_classic, sizeof(p->why_classic), "not tp_btf: %s", why);
}

static void choose_programs(struct nvmx_loader *l)
{
	bool keep[NVMX_LOADER_MAX_PROGS];
	size_t n = 0;

	/* decided on the table as it is, then compacted */
	for (size_t i = 0; i < l->n_tps; i++) {
		struct tp_prog *p = &l->tps[i];

		keep[i] = true;
		if (p->kind == TP_BTF && l->no_tp_btf && p->tp.present) {
			p->tp.present = false;
			snprintf(p->tp.missing, sizeof(p->tp.missing), "%s",
				 l->o.classic_only ? "classic tracepoint programs only (asked)"
						   : "a tp_btf program failed to load on this "
						     "kernel (-v shows libbpf's log)");
		}
		if (p->kind == TP_BTF_FIRST) {
			keep[i] = p->tp.present && !l->no_tp_btf;
			if (!keep[i] && !l->no_tp_btf)
				say(l, NVMX_LOADER_LOG_DEBUG, "%s: not %s: %s", p->tp.event,
				    bpf_program__name(p->prog), p->tp.missing);
		} else if (p->kind == TP_FALLBACK) {
			/* dropped when a tp_btf variant of its event (listed just before) is kept */
			for (size_t j = i; j > 0 && l->tps[j - 1].kind == TP_BTF_FIRST &&
					   !strcmp(l->tps[j - 1].tp.event, p->tp.event);
			     j--) {
				const struct tp_prog *v = &l->tps[j - 1];

				if (keep[j - 1])
					keep[i] = false;
				else if (l->o.classic_only)
					p->why_classic[0] = '\0';
				else if (l->no_tp_btf)
					snprintf(p->why_classic, sizeof(p->why_classic),
						 "a tp_btf program failed to load");
				else if (v->tp.btf_type && !strcmp(v->tp.btf_type, "vcpu_svm"))
					snprintf(p->why_classic, sizeof(p->why_classic), "%s",
						 SVM_ONLY_WHY);
				else
					why_not_btf(p, v);
			}
		}
	}
	/*
	 * SVM's kvm_nested_vmexit program reads L2's RCX itself (bpf/nvmx.bpf.c,
	 * guest_rcx_event): where it is kept, the RCX program would count each reflected MSR
	 * exit's index twice
	 */
	for (size_t i = 0; i < l->n_tps; i++) {
		if (!keep[i] || l->tps[i].prog != l->skel->progs.nvmx_kvm_nested_vmexit_svm)
			continue;
		for (size_t j = 0; j < l->n_tps; j++)
			if (l->tps[j].prog == l->skel->progs.nvmx_kvm_nested_vmexit_rcx) {
				keep[j] = false;
				say(l, NVMX_LOADER_LOG_DEBUG,
				    "kvm_nested_vmexit: not nvmx_kvm_nested_vmexit_rcx: "
				    "nvmx_kvm_nested_vmexit_svm reads L2's RCX");
			}
	}
	for (size_t i = 0; i < l->n_tps; i++)
		if (keep[i])
			l->tps[n++] = l->tps[i];
	l->n_tps = n;
}

/* ---- probing, loading, attaching ---- */

static int find_tracefs(struct nvmx_loader *l)
{
	int err;

	err = nvmxd_tracefs(l->tracefs, sizeof(l->tracefs), &l->tracefs_mounted);
	if (err == -EACCES)
		return fail(l, err,
			    "cannot read %s/events: %s needs root (or CAP_BPF, CAP_PERFMON and "
			    "read access to tracefs)",
			    l->tracefs, l->o.who);
	if (err)
		return fail(l, err, "no tracefs, and mounting it at /sys/kernel/tracing failed: %s",
			    strerror(-err));
	if (l->tracefs_mounted)
		say(l, NVMX_LOADER_LOG_INFO, "tracefs was not mounted: mounted it at %s",
		    l->tracefs);
	if (!nvmxd_kvm_events_exist(l->tracefs))
		return fail(l, -ENOENT,
			    "no KVM tracepoints in this kernel (%s/events/kvm is missing): is "
			    "KVM built in or its module (kvm.ko) loaded?",
			    l->tracefs);
	return 0;
}

static int open_and_choose(struct nvmx_loader *l)
{
	struct nvmxd_tp tps[NVMX_LOADER_MAX_PROGS];
	int err;

	l->skel = nvmx_bpf__open();
	if (!l->skel)
		return fail(l, -errno, "opening the BPF object failed: %s", strerror(errno));
	choose_arch(l);
	setup_table(l);
	for (size_t i = 0; i < l->n_tps; i++)
		tps[i] = l->tps[i].tp;
	err = nvmxd_probe_tracepoints(l->tracefs, tps, l->n_tps, &l->btf_where);
	if (err)
		return fail(l, err, "probing the kernel failed: %s", strerror(-err));
	say(l, NVMX_LOADER_LOG_DEBUG, "CO-RE types from: %s", l->btf_where);
	for (size_t i = 0; i < l->n_tps; i++)
		l->tps[i].tp = tps[i];
	choose_programs(l);
	publish_all(l);
	return 0;
}

int nvmx_loader__probe(struct nvmx_loader *l)
{
	int err = find_tracefs(l);

	return err ? err : open_and_choose(l);
}

/* The knobs of opts, before load (libbpf-tools' targ_* habit). */
static int set_rodata(struct nvmx_loader *l)
{
	struct nvmx_bpf *s = l->skel;
	int err;

	s->rodata->targ_record = l->o.record ? 1 : 0;
	s->rodata->targ_wakeup_bytes = ((__u64)l->o.ringbuf_mib << 20) / 4;
	s->rodata->targ_tgid = l->o.tgid;
	if (l->o.cycles_cpus) {
		s->rodata->targ_cycles = 1;
		err = bpf_map__set_max_entries(s->maps.nvmx_cycles, l->o.cycles_cpus);
		if (err)
			return fail(l, err, "sizing the cycle counter map failed: %s",
				    strerror(-err));
	}
	/* one drop counter per possible CPU (bpf/nvmx.bpf.c nvmx_drops, mmap'd by nvmxd) */
	err = libbpf_num_possible_cpus();
	if (err > 0)
		err = bpf_map__set_max_entries(s->maps.nvmx_drops, (__u32)err);
	if (err < 0)
		return fail(l, err, "sizing the drop counters failed: %s", strerror(-err));
	/* not recording: the smallest ring buffer the kernel takes (one page) */
	err = bpf_map__set_max_entries(s->maps.nvmx_events, l->o.record
								    ? l->o.ringbuf_mib << 20
								    : (__u32)sysconf(_SC_PAGESIZE));
	if (err)
		return fail(l, err, "sizing the ring buffer failed: %s", strerror(-err));
	return 0;
}

static bool any_tp_btf(const struct nvmx_loader *l)
{
	bool btf = false;

	for (size_t i = 0; i < l->n_tps; i++)
		btf |= l->tps[i].tp.present && l->tps[i].kind != TP_CLASSIC &&
		       l->tps[i].kind != TP_FALLBACK;
	return btf;
}

int nvmx_loader__load(struct nvmx_loader *l)
{
	struct nvmx_bpf *s = l->skel;
	size_t present = 0;
	int err;

	err = set_rodata(l);
	if (err)
		return err;
	/* only the chosen programs: not the test entry points, baselines or unchosen alternatives */
	nvmxd_autoload_none(s->obj);
	for (size_t i = 0; i < l->n_tps; i++) {
		struct tp_prog *p = &l->tps[i];

		bpf_program__set_autoload(p->prog, p->tp.present);
		present += p->tp.present;
	}
	if (!present)
		return fail(l, -ENOENT,
			    "none of nvmx's KVM tracepoints can be used on this kernel");
	err = nvmx_bpf__load(s);
	if (err && !l->no_tp_btf && any_tp_btf(l)) {
		/*
		 * A kernel whose verifier or BTF refuses a tp_btf program still gets every count
		 * from the classic programs; the reflected MSR indexes (L2's RCX) are then
		 * unknown, and the runs the kernel skips are lost (and counted): the loader says
		 * so. A failed load cannot be retried on the same
		 * object: open it again.
		 */
		say(l, NVMX_LOADER_LOG_INFO,
		    "loading the tp_btf programs failed (%s): going on with classic tracepoints "
		    "only, which a preemptible kernel skips while another task's BPF map syscall "
		    "holds the CPU (counted as lost events); reflected RDMSR/WRMSR exits will "
		    "have msr \"unknown\" (-v shows libbpf's log)",
		    strerror(-err));
		l->no_tp_btf = true;
		nvmx_bpf__destroy(l->skel);
		l->skel = NULL;
		err = open_and_choose(l);
		return err ? err : nvmx_loader__load(l);
	}
	if (err)
		return fail(l, err,
			    "loading the BPF programs failed: %s (run with -v for libbpf's log)",
			    strerror(-err));
	publish_all(l);
	return 0;
}

int nvmx_loader__attach(struct nvmx_loader *l)
{
	size_t attached = 0;

	for (size_t i = 0; i < l->n_tps; i++) {
		struct tp_prog *p = &l->tps[i];
		char what[64] = "";

		if (p->baseline)
			snprintf(what, sizeof(what), " (baseline: %s)", p->baseline);
		if (!p->tp.present) {
			say(l, NVMX_LOADER_LOG_INFO, "missing %s%s: %s", p->tp.event, what,
			    p->tp.missing);
			continue;
		}
		/* one perf event with pid -1: the tracepoint fires the program on every CPU */
		p->link = bpf_program__attach(p->prog);
		if (!p->link) {
			int err = -errno;

			p->tp.present = false;
			snprintf(p->tp.missing, sizeof(p->tp.missing), "attach failed: %s",
				 strerror(-err));
			say(l, NVMX_LOADER_LOG_INFO, "missing %s%s: %s", p->tp.event, what,
			    p->tp.missing);
			continue;
		}
		p->attached = true;
		if (p->why_classic[0])
			/* a kernel with preemption can skip it: counted in lost events */
			say(l, NVMX_LOADER_LOG_INFO,
			    "attached %s (tracepoint: %s; a run the kernel skips is counted as "
			    "lost)%s",
			    p->tp.event, p->why_classic, what);
		else
			say(l, NVMX_LOADER_LOG_INFO, "attached %s (%s)%s", p->tp.event,
			    bpf_program__type(p->prog) == BPF_PROG_TYPE_TRACING ? "tp_btf"
										: "tracepoint",
			    what);
		attached += !p->baseline;
	}
	publish_all(l);
	if (!attached)
		return fail(l, -ENOENT, "no nvmx program could be attached");
	return 0;
}

void nvmx_loader__detach(struct nvmx_loader *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_tps; i++) {
		bpf_link__destroy(l->tps[i].link);
		l->tps[i].link = NULL;
	}
}

void nvmx_loader__destroy(struct nvmx_loader *l)
{
	if (!l)
		return;
	nvmx_loader__detach(l);
	/* maps and programs go with the skeleton */
	nvmx_bpf__destroy(l->skel);
	free(l);
}

/* ---- accessors ---- */

const char *nvmx_loader__error(const struct nvmx_loader *l)
{
	return l->err;
}

size_t nvmx_loader__prog_count(const struct nvmx_loader *l)
{
	return l->n_tps;
}

const struct nvmx_loader_prog *nvmx_loader__prog(const struct nvmx_loader *l, size_t i)
{
	return i < l->n_tps ? &l->tps[i].pub : NULL;
}

size_t nvmx_loader__attached(const struct nvmx_loader *l, size_t *missing)
{
	size_t n = 0;

	*missing = 0;
	for (size_t i = 0; i < l->n_tps; i++) {
		if (l->tps[i].baseline)
			continue;
		if (l->tps[i].tp.present)
			n++;
		else
			(*missing)++;
	}
	return n;
}

struct nvmx_loader_maps nvmx_loader__maps(const struct nvmx_loader *l)
{
	struct nvmx_loader_maps m = {
		.counts = { .threads = -1,
			    .slots = -1,
			    .exits = -1,
			    .exits_front = -1,
			    .bd_front = -1,
			    .bd_l1_front = -1,
			    .msrs_front = -1,
			    .ports_front = -1,
			    .msrs = -1,
			    .ports = -1,
			    .self = -1,
			    .breakdown = -1,
			    .bd_l1 = -1,
			    .vectoring = -1,
			    .injs = -1 },
		.events = -1,
		.anomalies = -1,
		.cycles = -1,
		.drops = -1,
	};

	if (!l->skel)
		return m;
	m.counts = NVMXD_MAPS_OF(l->skel);
	for (size_t i = 0; i < l->n_tps; i++) {
		const struct tp_prog *p = &l->tps[i];
		int fd = p->attached && !p->baseline ? bpf_program__fd(p->prog) : -1;

		if (fd >= 0)
			m.counts.progs[m.counts.n_progs++] = fd;
	}
	m.events = bpf_map__fd(l->skel->maps.nvmx_events);
	m.anomalies = bpf_map__fd(l->skel->maps.nvmx_anomalies);
	m.cycles = bpf_map__fd(l->skel->maps.nvmx_cycles);
	m.drops = bpf_map__fd(l->skel->maps.nvmx_drops);
	return m;
}

const char *nvmx_loader__tracefs(const struct nvmx_loader *l, bool *mounted)
{
	if (mounted)
		*mounted = l->tracefs_mounted;
	return l->tracefs;
}

const char *nvmx_loader__btf(const struct nvmx_loader *l)
{
	return l->btf_where;
}
