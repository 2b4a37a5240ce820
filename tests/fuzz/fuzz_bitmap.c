// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx bitmap (cli/bitmap.c) on any bytes: its reader (an nvmxd --json document with nvmxd's own
 * keys, a replay JSON, or a capture), KVM's bitmap rules of two kernels, text and --json.
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
	fuzz_file_set(&in, data, size);
	fuzz_run(nvmx_cmd_bitmap, (char *[]){ "bitmap", "--kernel", "6.1", in.path, NULL });
	fuzz_run(nvmx_cmd_bitmap,
		 (char *[]){ "bitmap", "--kernel", "6.12", "--json", "--top", "3", in.path, NULL });
	return 0;
}
