// SPDX-License-Identifier: GPL-2.0
/* nvmx compare: do two attribution JSON files (schema 1) agree? */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "nvmx/summary.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx compare [--all] [--allow-lost] TRUTH.json OBSERVED.json\n"
		"\n"
		"Compares two files that nvmx wrote in its JSON schema (nvmx replay --json, nvmxd\n"
		"--json, the lab's truth.json and observed.json).\n"
		"\n"
		"By default the certain counts: every entry the workload makes certain must be in\n"
		"both files with the same count (how the lab checks observed.json against its\n"
		"truth). With --all, two observations of the same events (e.g. nvmxd live and a\n"
		"replay of a capture of the same run) must agree on every entry, certain or not,\n"
		"and on nested entries and unattributed events.\n"
		"\n"
		"A file that says it lost events (\"lost_events\" above 0: the kernel skipped\n"
		"nvmx's programs, the capture lost events, or a count could not be made) has\n"
		"counts short by an unknown amount: the files do not agree (one line per such\n"
		"file, exit 1) unless --allow-lost, which compares them anyway.\n"
		"\n"
		"Prints one line per difference. Exit status: 0 they agree, 1 they differ, 2 on a\n"
		"usage error or when a file cannot be used: unreadable, not JSON (at most 64 "
		"MiB),\n"
		"not schema 1, a count that is not an integer 0..2^63-1 (one line on stderr:\n"
		"'nvmx compare: FILE[:LINE]: what is wrong'). Either file may be a pipe.\n");
	fputs(NVMX_USAGE_COMMON, f);
}

int nvmx_cmd_compare(int argc, char **argv)
{
	const char *paths[2] = { NULL, NULL };
	struct nvmx_summary *s[2] = { NULL, NULL };
	bool all = false, allow_lost = false;
	int n_paths = 0, diffs, ret = 2;
	char err[512];

	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "allow-lost", no_argument, NULL, 'l' },
		NVMX_COMMON_LONGOPTS,
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'l':
			allow_lost = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmx");
		default:
			return nvmx_getopt_error("nvmx compare", c, argv);
		}
	}
	n_paths = argc - optind;
	if (n_paths != 2)
		return nvmx_usage_error("nvmx compare",
					"expected two files, TRUTH.json OBSERVED.json "
					"(%d given)",
					n_paths);
	paths[0] = argv[optind];
	paths[1] = argv[optind + 1];
	for (int i = 0; i < 2; i++) {
		s[i] = nvmx_summary_read_json(paths[i], err, sizeof(err));
		if (!s[i]) {
			fprintf(stderr, "nvmx compare: %s\n", err);
			goto out;
		}
	}
	if (all)
		diffs = nvmx_summary_compare_all(s[0], s[1], paths[0], paths[1], stdout);
	else
		diffs = nvmx_summary_compare_certain(s[0], s[1], stdout);
	if (!allow_lost)
		diffs += nvmx_summary_compare_lost(s[0], s[1], paths[0], paths[1], stdout);
	if (diffs)
		printf("%d difference%s\n", diffs, diffs == 1 ? "" : "s");
	ret = diffs ? 1 : 0;
out:
	nvmx_summary_free(s[0]);
	nvmx_summary_free(s[1]);
	return ret;
}
