// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx bench compare (cli/bench_compare.c) on any bytes: the result file's reader, as the new
 * results against a real base and as the base, the Markdown and JUnit writers; and the
 * --thresholds file's reader.
 */
#include "fuzz_cli.h"
#include "bench.h"

static struct fuzz_file in;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_stdout();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char base[] = NVMX_TEST_DATA "/bench/base-6.12-a.json";
	char other[] = NVMX_TEST_DATA "/bench/base-6.12-b.json";

	fuzz_file_set(&in, data, size);
	fuzz_run(nvmx_bench_compare,
		 (char *[]){ "compare", "--junit", "/dev/null", base, in.path, NULL });
	fuzz_run(nvmx_bench_compare,
		 (char *[]){ "compare", "--markdown", "-v", in.path, other, NULL });
	fuzz_run(nvmx_bench_compare,
		 (char *[]){ "compare", "--thresholds", in.path, base, other, NULL });
	return 0;
}
