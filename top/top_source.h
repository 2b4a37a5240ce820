/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxtop's data providers. Each fills a struct top_sample (top_data.h) with cumulative counts
 * when asked; none of them draws anything. Errors come back as a negative errno with a sentence in
 * the source's `why` (what was missing, and what to run instead): the top level prints it once.
 */
#ifndef NVMX_TOP_SOURCE_H
#define NVMX_TOP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "top_data.h"

struct top_source;

struct top_source_ops {
	/*
	 * Fills out with the counts now (live) or after one more interval of trace time (capture).
	 * Returns 0, or a negative errno with why set.
	 */
	int (*sample)(struct top_source *src, struct top_sample *out);
	/* Live sources: stop counting and count what is still undecided (as nvmxd at exit). */
	int (*finish)(struct top_source *src, struct top_sample *out);
	void (*free)(struct top_source *src);
};

struct top_source {
	const struct top_source_ops *ops;
	char what[160]; /* "replay of FILE", "standalone BPF", ... for the header */
	char why[512];	/* the last error, a sentence */
	char note[256]; /* shown under the header: e.g. no nested guest seen yet, and why */
	bool live;	/* counts come from the running kernel (refresh on wall time) */
	bool retry;	/* a failed sample may work next time (a remote nvmxd): keep going */
	bool bad_input; /* the last error is input nvmxtop cannot use: exit status 2 */
	/*
	 * The last error is a setting the user must fix (TLS not trusted, credentials wanted or
	 * refused, not an nvmxd): at the first sample, exit status 2; later, stale as any other
	 */
	bool config_error;
};

/*
 * A capture (tracefs `trace`, trace-cmd report, nvmxd --record; plain or .xz) stepped through
 * in trace time: the first sample is the moment before its first event, then each sample is
 * interval_s of trace time later. A capture does not say which process a thread belongs to: its
 * vCPU threads appear under one VM named after the file.
 */
int top_source_replay_new(const char *path, double interval_s, struct top_source **out, char *why,
			  size_t why_len);

/*
 * Standalone: loads nvmx's BPF programs into this kernel with nvmxd's loader (src/loader.h: the
 * programs nvmxd attaches, and its maps) and reads the maps at each sample. Needs root.
 * bpf_stats: turn on the kernel's BPF run-time statistics so the header can show nvmx's own
 * overhead. verbose: say on stderr, as nvmxd does, what was attached or is missing, and libbpf's
 * warnings.
 */
int top_source_bpf_new(bool bpf_stats, bool verbose, const char *ready_path,
		       struct top_source **out, char *why, size_t why_len);

/*
 * A running nvmxd, at addr (HOST:PORT, http:// or https://HOST:PORT: nvmxd --listen): GET
 * /api/v1/summary at each sample, with the TLS and basic-auth settings of http (cli/http_get.h).
 * The address and the settings' files are checked here (-EINVAL, a usage error); whether nvmxd
 * answers, at the first sample.
 */
#define TOP_NVMXD_DEFAULT "127.0.0.1:9477"
struct nvmx_http_opts;
int top_source_nvmxd_new(const char *addr, const struct nvmx_http_opts *http,
			 struct top_source **out, char *why, size_t why_len);

static inline void top_source_free(struct top_source *src)
{
	if (src)
		src->ops->free(src);
}

#endif /* NVMX_TOP_SOURCE_H */
