// SPDX-License-Identifier: GPL-2.0
/* The client of nvmxd's JSON API over HTTP or HTTPS, through libcurl: see http_get.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http_get.h"

#define MAX_RESPONSE	  (64u << 20) /* 50 VMs x 8 vCPUs of histograms is a few MiB */
#define NVMX_HTTP_RETRIES 3	      /* of a connection closed before any byte */
#define CREDENTIALS_MAX	  4096

/* "opt ADDR: expected ..." */
static int bad_addr(const char *opt, const char *addr, char *why, size_t wl)
{
	snprintf(why, wl,
		 "%s %s: expected HOST:PORT, http://HOST:PORT or https://HOST:PORT, e.g. "
		 "127.0.0.1:9477",
		 opt, addr);
	return -EINVAL;
}

/* addr without its scheme: "HOST:PORT", "[V6]:PORT", with at most a "/" after it. */
static int parse_hostport(struct nvmx_http *h, const char *rest, const char *addr, const char *opt,
			  char *why, size_t wl)
{
	size_t n = strlen(rest), hlen;
	const char *colon;
	char hp[128];

	if (n && rest[n - 1] == '/')
		n--;
	if (!n || n >= sizeof(hp) || memchr(rest, '/', n) || memchr(rest, '@', n))
		return bad_addr(opt, addr, why, wl);
	memcpy(hp, rest, n);
	hp[n] = '\0';
	colon = strrchr(hp, ':');
	if (!colon || colon == hp || !colon[1] || strlen(colon + 1) >= sizeof(h->port) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    (size_t)(colon - hp) >= sizeof(h->host))
		return bad_addr(opt, addr, why, wl);
	hlen = (size_t)(colon - hp);
	if (hp[0] == '[') {
		/* [v6]:port */
		if (hlen <= 2 || hp[hlen - 1] != ']')
			return bad_addr(opt, addr, why, wl);
		snprintf(h->host, sizeof(h->host), "%.*s", (int)(hlen - 2), hp + 1);
	} else {
		/* a bare v6 address needs its brackets to say where the port starts */
		if (memchr(hp, ':', hlen))
			return bad_addr(opt, addr, why, wl);
		snprintf(h->host, sizeof(h->host), "%.*s", (int)hlen, hp);
	}
	snprintf(h->port, sizeof(h->port), "%s", colon + 1);
	snprintf(h->where, sizeof(h->where), "%s", hp);
	snprintf(h->url, sizeof(h->url), "%s://%s", h->tls ? "https" : "http", hp);
	return 0;
}

/*
 * The --credentials file: one line USER:PASSWORD, not readable by others (a password in a
 * world-readable file, or on a command line every user sees in ps, is no secret).
 */
static int read_credentials(struct nvmx_http *h, const char *path, char *why, size_t wl)
{
	char buf[CREDENTIALS_MAX + 1], *nl;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(why, wl, "--credentials %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, wl, "--credentials %s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_mode & S_IROTH) {
		snprintf(why, wl,
			 "--credentials %s: readable by every user (mode %04o): chmod o-r %s "
			 "(chmod 600) first",
			 path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -EINVAL;
	}
	while (len < CREDENTIALS_MAX && (n = read(fd, buf + len, CREDENTIALS_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	nl = strchr(buf, '\n');
	if (nl) {
		/* one line: what follows it may only be the end of the file */
		if (nl[strspn(nl, "\r\n")] != '\0') {
			snprintf(why, wl,
				 "--credentials %s: more than one line (expected one "
				 "line USER:PASSWORD)",
				 path);
			return -EINVAL;
		}
		*nl = '\0';
		if (nl > buf && nl[-1] == '\r')
			nl[-1] = '\0';
	}
	if (len >= CREDENTIALS_MAX || strlen(buf) != strcspn(buf, "\n") || buf[0] == ':' ||
	    !strchr(buf, ':')) {
		snprintf(why, wl, "--credentials %s: expected one line USER:PASSWORD", path);
		memset(buf, 0, sizeof(buf));
		return -EINVAL;
	}
	h->userpwd = strdup(buf);
	memset(buf, 0, sizeof(buf));
	return h->userpwd ? 0 : -ENOMEM;
}

int nvmx_http_init(struct nvmx_http *h, const char *addr, const char *opt,
		   const struct nvmx_http_opts *o, char *why, size_t wl)
{
	static const struct nvmx_http_opts none;
	const char *rest = addr;
	int err;

	memset(h, 0, sizeof(*h));
	if (!o)
		o = &none;
	if (!strncmp(addr, "https://", 8)) {
		h->tls = true;
		rest = addr + 8;
	} else if (!strncmp(addr, "http://", 7)) {
		rest = addr + 7;
	} else if (strstr(addr, "://")) {
		return bad_addr(opt, addr, why, wl);
	}
	err = parse_hostport(h, rest, addr, opt, why, wl);
	if (err)
		return err;
	h->timeout_s = o->timeout_s > 0 ? (long)(o->timeout_s + 0.999) : NVMX_HTTP_TIMEOUT_S;
	h->stop = o->stop;
	if (o->ca_file) {
		/* said now, in the option's words, rather than at the first TLS handshake */
		if (access(o->ca_file, R_OK)) {
			snprintf(why, wl, "--ca-file %s: %s", o->ca_file, strerror(errno));
			return -EINVAL;
		}
		h->ca_file = o->ca_file;
	}
	if (o->credentials) {
		err = read_credentials(h, o->credentials, why, wl);
		if (err)
			return err;
		h->credentials = o->credentials;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(why, wl, "cannot start libcurl (out of memory?)");
		nvmx_http_free(h);
		return -ENOMEM;
	}
	h->curl = curl_easy_init();
	if (!h->curl) {
		snprintf(why, wl, "cannot start libcurl (out of memory?)");
		nvmx_http_free(h);
		return -ENOMEM;
	}
	return 0;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct nvmx_http *h = arg;
	size_t n = size * nmemb;

	if (h->len + n + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 65536;
		char *p;

		while (cap < h->len + n + 1)
			cap *= 2;
		if (cap > MAX_RESPONSE)
			return 0; /* CURLE_WRITE_ERROR */
		p = realloc(h->buf, cap);
		if (!p)
			return 0;
		h->buf = p;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, data, n);
	h->len += n;
	h->buf[h->len] = '\0';
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct nvmx_http *h = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return h->stop && *h->stop != h->stop_was ? 1 : 0;
}

/* The options of every transfer on c; url is the whole URL. */
static void set_common(struct nvmx_http *h, CURL *c, const char *url, char *errbuf)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* straight to nvmxd, as the old client went: no proxy from http_proxy or https_proxy */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	/*
	 * not CURLOPT_NOSIGNAL: libcurl then ignores SIGPIPE during a transfer (a TLS write to a
	 * closed connection must not kill nvmxtop); Debian's libcurl resolves names in a thread,
	 * without SIGALRM
	 */
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	/*
	 * A hung nvmxd must not freeze the caller: timeout_s to connect (the TLS handshake
	 * included), then for each next byte. Not less by default: an nvmxd on a busy host (the
	 * lab's L0 under emulation) can take seconds to build a summary.
	 */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->timeout_s);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->timeout_s);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	if (h->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
}

/*
 * http:// got no answer: is it a TLS port? A handshake only (no request, nothing sent but the
 * ClientHello, the certificate not checked: it is only a question about the protocol).
 */
static bool speaks_tls(struct nvmx_http *h)
{
	char url[sizeof(h->url) + 8], errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (!c)
		return false;
	snprintf(url, sizeof(url), "https://%s/", h->where);
	set_common(h, c, url, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	return rc == CURLE_OK;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data, (void)arg;
	return size * nmemb;
}

/*
 * https:// failed in the handshake: does the port answer plain HTTP? A HEAD of /-/healthy (nvmxd
 * answers HEAD; any HTTP status will do).
 */
static bool speaks_http(struct nvmx_http *h)
{
	char url[sizeof(h->url) + 24], errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (!c)
		return false;
	snprintf(url, sizeof(url), "http://%s/-/healthy", h->where);
	set_common(h, c, url, errbuf);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	return rc == CURLE_OK;
}

/* why for a failed transfer; returns the errno of http_get.h and sets h->config_error. */
static int explain(struct nvmx_http *h, CURLcode rc, const char *errbuf, char *why, size_t wl)
{
	const char *w = h->where, *detail;
	long os_errno = 0;

	curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(why, wl, "nvmxd at %s: cannot resolve %s", w, h->host);
		return -EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		if (os_errno == ECONNREFUSED || !os_errno) {
			snprintf(why, wl, "nvmxd at %s: connection refused", w);
			return -ECONNREFUSED;
		}
		snprintf(why, wl, "nvmxd at %s: %s", w, strerror((int)os_errno));
		return -(int)os_errno;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(why, wl, "nvmxd at %s: timed out after %ld s", w, h->timeout_s);
		return -ETIMEDOUT;
	case CURLE_ABORTED_BY_CALLBACK:
		snprintf(why, wl, "nvmxd at %s: interrupted", w);
		return -EINTR;
	case CURLE_PEER_FAILED_VERIFICATION:
		h->config_error = true;
		if (strstr(errbuf, "subject name") || strstr(errbuf, "does not match")) {
			snprintf(why, wl,
				 "TLS certificate of %s does not name %s (its subjectAltName): "
				 "connect by a name or address it has",
				 h->host, h->host);
			return -EKEYREJECTED;
		}
		detail = strstr(errbuf, "certificate problem: ");
		snprintf(why, wl, "TLS certificate of %s not trusted (see --ca-file)%s%s", h->host,
			 detail ? ": " : "", detail ? detail + 21 : "");
		return -EKEYREJECTED;
	case CURLE_SSL_CACERT_BADFILE:
		h->config_error = true;
		snprintf(why, wl, "--ca-file %s: no PEM CA certificate in it",
			 h->ca_file ? h->ca_file : "(system CAs)");
		return -EKEYREJECTED;
	case CURLE_SSL_CONNECT_ERROR:
		h->config_error = true;
		/*
		 * a plain server answers the ClientHello with an HTTP error (OpenSSL: "wrong
		 * version number"), or closes the connection: then ask it in plain HTTP
		 */
		if (strstr(errbuf, "wrong version number") || strstr(errbuf, "packet length") ||
		    speaks_http(h)) {
			snprintf(why, wl,
				 "%s does not speak TLS (an nvmxd without tls_server_config?): "
				 "use http://%s",
				 w, w);
			return -EKEYREJECTED;
		}
		if (strstr(errbuf, "protocol version") || strstr(errbuf, "no protocols"))
			snprintf(why, wl, "TLS handshake with %s failed: no TLS version in common",
				 w);
		else if (strstr(errbuf, "handshake failure") || strstr(errbuf, "no shared cipher"))
			snprintf(why, wl, "TLS handshake with %s failed: no cipher in common", w);
		else
			snprintf(why, wl,
				 "TLS handshake with %s failed: the server ended it (a TLS port of "
				 "nvmxd?)",
				 w);
		return -EKEYREJECTED;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		h->config_error = true;
		snprintf(why, wl, "%s did not answer in HTTP: is it nvmxd --listen?", w);
		return -EPROTO;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_OUT_OF_MEMORY:
		snprintf(why, wl, "nvmxd at %s: its answer is larger than %u MiB", w,
			 MAX_RESPONSE >> 20);
		return -EFBIG;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		snprintf(why, wl, "nvmxd at %s: connection lost (%s)", w,
			 os_errno ? strerror((int)os_errno) : "reset");
		return -ECONNRESET;
	default:
		/* libcurl's sentence, not its number */
		snprintf(why, wl, "nvmxd at %s: %s", w, curl_easy_strerror(rc));
		return -EIO;
	}
}

/* The whole answer to GET path into h->buf; 0 with h->status, or the error explained. */
static int get(struct nvmx_http *h, const char *path, const char *agent, bool *nothing, char *why,
	       size_t wl)
{
	char url[sizeof(h->url) + 128], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr;
	CURLcode rc;

	h->len = 0;
	h->status = 0;
	*nothing = false;
	if (h->buf)
		h->buf[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", h->url, path);
	set_common(h, h->curl, url, errbuf);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, agent);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_RESPONSE);
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, ""); /* gzip when nvmxd offers it */
	if (h->userpwd) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h->curl, CURLOPT_USERPWD, h->userpwd);
	}
	hdr = curl_slist_append(NULL, "Accept: application/json");
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdr);
	rc = curl_easy_perform(h->curl);
	curl_slist_free_all(hdr);
	if (rc == CURLE_GOT_NOTHING || (rc == CURLE_RECV_ERROR && !h->tls && !h->len)) {
		*nothing = true;
		return 0;
	}
	if (rc != CURLE_OK)
		return explain(h, rc, errbuf, why, wl);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &h->status);
	return 0;
}

int nvmx_http_get_json(struct nvmx_http *h, const char *path, const char *agent, const char **body,
		       char *why, size_t wl)
{
	bool nothing;
	int err;

	*body = NULL;
	h->config_error = false;
	h->stop_was = h->stop ? *h->stop : 0;
	err = get(h, path, agent, &nothing, why, wl);
	/*
	 * A connection closed before any byte is nvmxd refusing it (its connection limits,
	 * counted in its /metrics), or a TLS port spoken to in plain HTTP: try again, a few times,
	 * a second apart, then ask which.
	 */
	for (int retry = 0; !err && nothing && retry < NVMX_HTTP_RETRIES; retry++) {
		sleep(1);
		if (h->stop && *h->stop != h->stop_was) {
			snprintf(why, wl, "nvmxd at %s: interrupted", h->where);
			return -EINTR;
		}
		err = get(h, path, agent, &nothing, why, wl);
	}
	if (err)
		return err;
	if (nothing) {
		if (!h->tls && speaks_tls(h)) {
			h->config_error = true;
			snprintf(why, wl,
				 "%s speaks TLS, not plain HTTP: use https://%s (and --ca-file if "
				 "its certificate is not from the system's CAs)",
				 h->where, h->where);
			return -EKEYREJECTED;
		}
		snprintf(why, wl,
			 "nvmxd at %s closed %d connections without answering (its connection "
			 "limits?)",
			 h->where, NVMX_HTTP_RETRIES + 1);
		return -EPROTO;
	}
	if (h->status == 401 || h->status == 403) {
		h->config_error = true;
		if (h->credentials)
			snprintf(why, wl,
				 "%ld: nvmxd at %s refused the credentials of %s (see "
				 "--credentials)",
				 h->status, h->where, h->credentials);
		else
			snprintf(why, wl, "%ld: nvmxd wants credentials (see --credentials)",
				 h->status);
		return -EACCES;
	}
	if (h->status != 200) {
		snprintf(why, wl,
			 "nvmxd at %s answered HTTP %ld to %s: an nvmxd without the JSON API?",
			 h->where, h->status, path);
		return -EPROTO;
	}
	*body = h->buf ? h->buf : "";
	return 0;
}

void nvmx_http_free(struct nvmx_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
	if (h->userpwd) {
		memset(h->userpwd, 0, strlen(h->userpwd));
		free(h->userpwd);
	}
	h->userpwd = NULL;
	free(h->buf);
	h->buf = NULL;
	h->len = h->cap = 0;
}
