// SPDX-License-Identifier: GPL-2.0
/*
 * src/loader.c on this host's kernel (6.18: kvm built in, BTF, every KVM tracepoint nvmx uses):
 * what each step leaves behind, what it says through the log callback, and that a loader can be
 * destroyed at any step. Needs root (it loads and attaches programs).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "loader.h"

struct said {
	char lines[64][320];
	size_t n;
};

static void record_line(void *ctx, enum nvmx_loader_log_level level, const char *line)
{
	struct said *s = ctx;

	if (level == NVMX_LOADER_LOG_INFO && s->n < 64)
		snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s", line);
}

static const struct nvmx_loader_prog *find(const struct nvmx_loader *l, const char *name)
{
	for (size_t i = 0; i < nvmx_loader__prog_count(l); i++)
		if (!strcmp(nvmx_loader__prog(l, i)->name, name))
			return nvmx_loader__prog(l, i);
	return NULL;
}

Test(loader, destroy_accepts_null_and_every_step)
{
	const struct nvmx_loader_opts o = { 0 };
	struct nvmx_loader *l;

	nvmx_loader__destroy(NULL);
	nvmx_loader__detach(NULL);
	l = nvmx_loader__new(&o);
	cr_assert(l);
	nvmx_loader__destroy(l);
	l = nvmx_loader__new(&o);
	cr_assert_eq(nvmx_loader__probe(l), 0, "%s", nvmx_loader__error(l));
	nvmx_loader__destroy(l);
	l = nvmx_loader__new(&o);
	cr_assert_eq(nvmx_loader__probe(l), 0, "%s", nvmx_loader__error(l));
	cr_assert_eq(nvmx_loader__load(l), 0, "%s", nvmx_loader__error(l));
	nvmx_loader__destroy(l);
}

Test(loader, maps_are_minus_one_before_load)
{
	const struct nvmx_loader_opts o = { 0 };
	struct nvmx_loader *l = nvmx_loader__new(&o);
	struct nvmx_loader_maps m = nvmx_loader__maps(l);

	cr_assert_eq(m.counts.exits, -1);
	cr_assert_eq(m.counts.vectoring, -1);
	cr_assert_eq(m.events, -1);
	cr_assert_eq(nvmx_loader__prog_count(l), 0);
	nvmx_loader__destroy(l);
}

/*
 * On 6.18 the tp_btf programs are kept and their classic fallbacks dropped: 12 programs. kvm_exit
 * and kvm_nested_vmexit keep their classic programs: their tp_btf ones need SVM's struct vcpu_svm
 * (kvm_amd), which this host has not.
 */
Test(loader, probe_keeps_tp_btf_where_the_kernel_has_it)
{
	const struct nvmx_loader_opts o = { 0 };
	struct nvmx_loader *l = nvmx_loader__new(&o);

	cr_assert_eq(nvmx_loader__probe(l), 0, "%s", nvmx_loader__error(l));
	cr_assert_eq(nvmx_loader__prog_count(l), 12);
	cr_assert(find(l, "nvmx_kvm_entry_btf"));
	cr_assert_null(find(l, "nvmx_kvm_entry"));
	cr_assert(find(l, "nvmx_kvm_nested_vmexit_inject_btf"));
	cr_assert_null(find(l, "nvmx_kvm_nested_vmexit_inject"));
	cr_assert(find(l, "nvmx_kvm_nested_vmexit_rcx"));
	cr_assert(find(l, "nvmx_kvm_inj_virq_btf"));
	cr_assert_null(find(l, "nvmx_kvm_inj_virq"));
	cr_assert(find(l, "nvmx_kvm_msr_btf"));
	cr_assert(find(l, "nvmx_kvm_inj_exception_btf"));
	cr_assert(find(l, "nvmx_kvm_userspace_exit_btf"));
	cr_assert(find(l, "nvmx_kvm_nested_intr_vmexit_btf"));
	cr_assert(find(l, "nvmx_kvm_nested_vmenter_failed_btf"));
	cr_assert(find(l, "nvmx_kvm_exit"));
	cr_assert_null(find(l, "nvmx_kvm_exit_svm"));
	cr_assert(find(l, "nvmx_kvm_nested_vmexit"));
	cr_assert_null(find(l, "nvmx_kvm_nested_vmexit_svm"));
	cr_assert_null(find(l, "nvmx_baseline_kvm_exit"));
	cr_assert_str_eq(nvmx_loader__btf(l), "vmlinux");
	nvmx_loader__destroy(l);
}

Test(loader, baseline_adds_six_programs_last)
{
	const struct nvmx_loader_opts o = { .baseline = true };
	struct nvmx_loader *l = nvmx_loader__new(&o);
	static const char *const tp_btf_on[] = { "kvm_exit", "kvm_entry", "kvm_nested_vmexit",
						 "kvm_nested_vmexit_inject" };
	char what[64];
	size_t n, missing;

	cr_assert_eq(nvmx_loader__probe(l), 0, "%s", nvmx_loader__error(l));
	n = nvmx_loader__prog_count(l);
	cr_assert_eq(n, 18);
	cr_assert_str_eq(nvmx_loader__prog(l, n - 6)->baseline, "empty program");
	cr_assert_str_eq(nvmx_loader__prog(l, n - 5)->baseline, "single-counter program");
	cr_assert_str_eq(nvmx_loader__prog(l, n - 5)->tracepoint, "kvm_exit");
	for (size_t i = 0; i < 4; i++) {
		snprintf(what, sizeof(what), "empty tp_btf program on %s", tp_btf_on[i]);
		cr_assert_str_eq(nvmx_loader__prog(l, n - 4 + i)->baseline, what);
		cr_assert_str_eq(nvmx_loader__prog(l, n - 4 + i)->tracepoint, tp_btf_on[i]);
	}
	cr_assert_eq(nvmx_loader__load(l), 0, "%s", nvmx_loader__error(l));
	cr_assert_eq(nvmx_loader__attach(l), 0, "%s", nvmx_loader__error(l));
	cr_assert_eq(nvmx_loader__attached(l, &missing), 12, "baselines are not counted");
	cr_assert_eq(missing, 0);
	nvmx_loader__destroy(l);
}

Test(loader, attach_says_each_program_and_keeps_its_status_after_detach)
{
	struct said said = { 0 };
	const struct nvmx_loader_opts o = { .log = record_line, .log_ctx = &said };
	struct nvmx_loader *l = nvmx_loader__new(&o);
	size_t tp_btf = 0, missing;

	cr_assert_eq(nvmx_loader__probe(l), 0, "%s", nvmx_loader__error(l));
	cr_assert_eq(nvmx_loader__load(l), 0, "%s", nvmx_loader__error(l));
	cr_assert_eq(nvmx_loader__attach(l), 0, "%s", nvmx_loader__error(l));
	cr_assert_eq(said.n, 12);
	cr_assert_str_eq(
		said.lines[0],
		"attached kvm_exit (tracepoint: tp_btf reads the exit from SVM's VMCB "
		"(kvm_amd's BTF); on VMX its qualification and error code are not in memory "
		"when it fires; a run the kernel skips is counted as lost)");
	cr_assert_str_eq(said.lines[2], "attached kvm_nested_vmexit (tp_btf)");
	cr_assert_str_eq(said.lines[11], "attached kvm_inj_exception (tp_btf)");
	nvmx_loader__detach(l);
	for (size_t i = 0; i < nvmx_loader__prog_count(l); i++) {
		const struct nvmx_loader_prog *p = nvmx_loader__prog(l, i);

		cr_assert(p->attached, "%s", p->name);
		cr_assert_geq(p->fd, 0, "%s", p->name);
		tp_btf += p->tp_btf;
	}
	cr_assert_eq(tp_btf, 10);
	cr_assert_eq(nvmx_loader__attached(l, &missing), 12);
	cr_assert_geq(nvmx_loader__maps(l).counts.vectoring, 0);
	cr_assert_geq(nvmx_loader__maps(l).anomalies, 0);
	cr_assert_str_eq(nvmx_loader__error(l), "");
	nvmx_loader__destroy(l);
}

/* --classic-only: every event from its classic program, and the attach lines say no more. */
Test(loader, classic_only_keeps_every_classic_program)
{
	struct said said = { 0 };
	const struct nvmx_loader_opts o = { .classic_only = true,
					    .log = record_line,
					    .log_ctx = &said };
	struct nvmx_loader *l = nvmx_loader__new(&o);
	size_t missing;

	cr_assert_eq(nvmx_loader__probe(l), 0, "%s", nvmx_loader__error(l));
	cr_assert_eq(nvmx_loader__load(l), 0, "%s", nvmx_loader__error(l));
	cr_assert_eq(nvmx_loader__attach(l), 0, "%s", nvmx_loader__error(l));
	for (size_t i = 0; i < nvmx_loader__prog_count(l); i++) {
		const struct nvmx_loader_prog *p = nvmx_loader__prog(l, i);

		cr_assert(!p->tp_btf || !p->attached, "%s", p->name);
	}
	cr_assert_eq(nvmx_loader__attached(l, &missing), 11);
	cr_assert_eq(missing, 1, "the RCX program has no classic twin");
	cr_assert_str_eq(said.lines[0], "attached kvm_exit (tracepoint)");
	cr_assert(find(l, "nvmx_kvm_msr"));
	cr_assert_null(find(l, "nvmx_kvm_msr_btf"));
	nvmx_loader__destroy(l);
}
