// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark, not a test: the CPU nvmxtop's full-screen display costs at a given refresh rate,
 * with SYNTHETIC data (VMS x VCPUS vCPU threads, 12 exit reasons each with 4 outcomes and a
 * round-trip breakdown, every count growing at each refresh). The data is made up here, in the
 * benchmark only: nvmxtop itself never shows anything it did not read from a source. The display
 * is the real one (top_tui_run() of top/top_tui.c: the view built from two samples, sorted,
 * flattened, drawn with ncurses), on the
 * terminal it runs in; bench/top_render.sh runs it in a tmux pane.
 *
 * usage: top_render VMS VCPUS SECONDS DELAY RESULT_FILE
 * RESULT_FILE gets one line: refreshes, wall and CPU seconds, CPU per refresh, share of a CPU.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "top_run.h"
#include "nvmx/util.h"

struct synth_source {
	struct top_source src;
	uint32_t vms, vcpus;
	uint64_t step;
	uint64_t now_ns;
};

/* SVM exit codes: cpuid, hypercall (vmmcall), io, msr, interrupt, npf, hlt, vmrun, ... */
static const uint32_t reasons[] = { 0x72, 0x81, 0x7b, 0x7c, 0x60, 0x400,
				    0x78, 0x80, 0x6e, 0x61, 0x62, 0x7f };

static int synth_sample(struct top_source *src, struct top_sample *out)
{
	struct synth_source *s = (struct synth_source *)src;
	char name[64];
	int err;

	s->step++;
	top_sample_reset(out);
	for (uint32_t vm = 0; vm < s->vms; vm++) {
		uint32_t tgid = 1000 + vm * 100;

		snprintf(name, sizeof(name), "synthetic-vm-%02u", vm);
		err = top_sample_set_name(out, tgid, name);
		if (err)
			return err;
		for (uint32_t c = 0; c < s->vcpus; c++)
			for (size_t r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++)
				for (uint32_t o = TOP_L2_BY_L0; o <= TOP_ROUND_TRIP; o++) {
					/* counts that grow at different paces, so the sort moves */
					uint64_t pace = (vm * 7 + c * 3 + r * 5 + o) % 17 + 1;
					struct top_entry e = {
						.tgid = tgid,
						.tid = tgid + 1 + c,
						.isa = 2,
						.reason = reasons[r],
						.outcome = o,
						.count = pace * s->step * 100,
						.sum_ns = pace * s->step * 100 * (1000 + r * 250),
					};

					if (o > TOP_L1_EXIT && o != TOP_ROUND_TRIP)
						continue;
					/* round trips: their parts, so the breakdown columns draw */
					for (int p = 0; o == TOP_ROUND_TRIP && p < TOP_RT_PARTS;
					     p++)
						e.part_ns[p] = p ? e.sum_ns / 5 : e.sum_ns;
					e.l1_exits = o == TOP_ROUND_TRIP ? e.count / 10 : 0;
					err = top_sample_add(out, &e);
					if (err)
						return err;
				}
	}
	out->time_ns = nvmx_mono_ns();
	return 0;
}

static void synth_free(struct top_source *src)
{
	free(src);
}

static const struct top_source_ops synth_ops = {
	.sample = synth_sample,
	.finish = synth_sample,
	.free = synth_free,
};

static void on_alarm(int sig)
{
	top_stopping = sig;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct top_run r = { .rate = true, .sort = TOP_SORT_L2, .no_color = false };
	struct synth_source *s;
	double cpu0, cpu, wall;
	uint64_t t0;
	unsigned int seconds;
	FILE *f;
	int err;

	if (argc != 6) {
		fprintf(stderr, "usage: top_render VMS VCPUS SECONDS DELAY RESULT_FILE\n");
		return 2;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	s->src.ops = &synth_ops;
	s->src.live = true;
	snprintf(s->src.what, sizeof(s->src.what), "SYNTHETIC benchmark data (bench/top_render)");
	s->vms = (uint32_t)atoi(argv[1]);
	s->vcpus = (uint32_t)atoi(argv[2]);
	seconds = (unsigned int)atoi(argv[3]);
	r.delay_s = atof(argv[4]);
	r.src = &s->src;
	if (!s->vms || !s->vcpus || !seconds || !(r.delay_s > 0)) {
		fprintf(stderr, "top_render: VMS, VCPUS, SECONDS and DELAY must be > 0\n");
		return 2;
	}
	signal(SIGALRM, on_alarm);
	alarm(seconds);
	t0 = nvmx_mono_ns();
	cpu0 = cpu_s();
	err = top_tui_run(&r);
	cpu = cpu_s() - cpu0;
	wall = (double)(nvmx_mono_ns() - t0) / 1e9;
	f = fopen(argv[5], "we");
	if (!f)
		return 1;
	fprintf(f,
		"vms %u vcpus %u entries %zu refreshes %lu wall_s %.2f cpu_s %.3f "
		"cpu_ms_per_refresh "
		"%.2f cpu_share %.3f%% err %d\n",
		s->vms, s->vcpus, r.cur.n_entries, r.refresh, wall, cpu,
		r.refresh ? cpu / (double)r.refresh * 1e3 : 0.0, 100.0 * cpu / wall, err);
	fclose(f);
	top_sample_free(&r.prev);
	top_sample_free(&r.cur);
	top_sample_free(&r.next);
	synth_free(&s->src);
	return err ? 1 : 0;
}
