/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxd's HTTP server (libmicrohttpd, a thread per connection): Prometheus metrics at /metrics and
 * a JSON API under /api/v1/ (docs/api.md), optionally over TLS (1.2 at least, AEAD ciphers) and
 * behind basic authentication (src/webconfig.h, cached: src/auth.h). Scrapes read the BPF maps
 * when they arrive, one at a time; nothing is kept per event.
 *
 * Bounded by design: at most NVMXD_HTTP_MAX_CONNECTIONS connections, NVMXD_HTTP_PER_IP_LIMIT per
 * client address (the others refused: nvmx_http_connections_refused_total), 16 KiB of request
 * line and headers, no request body; a request deadline: a connection that has not delivered a
 * complete request NVMXD_HTTP_TIMEOUT_S seconds after it was accepted (or its previous request
 * answered) is closed, however steadily it trickles, and so is one idle that long. What is
 * refused is counted (nvmx_http_bad_requests_total). No logging: libmicrohttpd's own error
 * reports are counted, not printed.
 */
#ifndef NVMXD_HTTP_H
#define NVMXD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collect.h"
#include "metrics.h"
#include "webconfig.h"

#define NVMXD_HTTP_DEFAULT_PORT	   9477
#define NVMXD_HTTP_MAX_CONNECTIONS 64
#define NVMXD_HTTP_PER_IP_LIMIT	   16
#define NVMXD_HTTP_TIMEOUT_S	   10

/* What the server reads, owned by nvmxd; everything but the callbacks' results is static. */
struct nvmxd_http_source {
	struct nvmxd_maps maps;
	const struct nvmxd_prog_status *progs;
	size_t n_progs;
	void *ctx;
	/* the VM name of a process (thread-safe; the pointer stays valid while nvmxd runs) */
	const char *(*vm_name)(void *ctx, uint32_t tgid);
	/* the document of nvmxd --json, from counts read now (thread-safe); 0 or -errno */
	int (*summary_json)(void *ctx, const struct nvmx_counters *c, FILE *out);
	/* whether the kernel counts BPF run time now */
	bool (*bpf_stats)(void *ctx);
	bool per_vcpu;
	int privileges_dropped; /* as nvmxd_metrics_in */
	unsigned int uid, gid;
	double start_time;
	uint32_t kver; /* this kernel (nvmx_kver of uname -r): KVM's bitmap rules for the labels */
	const char *metrics_path; /* --web.telemetry-path; NULL: /metrics */
};

/* The metrics' path when none is given (node_exporter's --web.telemetry-path default). */
#define NVMXD_HTTP_METRICS_PATH "/metrics"

/*
 * Whether path can be --web.telemetry-path: it begins with '/', is printable ASCII without
 * spaces, '?' or '#', at most 255 bytes, and is none of the other endpoints (/, /api/v1/summary,
 * /api/v1/status, /-/healthy).
 */
bool nvmxd_telemetry_path_ok(const char *path);

/*
 * Whether an Accept-Encoding header value takes gzip (or x-gzip), or "*" without gzip refused:
 * a q of 0 refuses (RFC 9110). NULL: no. /metrics and /api/v1/summary are then gzipped.
 */
bool nvmxd_http_accepts_gzip(const char *accept_encoding);

/* in[len] gzipped (zlib, level 1) into *out (malloc'd), *outlen bytes. 0, -ENOMEM or -EIO. */
int nvmxd_http_gzip(const char *in, size_t len, char **out, size_t *outlen);

struct nvmxd_http;

/*
 * Binds and listens on "ADDR:PORT" (IPv4, or [IPv6]:PORT; port 0 picks a free one). Done before
 * the privilege drop, so a port below 1024 works. *fd gets the socket; bound gets "ADDR:PORT" as
 * bound. Returns 0 or a negative errno with err set.
 */
int nvmxd_http_listen(const char *spec, int *fd, char *bound, size_t boundlen, char *err,
		      size_t errlen);

/*
 * Serves on listen_fd (taken over) from a new thread. wc may be NULL (plain HTTP, no
 * authentication); it and src must outlive the server. Returns 0 or a negative errno, err set.
 */
int nvmxd_http_start(struct nvmxd_http **out, int listen_fd, const char *bound,
		     const struct nvmxd_webconfig *wc, const struct nvmxd_http_source *src,
		     char *err, size_t errlen);

/* Stops serving (waits for the thread) and frees. NULL is fine. */
void nvmxd_http_stop(struct nvmxd_http *h);

#endif /* NVMXD_HTTP_H */
