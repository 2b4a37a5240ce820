// SPDX-License-Identifier: GPL-2.0
/* nvmxd as a service: web config, listen, privilege drop, serve (src/serve.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "privdrop.h"
#include "serve.h"
#include "nvmx/util.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct nvmxd_serve {
	struct nvmxd_webconfig *wc;
	struct nvmxd_http *http;
	const char *telemetry_path; /* NULL: /metrics */
	int fd;
	char bound[80];
	uid_t uid;
	gid_t gid;
	bool keep_root;
};

void nvmxd_serve_free(struct nvmxd_serve *s)
{
	if (!s)
		return;
	nvmxd_http_stop(s->http);
	if (!s->http && s->fd >= 0)
		close(s->fd);
	nvmxd_webconfig_free(s->wc);
	free(s);
}

int nvmxd_serve_prepare(struct nvmxd_serve **out, const struct nvmxd_serve_opts *o, char *err,
			size_t errlen)
{
	struct nvmxd_serve *s = calloc(1, sizeof(*s));
	const char *user = o->user ? o->user : "nobody";
	int e;

	*out = NULL;
	if (!s)
		return nvmx_say(-ENOMEM, err, errlen, "out of memory");
	s->fd = -1;
	e = nvmxd_privdrop_parse_user(user, &s->uid, &s->gid);
	if (e) {
		nvmxd_serve_free(s);
		return nvmx_say(e, err, errlen,
				"--user %s: %s (a user name, UID or UID:GID; 'root' keeps root)",
				user, e == -ENOENT ? "no such user" : "not a user");
	}
	s->keep_root = s->uid == 0;
	s->telemetry_path = o->telemetry_path;
	if (o->web_config) {
		e = nvmxd_webconfig_load(o->web_config, &s->wc, err, errlen);
		if (e) {
			nvmxd_serve_free(s);
			return e;
		}
	}
	e = nvmxd_http_listen(o->listen, &s->fd, s->bound, sizeof(s->bound), err, errlen);
	if (e) {
		nvmxd_serve_free(s);
		return e;
	}
	*out = s;
	return 0;
}

bool nvmxd_serve_drops(const struct nvmxd_serve *s)
{
	return s && !s->keep_root;
}

bool nvmxd_serve_warning(const struct nvmxd_serve *s, char *msg, size_t msglen)
{
	bool tls = s->wc && s->wc->cert_pem, auth = s->wc && s->wc->n_users;

	/* the wildcard addresses as nvmxd_http_listen writes them */
	if ((strncmp(s->bound, "0.0.0.0:", 8) && strncmp(s->bound, "[::]:", 5)) || (tls && auth))
		return false;
	nvmx_say(0, msg, msglen,
		 "listening on every address (%s) %s: anyone who reaches this host can read the "
		 "metrics%s (see --web.config.file)",
		 s->bound,
		 !tls && !auth ? "without TLS or basic auth"
		 : !tls	       ? "without TLS"
			       : "without basic auth",
		 !tls && auth ? ", and passwords cross the network in clear" : "");
	return true;
}

int nvmxd_serve_start(struct nvmxd_serve *s, struct nvmxd_http_source *src, char *msg,
		      size_t msglen)
{
	unsigned long long allowed = 0;
	int ncpus = libbpf_num_possible_cpus();
	const char *how = "with no capabilities";
	__u32 slot = NVMX_SELF_EVENTS;
	bool keep_bpf = false;
	char err[256];
	int e, fd;

	src->privileges_dropped = 0;
	src->uid = (unsigned int)getuid();
	src->gid = (unsigned int)getgid();
	if (!s->keep_root) {
		if (ncpus < 0)
			return nvmx_say(ncpus, msg, msglen, "counting the possible CPUs failed");
		/* a child drops and reads the self-metrics array: does this kernel allow it? */
		e = nvmxd_privdrop_probe(src->maps.self, &slot, (size_t)ncpus * sizeof(__u64),
					 s->uid, s->gid);
		if (e < 0)
			return nvmx_say(
				e, msg, msglen,
				"probing map access without privileges failed: %s (nvmxd needs "
				"CAP_SETUID, CAP_SETGID and CAP_SETPCAP to drop them)",
				strerror(-e));
		keep_bpf = e == 0;
		if (keep_bpf) {
			allowed = 1ull << CAP_BPF;
			how = "keeping CAP_BPF only (this kernel refuses bpf() on open maps to "
			      "processes without it: before 5.19, with "
			      "kernel.unprivileged_bpf_disabled set)";
		}
		e = nvmxd_privdrop(s->uid, s->gid, keep_bpf, err, sizeof(err));
		if (e)
			return nvmx_say(e, msg, msglen, "dropping privileges failed: %s", err);
		e = nvmxd_privdrop_verify(s->uid, s->gid, allowed, err, sizeof(err));
		if (e)
			return nvmx_say(e, msg, msglen, "privileges not dropped as they should: %s",
					err);
		src->privileges_dropped = keep_bpf ? -1 : 1;
		src->uid = (unsigned int)s->uid;
		src->gid = (unsigned int)s->gid;
	}
	src->metrics_path = s->telemetry_path;
	fd = s->fd;
	s->fd = -1;
	e = nvmxd_http_start(&s->http, fd, s->bound, s->wc, src, err, sizeof(err));
	if (e)
		return nvmx_say(e, msg, msglen, "%s", err);
	nvmx_say(0, msg, msglen, "serving %s://%s%s%s as uid %u gid %u %s",
		 s->wc && s->wc->cert_pem ? "https" : "http", s->bound,
		 s->telemetry_path ? s->telemetry_path : NVMXD_HTTP_METRICS_PATH,
		 s->wc && s->wc->n_users ? " (basic auth)" : "", src->uid, src->gid,
		 s->keep_root ? "(root kept: --user root)" : how);
	return 0;
}
