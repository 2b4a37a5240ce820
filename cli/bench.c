// SPDX-License-Identifier: GPL-2.0
/* nvmx bench: a CI gate for nested-exit regressions (run, compare; docs/ci.md), and matrix. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "commands.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: nvmx bench run [OPTIONS] -o RESULT.json [-- CMD...]\n"
		   "       nvmx bench compare [OPTIONS] BASE.json NEW.json\n"
		   "       nvmx bench matrix [OPTIONS] -o BASE [--from RESULT.json...]\n"
		   "\n"
		   "A CI gate for nested-exit regressions. 'run' runs a nested workload R times\n"
		   "(the lab by default) with nvmxd counting and writes one result file: counts\n"
		   "per exit reason, reflect share, exit multiplication, the Turtles breakdown,\n"
		   "the environment. 'compare' says whether NEW regressed against BASE: certain\n"
		   "counts exactly, times and other counts against the noise of BASE's repeats.\n"
		   "Exit status of compare: 0 no regression, 1 regression, 2 cannot compare.\n"
		   "'matrix' runs 'run' per L0 kernel and L1 (or reads results) into one\n"
		   "Markdown and HTML table, each kernel beside the one before it.\n"
		   "\n"
		   "'nvmx bench run --help', 'nvmx bench compare --help' and 'nvmx bench matrix\n"
		   "--help' say more; the result schema and a CI job are in docs/ci.md, a matrix\n"
		   "in docs/kernels.md.\n");
	fputs(NVMX_USAGE_COMMON, f);
}

int nvmx_cmd_bench(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return nvmx_bench_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "compare"))
		return nvmx_bench_compare(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "matrix"))
		return nvmx_bench_matrix(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version"))
		return nvmx_print_version("nvmx");
	if (argc >= 2)
		return nvmx_usage_error("nvmx bench",
					"unknown subcommand '%s' (run, compare, matrix)", argv[1]);
	return nvmx_usage_error("nvmx bench", "give a subcommand: run, compare or matrix");
}
