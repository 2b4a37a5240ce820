// SPDX-License-Identifier: GPL-2.0
/*
 * The capture formats besides tracefs text: `perf script` output (microseconds and --ns) and
 * trace-cmd's trace.dat, of one lab run that captured the same workload with all three at once
 * (tests/data/inputs-6.12, made by tests/lab/inputs_run.sh: see tests/data/README.md). Each
 * replays to the same counts as the tracefs text, and to the workload's truth.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "nvmx/input.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"
#include "trace_parse.h"

#define DIR NVMX_TEST_DATA "/inputs-6.12"

static struct nvmx_summary *replay(const char *path, struct nvmx_replay_stats *st)
{
	struct nvmx_summary *s = NULL;

	cr_assert_eq(nvmx_replay_path(path, &s, st, stderr), 0, "%s", path);
	return s;
}

static struct nvmx_summary *truth(void)
{
	struct json_object *root;
	struct nvmx_summary *s;
	char err[256];

	cr_assert_eq(nvmx_json_read_path(DIR "/truth.json", &root, err, sizeof(err)), 0, "%s", err);
	s = nvmx_summary_from_json(root, "truth.json", err, sizeof(err));
	json_object_put(root); /* the caller's (nvmx/summary.h) */
	cr_assert(s, "%s", err);
	return s;
}

/* path replays completely, to every count of the tracefs text and the truth's certain counts */
static void same_as_tracefs(const char *path)
{
	struct nvmx_replay_stats st, tst;
	struct nvmx_summary *text = replay(DIR "/tracefs.txt.xz", &tst);
	struct nvmx_summary *s = replay(path, &st);
	struct nvmx_summary *t = truth();

	cr_assert_eq(st.malformed, 0, "%s", path);
	cr_assert_eq(st.lost_events, 0, "%s", path);
	cr_assert_gt(st.events, 500, "%s: %llu events", path, (unsigned long long)st.events);
	cr_assert_eq(tst.malformed, 0);
	cr_assert_eq(nvmx_summary_compare_all(text, s, "tracefs", path, stderr), 0, "%s", path);
	cr_assert_eq(nvmx_summary_compare_certain(t, s, stderr), 0, "%s", path);
	nvmx_summary_free(text);
	nvmx_summary_free(s);
	nvmx_summary_free(t);
}

Test(inputs, perf_script_usec_equals_tracefs)
{
	same_as_tracefs(DIR "/perf.txt.xz");
}

Test(inputs, perf_script_ns_equals_tracefs)
{
	same_as_tracefs(DIR "/perf-ns.txt.xz");
}

Test(inputs, trace_dat_equals_tracefs)
{
	same_as_tracefs(DIR "/trace.dat");
}

/* The first kvm_exit line of the capture at path, decompressed by the reader. */
static void first_line_of(const char *path, const char *event, char *buf, size_t len)
{
	struct nvmx_reader *rd;
	const char *line;
	long n;

	cr_assert_eq(nvmx_reader_open(path, &rd), 0);
	while ((n = nvmx_reader_next(rd, &line)) >= 0)
		if (strstr(line, event))
			break;
	cr_assert_geq(n, 0, "%s: no %s", path, event);
	snprintf(buf, len, "%s", line);
	nvmx_reader_close(rd);
}

/* One grammar per file: a perf line sets it, a tracefs line after it is malformed (and back). */
Test(inputs, one_grammar_per_file)
{
	char perf[1024], text[1024];
	enum nvmx_text_format fmt = NVMX_TEXT_UNKNOWN;
	struct nvmx_line a, b;

	first_line_of(DIR "/perf.txt.xz", "kvm:kvm_exit:", perf, sizeof(perf));
	first_line_of(DIR "/tracefs.txt.xz", " kvm_exit:", text, sizeof(text));
	nvmx_parse_line_as(perf, strlen(perf), &fmt, &a);
	cr_assert_eq(fmt, NVMX_TEXT_PERF);
	cr_assert_eq(a.type, NVMX_LINE_EVENT, "%s", a.expected);
	cr_assert_eq(a.ev.kind, NVMX_EV_EXIT);
	nvmx_parse_line_as(text, strlen(text), &fmt, &b);
	cr_assert_eq(b.type, NVMX_LINE_MALFORMED);
	cr_assert(strstr(b.expected, "perf script line"), "%s", b.expected);

	fmt = NVMX_TEXT_UNKNOWN;
	nvmx_parse_line_as(text, strlen(text), &fmt, &b);
	cr_assert_eq(fmt, NVMX_TEXT_FTRACE);
	cr_assert_eq(b.type, NVMX_LINE_EVENT);
	/* the same exit, read from either grammar */
	cr_assert_eq(a.ev.reason, b.ev.reason);
	cr_assert_eq(a.ev.isa, b.ev.isa);
	nvmx_parse_line_as(perf, strlen(perf), &fmt, &a);
	cr_assert_eq(a.type, NVMX_LINE_MALFORMED);
}

/* perf script's columns: "COMM TID [CPU] S.US: kvm:EVENT: BODY", also PID/TID and --ns. */
Test(inputs, perf_columns)
{
	static const char *const lines[] = {
		"       CPU 0/KVM   421 [000]   103.123456: kvm:kvm_entry: vcpu 0, rip 0x1000",
		"  CPU 0/KVM   420/421   [000]   103.123456: kvm:kvm_entry: vcpu 0, rip 0x1000",
		"       CPU 0/KVM   421 [000]   103.123456789: kvm:kvm_entry: vcpu 0, rip 0x1000",
	};
	static const uint64_t ts[] = { 103123456000ull, 103123456000ull, 103123456789ull };

	for (size_t i = 0; i < 3; i++) {
		enum nvmx_text_format fmt = NVMX_TEXT_UNKNOWN;
		struct nvmx_line l;

		nvmx_parse_line_as(lines[i], strlen(lines[i]), &fmt, &l);
		cr_assert_eq(fmt, NVMX_TEXT_PERF, "%s", lines[i]);
		cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s: %s", lines[i], l.expected);
		cr_assert_eq(l.ev.tid, 421);
		cr_assert_eq(l.ev.vcpu_id, 0);
		cr_assert_eq(l.ev.ts_ns, ts[i], "%s", lines[i]);
		/* the drill-down's --vm: COMM, and the process where -F pid,tid printed it */
		cr_assert_str_eq(l.task, "CPU 0/KVM", "%s", lines[i]);
		cr_assert_eq(l.tgid, i == 1 ? 420 : 0, "%s", lines[i]);
	}
}

/* an event whose print format perf's libtraceevent cannot parse: its raw fields, by name */
Test(inputs, perf_failed_to_parse)
{
	enum nvmx_text_format fmt = NVMX_TEXT_PERF;
	const char *raw = "   nvmx-wl-vcpu0   377 [000]    10.855159:              "
			  "kvm:kvm_inj_exception: [FAILED TO PARSE] exception=14 has_error=1 "
			  "error_code=0x2 reinjected=1";
	const char *bad = "   nvmx-wl-vcpu0   377 [000]    10.855159:              "
			  "kvm:kvm_inj_exception: [FAILED TO PARSE] has_error=1";
	struct nvmx_line l;

	nvmx_parse_line_as(raw, strlen(raw), &fmt, &l);
	cr_assert_eq(l.type, NVMX_LINE_EVENT, "%s", l.expected);
	cr_assert_eq(l.ev.kind, NVMX_EV_INJ_EXCEPTION);
	cr_assert_eq(l.ev.reason, 14);
	cr_assert_eq(l.ev.error_code, 2);
	cr_assert_eq(l.ev.flags, NVMX_EV_F_HAS_ERROR | NVMX_EV_F_REINJECTED);
	cr_assert_eq(l.ev.tid, 377);
	nvmx_parse_line_as(bad, strlen(bad), &fmt, &l);
	cr_assert_eq(l.type, NVMX_LINE_MALFORMED);
	cr_assert_str_eq(l.expected, "a kvm_inj_exception record with a field 'exception'");
}

/* --show-lost-events: PERF_RECORD_LOST lines are lost events, not malformed ones */
Test(inputs, perf_lost)
{
	enum nvmx_text_format fmt = NVMX_TEXT_PERF;
	const char *lost = "            perf     0 [000]     0.000000: PERF_RECORD_LOST lost 17";
	struct nvmx_line l;

	nvmx_parse_line_as(lost, strlen(lost), &fmt, &l);
	cr_assert_eq(l.type, NVMX_LINE_LOST);
	cr_assert_eq(l.lost, 17);
}

/* Unparsable lines among perf's are counted, with what was expected; the events still replay. */
Test(inputs, perf_malformed_counted)
{
	char path[] = "/tmp/nvmx-test-perf-XXXXXX";
	int fd = mkstemp(path);
	struct nvmx_reader *rd;
	struct nvmx_replay_stats st, good;
	struct nvmx_summary *s, *g;
	const char *line;
	long n;
	int i = 0;
	FILE *f;

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_eq(nvmx_reader_open(DIR "/perf.txt.xz", &rd), 0);
	while ((n = nvmx_reader_next(rd, &line)) >= 0) {
		fprintf(f, "%s\n", line);
		if (++i == 50)
			fputs("garbage in a perf capture\n"
			      "  qemu-system-x86 421 [000] 1.0: kvm:kvm_exit: vcpu 0 reason NOPE\n",
			      f);
	}
	nvmx_reader_close(rd);
	fclose(f);
	s = replay(path, &st);
	g = replay(DIR "/perf.txt.xz", &good);
	unlink(path);
	cr_assert_eq(st.malformed, 2);
	cr_assert_eq(st.first_malformed[0].line, 51);
	cr_assert(strstr(st.first_malformed[0].expected, "perf script line"), "%s",
		  st.first_malformed[0].expected);
	cr_assert_eq(st.first_malformed[1].line, 52);
	cr_assert(strstr(st.first_malformed[1].expected, "kvm_exit body"), "%s",
		  st.first_malformed[1].expected);
	cr_assert_eq(st.events, good.events);
	cr_assert_eq(nvmx_summary_compare_all(g, s, "perf", path, stderr), 0);
	nvmx_summary_free(s);
	nvmx_summary_free(g);
}

static void *feed(void *arg)
{
	int *p = arg;
	int in = open(DIR "/trace.dat", O_RDONLY);
	char buf[4096];
	ssize_t n;

	while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(p[1], buf, (size_t)n) != n)
			break;
	if (in >= 0)
		close(in);
	close(p[1]);
	return NULL;
}

/* libtracecmd seeks in a trace.dat: a pipe of one is refused (-ESPIPE), never misread */
Test(inputs, trace_dat_pipe_refused)
{
	struct nvmx_summary *s = NULL;
	struct nvmx_replay_stats st;
	char path[64];
	pthread_t t;
	int p[2], line_too;

	signal(SIGPIPE, SIG_IGN); /* the writer's end: EPIPE once the reader gave up */
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(pthread_create(&t, NULL, feed, p), 0);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
	cr_assert_eq(nvmx_replay_path(path, &s, &st, NULL), -ESPIPE);
	cr_assert_null(s);
	cr_assert(strstr(nvmx_replay_strerror(-ESPIPE, &line_too), "pipe"));
	close(p[0]); /* the writer gets EPIPE and ends */
	pthread_join(t, NULL);
}

/* a trace.dat cut short: refused as unreadable, or read to where it ends, never a crash */
Test(inputs, trace_dat_truncated)
{
	char path[] = "/tmp/nvmx-test-dat-XXXXXX";
	int fd = mkstemp(path), in = open(DIR "/trace.dat", O_RDONLY);
	struct nvmx_summary *s = NULL;
	struct nvmx_replay_stats st;
	char buf[4096];
	ssize_t n;

	cr_assert_geq(fd, 0);
	cr_assert_geq(in, 0);
	n = read(in, buf, sizeof(buf));
	cr_assert_gt(n, 100);
	cr_assert_eq(write(fd, buf, 100), 100);
	close(in);
	close(fd);
	cr_assert_eq(nvmx_replay_path(path, &s, &st, NULL), -ENOEXEC);
	cr_assert_null(s);
	unlink(path);
}
