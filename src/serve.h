/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxd as a service: what happens around the HTTP server (src/http.h) in order.
 *
 *   nvmxd_serve_prepare()  before loading: parse --user, read --web-config (the TLS key too,
 *                          while still root), bind --listen (a port below 1024 works)
 *   ... nvmxd loads and attaches its programs ...
 *   nvmxd_serve_start()    probe whether this kernel lets an unprivileged process read the maps,
 *                          drop to --user with no capabilities (CAP_BPF kept only where the
 *                          kernel needs it: before 5.19), verify /proc/self/status, then serve
 *   nvmxd_serve_free()     stop serving
 *
 * No logging: nvmxd says what the messages returned here say.
 */
#ifndef NVMXD_SERVE_H
#define NVMXD_SERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

struct nvmxd_serve_opts {
	const char *listen;	    /* ADDR:PORT */
	const char *web_config;	    /* NULL: plain HTTP, no authentication */
	const char *telemetry_path; /* where the metrics are; NULL: /metrics */
	const char *user;	    /* NULL: "nobody"; "root" (or uid 0): keep root */
};

struct nvmxd_serve;

/* Returns 0 with *out set, or a negative errno with err set. */
int nvmxd_serve_prepare(struct nvmxd_serve **out, const struct nvmxd_serve_opts *o, char *err,
			size_t errlen);

/* Whether nvmxd_serve_start() will drop root (--user is not root). */
bool nvmxd_serve_drops(const struct nvmxd_serve *s);

/*
 * Whether to warn, once at start, about where nvmxd listens: on every address (0.0.0.0 or ::)
 * without both TLS and basic auth. msg gets the warning.
 */
bool nvmxd_serve_warning(const struct nvmxd_serve *s, char *msg, size_t msglen);

/*
 * Drops privileges and starts serving. src->maps and progs must be filled; privileges_dropped,
 * uid and gid are filled here. On success, msg gets one line for nvmxd to print (where it serves
 * and as whom). Returns 0 or a negative errno with msg saying what failed.
 */
int nvmxd_serve_start(struct nvmxd_serve *s, struct nvmxd_http_source *src, char *msg,
		      size_t msglen);

void nvmxd_serve_free(struct nvmxd_serve *s);

#endif /* NVMXD_SERVE_H */
