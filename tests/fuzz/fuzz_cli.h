/* SPDX-License-Identifier: GPL-2.0 */
/* The harnesses of nvmx's commands: a command run on the fuzzer's input, as from the shell. */
#ifndef NVMX_FUZZ_CLI_H
#define NVMX_FUZZ_CLI_H

#include "fuzz_common.h"

/*
 * Runs cmd with the arguments given (NULL-terminated, argv[0] the command's name); the exit
 * status must be one the command documents: 0, 1 (the answer is no) or 2 (unusable input).
 */
static inline void fuzz_run(int (*cmd)(int, char **), char **argv)
{
	int argc = 0, rc;

	while (argv[argc])
		argc++;
	rc = cmd(argc, argv);
	fflush(stdout);
	if (rc < 0 || rc > 2) {
		fprintf(stderr, "%s: exit status %d\n", argv[0], rc);
		abort();
	}
}

#endif
