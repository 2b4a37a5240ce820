// SPDX-License-Identifier: GPL-2.0
/*
 * bench/bpf_event_cost: nvmx's BPF cost per event on THIS host's kernel, which never fires
 * kvm_exit, through BPF_PROG_TEST_RUN on recorded event sequences (issue #10).
 *
 * The captures of tests/data (real nested runs, SVM and VMX) are parsed with lib's parser and fed,
 * event by event, to three raw_tp programs of the same object: nvmx_test_event (the event copied
 * from the test arguments, then exactly the tracepoint programs' handle_event(): state lookup,
 * model step, every counter), nvmx_test_counter (one per-CPU counter: the yardstick) and
 * nvmx_test_empty. With BPF statistics on (BPF_ENABLE_STATS), the kernel adds each run's time to
 * the program's run_time_ns: the cost per event is run_time_ns / run_cnt, program against program
 * in one run, alternating event by event so the machine's noise hits all three alike. Per event
 * kind, the delta of nvmx_test_event's run_time_ns around each run.
 *
 * usage: bpf_event_cost [PASSES] [CAPTURE.xz...]   (as root; default 20 passes, tests/data's four)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/maps.h"
#include "nvmx.skel.h"
#include "probe.h"
#include "trace_parse.h"

#ifndef NVMX_TEST_DATA
#error "NVMX_TEST_DATA must name tests/data"
#endif

static const char *const default_captures[] = {
	"6.1-qemu64-N1000",
	"6.12-qemu64-intr-N1000",
	"vmx-6.12-n1000",
	"vmx-6.12-intr-n1000",
};

static const char *const kind_names[] = {
	[NVMX_EV_EXIT] = "kvm_exit",
	[NVMX_EV_NESTED_VMEXIT] = "kvm_nested_vmexit",
	[NVMX_EV_NESTED_VMEXIT_INJECT] = "kvm_nested_vmexit_inject",
	[NVMX_EV_NESTED_VMENTER] = "kvm_nested_vmenter",
	[NVMX_EV_NESTED_VMENTER_FAILED] = "kvm_nested_vmenter_failed",
	[NVMX_EV_NESTED_INTR_VMEXIT] = "kvm_nested_intr_vmexit",
	[NVMX_EV_ENTRY] = "kvm_entry",
	[NVMX_EV_USERSPACE_EXIT] = "kvm_userspace_exit",
	[NVMX_EV_MSR] = "kvm_msr",
	[NVMX_EV_INJ_VIRQ] = "kvm_inj_virq",
	[NVMX_EV_INJ_EXCEPTION] = "kvm_inj_exception",
	[NVMX_EV_GUEST_RCX] = "nvmx_guest_rcx",
};

#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))

struct events {
	struct nvmx_event *ev;
	size_t n, cap;
};

static int load_capture(const char *path, struct events *out)
{
	struct nvmx_reader *rd;
	struct nvmx_line ln;
	const char *line;
	long len;
	int err = nvmx_reader_open(path, &rd);

	if (err)
		return err;
	while ((len = nvmx_reader_next(rd, &line)) >= 0) {
		nvmx_parse_line(line, (size_t)len, &ln);
		if (ln.type != NVMX_LINE_EVENT || ln.ev.kind >= N_KINDS)
			continue;
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 4096;
			struct nvmx_event *p = realloc(out->ev, cap * sizeof(*p));

			if (!p) {
				nvmx_reader_close(rd);
				return -ENOMEM;
			}
			out->ev = p;
			out->cap = cap;
		}
		out->ev[out->n++] = ln.ev;
	}
	nvmx_reader_close(rd);
	return 0;
}

static int run(int fd, const struct nvmx_event *e)
{
	__u64 args[NVMX_TEST_ARGS];

	memcpy(args, e, sizeof(*e));
	args[NVMX_TEST_EVENT_WORDS] = 4000; /* the VMM's tgid */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	return bpf_prog_test_run_opts(fd, &opts) ? -errno : 0;
}

static int stats_of(int fd, __u64 *ns, __u64 *cnt)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long passes = argc > 1 ? strtol(argv[1], NULL, 10) : 20;
	struct events evs = { 0 };
	struct nvmx_bpf *skel = NULL;
	int stats_fd = -1, fd_ev, fd_cnt, fd_empty, err = 0;
	__u64 kind_ns[N_KINDS] = { 0 }, kind_n[N_KINDS] = { 0 };
	double *r_ev = NULL, *r_cnt = NULL, *r_empty = NULL;

	if (passes < 1) {
		fprintf(stderr, "usage: %s [PASSES] [CAPTURE.xz...]\n", argv[0]);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if ((err = load_capture(argv[i], &evs))) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(-err));
			return 2;
		}
	if (argc <= 2)
		for (size_t i = 0; i < sizeof(default_captures) / sizeof(default_captures[0]);
		     i++) {
			char path[512];

			snprintf(path, sizeof(path), "%s/%s/trace.txt.xz", NVMX_TEST_DATA,
				 default_captures[i]);
			if ((err = load_capture(path, &evs))) {
				fprintf(stderr, "%s: %s\n", path, strerror(-err));
				return 2;
			}
		}
	skel = nvmx_bpf__open();
	if (!skel) {
		fprintf(stderr, "opening the BPF object failed: %s\n", strerror(errno));
		return 2;
	}
	/* only the three raw_tp programs: no tracepoint is attached */
	nvmxd_autoload_none(skel->obj);
	bpf_program__set_autoload(skel->progs.nvmx_test_event, true);
	bpf_program__set_autoload(skel->progs.nvmx_test_counter, true);
	bpf_program__set_autoload(skel->progs.nvmx_test_empty, true);
	bpf_map__set_max_entries(skel->maps.nvmx_events, 4096);
	err = nvmx_bpf__load(skel);
	if (err) {
		fprintf(stderr, "loading failed: %s (needs root)\n", strerror(-err));
		goto out;
	}
	fd_ev = bpf_program__fd(skel->progs.nvmx_test_event);
	fd_cnt = bpf_program__fd(skel->progs.nvmx_test_counter);
	fd_empty = bpf_program__fd(skel->progs.nvmx_test_empty);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		err = -errno;
		fprintf(stderr, "BPF_ENABLE_STATS failed: %s\n", strerror(errno));
		goto out;
	}
	r_ev = calloc((size_t)passes, sizeof(double));
	r_cnt = calloc((size_t)passes, sizeof(double));
	r_empty = calloc((size_t)passes, sizeof(double));
	if (!r_ev || !r_cnt || !r_empty) {
		err = -ENOMEM;
		goto out;
	}
	fprintf(stderr, "%zu events, %ld passes\n", evs.n, passes);
	for (long p = 0; p < passes; p++) {
		__u64 ns0[3], n0[3], ns1[3], n1[3];
		const int fds[3] = { fd_ev, fd_cnt, fd_empty };

		for (int k = 0; k < 3; k++)
			if ((err = stats_of(fds[k], &ns0[k], &n0[k])))
				goto out;
		for (size_t i = 0; i < evs.n; i++) {
			__u64 before, after, c;
			const struct nvmx_event *e = &evs.ev[i];

			/* per kind, from the first pass only (the syscalls around it cost) */
			if (!p && (err = stats_of(fd_ev, &before, &c)))
				goto out;
			if ((err = run(fd_ev, e)) || (err = run(fd_cnt, e)) ||
			    (err = run(fd_empty, e)))
				goto out;
			if (!p) {
				if ((err = stats_of(fd_ev, &after, &c)))
					goto out;
				kind_ns[e->kind] += after - before;
				kind_n[e->kind]++;
			}
		}
		for (int k = 0; k < 3; k++)
			if ((err = stats_of(fds[k], &ns1[k], &n1[k])))
				goto out;
		r_ev[p] = (double)(ns1[0] - ns0[0]) / (double)(n1[0] - n0[0]);
		r_cnt[p] = (double)(ns1[1] - ns0[1]) / (double)(n1[1] - n0[1]);
		r_empty[p] = (double)(ns1[2] - ns0[2]) / (double)(n1[2] - n0[2]);
	}
	{
		double ratio_cnt[passes], ratio_empty[passes];

		for (long p = 0; p < passes; p++) {
			ratio_cnt[p] = r_ev[p] / r_cnt[p];
			ratio_empty[p] = r_ev[p] / r_empty[p];
		}
		qsort(r_ev, (size_t)passes, sizeof(double), cmp_double);
		qsort(r_cnt, (size_t)passes, sizeof(double), cmp_double);
		qsort(r_empty, (size_t)passes, sizeof(double), cmp_double);
		qsort(ratio_cnt, (size_t)passes, sizeof(double), cmp_double);
		qsort(ratio_empty, (size_t)passes, sizeof(double), cmp_double);
		printf("program            ns/event median  [min, max] over %ld passes\n", passes);
		printf("nvmx_test_event    %8.1f  [%.1f, %.1f]\n", r_ev[passes / 2], r_ev[0],
		       r_ev[passes - 1]);
		printf("nvmx_test_counter  %8.1f  [%.1f, %.1f]\n", r_cnt[passes / 2], r_cnt[0],
		       r_cnt[passes - 1]);
		printf("nvmx_test_empty    %8.1f  [%.1f, %.1f]\n", r_empty[passes / 2], r_empty[0],
		       r_empty[passes - 1]);
		printf("nvmx / single counter: %.2f  [%.2f, %.2f]\n", ratio_cnt[passes / 2],
		       ratio_cnt[0], ratio_cnt[passes - 1]);
		printf("nvmx / empty:          %.2f  [%.2f, %.2f]\n", ratio_empty[passes / 2],
		       ratio_empty[0], ratio_empty[passes - 1]);
		printf("\nper event kind (first pass): events, ns/event of nvmx_test_event\n");
		for (size_t k = 0; k < N_KINDS; k++)
			if (kind_n[k])
				printf("  %-26s %8" PRIu64 " %8.1f\n", kind_names[k],
				       (uint64_t)kind_n[k], (double)kind_ns[k] / (double)kind_n[k]);
	}
out:
	if (err)
		fprintf(stderr, "failed: %s\n", strerror(-err));
	free(r_ev);
	free(r_cnt);
	free(r_empty);
	free(evs.ev);
	if (stats_fd >= 0)
		close(stats_fd);
	nvmx_bpf__destroy(skel);
	return err ? 1 : 0;
}
