/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client of nvmxd's JSON API (docs/api.md) for every program that reads a running nvmxd
 * (nvmxtop --connect, nvmx bitmap --live): a GET through libcurl, over HTTP or HTTPS, with basic
 * auth from a credentials file, the whole response in memory. Every failure is one sentence in
 * words (never a bare libcurl or errno code), and says whether retrying can help.
 */
#ifndef NVMX_CLI_HTTP_GET_H
#define NVMX_CLI_HTTP_GET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Seconds a fetch may wait: to connect (TLS handshake included), then for each next byte. */
#define NVMX_HTTP_TIMEOUT_S 10

/* What the user chose on the command line (every client has the same options). */
struct nvmx_http_opts {
	const char *ca_file;	 /* --ca-file: PEM CA certificates; NULL: the system's CAs */
	const char *credentials; /* --credentials: a file with one line USER:PASSWORD */
	double timeout_s;	 /* --timeout: 0 is NVMX_HTTP_TIMEOUT_S */
	/*
	 * A signal handler's flag: when it changes while a fetch is in progress, the fetch stops
	 * within a second (a fetch started after it changed runs: a last refresh at exit)
	 */
	volatile sig_atomic_t *stop;
};

/* The options' help, the same in every client's --help. */
#define NVMX_HTTP_OPTIONS_HELP                                                              \
	"Reaching nvmxd (ADDRESS is HOST:PORT or http://HOST:PORT, plain HTTP, or\n"        \
	"https://HOST:PORT, for an nvmxd whose --web-config has tls_server_config):\n"      \
	"  --ca-file FILE      https: trust the CA certificates (PEM) in FILE, e.g. the\n"  \
	"                      certificate nvmxd serves when it signs itself; default:\n"   \
	"                      the system's CAs\n"                                          \
	"  --credentials FILE  basic auth (basic_auth_users of --web-config): FILE holds\n" \
	"                      one line USER:PASSWORD and must not be readable by others\n" \
	"                      (chmod 600); never on the command line. Over http:// the\n"  \
	"                      password crosses the network in clear: use https://\n"       \
	"  --timeout S         give up on one fetch after S seconds (whole, rounded up)\n"  \
	"                      without progress: connecting, TLS, each next byte\n"         \
	"                      (default 10)\n"

/* One nvmxd: its address, options and the last answer. */
struct nvmx_http {
	char url[320];		 /* "http[s]://HOST:PORT", the API's paths appended */
	char where[128];	 /* "HOST:PORT" as given, for messages */
	char host[96], port[16]; /* HOST without brackets, PORT */
	bool tls;		 /* https:// */
	bool config_error;	 /* the last error: the user must fix it, retrying will not help */
	long status;		 /* the last HTTP status, 0: none */
	char *userpwd;		 /* from --credentials, NULL: none */
	const char *credentials, *ca_file;
	long timeout_s;
	volatile sig_atomic_t *stop;
	sig_atomic_t stop_was; /* *stop when the fetch began */
	void *curl;	       /* CURL * */
	char *buf;	       /* the last response body, NUL-terminated */
	size_t len, cap;
};

/*
 * Reads addr (HOST:PORT, [V6]:PORT, http://HOST:PORT or https://HOST:PORT) and the options into h.
 * Returns 0, or -EINVAL with why set (naming opt, the option the address came from): a bad
 * address, an unreadable --ca-file, or a --credentials file that is unreadable, not one
 * USER:PASSWORD line, or readable by others.
 */
int nvmx_http_init(struct nvmx_http *h, const char *addr, const char *opt,
		   const struct nvmx_http_opts *o, char *why, size_t wl);

/*
 * GET path; on success *body is the body of a 200 response (inside h->buf). Returns 0, or a
 * negative errno with why set to one sentence and h->config_error said:
 *   -ECONNREFUSED  nothing listens (why: "... connection refused")
 *   -ETIMEDOUT     no progress for the timeout ("timed out after N s")
 *   -EACCES        401 or 403: credentials missing or refused (config_error)
 *   -EKEYREJECTED  TLS: the certificate is not trusted, the server does not speak TLS, or it
 *                  does where http:// was given (config_error)
 *   -EPROTO        not HTTP (config_error), or a status other than 200
 *   -EINTR         opts.stop changed
 *   other          the network's (unreachable, reset...)
 */
int nvmx_http_get_json(struct nvmx_http *h, const char *path, const char *agent, const char **body,
		       char *why, size_t wl);

void nvmx_http_free(struct nvmx_http *h);

#endif
