/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxd's counts as Prometheus metrics: the text exposition format 0.0.4, or OpenMetrics 1.0.0
 * when the scraper asks for it (written by src/promtext.h). Every metric is listed, with its
 * labels, in docs/metrics.md.
 *
 * The exits map becomes counters and log2 histograms by (vm, isa, reason, handled_by); a
 * histogram's `le` bounds are the map's buckets (bucket i: <= 2^i ns, include/nvmx/counts.h) in seconds, made
 * cumulative. VMs are named, not numbered: processes with the same name are summed, which keeps
 * the series unique and the counters monotonic (the exits map is never cleared). No logging.
 */
#ifndef NVMXD_METRICS_H
#define NVMXD_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "collect.h"
#include "promtext.h"

/* One program of the table nvmxd attaches (static once attached). */
struct nvmxd_prog_status {
	char tracepoint[64];
	char program[64];
	bool attached;
	bool baseline; /* the empty --baseline program */
	int fd;	       /* -1 when not loaded */
};

/* Why a request was refused: the `reason` label of nvmx_http_bad_requests_total. */
enum nvmxd_bad_request {
	NVMXD_BAD_MALFORMED,	/* 400: not HTTP, or a header libmicrohttpd rejects */
	NVMXD_BAD_TOO_LARGE,	/* 413/414/431: request line, headers or body too large */
	NVMXD_BAD_METHOD,	/* 405: not GET or HEAD */
	NVMXD_BAD_NOT_FOUND,	/* 404 */
	NVMXD_BAD_UNAUTHORIZED, /* 401: no or wrong basic-auth credentials */
	NVMXD_BAD_TIMEOUT,	/* connection closed after --http-timeout without a request */
	NVMXD_BAD_COUNT,
};

const char *nvmxd_bad_request_name(enum nvmxd_bad_request r);

struct nvmxd_http_stats {
	uint64_t requests; /* answered by a handler (any status) */
	uint64_t bad[NVMXD_BAD_COUNT];
	uint64_t connections;
	uint64_t connections_refused; /* over the connection limit */
};

/*
 * The MSR and port series exported one by one (nvmx_msr_exits_total, nvmx_io_exits_total): a
 * VM name (same-named processes summed, as in every per-VM family) and a key of the maps
 * without its process (tgid 0). The costliest seen while fewer than NVMXD_IO_TOP are exported,
 * kept for nvmxd's lifetime so every series stays a counter; every other one adds to one "other"
 * series per VM, isa and handler. Zero-initialised; owned by the caller across scrapes.
 */
#define NVMXD_IO_TOP 32

union nvmxd_io_key {
	struct nvmx_msr_key msr;
	struct nvmx_port_key port;
};

struct nvmxd_io_series {
	const char *vm; /* from nvmxd_metrics_in.vm_name: valid while nvmxd runs */
	union nvmxd_io_key key;
};

struct nvmxd_io_top {
	struct nvmxd_io_series msrs[NVMXD_IO_TOP];
	size_t n_msrs;
	struct nvmxd_io_series ports[NVMXD_IO_TOP];
	size_t n_ports;
};

struct nvmxd_metrics_in {
	const struct nvmx_counters *counts;
	/* the VM name of a process; the pointer stays valid while nvmxd runs */
	const char *(*vm_name)(void *ctx, uint32_t tgid);
	void *ctx;
	const struct nvmxd_prog_status *progs;
	size_t n_progs;
	bool bpf_stats;		  /* run_cnt and run_time_ns are being counted */
	bool per_vcpu;		  /* a vcpu_thread label on the exit metrics */
	int privileges_dropped;	  /* 1 dropped, 0 not, -1 dropped but CAP_BPF kept */
	double start_time;	  /* unix seconds */
	uint64_t scrape_start_ns; /* CLOCK_MONOTONIC when the scrape began */
	const struct nvmxd_http_stats *http;
	struct nvmxd_io_top *io_top; /* updated by the scrape */
	uint32_t kver;		     /* this kernel (nvmx_kver), for the bitmap mechanism label */
};

/*
 * Writes every metric, in the format an HTTP Accept header asked for (prom_negotiate). Returns 0,
 * -ENOMEM or -EIO.
 */
int nvmxd_metrics_write(FILE *out, const struct nvmxd_metrics_in *in, enum prom_format fmt);

/* The MSR and port families (metrics_io.c), for nvmxd_metrics_write; updates in->io_top. */
void nvmxd_metrics_write_io(struct prom_writer *w, const struct nvmxd_metrics_in *in);

#endif /* NVMXD_METRICS_H */
