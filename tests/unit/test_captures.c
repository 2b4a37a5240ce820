// SPDX-License-Identifier: GPL-2.0
/*
 * Replaying the four real captures in tests/data gives exactly what their workload fixes
 * (tests/data/README.md, and each directory's ground-truth.txt).
 */
#include <stdlib.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "nvmx/replay.h"
#include "nvmx/summary.h"

#define L2    NVMX_KIND_L2_EXIT
#define L1X   NVMX_KIND_L1_EXIT
#define SYN   NVMX_KIND_SYNTHESIZED_TO_L1
#define BY_L0 NVMX_HANDLED_BY_L0
#define BY_L1 NVMX_HANDLED_BY_L1
#define NONE  NVMX_HANDLED_BY_NONE
#define SVM   NVMX_ISA_SVM
#define VMX   NVMX_ISA_VMX

static struct nvmx_summary *replay(const char *dir, struct nvmx_replay_stats *st)
{
	char path[512];
	struct nvmx_summary *s = NULL;

	snprintf(path, sizeof(path), "%s/%s/trace.txt.xz", NVMX_TEST_DATA, dir);
	cr_assert_eq(nvmx_replay_path(path, &s, st, stderr), 0, "%s", path);
	cr_assert_eq(st->malformed, 0);
	cr_assert_eq(st->lost_events, 0);
	cr_assert_eq(st->threads, 1);
	return s;
}

static uint64_t synthesized_total(const struct nvmx_summary *s)
{
	const struct nvmx_summary_exit *e;
	size_t n = nvmx_summary_exits(s, &e);
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		if (e[i].kind == SYN)
			t += e[i].count;
	return t;
}

Test(captures, svm_6_1_base_loop)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = replay("6.1-qemu64-N1000", &st);

	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72 /* cpuid */, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x7b /* io */, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x81 /* hypercall */, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x7c /* msr */, BY_L0), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x7c, BY_L1), 0);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, BY_L0), 0);
	cr_assert_eq(nvmx_summary_exit_count(s, L1X, SVM, 0x80 /* vmrun */, NONE), 3000);
	cr_assert_eq(nvmx_summary_nested_entries(s), 3000);
	cr_assert_eq(synthesized_total(s), 0);
	cr_assert_eq(nvmx_summary_msr_count(s, SVM, 0x1b, false, BY_L0), 1000);
	cr_assert_eq(nvmx_summary_port_count(s, SVM, 0x80, false, 1, BY_L1), 1000);
	/* ground-truth.txt: kvm_nested_vmexit interrupt 30, npf 5: L0-only exits */
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x60, BY_L0), 30);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x400, BY_L0), 5);
	cr_assert_eq(nvmx_summary_unattributed(s), 0);
	nvmx_summary_free(s);
}

Test(captures, svm_6_12_interrupt_path)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = replay("6.12-qemu64-intr-N1000", &st);

	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x7b, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x81, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x7c, BY_L0), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x7b, BY_L0), 999);
	cr_assert_eq(nvmx_summary_exit_count(s, SYN, SVM, 0x60 /* interrupt */, NONE), 999);
	cr_assert_eq(synthesized_total(s), 999);
	cr_assert_eq(nvmx_summary_exit_count(s, L1X, SVM, 0x80, NONE), 3999);
	cr_assert_eq(nvmx_summary_nested_entries(s), 3999);
	cr_assert_eq(nvmx_summary_msr_count(s, SVM, 0x1b, false, BY_L0), 1000);
	cr_assert_eq(nvmx_summary_port_count(s, SVM, 0x80, false, 1, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_port_count(s, SVM, 0x81, false, 1, BY_L0), 999);
	cr_assert_eq(nvmx_summary_unattributed(s), 0);
	nvmx_summary_free(s);
}

Test(captures, vmx_6_12_base_loop)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = replay("vmx-6.12-n1000", &st);

	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 10 /* CPUID */, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 30 /* IO_INSTRUCTION */, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 18 /* VMCALL */, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 31 /* MSR_READ */, BY_L0), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 30, BY_L0), 0);
	cr_assert_eq(nvmx_summary_exit_count(s, L1X, VMX, 20 /* VMLAUNCH */, NONE), 1);
	cr_assert_eq(nvmx_summary_exit_count(s, L1X, VMX, 24 /* VMRESUME */, NONE), 2999);
	cr_assert_eq(nvmx_summary_nested_entries(s), 3000);
	cr_assert_eq(synthesized_total(s), 0);
	cr_assert_eq(nvmx_summary_msr_count(s, VMX, 0x1b, false, BY_L0), 1000);
	cr_assert_eq(nvmx_summary_port_count(s, VMX, 0x80, false, 1, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_unattributed(s), 0);
	nvmx_summary_free(s);
}

Test(captures, vmx_6_12_interrupt_path)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = replay("vmx-6.12-intr-n1000", &st);

	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 10, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 30, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 18, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 31, BY_L0), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 30, BY_L0), 999);
	cr_assert_eq(nvmx_summary_exit_count(s, SYN, VMX, 1 /* EXTERNAL_INTERRUPT */, NONE), 999);
	cr_assert_eq(synthesized_total(s), 999);
	cr_assert_eq(nvmx_summary_exit_count(s, L1X, VMX, 20, NONE), 1);
	cr_assert_eq(nvmx_summary_exit_count(s, L1X, VMX, 24, NONE), 3998);
	cr_assert_eq(nvmx_summary_nested_entries(s), 3999);
	cr_assert_eq(nvmx_summary_msr_count(s, VMX, 0x1b, false, BY_L0), 1000);
	cr_assert_eq(nvmx_summary_port_count(s, VMX, 0x80, false, 1, BY_L1), 1000);
	cr_assert_eq(nvmx_summary_port_count(s, VMX, 0x81, false, 1, BY_L0), 999);
	cr_assert_eq(nvmx_summary_unattributed(s), 0);
	nvmx_summary_free(s);
}

Test(captures, json_of_a_capture_reads_back_with_no_certain_difference)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = replay("vmx-6.12-intr-n1000", &st), *r;
	char path[] = "/tmp/nvmx-capture-XXXXXX";
	char err[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	cr_assert_not_null(f);
	cr_assert_eq(nvmx_summary_write_json(s, f), 0);
	fclose(f);
	r = nvmx_summary_read_json(path, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	cr_assert_eq(nvmx_summary_compare_certain(r, s, stderr), 0);
	cr_assert_eq(nvmx_summary_nested_entries(r), 3999);
	unlink(path);
	nvmx_summary_free(r);
	nvmx_summary_free(s);
}

/*
 * Debian's newest kernel (7.3.4, trixie-backports) as the lab's L0: kvm_exit and
 * kvm_nested_vmexit with `requests`, kvm_entry with `intr_info` and `error_code`. The lab wrote
 * the workload's truth beside the capture (nvmx lab run --kernel 7.3, tests/data/README.md).
 */
Test(captures, svm_7_3_lab_capture_equals_its_truth)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = replay("svm-7.3-lab-n100", &st), *truth;
	char path[512], err[256];

	snprintf(path, sizeof(path), "%s/svm-7.3-lab-n100/truth.json", NVMX_TEST_DATA);
	truth = nvmx_summary_read_json(path, err, sizeof(err));
	cr_assert_not_null(truth, "%s", err);
	cr_assert_eq(nvmx_summary_compare_certain(truth, s, stderr), 0);
	/* the L2 CPUID of every iteration reflected to L1, the wrmsr L0's own */
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, BY_L1), 100);
	cr_assert_eq(nvmx_summary_unattributed(s), 0);
	nvmx_summary_free(truth);
	nvmx_summary_free(s);
}
