// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx report (cli/report.c) on any bytes: its reader (cli/load.c: an attribution JSON or a
 * capture, nvmxd's nested-state counts), the text table and --json, and --diff against the
 * replay JSON of tests/data's 7.3 capture (tests/golden/out): an input --diff can compare with;
 * the --html page of each (report_html.c) to /dev/null beside the JSON and the diff.
 */
#include "fuzz_cli.h"
#include "commands.h"

static struct fuzz_file in;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_stdout();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char real[] = NVMX_TEST_DATA "/../golden/out/svm-7.3-lab-n100.replay.json";

	fuzz_file_set(&in, data, size);
	fuzz_run(nvmx_cmd_report, (char *[]){ "report", in.path, NULL });
	fuzz_run(nvmx_cmd_report,
		 (char *[]){ "report", "--json", "--html", "/dev/null", in.path, NULL });
	fuzz_run(nvmx_cmd_report,
		 (char *[]){ "report", "--html", "/dev/null", "--diff", real, in.path, NULL });
	return 0;
}
