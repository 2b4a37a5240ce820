// SPDX-License-Identifier: GPL-2.0
/*
 * The web-config parser (src/webconfig.h) on its own: exporter-toolkit's strict reading. Duplicate
 * keys at any level and duplicate users are refused, bcrypt hashes must be well formed with a cost
 * of 4 to 16, TLS versions are spelled as exporter-toolkit spells them; each refusal is one line
 * "file:line: what". No root, no network.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "webconfig.h"

/* a bcrypt hash of "pw", cost 4 */
#define HASH4 "$2y$04$SnF6M7KuDYXAMGyPnzl0p.o1miyErVnMK.GLOJQa3LXUN1DzahWFS"

static char dir[] = "/tmp/nvmx_test_webconfig.XXXXXX";
static char err[512];

static void setup(void)
{
	FILE *f;
	char p[128];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/c.pem", dir);
	f = fopen(p, "w");
	fputs("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/k.pem", dir);
	f = fopen(p, "w");
	fputs("-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n", f);
	fclose(f);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(webconfig, .init = setup, .fini = teardown);

/* Loads text as a web config; returns the error (0 ok), *wc freed unless want_wc. */
static int load(const char *text, struct nvmxd_webconfig **want_wc)
{
	struct nvmxd_webconfig *wc = NULL;
	char p[128];
	FILE *f;
	int e;

	snprintf(p, sizeof(p), "%s/web.yml", dir);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	err[0] = '\0';
	e = nvmxd_webconfig_load(p, &wc, err, sizeof(err));
	if (e)
		cr_assert_null(wc);
	if (want_wc)
		*want_wc = wc;
	else
		nvmxd_webconfig_free(wc);
	return e;
}

static void expect_refused(const char *text, const char *line_what)
{
	int e = load(text, NULL);

	cr_expect_lt(e, 0, "accepted: %s", text);
	cr_expect(strstr(err, line_what), "error '%s' lacks '%s'", err, line_what);
	cr_expect(!strchr(err, '\n'), "error not one line: '%s'", err);
}

Test(webconfig, a_valid_file_loads)
{
	struct nvmxd_webconfig *wc;

	cr_assert_eq(load("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
			  "  min_version: TLS13\nbasic_auth_users:\n  alice: '" HASH4 "'\n"
			  "  bob: '" HASH4 "'\n",
			  &wc),
		     0, "%s", err);
	cr_assert_eq(wc->n_users, 2);
	cr_expect_eq(wc->tls_min, 13);
	cr_expect_eq(wc->tls_max, 0);
	cr_expect_str_eq(wc->users[1].name, "bob");
	nvmxd_webconfig_free(wc);
}

Test(webconfig, tls12_is_the_default_minimum)
{
	struct nvmxd_webconfig *wc;

	cr_assert_eq(load("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n", &wc), 0,
		     "%s", err);
	cr_expect_eq(wc->tls_min, 12);
	nvmxd_webconfig_free(wc);
}

Test(webconfig, a_second_basic_auth_users_is_refused)
{
	/* measured: a new array with the old count, heap corrupted while root */
	expect_refused("basic_auth_users:\n  a: '" HASH4 "'\n  b: '" HASH4 "'\n"
		       "basic_auth_users:\n  c: '" HASH4 "'\n",
		       "web.yml:4: duplicate key 'basic_auth_users'");
}

Test(webconfig, a_second_tls_server_config_is_refused)
{
	expect_refused("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		       "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n",
		       "web.yml:4: duplicate key 'tls_server_config'");
}

Test(webconfig, a_duplicate_key_inside_is_refused)
{
	expect_refused("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		       "  cert_file: c.pem\n",
		       "web.yml:4: duplicate key 'cert_file'");
}

Test(webconfig, a_duplicate_user_is_refused)
{
	expect_refused("basic_auth_users:\n  alice: '" HASH4 "'\n  alice: '" HASH4 "'\n",
		       "web.yml:3: duplicate key 'alice'");
}

Test(webconfig, a_bcrypt_cost_of_31_is_refused)
{
	expect_refused("basic_auth_users:\n"
		       "  alice: '$2y$31$SnF6M7KuDYXAMGyPnzl0p.EdaE3fzjBSqbs3ZEPIa8dD7C9KKadPm'\n",
		       "web.yml:2: the bcrypt cost of alice is 31");
}

Test(webconfig, a_bcrypt_cost_of_3_is_refused)
{
	expect_refused("basic_auth_users:\n"
		       "  alice: '$2y$03$SnF6M7KuDYXAMGyPnzl0p.EdaE3fzjBSqbs3ZEPIa8dD7C9KKadPm'\n",
		       "web.yml:2: the bcrypt cost of alice is 3");
}

Test(webconfig, malformed_hashes_are_refused)
{
	static const char *const bad[] = {
		/* cost not two digits */
		"$2y$4$SnF6M7KuDYXAMGyPnzl0p.EdaE3fzjBSqbs3ZEPIa8dD7C9KKadPm9",
		/* a character outside bcrypt's base64 */
		"$2y$04$SnF6M7KuDYXAMGyPnzl0p.EdaE3fzjBSqbs3ZEPIa8dD7C9KKad!m",
		/* $2x$ */
		"$2x$04$SnF6M7KuDYXAMGyPnzl0p.EdaE3fzjBSqbs3ZEPIa8dD7C9KKadPm",
		/* one short */
		"$2y$04$SnF6M7KuDYXAMGyPnzl0p.EdaE3fzjBSqbs3ZEPIa8dD7C9KKadP",
	};
	char text[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "basic_auth_users:\n  alice: '%s'\n", bad[i]);
		expect_refused(text, "web.yml:2: the password of alice is not a bcrypt hash");
	}
}

Test(webconfig, tls_versions_as_exporter_toolkit_spells_them)
{
	struct nvmxd_webconfig *wc;

	cr_assert_eq(load("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
			  "  min_version: TLS12\n  max_version: TLS12\n",
			  &wc),
		     0, "%s", err);
	cr_expect_eq(wc->tls_min, 12);
	cr_expect_eq(wc->tls_max, 12);
	nvmxd_webconfig_free(wc);
	expect_refused("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		       "  min_version: TLS11\n",
		       "web.yml:4: min_version TLS11");
	expect_refused("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		       "  min_version: tls1.2\n",
		       "web.yml:4: min_version tls1.2");
	expect_refused("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		       "  min_version: TLS13\n  max_version: TLS12\n",
		       "web.yml:5: max_version TLS12 is below min_version TLS13");
}

Test(webconfig, unknown_keys_are_still_refused)
{
	expect_refused("http_server_config:\n  http2: true\n",
		       "web.yml:1: http_server_config is not supported");
	expect_refused("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		       "  client_auth_type: RequireAndVerifyClientCert\n",
		       "web.yml:4: tls_server_config.client_auth_type is not supported");
}

Test(webconfig, user_names_with_a_colon_are_refused)
{
	expect_refused("basic_auth_users:\n  'a:b': '" HASH4 "'\n", "web.yml:2: user names");
}

Test(webconfig, the_password_check)
{
	struct nvmxd_webconfig *wc;

	cr_assert_eq(load("basic_auth_users:\n  alice: '" HASH4 "'\n", &wc), 0, "%s", err);
	cr_expect(nvmxd_webconfig_check_password(wc, "alice", "pw"));
	cr_expect(!nvmxd_webconfig_check_password(wc, "alice", "pW"));
	cr_expect(!nvmxd_webconfig_check_password(wc, "bob", "pw"));
	cr_expect(!nvmxd_webconfig_check_password(wc, NULL, NULL));
	nvmxd_webconfig_free(wc);
}
