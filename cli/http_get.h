/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A plain HTTP/1.0 GET of nvmxd's JSON API (docs/api.md), for nvmxtop --connect and nvmx bitmap
 * --live: one request, the whole response in memory, 3 s timeouts. No TLS, no auth: nvmxd's
 * --web-config TLS or basic auth are refused with a message saying so.
 */
#ifndef NVMX_CLI_HTTP_GET_H
#define NVMX_CLI_HTTP_GET_H

#include <stddef.h>

struct nvmx_http {
	char host[96], port[16];
	char *buf; /* the last response, NUL-terminated */
	size_t len, cap;
};

/*
 * Splits "HOST:PORT" ("[v6]:PORT" too) into h. Returns 0, or -EINVAL with why set (naming opt,
 * the option the address came from).
 */
int nvmx_http_init(struct nvmx_http *h, const char *addr, const char *opt, char *why, size_t wl);

/*
 * GET path; on success *body is the body of a 200 response (inside h->buf). Returns 0, or a
 * negative errno with why set: -ECONNREFUSED (nothing listens), -EPROTO (not HTTP, or a status
 * other than 200, named in why), or the socket's error.
 */
int nvmx_http_get_json(struct nvmx_http *h, const char *path, const char *agent, const char **body,
		       char *why, size_t wl);

void nvmx_http_free(struct nvmx_http *h);

#endif
