// SPDX-License-Identifier: GPL-2.0
/*
 * Recording (lib/record.c): every event nvmxd writes with nvmx_record_format() reads back through
 * lib's parser (lib/trace_parse.c) as the same event, so `nvmx replay` of a recording sees what
 * nvmxd saw.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/record.h"
#include "nvmx/summary.h"
#include "trace_parse.h"

static struct nvmx_event mk(__u32 kind, __u32 isa, __u32 reason)
{
	struct nvmx_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.isa = isa;
	e.reason = reason;
	e.tid = 4242;
	e.ts_ns = 1234567890123ull; /* 1234.567890123 s: all nine digits matter */
	e.vcpu_id = NVMX_EV_VCPU_ID_NONE;
	return e;
}

/* Formats e, parses the line, and returns what the parser made of it. */
static struct nvmx_line roundtrip(const struct nvmx_event *e, const char *comm)
{
	char buf[512];
	struct nvmx_line ln;
	int n = nvmx_record_format(e, comm, 3, buf, sizeof(buf));

	cr_assert_gt(n, 0);
	cr_assert_lt((size_t)n, sizeof(buf));
	nvmx_parse_line(buf, (size_t)n, &ln);
	cr_assert_eq(ln.type, NVMX_LINE_EVENT, "not an event: '%s' (expected %s)", buf,
		     ln.expected);
	cr_assert_eq(ln.ev.kind, e->kind, "%s", buf);
	cr_assert_eq(ln.ev.tid, e->tid, "%s", buf);
	cr_assert_eq(ln.ev.ts_ns, e->ts_ns, "%s", buf);
	return ln;
}

static void assert_exit_fields(const struct nvmx_line *ln, const struct nvmx_event *e)
{
	cr_assert_eq(ln->ev.isa, e->isa);
	cr_assert_eq(ln->ev.reason, e->reason, "reason 0x%x read back as 0x%x", e->reason,
		     ln->ev.reason);
	cr_assert_eq(ln->ev.info1, e->info1);
	cr_assert_eq(ln->ev.info2, e->info2);
	cr_assert_eq(ln->ev.intr_info, e->intr_info);
	cr_assert_eq(ln->ev.error_code, e->error_code);
}

Test(record, svm_kvm_exit_reads_back_with_every_field)
{
	struct nvmx_event e = mk(NVMX_EV_EXIT, NVMX_EV_ISA_SVM, 0x07b); /* io */
	struct nvmx_line ln;

	e.info1 = 0x800010;
	e.info2 = 0xffffffff81000000ull;
	e.intr_info = 0x80000030;
	e.error_code = 7;
	e.vcpu_id = 1;
	ln = roundtrip(&e, "nvmx-lab-worklo");
	assert_exit_fields(&ln, &e);
	cr_assert_eq(ln.ev.vcpu_id, 1);
}

Test(record, vmx_nested_vmexit_with_failed_vmentry_flag_reads_back)
{
	/* INVALID_STATE | FAILED_VMENTRY: printed "INVALID_STATE FAILED_VMENTRY" */
	struct nvmx_event e = mk(NVMX_EV_NESTED_VMEXIT, NVMX_EV_ISA_VMX, 0x80000021u);
	struct nvmx_line ln;

	e.vcpu_id = 0;
	ln = roundtrip(&e, "CPU 0/KVM");
	assert_exit_fields(&ln, &e);
}

Test(record, vmx_flag_without_a_name_reads_back)
{
	/* bit 27 (SGX enclave mode) has no name in 6.18's kvm_exit: printed as 0x8000000 */
	struct nvmx_event e = mk(NVMX_EV_EXIT, NVMX_EV_ISA_VMX, 0x08000000u | 10u);
	struct nvmx_line ln = roundtrip(&e, "qemu");

	assert_exit_fields(&ln, &e);
}

Test(record, svm_reason_without_a_name_reads_back_as_hex_of_unknown_isa)
{
	/* the kernel prints an unnamed SVM reason as 0x%x, which names no isa: replay takes the
	 * thread's isa from its earlier records */
	struct nvmx_event e = mk(NVMX_EV_EXIT, NVMX_EV_ISA_SVM, 0x3ff);
	struct nvmx_line ln = roundtrip(&e, "qemu");

	cr_assert_eq(ln.ev.reason, 0x3ff);
	cr_assert_eq(ln.ev.isa, NVMX_EV_ISA_UNKNOWN);
}

Test(record, inject_reads_back_for_both_isas)
{
	struct nvmx_event s = mk(NVMX_EV_NESTED_VMEXIT_INJECT, NVMX_EV_ISA_SVM, 0x072);
	struct nvmx_event v = mk(NVMX_EV_NESTED_VMEXIT_INJECT, NVMX_EV_ISA_VMX, 1);
	struct nvmx_line ln;

	s.info1 = 0x1234;
	s.info2 = 0x5678;
	s.intr_info = 0x80000b0e;
	s.error_code = 0x10;
	ln = roundtrip(&s, "vcpu");
	assert_exit_fields(&ln, &s);
	v.intr_info = 0x80000030;
	ln = roundtrip(&v, "vcpu");
	assert_exit_fields(&ln, &v);
}

Test(record, vmenter_tells_its_isa_by_vmcs_or_vmcb)
{
	struct nvmx_event s = mk(NVMX_EV_NESTED_VMENTER, NVMX_EV_ISA_SVM, 0);
	struct nvmx_event v = mk(NVMX_EV_NESTED_VMENTER, NVMX_EV_ISA_VMX, 0);

	cr_assert_eq(roundtrip(&s, "a").ev.isa, NVMX_EV_ISA_SVM);
	cr_assert_eq(roundtrip(&v, "a").ev.isa, NVMX_EV_ISA_VMX);
}

Test(record, entry_keeps_its_vcpu_id)
{
	struct nvmx_event e = mk(NVMX_EV_ENTRY, 0, 0);

	e.vcpu_id = 17;
	cr_assert_eq(roundtrip(&e, "a").ev.vcpu_id, 17);
}

Test(record, msr_keeps_index_value_write_and_gp)
{
	struct nvmx_event e = mk(NVMX_EV_MSR, 0, 0);
	struct nvmx_line ln;

	e.msr = 0x1b;
	e.value = 0xfee00900;
	ln = roundtrip(&e, "a");
	cr_assert_eq(ln.ev.msr, 0x1b);
	cr_assert_eq(ln.ev.value, 0xfee00900);
	cr_assert_eq(ln.ev.flags, 0);
	e.msr = 0xc0000080;
	e.flags = NVMX_EV_F_MSR_WRITE | NVMX_EV_F_MSR_GP;
	ln = roundtrip(&e, "a");
	cr_assert_eq(ln.ev.msr, 0xc0000080);
	cr_assert_eq(ln.ev.flags, NVMX_EV_F_MSR_WRITE | NVMX_EV_F_MSR_GP);
}

Test(record, guest_rcx_reads_back_with_its_whole_value)
{
	struct nvmx_event e = mk(NVMX_EV_GUEST_RCX, 0, 0);
	struct nvmx_line ln;

	e.value = 0x1234567800000174ull;
	e.msr = 0x174;
	ln = roundtrip(&e, "CPU 0/KVM");
	cr_assert_eq(ln.ev.kind, NVMX_EV_GUEST_RCX);
	cr_assert_eq(ln.ev.value, 0x1234567800000174ull);
	cr_assert_eq(ln.ev.msr, 0x174);
}

Test(record, bodyless_events_read_back_as_their_kind)
{
	__u32 kinds[] = { NVMX_EV_NESTED_VMENTER_FAILED, NVMX_EV_NESTED_INTR_VMEXIT,
			  NVMX_EV_USERSPACE_EXIT };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct nvmx_event e = mk(kinds[i], 0, 0);

		(void)roundtrip(&e, "a");
		e.value = (__u64)-4; /* kvm_userspace_exit with errno -EINTR */
		(void)roundtrip(&e, "a");
	}
}

Test(record, empty_comm_is_written_as_tracefs_does)
{
	struct nvmx_event e = mk(NVMX_EV_ENTRY, 0, 0);
	char buf[256];

	cr_assert_gt(nvmx_record_format(&e, "", 0, buf, sizeof(buf)), 0);
	/* "%16s-%-7d [%03d]" as kernel/trace/trace_output.c prints the task and CPU */
	cr_assert(strstr(buf, "           <...>-4242    [000] "), "%s", buf);
	(void)roundtrip(&e, NULL);
}

/* nvmxd's records name the VMM in tracefs' (TGID) column: nvmx replay --vm PID reads it back */
Test(record, the_process_in_the_tgid_column)
{
	struct nvmx_event e = mk(NVMX_EV_EXIT, NVMX_ISA_SVM, 0x72);
	struct nvmx_line ln;
	char buf[512];
	int n = nvmx_record_format_task(&e, "CPU 0/KVM", 4200, 1, buf, sizeof(buf));

	cr_assert_gt(n, 0);
	cr_assert(strstr(buf, "       CPU 0/KVM-4242    (   4200) [001] "), "%s", buf);
	nvmx_parse_line(buf, (size_t)n, &ln);
	cr_assert_eq(ln.type, NVMX_LINE_EVENT, "%s", buf);
	cr_assert_eq(ln.ev.tid, 4242);
	cr_assert_eq(ln.tgid, 4200);
	cr_assert_str_eq(ln.task, "CPU 0/KVM");
	/* tgid 0: not known, no column (as before) */
	n = nvmx_record_format_task(&e, "CPU 0/KVM", 0, 1, buf, sizeof(buf));
	cr_assert(strstr(buf, "       CPU 0/KVM-4242    [001] "), "%s", buf);
}

Test(record, markers_are_no_events)
{
	struct nvmx_event e = mk(NVMX_EV_LOST, 0, 0);
	char buf[128];

	cr_assert_eq(nvmx_record_format(&e, "a", 0, buf, sizeof(buf)), -EINVAL);
	e.kind = NVMX_EV_END;
	cr_assert_eq(nvmx_record_format(&e, "a", 0, buf, sizeof(buf)), -EINVAL);
}

Test(record, lost_line_reads_back_with_its_count)
{
	char buf[64];
	struct nvmx_line ln;
	int n = nvmx_record_format_lost(1, 12345, buf, sizeof(buf));

	cr_assert_gt(n, 0);
	nvmx_parse_line(buf, (size_t)n, &ln);
	cr_assert_eq(ln.type, NVMX_LINE_LOST);
	cr_assert_eq(ln.lost, 12345);
}

Test(record, header_lines_are_skipped)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct nvmx_line ln;

	cr_assert(f);
	cr_assert_eq(nvmx_record_write_header(f, "test"), 0);
	fclose(f);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		nvmx_parse_line(line, strlen(line), &ln);
		cr_assert_eq(ln.type, NVMX_LINE_SKIP, "'%s'", line);
	}
	free(text);
}

Test(record, json_extra_keys_are_sorted_in_and_ignored_by_the_reader)
{
	struct nvmx_summary *s = nvmx_summary_new(), *back;
	const char *keys[] = { "vms", "nvmxd" };
	const char *values[] = { "[{\"pid\": 1}]", "{\"events\": 3}" };
	char path[] = "/tmp/nvmx_test_record_XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	char *text;
	long size;

	cr_assert(s && f);
	cr_assert_eq(nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, NVMX_ISA_SVM, 0x72,
					   NVMX_HANDLED_BY_L1, 1000),
		     0);
	nvmx_summary_add_nested_entries(s, 3000);
	cr_assert_eq(nvmx_summary_write_json_extra(s, keys, values, 2, f), 0);
	fclose(f);

	back = nvmx_summary_read_json(path, err, sizeof(err));
	cr_assert(back, "%s", err);
	cr_assert_eq(nvmx_summary_exit_count(back, NVMX_KIND_L2_EXIT, NVMX_ISA_SVM, 0x72,
					     NVMX_HANDLED_BY_L1),
		     1000);
	cr_assert_eq(nvmx_summary_nested_entries(back), 3000);

	f = fopen(path, "r");
	cr_assert(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	cr_assert_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	/* "nvmxd" after "nested_entries_failed", "vms" after "unattributed" */
	cr_assert_lt(strstr(text, "\"nested_entries_failed\""), strstr(text, "\"nvmxd\""));
	cr_assert_lt(strstr(text, "\"unattributed\""), strstr(text, "\"vms\""));
	free(text);
	unlink(path);
	nvmx_summary_free(back);
	nvmx_summary_free(s);
}

Test(record, json_extra_key_that_exists_or_is_not_json_is_refused)
{
	struct nvmx_summary *s = nvmx_summary_new();
	const char *dup[] = { "schema" }, *bad[] = { "vms" };
	const char *one[] = { "1" }, *notjson[] = { "{" };
	FILE *f = fopen("/dev/null", "w");

	cr_assert(s && f);
	cr_assert_eq(nvmx_summary_write_json_extra(s, dup, one, 1, f), -EINVAL);
	cr_assert_eq(nvmx_summary_write_json_extra(s, bad, notjson, 1, f), -EINVAL);
	fclose(f);
	nvmx_summary_free(s);
}

/*
 * arm64 (nvmxd --record on an arm64 kernel): each of the five events in its kernel print format,
 * read back with what the arm64 model uses (reason, info1/info2, source mode, sysreg, write)
 */
Test(record, arm64_events_read_back_as_the_model_reads_them)
{
	static const __u32 exits[] = { 0x16, 0x18, 0x1a, 0x24, 0x100, 0x101 }; /* HVC64 .. SERROR */
	struct nvmx_event e;
	struct nvmx_line ln;

	for (size_t i = 0; i < sizeof(exits) / sizeof(exits[0]); i++) {
		e = mk(NVMX_EV_EXIT, NVMX_EV_ISA_ARM64, exits[i]);
		e.value = 0xffff800080001234ull;
		ln = roundtrip(&e, "nvmx-lab-worklo");
		cr_assert_eq(ln.ev.isa, NVMX_EV_ISA_ARM64);
		cr_assert_eq(ln.ev.reason, exits[i], "reason 0x%x read back as 0x%x", exits[i],
			     ln.ev.reason);
		cr_assert_eq(ln.ev.value, e.value);
	}
	e = mk(NVMX_EV_ENTRY, NVMX_EV_ISA_ARM64, 0);
	ln = roundtrip(&e, "nvmx-lab-worklo");
	cr_assert_eq(ln.ev.isa, NVMX_EV_ISA_ARM64);

	e = mk(NVMX_EV_NESTED_ERET, NVMX_EV_ISA_ARM64, 0);
	e.value = 0x40001000;	       /* elr_el2 */
	e.info1 = 0x3c5;	       /* spsr_el2: EL1h */
	e.info2 = 0x80000000ull | 0x1; /* hcr_el2: RW, VM */
	ln = roundtrip(&e, "nvmx-lab-worklo");
	cr_assert_eq(ln.ev.info1, e.info1);
	cr_assert_eq(ln.ev.info2, e.info2);
	cr_assert_eq(ln.ev.value, e.value);

	for (__u32 type = 0; type <= 0x180; type += 0x80) {
		e = mk(NVMX_EV_INJECT_NESTED_EXC, NVMX_EV_ISA_ARM64, type);
		e.info1 = 0x5a000000ull; /* esr_el2: HVC64 */
		e.info2 = 1ull << 27;	 /* TGE */
		e.intr_info = type ? 0x9 : 0x5;
		ln = roundtrip(&e, "nvmx-lab-worklo");
		cr_assert_eq(ln.ev.reason, type);
		cr_assert_eq(ln.ev.info1, e.info1);
		cr_assert_eq(ln.ev.info2, e.info2);
		cr_assert_eq(ln.ev.intr_info, e.intr_info);
	}

	e = mk(NVMX_EV_FORWARD_SYSREG_TRAP, NVMX_EV_ISA_ARM64, 0);
	e.value = 0x40000abc;
	e.msr = (3u << 19) | (0u << 16) | (0u << 12) | (1u << 8) | (4u << 5); /* ID_AA64PFR2_EL1 */
	e.flags = NVMX_EV_F_MSR_WRITE;
	ln = roundtrip(&e, "nvmx-lab-worklo");
	cr_assert_eq(ln.ev.msr, e.msr);
	cr_assert_eq(ln.ev.flags & NVMX_EV_F_MSR_WRITE, NVMX_EV_F_MSR_WRITE);
	cr_assert_eq(ln.ev.value, e.value);
}
