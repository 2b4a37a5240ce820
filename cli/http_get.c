// SPDX-License-Identifier: GPL-2.0
/* A plain HTTP/1.0 GET of nvmxd's JSON API: see http_get.h. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http_get.h"

#define MAX_RESPONSE	    (64u << 20) /* 50 VMs x 8 vCPUs of histograms is a few MiB */
#define NVMX_HTTP_TIMEOUT_S 10		/* connect, each send and each receive */
#define NVMX_HTTP_RETRIES   3		/* of a connection closed before any byte */

int nvmx_http_init(struct nvmx_http *h, const char *addr, const char *opt, char *why, size_t wl)
{
	const char *colon = strrchr(addr, ':');
	size_t hlen;

	memset(h, 0, sizeof(*h));
	if (!colon || colon == addr || !colon[1] || strlen(colon + 1) >= sizeof(h->port) ||
	    (size_t)(colon - addr) >= sizeof(h->host)) {
		snprintf(why, wl, "%s %s: expected HOST:PORT, e.g. 127.0.0.1:9477", opt, addr);
		return -EINVAL;
	}
	hlen = (size_t)(colon - addr);
	/* [v6]:port */
	if (addr[0] == '[' && hlen > 2 && addr[hlen - 1] == ']')
		snprintf(h->host, sizeof(h->host), "%.*s", (int)(hlen - 2), addr + 1);
	else
		snprintf(h->host, sizeof(h->host), "%.*s", (int)hlen, addr);
	snprintf(h->port, sizeof(h->port), "%s", colon + 1);
	return 0;
}

static int append(struct nvmx_http *h, const char *data, size_t n)
{
	if (h->len + n + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 65536;
		char *p;

		while (cap < h->len + n + 1)
			cap *= 2;
		if (cap > MAX_RESPONSE)
			return -EFBIG;
		p = realloc(h->buf, cap);
		if (!p)
			return -ENOMEM;
		h->buf = p;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, data, n);
	h->len += n;
	h->buf[h->len] = '\0';
	return 0;
}

/* The whole response to GET path into h->buf. */
static int get(struct nvmx_http *h, const char *path, const char *agent, char *why, size_t wl)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	struct timeval tv = { .tv_sec = NVMX_HTTP_TIMEOUT_S };
	char req[512], chunk[65536];
	int fd = -1, err, gai;
	ssize_t n;

	h->len = 0;
	gai = getaddrinfo(h->host, h->port, &hints, &ai);
	if (gai) {
		snprintf(why, wl, "cannot resolve %s: %s", h->host, gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	/*
	 * A hung nvmxd must not freeze the caller: NVMX_HTTP_TIMEOUT_S for connect, each send and
	 * receive. Not less: an nvmxd on a busy host (the lab's L0 under emulation) can take seconds
	 * to build a summary.
	 */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		err = -errno;
		goto fail;
	}
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.0\r\nHost: %s:%s\r\nUser-Agent: %s\r\nAccept: "
		 "application/json\r\n\r\n",
		 path, h->host, h->port, agent);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		err = -errno;
		goto fail;
	}
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0) {
		err = append(h, chunk, (size_t)n);
		if (err)
			goto fail;
	}
	if (n < 0) {
		err = -errno;
		goto fail;
	}
	close(fd);
	freeaddrinfo(ai);
	return 0;
fail:
	if (err == -EAGAIN || err == -EWOULDBLOCK || err == -EINPROGRESS)
		snprintf(why, wl, "nvmxd at %s:%s: no answer within %d s", h->host, h->port,
			 NVMX_HTTP_TIMEOUT_S);
	else
		snprintf(why, wl, "nvmxd at %s:%s: %s", h->host, h->port, strerror(-err));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return err;
}

int nvmx_http_get_json(struct nvmx_http *h, const char *path, const char *agent, const char **body,
		       char *why, size_t wl)
{
	const char *b;
	int status = 0, err = get(h, path, agent, why, wl);

	/*
	 * A connection closed before any byte is nvmxd refusing it (its connection limits,
	 * counted in its /metrics), not another server: try again, a few times, a second apart.
	 */
	for (int retry = 0; !err && !h->len && retry < NVMX_HTTP_RETRIES; retry++) {
		sleep(1);
		err = get(h, path, agent, why, wl);
	}
	*body = NULL;
	if (err)
		return err;
	if (!h->len) {
		snprintf(why, wl,
			 "nvmxd at %s:%s closed %d connections without answering (its connection "
			 "limits?)",
			 h->host, h->port, NVMX_HTTP_RETRIES + 1);
		return -EPROTO;
	}
	b = strstr(h->buf ? h->buf : "", "\r\n\r\n");
	if (!h->buf || sscanf(h->buf, "HTTP/%*d.%*d %d", &status) != 1 || !b) {
		snprintf(why, wl, "%s:%s did not answer in HTTP: is it nvmxd --listen?", h->host,
			 h->port);
		return -EPROTO;
	}
	if (status == 401) {
		snprintf(why, wl,
			 "nvmxd at %s:%s asks for a password (basic auth of --web-config), which "
			 "is not sent: run this where nvmxd listens without it",
			 h->host, h->port);
		return -EPROTO;
	}
	if (status != 200) {
		snprintf(why, wl,
			 "nvmxd at %s:%s answered HTTP %d to %s: an nvmxd without the JSON API?",
			 h->host, h->port, status, path);
		return -EPROTO;
	}
	*body = b + 4;
	return 0;
}

void nvmx_http_free(struct nvmx_http *h)
{
	free(h->buf);
	h->buf = NULL;
	h->len = h->cap = 0;
}
