// SPDX-License-Identifier: GPL-2.0
/* nvmxd's HTTP server: /metrics and /api/v1/ (src/http.h, docs/api.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>
#include <zlib.h>

#include "auth.h"
#include "http.h"
#include "nvmx/util.h"

/* request line and headers; MHD answers 414/431 beyond it */
#define HTTP_MEMORY_LIMIT (16u * 1024u)

/*
 * Per connection (socket context), on the server's list while open. The request deadline: a
 * connection must deliver a complete request (the first, and each next one on a kept-alive
 * connection) within NVMXD_HTTP_TIMEOUT_S seconds of being accepted or answered; the watchdog
 * shuts down the socket of one that does not, however steadily it trickles bytes.
 */
struct conn_state {
	struct conn_state *prev, *next;
	int fd;		      /* our own duplicate of the socket: shut down, never reused */
	uint64_t deadline_ns; /* shut down after this; 0 while a request is being answered */
	bool answered;	      /* a request reached a handler */
	bool timed_out;	      /* shut down by the watchdog */
};

struct nvmxd_http {
	struct MHD_Daemon *mhd;
	struct nvmxd_http_source src;
	const struct nvmxd_webconfig *wc;
	struct nvmxd_auth *auth; /* NULL without basic_auth_users */
	char bound[80];
	char tls_priorities[256];
	/* one scrape at a time: the counts and io_top are the server's, not the connection's */
	pthread_mutex_t scrape_lock;
	struct nvmx_counters counts;
	struct nvmxd_io_top io_top; /* the MSR/port keys exported so far */
	/* counted from every connection's thread: atomic increments, read by stats_read */
	struct nvmxd_http_stats stats;
	unsigned int errors_reported; /* by MHD's logger, for a connection about to close */
	/* the open connections and the watchdog that enforces their request deadline */
	pthread_mutex_t conn_lock;
	pthread_cond_t wd_cond;
	struct conn_state *conns;
	pthread_t watchdog;
	bool wd_started, wd_stop;
};

static void count(uint64_t *x)
{
	__atomic_fetch_add(x, 1, __ATOMIC_RELAXED);
}

static void stats_read(struct nvmxd_http *h, struct nvmxd_http_stats *out)
{
	out->requests = __atomic_load_n(&h->stats.requests, __ATOMIC_RELAXED);
	out->connections = __atomic_load_n(&h->stats.connections, __ATOMIC_RELAXED);
	out->connections_refused = __atomic_load_n(&h->stats.connections_refused, __ATOMIC_RELAXED);
	for (int r = 0; r < NVMXD_BAD_COUNT; r++)
		out->bad[r] = __atomic_load_n(&h->stats.bad[r], __ATOMIC_RELAXED);
}

int nvmxd_http_listen(const char *spec, int *fd, char *bound, size_t boundlen, char *err,
		      size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	char host[64], port[8], h[INET6_ADDRSTRLEN];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct addrinfo *ai = NULL;
	size_t hl;
	int s, one = 1, e;

	if (!colon || colon == spec || !colon[1] || strlen(colon + 1) >= sizeof(port))
		return nvmx_say(-EINVAL, err, errlen,
				"--web.listen-address %s: expected ADDR:PORT, e.g. 127.0.0.1:%d or "
				"[::1]:%d",
				spec, NVMXD_HTTP_DEFAULT_PORT, NVMXD_HTTP_DEFAULT_PORT);
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return nvmx_say(-EINVAL, err, errlen, "--web.listen-address %s: address too long",
				spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535)
		return nvmx_say(-EINVAL, err, errlen,
				"--web.listen-address: port '%s' is not a number <= 65535", port);
	e = getaddrinfo(host, port, &hints, &ai);
	if (e)
		return nvmx_say(-EINVAL, err, errlen,
				"--web.listen-address: '%s' is not a numeric address: %s", host,
				gai_strerror(e));
	s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		e = -errno;
		freeaddrinfo(ai);
		return nvmx_say(e, err, errlen, "socket: %s", strerror(-e));
	}
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s, ai->ai_addr, ai->ai_addrlen) || listen(s, 64)) {
		e = -errno;
		close(s);
		freeaddrinfo(ai);
		return nvmx_say(e, err, errlen, "listening on %s failed: %s", spec, strerror(-e));
	}
	freeaddrinfo(ai);
	if (getsockname(s, (struct sockaddr *)&ss, &sslen)) {
		e = -errno;
		close(s);
		return nvmx_say(e, err, errlen, "getsockname: %s", strerror(-e));
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof(h));
		snprintf(bound, boundlen, "[%s]:%u", h, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, h, sizeof(h));
		snprintf(bound, boundlen, "%s:%u", h, ntohs(a->sin_port));
	}
	*fd = s;
	return 0;
}

/* ---- counting what MHD refuses before a handler sees it ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct nvmxd_http *h = cls;
	unsigned int code;

	/* daemon.c, over the global or the per-address limit: "Server reached connection limit.
	 * Closing inbound connection." */
	if (strstr(fmt, "reached connection limit")) {
		count(&h->stats.connections_refused);
		return;
	}
	/* connection.c: transmit_error_response: "Error processing request (HTTP response code
	 * is %u ('%s')). Closing connection." */
	if (!strstr(fmt, "HTTP response code is"))
		return;
	code = va_arg(ap, unsigned int);
	if (code == MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE || code == MHD_HTTP_URI_TOO_LONG ||
	    code == MHD_HTTP_CONTENT_TOO_LARGE)
		count(&h->stats.bad[NVMXD_BAD_TOO_LARGE]);
	else
		count(&h->stats.bad[NVMXD_BAD_MALFORMED]);
	__atomic_fetch_add(&h->errors_reported, 1, __ATOMIC_RELAXED);
}

/* ---- the request deadline ---- */

static uint64_t deadline_from_now(void)
{
	return nvmx_mono_ns() + (uint64_t)NVMXD_HTTP_TIMEOUT_S * 1000000000ull;
}

static void *watchdog(void *cls)
{
	struct nvmxd_http *h = cls;
	struct timespec ts;

	pthread_mutex_lock(&h->conn_lock);
	while (!h->wd_stop) {
		uint64_t now = nvmx_mono_ns();

		for (struct conn_state *st = h->conns; st; st = st->next) {
			if (!st->deadline_ns || st->deadline_ns > now)
				continue;
			/* MHD's thread for it sees the end of the stream and closes it */
			(void)shutdown(st->fd, SHUT_RDWR);
			st->timed_out = true;
			st->deadline_ns = 0;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&h->wd_cond, &h->conn_lock, &ts);
	}
	pthread_mutex_unlock(&h->conn_lock);
	return NULL;
}

static struct conn_state *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* a request complete (deadline 0: no deadline while it is answered) or answered (a new one) */
static void conn_deadline(struct nvmxd_http *h, struct MHD_Connection *c, uint64_t deadline,
			  bool answered)
{
	struct conn_state *st = conn_of(c);

	if (!st)
		return;
	pthread_mutex_lock(&h->conn_lock);
	if (!st->timed_out)
		st->deadline_ns = deadline;
	st->answered |= answered;
	pthread_mutex_unlock(&h->conn_lock);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)con_cls;
	(void)toe;
	conn_deadline(cls, c, deadline_from_now(), false);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct nvmxd_http *h = cls;
	struct conn_state *st = *socket_context;
	const union MHD_ConnectionInfo *ci;
	unsigned int reported;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		count(&h->stats.connections);
		st = calloc(1, sizeof(*st));
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!st)
			return;
		st->fd = ci ? fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
		pthread_mutex_lock(&h->conn_lock);
		st->deadline_ns = st->fd >= 0 ? deadline_from_now() : 0;
		st->next = h->conns;
		if (h->conns)
			h->conns->prev = st;
		h->conns = st;
		pthread_mutex_unlock(&h->conn_lock);
		*socket_context = st;
		return;
	}
	if (!st)
		return;
	pthread_mutex_lock(&h->conn_lock);
	if (st->prev)
		st->prev->next = st->next;
	else
		h->conns = st->next;
	if (st->next)
		st->next->prev = st->prev;
	pthread_mutex_unlock(&h->conn_lock);
	if (st->fd >= 0)
		close(st->fd);
	/* closed: a connection past its deadline, or one that never got an answer (idle, or
	 * given up) unless MHD refused its request (counted by mhd_log), timed out */
	if (st->timed_out) {
		count(&h->stats.bad[NVMXD_BAD_TIMEOUT]);
	} else if (!st->answered) {
		reported = __atomic_load_n(&h->errors_reported, __ATOMIC_RELAXED);
		while (reported &&
		       !__atomic_compare_exchange_n(&h->errors_reported, &reported, reported - 1,
						    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
		if (!reported)
			count(&h->stats.bad[NVMXD_BAD_TIMEOUT]);
	}
	free(st);
	*socket_context = NULL;
}

/* ---- responses ---- */

/*
 * One response: the body (freed here) with nvmxd's headers; encoding NULL: as it is, else the
 * Content-Encoding it was compressed with, and Vary: Accept-Encoding (respond_encoded).
 */
static enum MHD_Result respond_as(struct MHD_Connection *c, unsigned int status, const char *type,
				  char *body, size_t len, const char *encoding, bool vary)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (vary)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
					      MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (encoding)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned int status, const char *type,
			       char *body, size_t len)
{
	return respond_as(c, status, type, body, len, NULL, false);
}

bool nvmxd_http_accepts_gzip(const char *accept_encoding)
{
	const char *p = accept_encoding;
	int gzip = -1, star = -1; /* -1: not named; 0: refused (q=0); 1: accepted */

	while (p && *p) {
		size_t n = strcspn(p, ",;");
		const char *tok = p, *end = p + n;
		int *which = NULL;
		double q = 1;

		while (tok < end && (*tok == ' ' || *tok == '\t'))
			tok++;
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - tok) == 4 && !strncasecmp(tok, "gzip", 4))
			which = &gzip;
		else if ((size_t)(end - tok) == 6 && !strncasecmp(tok, "x-gzip", 6))
			which = &gzip;
		else if (end - tok == 1 && *tok == '*')
			which = &star;
		p += n;
		/* parameters: only q matters (RFC 9110, 12.5.3) */
		while (*p == ';') {
			p++;
			p += strspn(p, " \t");
			if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
				q = strtod(p + 2, NULL);
			p += strcspn(p, ",;");
		}
		if (which && (*which < 0 || q > 0))
			*which = q > 0;
		if (*p == ',')
			p++;
	}
	return gzip >= 0 ? gzip == 1 : star == 1;
}

int nvmxd_http_gzip(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream z = { 0 };
	uLong bound;
	char *buf;
	int e;

	/* 15 + 16: a gzip header and trailer around the deflate stream; level 1: nvmxd's CPU time
	 * is cheaper than the few bytes more (docs/metrics.md) */
	if (len > UINT32_MAX)
		return -EIO;
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&z, (uLong)len) + 32;
	buf = malloc(bound);
	if (!buf) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)bound;
	e = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (e != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	return 0;
}

/*
 * A body whose encoding the client chooses: gzip (Content-Encoding: gzip) when its
 * Accept-Encoding takes it, else as it is; Vary: Accept-Encoding either way, so a cache between
 * keeps the two apart.
 */
static enum MHD_Result respond_encoded(struct MHD_Connection *c, const char *type, char *body,
				       size_t len)
{
	const char *ae =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	bool gz = nvmxd_http_accepts_gzip(ae);
	char *z = NULL;
	size_t zlen = 0;

	if (gz) {
		if (nvmxd_http_gzip(body, len, &z, &zlen)) {
			free(body);
			return MHD_NO;
		}
		free(body);
		body = z;
		len = zlen;
	}
	return respond_as(c, MHD_HTTP_OK, type, body, len, gz ? "gzip" : NULL, true);
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned int status, const char *text)
{
	char *body = strdup(text);

	if (!body)
		return MHD_NO;
	return respond(c, status, "text/plain; charset=utf-8", body, strlen(body));
}

static enum MHD_Result refuse(struct nvmxd_http *h, struct MHD_Connection *c,
			      enum nvmxd_bad_request why, unsigned int status, const char *text)
{
	count(&h->stats.bad[why]);
	return respond_text(c, status, text);
}

static int read_counts(struct nvmxd_http *h)
{
	return nvmxd_counts_read(&h->counts, &h->src.maps);
}

static enum MHD_Result serve_metrics(struct nvmxd_http *h, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	enum prom_format fmt = prom_negotiate(accept);
	struct nvmxd_http_stats stats;
	struct nvmxd_metrics_in in = {
		.counts = &h->counts,
		.vm_name = h->src.vm_name,
		.ctx = h->src.ctx,
		.progs = h->src.progs,
		.n_progs = h->src.n_progs,
		.bpf_stats = h->src.bpf_stats(h->src.ctx),
		.per_vcpu = h->src.per_vcpu,
		.privileges_dropped = h->src.privileges_dropped,
		.start_time = h->src.start_time,
		.scrape_start_ns = nvmx_mono_ns(),
		.http = &stats,
		.io_top = &h->io_top,
		.kver = h->src.kver,
	};
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	stats_read(h, &stats);
	pthread_mutex_lock(&h->scrape_lock);
	err = read_counts(h);
	if (err) {
		pthread_mutex_unlock(&h->scrape_lock);
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "reading the BPF maps failed\n");
	}
	mem = open_memstream(&text, &len);
	if (mem)
		err = nvmxd_metrics_write(mem, &in, fmt);
	pthread_mutex_unlock(&h->scrape_lock);
	if (!mem)
		return MHD_NO;
	if (fclose(mem) || err) {
		free(text);
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "writing metrics failed\n");
	}
	return respond_encoded(c, prom_content_type(fmt), text, len);
}

static enum MHD_Result serve_summary(struct nvmxd_http *h, struct MHD_Connection *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	pthread_mutex_lock(&h->scrape_lock);
	err = read_counts(h);
	if (err) {
		pthread_mutex_unlock(&h->scrape_lock);
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "reading the BPF maps failed\n");
	}
	mem = open_memstream(&text, &len);
	if (mem)
		err = h->src.summary_json(h->src.ctx, &h->counts, mem);
	pthread_mutex_unlock(&h->scrape_lock);
	if (!mem)
		return MHD_NO;
	if (fclose(mem) || err) {
		free(text);
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "writing JSON failed\n");
	}
	return respond_encoded(c, "application/json", text, len);
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

/* The kernel's word on this process's credentials, not nvmxd's own: /proc/self/status lines. */
static void add_proc_status(struct json_object *o)
{
	static const char *const keys[] = { "Uid",    "Gid",	"Groups", "CapInh",    "CapPrm",
					    "CapEff", "CapBnd", "CapAmb", "NoNewPrivs" };
	struct json_object *st = json_object_new_object();
	char line[512];
	FILE *f;

	if (!st)
		return;
	f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;

		if (!colon)
			continue;
		*colon = '\0';
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcmp(line, keys[i]))
				continue;
			v = colon + 1 + strspn(colon + 1, " \t");
			v[strcspn(v, "\n")] = '\0';
			json_object_object_add(st, keys[i], json_object_new_string(v));
		}
	}
	if (f)
		fclose(f);
	json_object_object_add(o, "proc_status", st);
}

static enum MHD_Result serve_status(struct nvmxd_http *h, struct MHD_Connection *c)
{
	struct json_object *o = json_object_new_object(), *progs = json_object_new_array();
	struct json_object *priv = json_object_new_object(), *http = json_object_new_object();
	struct json_object *bad = json_object_new_object(), *bpf = json_object_new_object();
	const uint64_t *self = h->counts.self;
	struct nvmxd_http_stats stats;
	uint64_t sv[4] = { 0 }; /* the BPF self-metrics, read under the scrape lock */
	size_t missing = 0;
	char *body;
	struct timespec now;
	int err;

	if (!o || !progs || !priv || !http || !bad || !bpf) {
		json_object_put(o);
		json_object_put(progs);
		json_object_put(priv);
		json_object_put(http);
		json_object_put(bad);
		json_object_put(bpf);
		return MHD_NO;
	}
	stats_read(h, &stats);
	pthread_mutex_lock(&h->scrape_lock);
	err = read_counts(h);
	if (!err) {
		sv[0] = self[NVMX_SELF_EVENTS];
		sv[1] = nvmx_counters_update_failures(&h->counts);
		sv[2] = self[NVMX_SELF_RINGBUF_DROPPED];
		sv[3] = self[NVMX_SELF_RINGBUF_SENT];
	}
	pthread_mutex_unlock(&h->scrape_lock);
	clock_gettime(CLOCK_REALTIME, &now);
	json_object_object_add(o, "version", json_object_new_string(NVMX_VERSION));
	json_object_object_add(o, "start_time", json_object_new_double(h->src.start_time));
	json_object_object_add(o, "uptime_seconds",
			       json_object_new_double((double)now.tv_sec +
						      (double)now.tv_nsec / 1e9 -
						      h->src.start_time));
	json_object_object_add(o, "listen", json_object_new_string(h->bound));
	json_object_object_add(o, "tls", json_object_new_boolean(h->wc && h->wc->cert_pem));
	json_object_object_add(o, "basic_auth", json_object_new_boolean(h->wc && h->wc->n_users));
	for (size_t i = 0; i < h->src.n_progs; i++) {
		const struct nvmxd_prog_status *p = &h->src.progs[i];
		struct json_object *e = json_object_new_object();

		if (!e)
			continue;
		json_object_object_add(e, "tracepoint", json_object_new_string(p->tracepoint));
		json_object_object_add(e, "program", json_object_new_string(p->program));
		json_object_object_add(e, "attached", json_object_new_boolean(p->attached));
		json_object_object_add(e, "baseline", json_object_new_boolean(p->baseline));
		json_object_array_add(progs, e);
		missing += !p->attached && !p->baseline;
	}
	json_object_object_add(o, "programs", progs);
	add_u64(o, "programs_missing", missing);
	json_object_object_add(o, "bpf_stats_enabled",
			       json_object_new_boolean(h->src.bpf_stats(h->src.ctx)));
	if (!err) {
		add_u64(bpf, "events", sv[0]);
		add_u64(bpf, "map_update_failures", sv[1]);
		add_u64(bpf, "ringbuf_drops", sv[2]);
		add_u64(bpf, "ringbuf_records", sv[3]);
		json_object_object_add(o, "bpf", bpf);
	} else {
		json_object_put(bpf);
		json_object_object_add(o, "bpf_error", json_object_new_string(strerror(-err)));
	}
	json_object_object_add(priv, "dropped",
			       json_object_new_boolean(h->src.privileges_dropped != 0));
	json_object_object_add(
		priv, "retained_capabilities",
		json_object_new_string(h->src.privileges_dropped < 0 ? "cap_bpf" : ""));
	add_u64(priv, "uid", h->src.uid);
	add_u64(priv, "gid", h->src.gid);
	add_proc_status(priv);
	json_object_object_add(o, "privileges", priv);
	add_u64(http, "requests", stats.requests);
	add_u64(http, "connections", stats.connections);
	add_u64(http, "connections_refused", stats.connections_refused);
	for (int r = 0; r < NVMXD_BAD_COUNT; r++)
		add_u64(bad, nvmxd_bad_request_name(r), stats.bad[r]);
	json_object_object_add(http, "bad_requests", bad);
	json_object_object_add(o, "http", http);
	body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (!body)
		return MHD_NO;
	return respond(c, MHD_HTTP_OK, "application/json", body, strlen(body));
}

static const char *const other_endpoints[] = { "/", "/api/v1/summary", "/api/v1/status",
					       "/-/healthy" };

bool nvmxd_telemetry_path_ok(const char *path)
{
	size_t n = strlen(path);

	if (path[0] != '/' || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (path[i] <= ' ' || path[i] > '~' || path[i] == '?' || path[i] == '#')
			return false;
	for (size_t i = 0; i < sizeof(other_endpoints) / sizeof(other_endpoints[0]); i++)
		if (!strcmp(path, other_endpoints[i]))
			return false;
	return true;
}

static const char *metrics_path(const struct nvmxd_http *h)
{
	return h->src.metrics_path ? h->src.metrics_path : NVMXD_HTTP_METRICS_PATH;
}

static enum MHD_Result serve_index(struct nvmxd_http *h, struct MHD_Connection *c)
{
	char *body = NULL;

	if (asprintf(&body,
		     "nvmxd: who handles each nested-virtualization exit\n"
		     "\n"
		     "%-16s Prometheus metrics (text 0.0.4, or OpenMetrics when asked)\n"
		     "/api/v1/summary  the counts as JSON: nvmxd --json's document, read now\n"
		     "/api/v1/status   nvmxd itself: programs, privileges, HTTP, BPF self-metrics\n"
		     "/-/healthy       200 while nvmxd serves\n",
		     metrics_path(h)) < 0)
		return MHD_NO;
	return respond(c, MHD_HTTP_OK, "text/plain; charset=utf-8", body, strlen(body));
}

static bool authorized(struct nvmxd_http *h, struct MHD_Connection *c)
{
	char *pass = NULL, *user;
	bool ok;

	if (!h->auth)
		return true;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = nvmxd_auth_check(h->auth, user, pass);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct nvmxd_http *h = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	/* the request is complete: its deadline is met */
	conn_deadline(h, c, 0, true);
	count(&h->stats.requests);
	/* no endpoint takes a body: refuse at the headers, before any of it is read */
	if (*upload_data_size ||
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH) ||
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return refuse(h, c, NVMXD_BAD_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE,
			      "no endpoint takes a request body\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return refuse(h, c, NVMXD_BAD_METHOD, MHD_HTTP_METHOD_NOT_ALLOWED,
			      "only GET and HEAD\n");
	if (!authorized(h, c)) {
		count(&h->stats.bad[NVMXD_BAD_UNAUTHORIZED]);
		r = MHD_create_response_from_buffer(strlen("unauthorized\n"), "unauthorized\n",
						    MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		ret = MHD_queue_basic_auth_fail_response(c, "nvmx", r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!strcmp(url, metrics_path(h)))
		return serve_metrics(h, c);
	if (!strcmp(url, "/api/v1/summary"))
		return serve_summary(h, c);
	if (!strcmp(url, "/api/v1/status"))
		return serve_status(h, c);
	if (!strcmp(url, "/-/healthy"))
		return respond_text(c, MHD_HTTP_OK, "ok\n");
	if (!strcmp(url, "/"))
		return serve_index(h, c);
	return refuse(h, c, NVMXD_BAD_NOT_FOUND, MHD_HTTP_NOT_FOUND,
		      "not found; see / for the endpoints\n");
}

/*
 * GnuTLS priorities: TLS 1.2 at least (or what min_version/max_version say), AEAD ciphers with
 * forward secrecy only, as Go's crypto/tls (exporter-toolkit) offers by default: no CBC, no
 * SHA-1 MAC, no RSA key exchange (AES128-SHA was negotiated before).
 */
static void tls_priorities(const struct nvmxd_webconfig *wc, char *out, size_t len)
{
	int lo = wc->tls_min ? wc->tls_min : 12, hi = wc->tls_max ? wc->tls_max : 13;

	snprintf(out, len,
		 "NORMAL:-VERS-ALL%s%s:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:"
		 "-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA",
		 lo <= 13 && hi >= 13 ? ":+VERS-TLS1.3" : "",
		 lo <= 12 && hi >= 12 ? ":+VERS-TLS1.2" : "");
}

static void http_free(struct nvmxd_http *h)
{
	if (h->wd_started) {
		pthread_mutex_lock(&h->conn_lock);
		h->wd_stop = true;
		pthread_cond_signal(&h->wd_cond);
		pthread_mutex_unlock(&h->conn_lock);
		pthread_join(h->watchdog, NULL);
	}
	nvmxd_auth_stop(h->auth);
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	nvmx_counters_free(&h->counts);
	nvmxd_auth_free(h->auth);
	pthread_mutex_destroy(&h->scrape_lock);
	pthread_mutex_destroy(&h->conn_lock);
	pthread_cond_destroy(&h->wd_cond);
	free(h);
}

int nvmxd_http_start(struct nvmxd_http **out, int listen_fd, const char *bound,
		     const struct nvmxd_webconfig *wc, const struct nvmxd_http_source *src,
		     char *err, size_t errlen)
{
	struct nvmxd_http *h = calloc(1, sizeof(*h));
	bool tls = wc && wc->cert_pem && wc->key_pem;
	/* a thread per connection: a slow client or a bcrypt check holds its own thread only */
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_POLL | MHD_USE_ERROR_LOG;
	int e;

	*out = NULL;
	if (!h) {
		close(listen_fd);
		return nvmx_say(-ENOMEM, err, errlen, "out of memory");
	}
	h->src = *src;
	h->wc = wc;
	pthread_mutex_init(&h->scrape_lock, NULL);
	pthread_mutex_init(&h->conn_lock, NULL);
	pthread_cond_init(&h->wd_cond, NULL);
	snprintf(h->bound, sizeof(h->bound), "%s", bound);
	if (wc && wc->n_users) {
		e = nvmxd_auth_new(wc, &h->auth);
		if (e) {
			close(listen_fd);
			http_free(h);
			return nvmx_say(e, err, errlen, "setting up basic auth failed: %s",
					strerror(-e));
		}
	}
	e = -pthread_create(&h->watchdog, NULL, watchdog, h);
	if (e) {
		close(listen_fd);
		http_free(h);
		return nvmx_say(e, err, errlen, "starting the HTTP watchdog failed: %s",
				strerror(-e));
	}
	h->wd_started = true;
	if (tls) {
		flags |= MHD_USE_TLS;
		tls_priorities(wc, h->tls_priorities, sizeof(h->tls_priorities));
	}
	/* the options' types are exactly what MHD_start_daemon's varargs read */
	if (tls)
		h->mhd = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, listen_fd,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)NVMXD_HTTP_MAX_CONNECTIONS,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)NVMXD_HTTP_PER_IP_LIMIT,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)NVMXD_HTTP_TIMEOUT_S,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_NOTIFY_CONNECTION,
			on_connection, h, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
			MHD_OPTION_HTTPS_MEM_CERT, wc->cert_pem, MHD_OPTION_HTTPS_MEM_KEY,
			wc->key_pem, MHD_OPTION_HTTPS_PRIORITIES, h->tls_priorities,
			MHD_OPTION_END);
	else
		h->mhd = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, listen_fd,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)NVMXD_HTTP_MAX_CONNECTIONS,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)NVMXD_HTTP_PER_IP_LIMIT,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)NVMXD_HTTP_TIMEOUT_S,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_NOTIFY_CONNECTION,
			on_connection, h, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
			MHD_OPTION_END);
	if (!h->mhd) {
		close(listen_fd);
		http_free(h);
		return nvmx_say(-EIO, err, errlen, "starting the HTTP server on %s failed%s", bound,
				tls ? " (is the TLS certificate/key pair valid PEM?)" : "");
	}
	*out = h;
	return 0;
}

void nvmxd_http_stop(struct nvmxd_http *h)
{
	if (h)
		http_free(h);
}
