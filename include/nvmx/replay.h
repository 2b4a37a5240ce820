/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay: the attribution model run in user space over a captured trace (the tracefs `trace`
 * file or `trace-cmd report` output, plain or .xz). User space only.
 */
#ifndef NVMX_REPLAY_H
#define NVMX_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "summary.h"

struct nvmx_replay_stats {
	uint64_t lines;		 /* lines read */
	uint64_t events;	 /* events fed to the model */
	uint64_t malformed;	 /* lines that could not be parsed (each reported to diag) */
	uint64_t lost_events;	 /* events the capture says it lost ([LOST n EVENTS], entries) */
	/* added: */
	uint64_t lost_markers;	 /* places where events were lost (a marker may not say how many) */
	uint64_t threads;	 /* vCPU threads seen */
};

/*
 * Replays the capture at path into a new summary (*out). Malformed lines are reported to diag
 * (may be NULL) as "path:line: what was expected" and the rest of the file is still processed.
 * Returns 0, or a negative errno when the file cannot be read at all (then *out is NULL).
 */
int nvmx_replay_path(const char *path, struct nvmx_summary **out, struct nvmx_replay_stats *stats,
		     FILE *diag);

#endif /* NVMX_REPLAY_H */
