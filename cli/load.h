/* SPDX-License-Identifier: GPL-2.0 */
/* The input of replay, report and bitmap: an attribution JSON or a capture, files or pipes. */
#ifndef NVMX_CLI_LOAD_H
#define NVMX_CLI_LOAD_H

#include <stdbool.h>

#include "nvmx/replay.h"
#include "nvmx/summary.h"

struct json_object;

struct nvmx_loaded {
	struct nvmx_summary *sum;
	bool json;			/* an attribution JSON (else a capture, replayed) */
	struct json_object *root;	/* the JSON document, when asked for (keep_root) */
	struct nvmx_replay_stats stats; /* a capture's */
};

/*
 * Reads path, opened once (a pipe is read once: what tells JSON from a capture is not lost):
 * an attribution JSON (its first non-blank byte is '{') or a capture, replayed. Returns 0, the
 * malformed lines of a usable capture written to stderr (the first ones, then how many more);
 * or 2 after one line on stderr, "PROG: PATH[:LINE]: what is wrong": the file cannot be read,
 * is not JSON of nvmx's schema, or is not a usable capture (nvmx_replay_check()).
 */
int nvmx_load(const char *prog, const char *path, bool keep_root, struct nvmx_loaded *out);

void nvmx_loaded_free(struct nvmx_loaded *l);

#endif
