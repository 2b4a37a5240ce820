// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx compare (cli/compare.c) on any bytes: lib's summary JSON reader (lib/summary_json_read.c,
 * the reader of every attribution JSON: nvmx replay --json, nvmxd --json, the lab's truth.json
 * and observed.json) and the comparisons, against itself and against a real truth.json.
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
	char truth[] = NVMX_TEST_DATA "/svm-7.3-lab-n100/truth.json";

	fuzz_file_set(&in, data, size);
	fuzz_run(nvmx_cmd_compare, (char *[]){ "compare", truth, in.path, NULL });
	fuzz_run(nvmx_cmd_compare, (char *[]){ "compare", "--all", in.path, in.path, NULL });
	return 0;
}
