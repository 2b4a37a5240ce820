// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx up: the main job. On a host whose KVM runs nested guests, nvmxd live; on a host without
 * (every machine of this project's CI), the nested lab with nvmxd running inside its L0, its
 * attribution table, and how it compares with the workload's exact truth and with a replay of
 * the tracefs capture of the same run.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "lab.h"
#include "paths.h"
#include "nvmx/summary.h"
#include "table.h"
#include "nvmx/util.h"

#define UP_DEFAULT_WORKLOAD "cpuid,vmmcall,io-out-l1,io-in-l0,rdmsr-l0,intr,mult=2"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx up [--lab | --live] [--kernel 6.1|6.12|7.3|newest] [--workload SPEC]\n"
		"               [--iterations N] [--out DIR]\n"
		"\n"
		"Shows who handles nested exits here. On a host whose KVM has nested guests "
		"enabled\n"
		"(kvm_intel or kvm_amd nested=1) it runs nvmxd live, printing its table every 5 s\n"
		"until Ctrl-C. On a host without, it runs the nested lab (nvmx lab run: a Debian\n"
		"kernel under QEMU with nested SVM) with nvmxd inside L0, prints nvmxd's table, "
		"and\n"
		"checks it against the workload's exact truth and a replay of the run's trace.\n"
		"\n"
		"  --lab              the lab even on a host with nested guests\n"
		"  --live             nvmxd live even on a host without\n"
		"  --kernel SERIES    the lab's L0 kernel (default 6.12)\n"
		"  --workload SPEC    the lab's workload (default " UP_DEFAULT_WORKLOAD ")\n"
		"  --iterations N     the lab's iterations (default 1000)\n"
		"  --out DIR          where the lab's results go (default: a new "
		"/tmp/nvmx-up.XXXXXX)\n"
		"\n"
		"Exit status: 0 nvmxd agrees with the truth and the replay; 1 it does not; 2 it "
		"could\n"
		"not run.\n");
	fputs(NVMX_USAGE_COMMON, f);
}

static int run_live(const char *nvmxd)
{
	char *args[] = { (char *)nvmxd, "--interval", "5", NULL };

	fprintf(stderr, "nvmx up: KVM here has nested guests enabled: running nvmxd live (Ctrl-C "
			"ends it)\n");
	execv(nvmxd, args);
	fprintf(stderr, "nvmx up: cannot run %s: %s\n", nvmxd, strerror(errno));
	return 2;
}

static struct nvmx_summary *read_summary(const char *dir, const char *name)
{
	char path[PATH_MAX], err[512];
	struct nvmx_summary *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	s = nvmx_summary_read_json(path, err, sizeof(err));
	if (!s)
		fprintf(stderr, "nvmx up: %s\n", err);
	return s;
}

static int run_lab(const char *nvmxd, const char *kernel, const char *workload,
		   const char *iterations, const char *out)
{
	struct nvmx_summary *truth = NULL, *observed = NULL, *live = NULL;
	char exec_cmd[PATH_MAX + 256], err[256];
	int r, diffs_truth, diffs_replay;
	struct lab_options lab;

	snprintf(exec_cmd, sizeof(exec_cmd),
		 "%s --json $NVMX_LAB_OUT/nvmxd.json --ready $NVMX_LAB_OUT/ready", nvmxd);
	fprintf(stderr,
		"nvmx up: no nested guests on this host's KVM: running the nested lab, with nvmxd "
		"in its L0\n");
	lab_options_init(&lab);
	lab.kernel = kernel;
	lab.workload = workload;
	lab.exec = exec_cmd;
	lab.out = out;
	if (lab_parse_number("--iterations", iterations, 1, LAB_ITERATIONS_MAX, &lab.iterations,
			     err, sizeof(err))) {
		fprintf(stderr, "nvmx lab run: %s\n", err);
		return 2;
	}
	r = lab_run(&lab, NULL);
	if (r == LAB_CANNOT_RUN)
		return 2;
	truth = read_summary(out, "truth.json");
	observed = read_summary(out, "observed.json");
	live = read_summary(out, "exec/nvmxd.json");
	if (!truth || !observed || !live) {
		r = 2;
		goto out;
	}
	printf("\nnvmxd, live in the lab's L0 (Debian %s, nested SVM under QEMU), workload %s x "
	       "%s:\n\n",
	       kernel, workload, iterations);
	nvmx_print_table(stdout, live);
	printf("\nnvmxd against the workload's truth (certain counts):\n");
	diffs_truth = nvmx_summary_compare_certain(truth, live, stdout);
	printf("  %s\n", diffs_truth ? "DIFFERENT (above)" : "equal");
	printf("nvmxd against a replay of the tracefs capture of the same run (every count):\n");
	diffs_replay = nvmx_summary_compare_all(live, observed, "nvmxd", "replay", stdout);
	diffs_replay += nvmx_summary_compare_lost(live, observed, "nvmxd", "replay", stdout);
	printf("  %s\n", diffs_replay ? "DIFFERENT (above)" : "equal");
	printf("\nEverything is in %s (truth.json, observed.json, trace.txt.xz, "
	       "exec/nvmxd.json).\n",
	       out);
	r = (r || diffs_truth || diffs_replay) ? 1 : 0;
out:
	nvmx_summary_free(truth);
	nvmx_summary_free(observed);
	nvmx_summary_free(live);
	return r;
}

int nvmx_cmd_up(int argc, char **argv)
{
	static const struct option options[] = {
		{ "lab", no_argument, NULL, 'L' },
		{ "live", no_argument, NULL, 'l' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "workload", required_argument, NULL, 'w' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		NVMX_COMMON_LONGOPTS,
	};
	const char *kernel = "6.12", *workload = UP_DEFAULT_WORKLOAD, *iterations = "1000";
	char out_buf[] = "/tmp/nvmx-up.XXXXXX", nvmxd[PATH_MAX];
	const char *out = NULL;
	int mode = 0, opt, r;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'L':
		case 'l':
			mode = opt;
			break;
		case 'k':
			kernel = optarg;
			break;
		case 'w':
			workload = optarg;
			break;
		case 'n':
			iterations = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmx");
		default:
			return nvmx_getopt_error("nvmx up", opt, argv);
		}
	}
	if (optind < argc)
		return nvmx_usage_error("nvmx up", "unexpected '%s'", argv[optind]);
	r = nvmx_find_nvmxd(nvmxd, sizeof(nvmxd));
	if (r) {
		fprintf(stderr, "nvmx up: cannot find nvmxd (%s): %s\n", nvmxd, strerror(-r));
		return 2;
	}
	if (mode == 'l' || (mode != 'L' && nvmx_kvm_nested_enabled()))
		return run_live(nvmxd);
	if (!out) {
		if (!mkdtemp(out_buf)) {
			fprintf(stderr, "nvmx up: mkdtemp: %s\n", strerror(errno));
			return 2;
		}
		out = out_buf;
	}
	return run_lab(nvmxd, kernel, workload, iterations, out);
}
