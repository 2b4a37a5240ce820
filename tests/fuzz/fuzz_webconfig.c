// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd's web-config reader (src/webconfig.c, libyaml) on any bytes, as the file --web-config
 * names, in a directory of its own where server.crt and server.key exist (relative paths resolve
 * there). A config it takes is checked: TLS versions 12 or 13, every user a name and a bcrypt
 * hash of an accepted cost, no user twice; a cost-4 hash is tried with a password (a costlier one
 * would take the fuzzer's time, not find more).
 */
#include <errno.h>
#include <stdbool.h>

#include "fuzz_common.h"
#include "webconfig.h"

static char dir[] = "/tmp/nvmx-fuzz-webconfig-XXXXXX";
static char path[sizeof(dir) + 16];

static void put(const char *name, const char *text)
{
	char p[sizeof(dir) + 32];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* a config may name any file: none of them may wait on a terminal or a pipe */
	if (!mkdtemp(dir) || !freopen("/dev/null", "r", stdin))
		abort();
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	/* read, not parsed, by the reader: GnuTLS parses them when nvmxd serves */
	put("server.crt", "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n");
	put("server.key", "-----BEGIN PRIVATE KEY-----\nMA==\n-----END PRIVATE KEY-----\n");
	return 0;
}

static void check(const struct nvmxd_webconfig *wc)
{
	bool tls = wc->cert_file;

	/* the TLS versions mean something only with TLS */
	if ((tls && wc->tls_min != 12 && wc->tls_min != 13) ||
	    (tls && wc->tls_max && wc->tls_max != 12 && wc->tls_max != 13) ||
	    (tls && wc->tls_max && wc->tls_max < wc->tls_min) ||
	    (!wc->cert_file != !wc->key_file) || (tls && (!wc->cert_pem || !wc->key_pem)) ||
	    (wc->n_users && !wc->users)) {
		fprintf(stderr, "web-config taken with TLS %d..%d, cert %s, key %s\n", wc->tls_min,
			wc->tls_max, wc->cert_file ? wc->cert_file : "-",
			wc->key_file ? wc->key_file : "-");
		abort();
	}
	for (size_t i = 0; i < wc->n_users; i++) {
		const char *h = wc->users[i].hash;
		int cost;

		if (!wc->users[i].name || !h || sscanf(h, "$2%*1[aby]$%2d$", &cost) != 1 ||
		    cost < NVMXD_BCRYPT_COST_MIN || cost > NVMXD_BCRYPT_COST_MAX) {
			fprintf(stderr, "web-config took user %zu with hash '%s'\n", i, h ? h : "");
			abort();
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(wc->users[i].name, wc->users[j].name)) {
				fprintf(stderr, "web-config took user '%s' twice\n",
					wc->users[i].name);
				abort();
			}
		if (cost == 4)
			(void)nvmxd_webconfig_check_password(wc, wc->users[i].name, "fuzz");
	}
	(void)nvmxd_webconfig_check_password(wc, "nobody-of-the-config", "fuzz");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvmxd_webconfig *wc = NULL;
	char err[512] = "";
	FILE *f = fopen(path, "w");

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
		abort();
	if (nvmxd_webconfig_load(path, &wc, err, sizeof(err)) == 0) {
		check(wc);
		nvmxd_webconfig_free(wc);
	} else if (wc || !err[0] || !memchr(err, '\0', sizeof(err))) {
		abort(); /* refused without saying why, or with a config */
	}
	return 0;
}
