/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The web configuration file of the Prometheus exporters (prometheus/exporter-toolkit's
 * web-config.yml), the part nvmxd serves with:
 *
 *   tls_server_config:
 *     cert_file: server.crt      # PEM; relative paths are relative to this file's directory
 *     key_file: server.key
 *     min_version: TLS12         # the default; or TLS13 (TLS10 and TLS11 are refused)
 *     max_version: TLS13         # optional
 *   basic_auth_users:
 *     alice: $2y$10$...          # bcrypt hashes (htpasswd -nBC 10 alice), cost 4 to 16
 *
 * Any other key (client_auth_type, http_server_config, ...) is an error, not silently ignored: a
 * file meant to require client certificates must not serve without them. So is a key given twice
 * at any level (exporter-toolkit's YAML decoder is strict too), hence a user named twice.
 * The certificate and key are read at load time, so the files may stay readable by root only.
 * No logging.
 */
#ifndef NVMXD_WEBCONFIG_H
#define NVMXD_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* bcrypt costs accepted: 2^16 rounds take seconds, 2^31 days (one request would stop nvmxd) */
#define NVMXD_BCRYPT_COST_MIN 4
#define NVMXD_BCRYPT_COST_MAX 16

struct nvmxd_web_user {
	char *name;
	char *hash;
};

struct nvmxd_webconfig {
	char *cert_file, *key_file; /* resolved paths, NULL without TLS */
	char *cert_pem, *key_pem;   /* their contents */
	int tls_min, tls_max;	    /* 12 or 13 (TLS 1.2, 1.3); tls_max 0: no maximum */
	struct nvmxd_web_user *users;
	size_t n_users;
};

/* Returns 0 with *out set, or a negative errno with "path:line: what" in err. */
int nvmxd_webconfig_load(const char *path, struct nvmxd_webconfig **out, char *err, size_t errlen);
void nvmxd_webconfig_free(struct nvmxd_webconfig *wc);

/* Whether password matches a bcrypt hash (compared in constant time). Thread-safe. */
bool nvmxd_webconfig_check_hash(const char *hash, const char *password);

/* Whether user and password match an entry (bcrypt, uncached: src/auth.h caches). */
bool nvmxd_webconfig_check_password(const struct nvmxd_webconfig *wc, const char *user,
				    const char *password);

#endif /* NVMXD_WEBCONFIG_H */
