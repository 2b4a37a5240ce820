/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `nvmx record` (cli/record.c) writes around a tracefs capture: the KVM events nvmx's model
 * reads, the header of `#` comments that says where the capture was made (nvmx version, kernel,
 * ISA, KVM module parameters, events, trace clock, start time), and the per-CPU ring-buffer
 * statistics that say how many events the kernel lost. lib's parser skips every `#` line, so a
 * recording replays like any other capture. User space only.
 */
#ifndef NVMX_CAPTURE_ENV_H
#define NVMX_CAPTURE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The kvm tracepoints (events/kvm/NAME) nvmx's model reads from a capture, in the order a header
 * lists them: the events lib/trace_parse.c parses (tests/unit/test_capture_env.c checks that each
 * is one). nvmx_guest_rcx is no tracepoint (nvmxd's BPF reads it): not here.
 */
extern const char *const nvmx_capture_events[];
extern const size_t nvmx_capture_events_n;

#define NVMX_ENV_TEXT	    256
#define NVMX_ENV_PARAMS_MAX 96

struct nvmx_env_param {
	char name[96];		   /* "kvm_amd.npt" */
	char value[NVMX_ENV_TEXT]; /* its text, or "(unreadable: REASON)" */
};

/* Where a capture was made: read once, written as the header's lines. */
struct nvmx_capture_env {
	char release[NVMX_ENV_TEXT];  /* uname -r */
	char version[NVMX_ENV_TEXT];  /* uname -v */
	char machine[NVMX_ENV_TEXT];  /* uname -m */
	char isa[8];		      /* "svm", "vmx" or "unknown" */
	char isa_from[NVMX_ENV_TEXT]; /* how: "kvm_amd loaded", "cpu flag svm (no kvm module)"... */
	struct nvmx_env_param params[NVMX_ENV_PARAMS_MAX];
	size_t n_params;
	size_t params_left_out; /* more than NVMX_ENV_PARAMS_MAX: counted, said in the header */
};

/*
 * Reads the environment: uname(2), and under root ("" or NULL: "/"; a test gives a tree of its
 * own) proc/cpuinfo and sys/module/{kvm,kvm_amd,kvm_intel}/parameters/ *. The ISA is the loaded
 * module's (kvm_amd: svm, kvm_intel: vmx), else the cpu flag, else "unknown". Never fails: what
 * cannot be read says so in its field.
 */
void nvmx_capture_env_read(const char *root, struct nvmx_capture_env *env);

/* What a header says besides the environment. */
struct nvmx_capture_info {
	const char *writer;	    /* "nvmx record" */
	const char *nvmx_version;   /* nvmx_version() */
	const char *tracefs;	    /* the instance's directory */
	const char *clock;	    /* the trace clock in use ("local", "global"...) */
	long buffer_kb;		    /* per CPU, as buffer_size_kb reads */
	const char *const *enabled; /* the events enabled */
	size_t n_enabled;
	const char *const *missing; /* the events this kernel lacks */
	size_t n_missing;
	const char *pid_filter;	  /* "PID (its threads and children)" or NULL: every task */
	int64_t start_realtime_s; /* CLOCK_REALTIME at the start */
};

/*
 * Writes the header: lines that start with "# ", among them "# kernel: RELEASE VERSION MACHINE",
 * "# isa: svm|vmx|unknown (HOW)", one "# param: MODULE.NAME=VALUE" a parameter, "# events: ...",
 * "# events-missing: ..." (or "none"), "# clock: ...", "# start: ISO-8601 UTC". 0 or -errno of
 * the write (ENOSPC stays itself).
 */
int nvmx_capture_write_header(FILE *out, const struct nvmx_capture_env *env,
			      const struct nvmx_capture_info *info);

/* One CPU's ring-buffer statistics (tracefs per_cpu/cpuN/stats). */
struct nvmx_tracefs_stats {
	uint64_t entries;
	uint64_t overrun;	 /* events overwritten before they were read */
	uint64_t commit_overrun; /* events lost to a full page during nested writes */
	uint64_t dropped; /* "dropped events": not written, the buffer full (overwrite off) */
	uint64_t read;	  /* "read events" */
};

/*
 * Parses the text of a stats file. Returns 0, or -EINVAL when it lacks "overrun:" (not a stats
 * file); the fields a kernel does not print stay 0 (dropped events: 3.x...).
 */
int nvmx_tracefs_stats_parse(const char *text, struct nvmx_tracefs_stats *st);

/* The events a CPU's ring buffer lost: overrun + commit overrun + dropped. */
uint64_t nvmx_tracefs_stats_lost(const struct nvmx_tracefs_stats *st);

#endif /* NVMX_CAPTURE_ENV_H */
