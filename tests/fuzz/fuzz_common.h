/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer harnesses of tests/fuzz share: the fuzzer's input as a file the readers open
 * by path (a memfd: no disk, pipes' and files' code paths alike), and stdout thrown away (the
 * commands print tables; libFuzzer's and the sanitizers' reports go to stderr).
 */
#ifndef NVMX_FUZZ_COMMON_H
#define NVMX_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fuzz_file {
	int fd;
	char path[64]; /* /proc/self/fd/N: opened anew by each reader, from offset 0 */
};

/* Puts data into f (created on first use); aborts on failure: the harness cannot go on. */
static inline void fuzz_file_set(struct fuzz_file *f, const uint8_t *data, size_t size)
{
	if (!f->path[0]) {
		f->fd = memfd_create("fuzz", MFD_CLOEXEC);
		if (f->fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
	}
	if (ftruncate(f->fd, 0) || (size && pwrite(f->fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz input");
		abort();
	}
}

/* stdout to /dev/null, once: what the commands print is not what is checked. */
static inline void fuzz_quiet_stdout(void)
{
	if (!freopen("/dev/null", "w", stdout))
		abort();
}

/* A NUL-terminated copy of the input (the caller frees it). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
