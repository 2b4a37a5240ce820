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

/*
 * The same, keeping only the vCPU threads filter selects (NULL: all; replay.h): before anything
 * is counted, so the summary, its breakdown and every output made of it are the filtered ones.
 * Also 2 after one line: a filter on an attribution JSON (it has no threads), or a filter that
 * matched no thread of the capture (the line lists those it has).
 */
int nvmx_load_filtered(const char *prog, const char *path, bool keep_root,
		       const struct nvmx_replay_filter *filter, struct nvmx_loaded *out);

/*
 * --vm and --vcpu, the drill-down options of replay, report and bitmap: their getopt_long
 * entries ('M', 'U'), their --help lines, and their parsing (0, or 2 after a usage error).
 */
#define NVMX_FILTER_LONGOPTS                         \
	{ "vm", required_argument, NULL, 'M' },      \
	{                                            \
		"vcpu", required_argument, NULL, 'U' \
	}
#define NVMX_USAGE_FILTER                                                                      \
	"  --vm NAME|PID  only the vCPU threads of that VM, in a capture: PID (all digits)\n"  \
	"                 the process, from the lines' (TGID) column (tracefs\n"               \
	"                 options/record-tgid, nvmxd --record; perf script -F pid,tid's\n"     \
	"                 PID/TID); NAME the threads' TASK (their comm: the\n"                 \
	"                 lab's nvmx-wl-vcpu0, QEMU's 'CPU 0/KVM'), a shell pattern\n"         \
	"                 ('nvmx-wl-*'). A capture does not carry nvmxd's VM names.\n"         \
	"  --vcpu N       only vCPU N (the vcpu_id of its kvm_entry/kvm_exit lines; with\n"    \
	"                 --vm, of that VM)\n"                                                 \
	"                 Filtered before counting: every output is the filtered one, and\n"   \
	"                 the JSON has \"filter\". A filter that matches no thread: exit 2,\n" \
	"                 one line listing the threads the capture has. lost_events stays\n"   \
	"                 the whole capture's. Not for an attribution JSON (no threads).\n"
int nvmx_filter_opt(const char *prog, int c, const char *arg, struct nvmx_replay_filter *f);

void nvmx_loaded_free(struct nvmx_loaded *l);

#endif
