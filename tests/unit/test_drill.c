// SPDX-License-Identifier: GPL-2.0
/*
 * The drill-down (--vm, --vcpu): a replay that keeps some vCPU threads only. The capture is a real
 * lab run with two vCPUs (tests/data/svm-6.12-lab-two-vcpus-n100: each vCPU its own L1/L2 pair
 * running the same mix 100 times, so each vCPU's certain counts are half of the VM's truth).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "nvmx/derive.h"
#include "nvmx/input.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"

#define TWO NVMX_TEST_DATA "/svm-6.12-lab-two-vcpus-n100"
/* the same VM (N = 50) with tracefs' record-tgid on: its lines name the VMM, pid 179 */
#define TGID NVMX_TEST_DATA "/svm-6.12-lab-two-vcpus-tgid-n50"

/* The capture at path replayed with filter (vm, vcpu): 0 or the replay's negative errno. */
static int replay_file(const char *path, const char *vm, int64_t vcpu, struct nvmx_summary **s,
		       struct nvmx_replay_stats *st)
{
	struct nvmx_replay_filter f = { vm, vcpu };
	struct nvmx_input *in;

	*s = NULL;
	cr_assert_eq(nvmx_input_open(path, &in), 0);
	return nvmx_replay_input(in, path, &f, s, st, stderr);
}

/* DIR/trace.txt.xz, the same. */
static int replay_of(const char *dir, const char *vm, int64_t vcpu, struct nvmx_summary **s,
		     struct nvmx_replay_stats *st)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/trace.txt.xz", dir);
	return replay_file(path, vm, vcpu, s, st);
}

static int replay(const char *vm, int64_t vcpu, struct nvmx_summary **s,
		  struct nvmx_replay_stats *st)
{
	return replay_of(TWO, vm, vcpu, s, st);
}

static struct nvmx_summary *kept(const char *vm, int64_t vcpu, struct nvmx_replay_stats *st)
{
	struct nvmx_summary *s;

	cr_assert_eq(replay(vm, vcpu, &s, st), 0, "--vm %s --vcpu %lld", vm ? vm : "-",
		     (long long)vcpu);
	cr_assert_not_null(s);
	return s;
}

Test(drill, the_capture_has_two_vcpu_threads)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = kept(NULL, -1, &st);

	cr_assert_eq(st.threads, 2);
	cr_assert_eq(st.lost_events, 0);
	cr_assert_eq(st.malformed, 0);
	cr_assert_null(nvmx_summary_get_filter(s), "no filter: no \"filter\" in the JSON");
	nvmx_summary_free(s);
}

/* Every certain exit, MSR and port entry of the VM's truth, halved, is the vCPU's count. */
static void assert_half_of_truth(const struct nvmx_summary *vcpu, const struct nvmx_summary *truth)
{
	const struct nvmx_summary_exit *e;
	const struct nvmx_summary_msr *m;
	const struct nvmx_summary_port *p;
	size_t n = nvmx_summary_exits(truth, &e), checked = 0;

	for (size_t i = 0; i < n; i++) {
		if (!nvmx_exit_certain(e[i].kind, e[i].isa, e[i].reason))
			continue;
		cr_assert_eq(e[i].count % 2, 0);
		cr_assert_eq(nvmx_summary_exit_count(vcpu, e[i].kind, e[i].isa, e[i].reason,
						     e[i].handled_by),
			     e[i].count / 2, "kind %d reason 0x%x", e[i].kind, e[i].reason);
		checked++;
	}
	n = nvmx_summary_msrs(truth, &m);
	for (size_t i = 0; i < n; i++) {
		/* a reflected RDMSR/WRMSR has no kvm_msr: its index is not in a tracefs capture */
		uint32_t msr = m[i].handled_by == NVMX_HANDLED_BY_L1 ? NVMX_MSR_UNKNOWN : m[i].msr;

		cr_assert_eq(
			nvmx_summary_msr_count(vcpu, m[i].isa, msr, m[i].write, m[i].handled_by),
			m[i].count / 2, "msr 0x%x", m[i].msr);
		checked++;
	}
	n = nvmx_summary_ports(truth, &p);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(nvmx_summary_port_count(vcpu, p[i].isa, p[i].port, p[i].in, p[i].size,
						     p[i].handled_by),
			     p[i].count / 2, "port 0x%x", p[i].port);
		checked++;
	}
	cr_assert_geq(checked, 8, "the truth has the workload's certain entries");
	cr_assert_eq(nvmx_summary_nested_entries(vcpu), nvmx_summary_nested_entries(truth) / 2);
}

Test(drill, each_vcpu_has_half_of_the_vms_truth)
{
	char err[256];
	struct nvmx_summary *truth = nvmx_summary_read_json(TWO "/truth.json", err, sizeof(err));

	cr_assert_not_null(truth, "%s", err);
	for (int v = 0; v < 2; v++) {
		struct nvmx_replay_stats st;
		struct nvmx_summary *s = kept(NULL, v, &st);
		const struct nvmx_summary_filter *f = nvmx_summary_get_filter(s);

		assert_half_of_truth(s, truth);
		cr_assert_not_null(f);
		cr_assert_eq(f->vcpu, v);
		cr_assert_str_eq(f->vm, "");
		cr_assert_eq(f->threads, 1);
		cr_assert_eq(st.matched_threads, 1);
		cr_assert_eq(f->events, st.matched_events);
		cr_assert(st.matched_events > 0 && st.matched_events < st.events);
		nvmx_summary_free(s);
	}
	nvmx_summary_free(truth);
}

/* Adds src's exits, MSR and port entries, nested entries and unattributed to dst. */
static void add_counts(struct nvmx_summary *dst, const struct nvmx_summary *src)
{
	const struct nvmx_summary_exit *e;
	const struct nvmx_summary_msr *m;
	const struct nvmx_summary_port *p;
	size_t n = nvmx_summary_exits(src, &e);

	for (size_t i = 0; i < n; i++)
		cr_assert_eq(nvmx_summary_add_exit(dst, e[i].kind, e[i].isa, e[i].reason,
						   e[i].handled_by, e[i].count),
			     0);
	n = nvmx_summary_msrs(src, &m);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(nvmx_summary_add_msr(dst, m[i].isa, m[i].msr, m[i].write,
						  m[i].handled_by, m[i].count),
			     0);
	n = nvmx_summary_ports(src, &p);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(nvmx_summary_add_port(dst, p[i].isa, p[i].port, p[i].in, p[i].size,
						   p[i].handled_by, p[i].count),
			     0);
	nvmx_summary_add_nested_entries(dst, nvmx_summary_nested_entries(src));
	nvmx_summary_add_unattributed(dst, nvmx_summary_unattributed(src));
}

/* What the two vCPUs' summaries add up to is the whole capture's, entry by entry. */
Test(drill, the_vcpus_add_up_to_the_whole)
{
	struct nvmx_replay_stats st, st0, st1;
	struct nvmx_summary *all = kept(NULL, -1, &st);
	struct nvmx_summary *v[2] = { kept(NULL, 0, &st0), kept(NULL, 1, &st1) };
	struct nvmx_summary *whole = nvmx_summary_new(), *sum = nvmx_summary_new();
	uint64_t rts[3], l1[3];

	add_counts(whole, all);
	add_counts(sum, v[0]);
	add_counts(sum, v[1]);
	cr_assert_eq(nvmx_summary_compare_all(whole, sum, "whole", "vCPU 0 + vCPU 1", stderr), 0);
	/* the Turtles breakdown too: the round trips are per thread */
	nvmx_summary_round_trip_totals(all, &rts[0], &l1[0]);
	nvmx_summary_round_trip_totals(v[0], &rts[1], &l1[1]);
	nvmx_summary_round_trip_totals(v[1], &rts[2], &l1[2]);
	cr_assert_gt(rts[1], 0);
	cr_assert_gt(rts[2], 0);
	cr_assert_eq(rts[0], rts[1] + rts[2]);
	cr_assert_eq(l1[0], l1[1] + l1[2]);
	cr_assert_eq(st0.matched_events + st1.matched_events, st.events);
	for (int k = 0; k < 2; k++)
		nvmx_summary_free(v[k]);
	nvmx_summary_free(sum);
	nvmx_summary_free(whole);
	nvmx_summary_free(all);
}

/* --vm NAME is the threads' TASK, a shell pattern; with --vcpu, the vCPU of those threads. */
Test(drill, vm_by_task_name_and_pattern)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *all = kept(NULL, -1, &st);
	struct nvmx_summary *pat = kept("nvmx-wl-*", -1, &st);
	struct nvmx_summary *one = kept("nvmx-wl-vcpu1", -1, &st);
	struct nvmx_summary *v1 = kept(NULL, 1, &st);
	struct nvmx_summary *both = kept("nvmx-wl-*", 1, &st);

	cr_assert_eq(nvmx_summary_compare_all(all, pat, "all", "--vm nvmx-wl-*", stderr), 0);
	cr_assert_eq(nvmx_summary_get_filter(pat)->threads, 2);
	cr_assert_eq(nvmx_summary_compare_all(v1, one, "--vcpu 1", "--vm nvmx-wl-vcpu1", stderr),
		     0);
	cr_assert_eq(nvmx_summary_compare_all(v1, both, "--vcpu 1", "both", stderr), 0);
	cr_assert_str_eq(nvmx_summary_get_filter(both)->vm, "nvmx-wl-*");
	nvmx_summary_free(all);
	nvmx_summary_free(pat);
	nvmx_summary_free(one);
	nvmx_summary_free(v1);
	nvmx_summary_free(both);
}

/* A filter that matches no thread: -ESRCH, and the message lists the threads there are. */
Test(drill, no_match_names_the_threads_there_are)
{
	struct nvmx_replay_filter f[] = {
		{ "qemu-system-x86", -1 }, { NULL, 2 }, { "nvmx-wl-vcpu0", 1 }, { "167", -1 }
	};
	char msg[768];

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		struct nvmx_replay_stats st;
		struct nvmx_summary *s;

		cr_assert_eq(replay(f[i].vm, f[i].vcpu, &s, &st), -ESRCH);
		cr_assert_null(s);
		nvmx_replay_no_match(&f[i], "T", &st, msg, sizeof(msg));
		cr_assert(strstr(msg, "T: no vCPU thread matches --"), "%s", msg);
		cr_assert(strstr(msg, "nvmx-wl-vcpu0-167 (vCPU 0), nvmx-wl-vcpu1-168 (vCPU 1)"),
			  "%s", msg);
		/* a pid is the (TGID) column, which this capture's lines do not have */
		cr_assert_eq(strstr(msg, "record-tgid") != NULL, i == 3, "%s", msg);
	}
}

/* "filter" is written and read back: a filtered JSON says what it is. */
Test(drill, the_json_says_which_filter)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = kept("nvmx-wl-*", 0, &st), *back;
	const struct nvmx_summary_filter *f;
	char path[] = "/tmp/nvmx-drill-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *out = fdopen(fd, "w");

	cr_assert_not_null(out);
	cr_assert_eq(nvmx_summary_write_json(s, out), 0);
	fclose(out);
	back = nvmx_summary_read_json(path, err, sizeof(err));
	unlink(path);
	cr_assert_not_null(back, "%s", err);
	f = nvmx_summary_get_filter(back);
	cr_assert_not_null(f);
	cr_assert_str_eq(f->vm, "nvmx-wl-*");
	cr_assert_eq(f->vcpu, 0);
	cr_assert_eq(f->threads, 1);
	cr_assert_eq(f->events, st.matched_events);
	cr_assert_eq(nvmx_summary_compare_all(s, back, "written", "read", stderr), 0);
	nvmx_summary_free(back);
	nvmx_summary_free(s);
}

/* --vm PID: the (TGID) column of a capture made with tracefs' record-tgid. */
Test(drill, vm_by_pid_where_the_lines_have_a_tgid)
{
	struct nvmx_replay_filter tid = { "180", -1 };
	struct nvmx_replay_stats st, st_pid, st_v1;
	struct nvmx_summary *all, *pid, *v1, *none;
	char err[256], msg[768];
	struct nvmx_summary *truth = nvmx_summary_read_json(TGID "/truth.json", err, sizeof(err));

	cr_assert_not_null(truth, "%s", err);
	cr_assert_eq(replay_of(TGID, NULL, -1, &all, &st), 0);
	cr_assert_eq(replay_of(TGID, "179", -1, &pid, &st_pid), 0);
	cr_assert_eq(st_pid.matched_threads, 2, "both vCPU threads are of process 179");
	cr_assert_eq(st_pid.matched_events, st.events);
	cr_assert_eq(nvmx_summary_compare_all(all, pid, "all", "--vm 179", stderr), 0);
	cr_assert_eq(replay_of(TGID, "179", 1, &v1, &st_v1), 0);
	cr_assert_eq(st_v1.matched_threads, 1);
	assert_half_of_truth(v1, truth);
	/* a thread's id is not its process's: no match, and the list says the pid */
	cr_assert_eq(replay_of(TGID, tid.vm, -1, &none, &st), -ESRCH);
	nvmx_replay_no_match(&tid, "T", &st, msg, sizeof(msg));
	cr_assert(strstr(msg, "nvmx-wl-vcpu0-180 (pid 179, vCPU 0)"), "%s", msg);
	cr_assert_null(strstr(msg, "record-tgid"), "%s", msg);
	nvmx_summary_free(all);
	nvmx_summary_free(pid);
	nvmx_summary_free(v1);
	nvmx_summary_free(truth);
}

/*
 * Every input format names its threads: tracefs text, perf script (COMM before the TID, with and
 * without --ns) and trace.dat (the comm trace-cmd saved), all of one lab run (tests/data/inputs-6.12).
 */
Test(drill, every_input_format_names_its_threads)
{
	static const char *const files[] = { "tracefs.txt.xz", "perf.txt.xz", "perf-ns.txt.xz",
					     "trace.dat" };
	char path[512], msg[768];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct nvmx_replay_filter none = { "qemu*", -1 };
		struct nvmx_replay_stats st;
		struct nvmx_summary *all, *one, *s;

		snprintf(path, sizeof(path), "%s/inputs-6.12/%s", NVMX_TEST_DATA, files[i]);
		cr_assert_eq(replay_file(path, NULL, -1, &all, &st), 0, "%s", path);
		cr_assert_eq(replay_file(path, "nvmx-wl-vcpu0", 0, &one, &st), 0, "%s", path);
		cr_assert_eq(st.matched_threads, 1, "%s", path);
		cr_assert_eq(nvmx_summary_compare_all(all, one, "all", "--vm --vcpu", stderr), 0,
			     "%s", path);
		cr_assert_eq(replay_file(path, none.vm, -1, &s, &st), -ESRCH, "%s", path);
		nvmx_replay_no_match(&none, "T", &st, msg, sizeof(msg));
		cr_assert(strstr(msg, "its threads: nvmx-wl-vcpu0-376 (vCPU 0)"), "%s: %s", path,
			  msg);
		nvmx_summary_free(all);
		nvmx_summary_free(one);
	}
}
