// SPDX-License-Identifier: GPL-2.0
/* nvmx_replay_path(): whole captures, written out here line by line, into summaries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <lzma.h>

#include "nvmx/replay.h"
#include "nvmx/summary.h"

#define L2  NVMX_KIND_L2_EXIT
#define L1X NVMX_KIND_L1_EXIT
#define SYN NVMX_KIND_SYNTHESIZED_TO_L1
#define SVM NVMX_ISA_SVM
#define VMX NVMX_ISA_VMX

/* One reflected L2 CPUID on SVM, thread 142: L1 VMRUN, enter L2, CPUID, reflect, back in L1. */
#define SVM_REFLECTED_CPUID(tid, t)                                                               \
	"  nestedsvm-" tid " [000] d..1. " t ".000001: kvm_exit: vcpu 0 reason vmrun rip 0x803d " \
	"info1 0x0 info2 0x0 intr_info 0x00000000 error_code 0x00000000\n"                        \
	"  nestedsvm-" tid " [000] ..... " t ".000002: kvm_nested_vmenter: rip: 0x8040 vmcb: "    \
	"0x5000 nested_rip: 0x814f int_ctl: 0x01000000 event_inj: 0x00000000 nested_npt=n "       \
	"guest_cr3: 0x1000\n"                                                                     \
	"  nestedsvm-" tid " [000] d..1. " t ".000003: kvm_entry: vcpu 0, rip 0x814f\n"           \
	"  nestedsvm-" tid " [000] d..1. " t ".000004: kvm_exit: vcpu 0 reason cpuid rip 0x814f " \
	"info1 0x0 info2 0x0 intr_info 0x00000000 error_code 0x00000000\n"                        \
	"  nestedsvm-" tid " [000] ..... " t ".000005: kvm_nested_vmexit: vcpu 0 reason cpuid "   \
	"rip 0x814f info1 0x0 info2 0x0 intr_info 0x00000000 error_code 0x00000000\n"             \
	"  nestedsvm-" tid " [000] ..... " t ".000006: kvm_nested_vmexit_inject: reason: cpuid "  \
	"ext_inf1: 0x0 ext_inf2: 0x0 ext_int: 0x00000000 ext_int_err: 0x00000000\n"               \
	"  nestedsvm-" tid " [000] d..1. " t ".000007: kvm_entry: vcpu 0, rip 0x8040\n"

/* past NVMX_LINE_MAX (64 KiB) */
#define NVMX_TEST_LONG_LINE (200 * 1024)

static char path[64];

static const char *file_of(const void *data, size_t len)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/nvmx-replay-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static struct nvmx_summary *replay_text(const char *text, struct nvmx_replay_stats *st, char **diag)
{
	struct nvmx_summary *s = NULL;
	size_t dlen = 0;
	FILE *d = open_memstream(diag, &dlen);

	file_of(text, strlen(text));
	cr_assert_eq(nvmx_replay_path(path, &s, st, d), 0);
	fclose(d);
	cr_assert_not_null(s);
	return s;
}

static void done(struct nvmx_summary *s, char *diag)
{
	unlink(path);
	free(diag);
	nvmx_summary_free(s);
}

Test(replay, one_reflected_cpuid)
{
	struct nvmx_replay_stats st;
	char *diag;
	struct nvmx_summary *s = replay_text(SVM_REFLECTED_CPUID("142", "7"), &st, &diag);

	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, NVMX_HANDLED_BY_L1), 1);
	cr_assert_eq(nvmx_summary_exit_count(s, L1X, SVM, 0x80, NVMX_HANDLED_BY_NONE), 1);
	cr_assert_eq(nvmx_summary_nested_entries(s), 1);
	cr_assert_eq(st.lines, 7);
	cr_assert_eq(st.events, 7);
	cr_assert_eq(st.malformed, 0);
	cr_assert_str_eq(diag, "");
	done(s, diag);
}

Test(replay, malformed_line_is_reported_with_path_and_line_and_the_rest_still_counts)
{
	struct nvmx_replay_stats st;
	char *diag;
	char want[256];
	struct nvmx_summary *s = replay_text("# tracer: nop\n"
					     "garbage\n" SVM_REFLECTED_CPUID("142", "7"),
					     &st, &diag);

	snprintf(want, sizeof(want),
		 "%s:2: expected a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'\n", path);
	cr_assert_str_eq(diag, want);
	cr_assert_eq(st.malformed, 1);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, NVMX_HANDLED_BY_L1), 1);
	done(s, diag);
}

Test(replay, xz_capture_gives_the_same_counts_as_plain_text)
{
	static const char text[] = SVM_REFLECTED_CPUID("142", "7") SVM_REFLECTED_CPUID("142", "8");
	uint8_t xz[4096];
	size_t xz_len = 0;
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = NULL;

	cr_assert_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text,
					     strlen(text), xz, &xz_len, sizeof(xz)),
		     LZMA_OK);
	file_of(xz, xz_len); /* no .xz suffix: the magic decides */
	cr_assert_eq(nvmx_replay_path(path, &s, &st, stderr), 0);
	cr_assert_eq(st.lines, 14);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, NVMX_HANDLED_BY_L1), 2);
	cr_assert_eq(nvmx_summary_nested_entries(s), 2);
	done(s, NULL);
}

/* One reflected CPUID, xz-compressed into xz; returns its length. */
static size_t xz_of_one_cpuid(uint8_t *xz, size_t cap)
{
	static const char text[] = SVM_REFLECTED_CPUID("142", "7");
	size_t len = 0;

	cr_assert_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text,
					     strlen(text), xz, &len, cap),
		     LZMA_OK);
	return len;
}

/* The file at path cannot be read: err, no summary, the message and whether it names a line. */
static void assert_unreadable(int err, const char *msg, int line_too, struct nvmx_replay_stats *st)
{
	struct nvmx_summary *s = (struct nvmx_summary *)1;
	int got_line_too;

	cr_assert_eq(nvmx_replay_path(path, &s, st, NULL), err);
	cr_assert_null(s);
	cr_assert_str_eq(nvmx_replay_strerror(err, &got_line_too), msg);
	cr_assert_eq(got_line_too, line_too);
	unlink(path);
}

/* A truncated .xz is an error of its own, never a malformed line (issue 16). */
Test(replay, truncated_xz_is_an_error_not_a_malformed_line)
{
	uint8_t xz[4096];
	size_t xz_len = xz_of_one_cpuid(xz, sizeof(xz));
	struct nvmx_replay_stats st;

	file_of(xz, xz_len - 20);
	assert_unreadable(-EPROTO, "truncated .xz: the compressed data ends mid-stream", 0, &st);
	cr_assert_eq(st.malformed, 0);
}

Test(replay, corrupt_xz_is_an_error)
{
	uint8_t xz[4096];
	size_t xz_len = xz_of_one_cpuid(xz, sizeof(xz));
	struct nvmx_replay_stats st;

	memset(xz + 40, 0xa5, 40);
	file_of(xz, xz_len);
	assert_unreadable(-EBADMSG, "corrupt .xz data", 0, &st);
}

/* A line over 64 KiB: not a trace, and not read on into memory (a 1 GiB line was 1 GiB RSS). */
Test(replay, a_line_longer_than_64_kib_is_an_error)
{
	size_t n = NVMX_TEST_LONG_LINE;
	char *text = malloc(n);
	struct nvmx_replay_stats st;

	cr_assert_not_null(text);
	memcpy(text, SVM_REFLECTED_CPUID("142", "7"), strlen(SVM_REFLECTED_CPUID("142", "7")));
	memset(text + strlen(SVM_REFLECTED_CPUID("142", "7")), 'a',
	       n - strlen(SVM_REFLECTED_CPUID("142", "7")));
	file_of(text, n);
	free(text);
	assert_unreadable(-EOVERFLOW, "a line longer than 65536 bytes: not a trace", 1, &st);
	cr_assert_eq(st.lines, 7);
}

/* A pipe cannot be rewound: what told plain from xz must still be read (issue 16). */
static void replay_through_a_pipe(const void *data, size_t len)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = NULL;
	char fdpath[32];
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	cr_assert_lt(len, 65536); /* fits in the pipe: written before it is read */
	cr_assert_eq(write(fds[1], data, len), (ssize_t)len);
	close(fds[1]);
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fds[0]);
	cr_assert_eq(nvmx_replay_path(fdpath, &s, &st, NULL), 0);
	close(fds[0]);
	cr_assert_eq(st.lines, 14);
	cr_assert_eq(st.malformed, 0);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, NVMX_HANDLED_BY_L1), 2);
	nvmx_summary_free(s);
}

Test(replay, a_pipe_plain_or_xz_reads_all_of_it)
{
	static const char text[] = SVM_REFLECTED_CPUID("142", "7") SVM_REFLECTED_CPUID("142", "8");
	uint8_t xz[4096];
	size_t xz_len = 0;

	replay_through_a_pipe(text, strlen(text));
	cr_assert_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text,
					     strlen(text), xz, &xz_len, sizeof(xz)),
		     LZMA_OK);
	replay_through_a_pipe(xz, xz_len);
}

Test(replay, malformed_lines_are_kept_up_to_ten_then_counted)
{
	struct nvmx_replay_stats st;
	char *diag, *text = NULL, *out = NULL;
	size_t tlen = 0, olen = 0;
	FILE *t = open_memstream(&text, &tlen), *o;
	struct nvmx_summary *s;

	fputs(SVM_REFLECTED_CPUID("142", "7"), t);
	for (int i = 0; i < 25; i++)
		fprintf(t, "garbage %d\n", i);
	fputs(SVM_REFLECTED_CPUID("142", "8"), t);
	fclose(t);
	s = replay_text(text, &st, &diag);
	cr_assert_eq(st.malformed, 25);
	cr_assert_eq(st.first_malformed[0].line, 8);
	cr_assert_eq(st.first_malformed[9].line, 17);
	o = open_memstream(&out, &olen);
	for (int i = 8; i < 18; i++)
		fprintf(o, "%s:%d: expected a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'\n",
			path, i);
	fprintf(o, "%s: ... and 15 more malformed lines\n", path);
	fclose(o);
	cr_assert_str_eq(diag, out); /* diag gets them at the end, as the commands print them */
	free(out);
	free(text);
	done(s, diag);
}

/* The malformed-line policy: no KVM event, or more malformed lines than events, is unusable. */
Test(replay, check_says_when_a_capture_is_unusable)
{
	struct nvmx_replay_stats st = { .lines = 3, .events = 0 };
	char msg[512];

	cr_assert_eq(nvmx_replay_check(&st, "f", msg, sizeof(msg)), -EINVAL);
	cr_assert_str_eq(msg, "f: not a KVM trace: no KVM event in 3 lines");
	st.malformed = 2;
	st.first_malformed[0].line = 2;
	snprintf(st.first_malformed[0].expected, sizeof(st.first_malformed[0].expected), "x");
	cr_assert_eq(nvmx_replay_check(&st, "f", msg, sizeof(msg)), -EINVAL);
	cr_assert_str_eq(msg, "f:2: not a KVM trace: expected x");
	st.events = 1;
	cr_assert_eq(nvmx_replay_check(&st, "f", msg, sizeof(msg)), -EINVAL);
	cr_assert_str_eq(msg, "f: not a KVM trace: 2 malformed lines, more than its 1 events (the "
			      "first at line 2: expected x)");
	st.events = 2;
	cr_assert_eq(nvmx_replay_check(&st, "f", msg, sizeof(msg)), 0);
}

/* Threads are found by a hash: many of them, each its own state (the lookup was linear). */
Test(replay, many_threads_each_keep_their_state)
{
	struct nvmx_replay_stats st;
	char *text = NULL, *diag;
	size_t tlen = 0;
	FILE *t = open_memstream(&text, &tlen);
	struct nvmx_summary *s;
	char tid[16];

	/* every thread's VMRUN first, then every thread's CPUID: states interleaved */
	for (int step = 0; step < 2; step++)
		for (int i = 0; i < 3000; i++) {
			snprintf(tid, sizeof(tid), "%d", 1000 + i * 7);
			if (!step)
				fprintf(t,
					"  nestedsvm-%s [000] d..1. 7.000001: kvm_exit: vcpu 0 "
					"reason "
					"vmrun rip 0x803d info1 0x0 info2 0x0 intr_info 0x00000000 "
					"error_code 0x00000000\n"
					"  nestedsvm-%s [000] ..... 7.000002: kvm_nested_vmenter: "
					"rip: "
					"0x8040 vmcb: 0x5000 nested_rip: 0x814f int_ctl: "
					"0x01000000 "
					"event_inj: 0x00000000 nested_npt=n guest_cr3: 0x1000\n"
					"  nestedsvm-%s [000] d..1. 7.000003: kvm_entry: vcpu 0, "
					"rip "
					"0x814f\n",
					tid, tid, tid);
			else
				fprintf(t,
					"  nestedsvm-%s [000] d..1. 7.000004: kvm_exit: vcpu 0 "
					"reason "
					"cpuid rip 0x814f info1 0x0 info2 0x0 intr_info 0x00000000 "
					"error_code 0x00000000\n"
					"  nestedsvm-%s [000] ..... 7.000005: kvm_nested_vmexit: "
					"vcpu 0 "
					"reason cpuid rip 0x814f info1 0x0 info2 0x0 intr_info "
					"0x00000000 error_code 0x00000000\n"
					"  nestedsvm-%s [000] ..... 7.000006: "
					"kvm_nested_vmexit_inject: reason: cpuid ext_inf1: 0x0 "
					"ext_inf2: 0x0 ext_int: 0x00000000 ext_int_err: "
					"0x00000000\n"
					"  nestedsvm-%s [000] d..1. 7.000007: kvm_entry: vcpu 0, "
					"rip "
					"0x8040\n",
					tid, tid, tid, tid);
		}
	fclose(t);
	s = replay_text(text, &st, &diag);
	cr_assert_eq(st.threads, 3000);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, NVMX_HANDLED_BY_L1), 3000);
	cr_assert_eq(nvmx_summary_nested_entries(s), 3000);
	free(text);
	done(s, diag);
}

Test(replay, unreadable_file_is_an_error_and_no_summary)
{
	struct nvmx_summary *s = (struct nvmx_summary *)1;
	struct nvmx_replay_stats st;

	cr_assert_eq(nvmx_replay_path("/nonexistent/trace.txt", &s, &st, NULL), -ENOENT);
	cr_assert_null(s);
}

Test(replay, two_threads_with_the_same_vcpu_id_are_kept_apart)
{
	/* two VMs' vCPU 0, interleaved line by line: the state is per thread, not per vcpu_id */
	static const char text[] =
		"  a-10 [000] d..1. 1.000001: kvm_exit: vcpu 0 reason cpuid rip 0x1 info1 0x0 "
		"info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  b-20 [001] d..1. 1.000002: kvm_exit: vcpu 0 reason cpuid rip 0x1 info1 0x0 "
		"info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  a-10 [000] ..... 1.000003: kvm_nested_vmexit: vcpu 0 reason cpuid rip 0x1 "
		"info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  b-20 [001] d..1. 1.000004: kvm_entry: vcpu 0, rip 0x3\n"
		"  a-10 [000] ..... 1.000005: kvm_nested_vmexit_inject: reason: cpuid ext_inf1: "
		"0x0 "
		"ext_inf2: 0x0 ext_int: 0x0 ext_int_err: 0x0\n"
		"  a-10 [000] d..1. 1.000006: kvm_entry: vcpu 0, rip 0x8040\n";
	struct nvmx_replay_stats st;
	char *diag;
	struct nvmx_summary *s = replay_text(text, &st, &diag);

	cr_assert_eq(st.threads, 2);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, NVMX_HANDLED_BY_L1), 1);
	cr_assert_eq(nvmx_summary_exit_count(s, L1X, SVM, 0x72, NVMX_HANDLED_BY_NONE), 1);
	cr_assert_eq(nvmx_summary_unattributed(s), 0);
	done(s, diag);
}

Test(replay, lost_events_are_reported_and_make_pending_exits_unattributed)
{
	static const char text[] =
		"  a-10 [000] d..1. 1.000001: kvm_exit: vcpu 0 reason cpuid rip 0x1 info1 0x0 "
		"info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  a-10 [000] ..... 1.000002: kvm_nested_vmexit: vcpu 0 reason cpuid rip 0x1 "
		"info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
		"CPU:0 [LOST 17 EVENTS]\n"
		"  a-10 [000] ..... 1.000005: kvm_nested_vmexit_inject: reason: cpuid ext_inf1: "
		"0x0 "
		"ext_inf2: 0x0 ext_int: 0x0 ext_int_err: 0x0\n"
		"  a-10 [000] d..1. 1.000006: kvm_entry: vcpu 0, rip 0x8040\n";
	struct nvmx_replay_stats st;
	char *diag;
	struct nvmx_summary *s = replay_text(text, &st, &diag);

	cr_assert_eq(st.lost_events, 17);
	cr_assert_eq(st.lost_markers, 1);
	cr_assert_eq(nvmx_summary_lost(s), 17, "the summary says its counts are short");
	/* the pending cpuid and the inject after the gap: neither is guessed */
	cr_assert_eq(nvmx_summary_unattributed(s), 2);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, NVMX_HANDLED_BY_L1), 0);
	done(s, diag);
}

Test(replay, overwritten_ring_buffer_counts_as_lost_events)
{
	struct nvmx_replay_stats st;
	char *diag;
	struct nvmx_summary *s = replay_text(
		"# entries-in-buffer/entries-written: 7/107   #P:1\n"
		"  nestedsvm-142 [000] ..... 6.999999: kvm_nested_vmexit_inject: reason: "
		"io ext_inf1: 0x0 ext_inf2: 0x0 ext_int: 0x0 ext_int_err: 0x0\n"
		"  nestedsvm-142 [000] d..1. 7.000000: kvm_entry: vcpu 0, rip "
		"0x8040\n" SVM_REFLECTED_CPUID("142", "7"),
		&st, &diag);

	cr_assert_eq(st.lost_events, 100);
	cr_assert_eq(nvmx_summary_lost(s), 100);
	cr_assert_eq(nvmx_summary_unattributed(s), 1, "the first inject may reflect a lost exit");
	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x72, NVMX_HANDLED_BY_L1), 1);
	done(s, diag);
}

Test(replay, hex_reason_takes_the_isa_from_the_threads_earlier_lines)
{
	static const char text[] =
		"  v-5 [000] d..1. 1.000001: kvm_exit: vcpu 0 reason CPUID rip 0x1 info1 0x0 "
		"info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  v-5 [000] d..1. 1.000002: kvm_entry: vcpu 0, rip 0x3\n"
		"  v-5 [000] d..1. 1.000003: kvm_exit: vcpu 0 reason 0x50 rip 0x1 info1 0x0 "
		"info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  v-5 [000] d..1. 1.000004: kvm_entry: vcpu 0, rip 0x3\n";
	struct nvmx_replay_stats st;
	char *diag;
	struct nvmx_summary *s = replay_text(text, &st, &diag);

	cr_assert_eq(nvmx_summary_exit_count(s, L1X, VMX, 0x50, NVMX_HANDLED_BY_NONE), 1);
	done(s, diag);
}

Test(replay, trace_cmd_report_output_with_ns_timestamps)
{
	static const char text[] =
		"version = 6\n"
		"cpus=2\n"
		"CPU 1 is empty\n"
		"  CPU 0/KVM-3000  [000]  100.000000001: kvm_exit: vcpu 0 reason MSR_READ rip 0x1 "
		"info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  CPU 0/KVM-3000  [000]  100.000000002: kvm_nested_vmexit: vcpu 0 reason MSR_READ "
		"rip 0x1 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  CPU 0/KVM-3000  [000]  100.000000003: kvm_msr: msr_read 1b = 0xfee00d00\n"
		"  CPU 0/KVM-3000  [000]  100.000000004: kvm_entry: vcpu 0, rip 0x3\n";
	struct nvmx_replay_stats st;
	char *diag;
	struct nvmx_summary *s = replay_text(text, &st, &diag);

	cr_assert_eq(st.malformed, 0, "%s", diag);
	cr_assert_eq(st.threads, 1);
	cr_assert_eq(nvmx_summary_exit_count(s, L2, VMX, 31, NVMX_HANDLED_BY_L0), 1);
	cr_assert_eq(nvmx_summary_msr_count(s, VMX, 0x1b, false, NVMX_HANDLED_BY_L0), 1);
	done(s, diag);
}

Test(replay, reflected_msr_exit_is_counted_with_msr_unknown)
{
	static const char text[] =
		"  v-5 [000] d..1. 1.000001: kvm_exit: vcpu 0 reason msr rip 0x1 info1 0x1 "
		"info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  v-5 [000] ..... 1.000002: kvm_nested_vmexit: vcpu 0 reason msr rip 0x1 info1 "
		"0x1 "
		"info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  v-5 [000] ..... 1.000003: kvm_nested_vmexit_inject: reason: msr ext_inf1: 0x1 "
		"ext_inf2: 0x0 ext_int: 0x0 ext_int_err: 0x0\n"
		"  v-5 [000] d..1. 1.000004: kvm_entry: vcpu 0, rip 0x8040\n";
	struct nvmx_replay_stats st;
	char *diag;
	struct nvmx_summary *s = replay_text(text, &st, &diag);

	cr_assert_eq(nvmx_summary_msr_count(s, SVM, NVMX_MSR_UNKNOWN, true, NVMX_HANDLED_BY_L1), 1);
	done(s, diag);
}

/*
 * A reflected WRMSR whose index nvmxd read from L2's RCX (an nvmxd --record line), its round trip
 * (L2 exit at 1 us to the entry into L2 at 9 us) as the cost, and L1's own exits in the handler:
 * an L0-emulated RDMSR and an OUT.
 */
Test(replay, reflected_msr_costs_its_round_trip_and_l1s_own_exits_are_counted)
{
	static const char text[] =
		"  v-5 [000] d..1. 1.000001000: kvm_exit: vcpu 0 reason msr rip 0x1 info1 0x1 "
		"info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  v-5 [000] ..... 1.000001100: nvmx_guest_rcx: rcx 0x174\n"
		"  v-5 [000] ..... 1.000001200: kvm_nested_vmexit: vcpu 0 reason msr rip 0x1 info1 "
		"0x1 info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  v-5 [000] ..... 1.000002000: kvm_nested_vmexit_inject: reason: msr ext_inf1: "
		"0x1 "
		"ext_inf2: 0x0 ext_int: 0x0 ext_int_err: 0x0\n"
		"  v-5 [000] d..1. 1.000003000: kvm_entry: vcpu 0, rip 0x8040\n"
		"  v-5 [000] d..1. 1.000004000: kvm_exit: vcpu 0 reason msr rip 0x8041 info1 0x0 "
		"info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  v-5 [000] ..... 1.000004100: kvm_msr: msr_read 1b = 0xfee00d00\n"
		"  v-5 [000] d..1. 1.000004500: kvm_entry: vcpu 0, rip 0x8043\n"
		"  v-5 [000] d..1. 1.000005000: kvm_exit: vcpu 0 reason io rip 0x8043 info1 "
		"0x00000000f0010010 info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  v-5 [000] d..1. 1.000006000: kvm_entry: vcpu 0, rip 0x8045\n"
		"  v-5 [000] d..1. 1.000007000: kvm_exit: vcpu 0 reason vmrun rip 0x8045 info1 0x0 "
		"info2 0x0 intr_info 0x0 error_code 0x0\n"
		"  v-5 [000] ..... 1.000008000: kvm_nested_vmenter: rip: 0x8045 vmcb: 0x5000 "
		"nested_rip: 0x3 int_ctl: 0x0 event_inj: 0x0 nested_npt=n guest_cr3: 0x1000\n"
		"  v-5 [000] d..1. 1.000009000: kvm_entry: vcpu 0, rip 0x3\n";
	const struct nvmx_summary_msr *m;
	const struct nvmx_summary_port *p;
	struct nvmx_replay_stats st;
	char *diag;
	struct nvmx_summary *s = replay_text(text, &st, &diag);
	size_t n;

	cr_assert_eq(st.malformed, 0, "%s", diag);
	cr_assert_eq(nvmx_summary_msr_count(s, SVM, 0x174, true, NVMX_HANDLED_BY_L1), 1);
	cr_assert_eq(nvmx_summary_msr_count(s, SVM, 0x1b, false, NVMX_HANDLED_BY_NONE), 1);
	cr_assert_eq(nvmx_summary_port_count(s, SVM, 0xf001, false, 1, NVMX_HANDLED_BY_NONE), 1);
	n = nvmx_summary_msrs(s, &m);
	cr_assert_eq(n, 2);
	/* sorted by isa, msr: 0x1b (L1's own, L0 took 500 ns), 0x174 (reflected, 8 us trip) */
	cr_assert_eq(m[0].msr, 0x1b);
	cr_assert_eq(m[0].timed, 1);
	cr_assert_eq(m[0].sum_ns, 500);
	cr_assert_eq(m[1].msr, 0x174);
	cr_assert_eq(m[1].timed, 1);
	cr_assert_eq(m[1].sum_ns, 8000);
	cr_assert_eq(nvmx_summary_ports(s, &p), 1);
	cr_assert_eq(p[0].timed, 1);
	cr_assert_eq(p[0].sum_ns, 1000);
	done(s, diag);
}

Test(replay, svm_synthesized_interrupt_after_an_l2_exit_to_the_vmm)
{
	/* 6.12-qemu64-intr, one iteration's tail: OUT 0x81 to the VMM, then INTR to L1 */
	static const char text[] =
		"  n-185 [000] d..1. 9.053300: kvm_exit: vcpu 0 reason io rip 0x8168 info1 "
		"0x0000000000810010 info2 0x816a intr_info 0x0 error_code 0x0\n"
		"  n-185 [000] ..... 9.053394: kvm_nested_vmexit: vcpu 0 reason io rip 0x8168 "
		"info1 "
		"0x0000000000810010 info2 0x816a intr_info 0x0 error_code 0x0\n"
		"  n-185 [000] .N... 9.055067: kvm_userspace_exit: reason KVM_EXIT_IO (2)\n"
		"  n-185 [000] .N... 9.058178: kvm_nested_intr_vmexit: rip: 0x0000000000008168\n"
		"  n-185 [000] ..... 9.058726: kvm_nested_vmexit_inject: reason: interrupt "
		"ext_inf1: "
		"0x0 ext_inf2: 0x0 ext_int: 0x00000000 ext_int_err: 0x00000000\n"
		"  n-185 [000] d..1. 9.059070: kvm_entry: vcpu 0, rip 0x8040\n";
	struct nvmx_replay_stats st;
	char *diag;
	struct nvmx_summary *s = replay_text(text, &st, &diag);

	cr_assert_eq(nvmx_summary_exit_count(s, L2, SVM, 0x7b, NVMX_HANDLED_BY_L0), 1);
	cr_assert_eq(nvmx_summary_exit_count(s, SYN, SVM, 0x60, NVMX_HANDLED_BY_NONE), 1);
	cr_assert_eq(nvmx_summary_port_count(s, SVM, 0x81, false, 1, NVMX_HANDLED_BY_L0), 1);
	done(s, diag);
}
