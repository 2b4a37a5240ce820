/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to libnvmx (and its unit tests): reading a capture line by line, plain or xz, and
 * turning one line of tracefs `trace` or `trace-cmd report` output into a struct nvmx_event.
 */
#ifndef NVMX_TRACE_PARSE_H
#define NVMX_TRACE_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>

#include "nvmx/events.h"

enum nvmx_line_type {
	NVMX_LINE_SKIP,	 /* comment, header, blank, or an event the model does not use */
	NVMX_LINE_EVENT, /* ev is filled */
	NVMX_LINE_LOST,	 /* "CPU:n [LOST k EVENTS]" / "[k EVENTS DROPPED]"; lost = k (0: unknown) */
	NVMX_LINE_ENTRIES,   /* "# entries-in-buffer/entries-written: A/B"; lost = B - A */
	NVMX_LINE_MALFORMED, /* expected says what was expected */
};

struct nvmx_line {
	enum nvmx_line_type type;
	struct nvmx_event ev;
	uint64_t lost;
	char expected[160];
};

/* Parses one line (no newline needed, need not be NUL-terminated). */
void nvmx_parse_line(const char *line, size_t len, struct nvmx_line *out);

/* A capture opened for reading lines; xz is detected by its magic, not by the name. */
struct nvmx_reader;
struct nvmx_input;

/* The longest line read: a tracefs line is < 1 KiB; a longer one is not a trace (-EOVERFLOW). */
#define NVMX_LINE_MAX 65536

int nvmx_reader_open(const char *path, struct nvmx_reader **out);
/* The same on an input already open (pipes too); the reader owns in, even on failure. */
int nvmx_reader_open_input(struct nvmx_input *in, struct nvmx_reader **out);
/*
 * Returns the length of the next line (without '\n') in *line, -1 at the end, or -errno:
 * -EOVERFLOW a line longer than NVMX_LINE_MAX, -EPROTO a truncated .xz, -EBADMSG a corrupt one,
 * -ENOMEM, -EIO...
 */
long nvmx_reader_next(struct nvmx_reader *r, const char **line);
void nvmx_reader_close(struct nvmx_reader *r);

#endif /* NVMX_TRACE_PARSE_H */
