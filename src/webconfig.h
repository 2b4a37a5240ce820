/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The web configuration file of the Prometheus exporters (prometheus/exporter-toolkit's
 * web-config.yml), the part nvmxd serves with:
 *
 *   tls_server_config:
 *     cert_file: server.crt      # PEM; relative paths are relative to this file's directory
 *     key_file: server.key
 *   basic_auth_users:
 *     alice: $2y$10$...          # bcrypt hashes (htpasswd -nBC 10 alice)
 *
 * Any other key (client_auth_type, min_version, http_server_config, ...) is an error, not
 * silently ignored: a file meant to require client certificates must not serve without them.
 * The certificate and key are read at load time, so the files may stay readable by root only.
 * No logging.
 */
#ifndef NVMXD_WEBCONFIG_H
#define NVMXD_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct nvmxd_web_user {
	char *name;
	char *hash;
};

struct nvmxd_webconfig {
	char *cert_file, *key_file; /* resolved paths, NULL without TLS */
	char *cert_pem, *key_pem;   /* their contents */
	struct nvmxd_web_user *users;
	size_t n_users;
};

/* Returns 0 with *out set, or a negative errno with "path:line: what" in err. */
int nvmxd_webconfig_load(const char *path, struct nvmxd_webconfig **out, char *err, size_t errlen);
void nvmxd_webconfig_free(struct nvmxd_webconfig *wc);

/* Whether user and password match an entry (bcrypt, compared in constant time). */
bool nvmxd_webconfig_check_password(const struct nvmxd_webconfig *wc, const char *user,
				    const char *password);

#endif /* NVMXD_WEBCONFIG_H */
