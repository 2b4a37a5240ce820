/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxd's own pieces, one file each: the options (nvmxd_opts.c), the JSON document
 * (nvmxd_json.c) and the run (nvmxd.c). What loads the BPF programs is src/loader.h, shared with
 * nvmxtop --standalone.
 */
#ifndef NVMXD_H
#define NVMXD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>

#include "collect.h"
#include "loader.h"
#include "nested_state.h"
#include "outfile.h"
#include "serve.h"
#include "turtles.h"

struct nvmxd_opts {
	double interval_s;
	double duration_s; /* 0: until SIGINT/SIGTERM */
	bool once;
	bool baseline;
	bool classic_only; /* --classic-only: no tp_btf programs */
	bool bpf_stats;
	bool verbose;
	const char *json_path;
	const char *record_path;
	const char *ready_path;
	__u32 tgid;
	__u32 ringbuf_mib;
	struct nvmxd_serve_opts serve; /* serve.listen NULL: no HTTP server */
	bool metrics_per_vcpu;
	double linger_s;
	double checkpoint_s; /* --checkpoint: rewrite --json every checkpoint_s; 0: at exit only */
};

struct vm_name {
	__u32 tgid;
	char name[64];
};

struct nvmxd {
	struct nvmxd_opts o;
	struct nvmx_loader *loader; /* the BPF object, its programs and maps */
	struct nvmxd_ns *ns;	    /* KVM_GET/SET_NESTED_STATE counts (NULL: missing) */
	char ns_missing[256];	    /* why ns is NULL */
	struct nvmx_counters counts;
	struct ring_buffer *rb;
	FILE *record;
	int record_err;		   /* a failed write of --record (negative errno): the run stops */
	bool stop_now;		   /* an output cannot be written: end the run, write what can be */
	struct nvmxd_outfile json; /* --json: its directory, opened at start; maybe its writer */
	uint64_t checkpoints;	   /* --json documents written before the final one */
	bool writing_final; /* the document being made is the last --json (not a checkpoint) */
	uint64_t vcpus_at_attach, vms_at_attach; /* vCPUs (VMs) already running when attached */
	uint64_t recorded, lost_written;
	__u64 *drops_seen;  /* per CPU: ring-buffer drops already written as LOST lines */
	const __u64 *drops; /* with --record: nvmx_drops mmap'd, per CPU (NULL: not mapped) */
	size_t drops_len;
	int ncpus;
	struct nvmxd_turtles *turtles; /* lost events, cycles probe, breakdown table */
	struct vm_name **names;	       /* each allocated once: the HTTP thread keeps the pointers */
	size_t n_names;
	pthread_mutex_t names_lock;
	struct nvmxd_serve *serve;
	struct nvmxd_prog_status progs[NVMX_LOADER_MAX_PROGS];
	struct nvmxd_http_source http_src;
	size_t threads_ended;
	uint64_t start_ns;
	int stats_fd; /* BPF_ENABLE_STATS: statistics on while it is open; -1 */
};

/*
 * The one error message of a failed run, printed once at the top level (systemd style): sets it
 * and returns err (or -EINVAL if err is not negative).
 */
__attribute__((format(printf, 2, 3))) int nvmxd_fail(int err, const char *fmt, ...);

/* nvmxd_opts.c: 0: run; 1: --help given; negative: bad usage (nvmxd_fail() called). */
int nvmxd_parse_args(int argc, char **argv, struct nvmxd_opts *o);
void nvmxd_usage(FILE *f);

/* The name of VM tgid, read once (src/vm_name.h) and kept; from any thread. */
const char *nvmxd_vm_name(struct nvmxd *d, __u32 tgid);

/* nvmxd_json.c: whether kernel.bpf_stats_enabled is 1 (someone else turned the stats on). */
bool nvmxd_bpf_stats_enabled(void);

/* The --json document of counts c; also GET /api/v1/summary (from the HTTP thread). */
int nvmxd_write_summary(struct nvmxd *d, const struct nvmx_counters *c, FILE *f);

/*
 * The document of d->counts to --json FILE, whole or not at all (src/outfile.h); final: the last
 * one (at exit), else a --checkpoint.
 */
int nvmxd_write_json(struct nvmxd *d, bool final);

/* An output (--json, --record, --ready) that cannot be written: exit status 2, and the message. */
__attribute__((format(printf, 2, 3))) int nvmxd_fail_output(int err, const char *fmt, ...);

#endif /* NVMXD_H */
