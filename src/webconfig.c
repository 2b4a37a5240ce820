// SPDX-License-Identifier: GPL-2.0
/* exporter-toolkit's web-config.yml for nvmxd (src/webconfig.h). */
#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "webconfig.h"
#include "nvmx/util.h"

/* a PEM certificate chain or key; anything larger is not one */
#define PEM_MAX (1u << 20)

void nvmxd_webconfig_free(struct nvmxd_webconfig *wc)
{
	if (!wc)
		return;
	free(wc->cert_file);
	free(wc->key_file);
	free(wc->cert_pem);
	if (wc->key_pem) {
		explicit_bzero(wc->key_pem, strlen(wc->key_pem));
		free(wc->key_pem);
	}
	for (size_t i = 0; i < wc->n_users; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	free(wc);
}

static char *read_file(const char *path, int *err)
{
	char *buf = malloc(PEM_MAX + 1);
	size_t n;
	FILE *f;

	if (!buf) {
		*err = -ENOMEM;
		return NULL;
	}
	f = fopen(path, "re");
	if (!f) {
		*err = -errno;
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, PEM_MAX + 1, f);
	*err = ferror(f) ? -EIO : n > PEM_MAX ? -EFBIG : n == 0 ? -ENODATA : 0;
	fclose(f);
	if (*err) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static char *resolve(const char *config_path, const char *file)
{
	const char *slash = strrchr(config_path, '/');
	char *out;

	if (file[0] == '/' || !slash)
		return strdup(file);
	if (asprintf(&out, "%.*s/%s", (int)(slash - config_path), config_path, file) < 0)
		return NULL;
	return out;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* bcrypt's base64 alphabet */
static bool bcrypt_char(char c)
{
	return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9');
}

/*
 * A well-formed bcrypt hash: $2a$, $2b$ or $2y$, a two-digit cost, '$', 53 characters of salt and
 * hash. Returns the cost, or -1.
 */
static int bcrypt_cost(const char *h)
{
	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' ||
	    (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') || h[3] != '$' || h[4] < '0' ||
	    h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return -1;
	for (size_t i = 7; i < 60; i++)
		if (!bcrypt_char(h[i]))
			return -1;
	return (h[4] - '0') * 10 + (h[5] - '0');
}

/*
 * exporter-toolkit reads the file with a strict YAML decoder, which refuses a key given twice in a
 * mapping. libyaml keeps both: refuse them here, at any level, before anything is read.
 */
static int check_duplicates(yaml_document_t *doc, yaml_node_t *n, const char *path, int depth,
			    char *err, size_t errlen)
{
	yaml_node_pair_t *pairs, *top;

	if (!n || depth > 8)
		return n ? nvmx_say(-EINVAL, err, errlen, "%s:%zu: nested too deep", path,
				    n->start_mark.line + 1)
			 : 0;
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++) {
			int e = check_duplicates(doc, yaml_document_get_node(doc, *i), path,
						 depth + 1, err, errlen);

			if (e)
				return e;
		}
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return 0;
	pairs = n->data.mapping.pairs.start;
	top = n->data.mapping.pairs.top;
	for (yaml_node_pair_t *p = pairs; p < top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		const char *name = scalar(k);
		int e;

		for (yaml_node_pair_t *q = pairs; name && q < p; q++) {
			yaml_node_t *kq = yaml_document_get_node(doc, q->key);

			if (scalar(kq) && !strcmp(scalar(kq), name))
				return nvmx_say(-EINVAL, err, errlen,
						"%s:%zu: duplicate key '%s' (first on line %zu)",
						path, k->start_mark.line + 1, name,
						kq->start_mark.line + 1);
		}
		e = check_duplicates(doc, yaml_document_get_node(doc, p->value), path, depth + 1,
				     err, errlen);
		if (e)
			return e;
	}
	return 0;
}

/* exporter-toolkit's spelling of a TLS version: 12 or 13; older ones are refused */
static int tls_version(const char *path, yaml_node_t *k, const char *key, const char *val,
		       char *err, size_t errlen)
{
	if (!strcmp(val, "TLS12"))
		return 12;
	if (!strcmp(val, "TLS13"))
		return 13;
	if (!strcmp(val, "TLS10") || !strcmp(val, "TLS11"))
		return nvmx_say(-EINVAL, err, errlen,
				"%s:%zu: %s %s: nvmxd serves TLS 1.2 or later (TLS12, TLS13)", path,
				k->start_mark.line + 1, key, val);
	return nvmx_say(-EINVAL, err, errlen, "%s:%zu: %s %s: expected TLS12 or TLS13", path,
			k->start_mark.line + 1, key, val);
}

static int load_tls(yaml_document_t *doc, yaml_node_t *m, const char *path,
		    struct nvmxd_webconfig *wc, char *err, size_t errlen)
{
	const char *cert = NULL, *key = NULL;
	size_t max_line = 0;
	int e;

	if (m->type != YAML_MAPPING_NODE)
		return nvmx_say(-EINVAL, err, errlen,
				"%s:%zu: tls_server_config: expected a mapping", path,
				m->start_mark.line + 1);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *name = scalar(k), *val = scalar(v);

		if (!name || !val)
			return nvmx_say(-EINVAL, err, errlen, "%s:%zu: expected 'key: value'", path,
					k ? k->start_mark.line + 1 : 0);
		if (!strcmp(name, "cert_file"))
			cert = val;
		else if (!strcmp(name, "key_file"))
			key = val;
		else if (!strcmp(name, "min_version") || !strcmp(name, "max_version")) {
			e = tls_version(path, k, name, val, err, errlen);
			if (e < 0)
				return e;
			if (name[1] == 'i') {
				wc->tls_min = e;
			} else {
				wc->tls_max = e;
				max_line = k->start_mark.line + 1;
			}
		} else
			return nvmx_say(
				-ENOTSUP, err, errlen,
				"%s:%zu: tls_server_config.%s is not supported by nvmxd (only "
				"cert_file, key_file, min_version and max_version)",
				path, k->start_mark.line + 1, name);
	}
	if (wc->tls_max && wc->tls_max < wc->tls_min)
		return nvmx_say(-EINVAL, err, errlen,
				"%s:%zu: max_version TLS%d is below min_version TLS%d", path,
				max_line, wc->tls_max, wc->tls_min);
	if (!cert || !key || !*cert || !*key)
		return nvmx_say(-EINVAL, err, errlen,
				"%s: tls_server_config needs both cert_file and key_file", path);
	wc->cert_file = resolve(path, cert);
	wc->key_file = resolve(path, key);
	if (!wc->cert_file || !wc->key_file)
		return nvmx_say(-ENOMEM, err, errlen, "out of memory");
	wc->cert_pem = read_file(wc->cert_file, &e);
	if (!wc->cert_pem)
		return nvmx_say(e, err, errlen, "%s: cert_file %s: %s", path, wc->cert_file,
				strerror(-e));
	wc->key_pem = read_file(wc->key_file, &e);
	if (!wc->key_pem)
		return nvmx_say(e, err, errlen, "%s: key_file %s: %s", path, wc->key_file,
				strerror(-e));
	return 0;
}

static int load_users(yaml_document_t *doc, yaml_node_t *m, const char *path,
		      struct nvmxd_webconfig *wc, char *err, size_t errlen)
{
	size_t n;

	if (m->type != YAML_MAPPING_NODE)
		return nvmx_say(-EINVAL, err, errlen,
				"%s:%zu: basic_auth_users: expected a mapping", path,
				m->start_mark.line + 1);
	if (wc->users) /* check_duplicates() refuses a second basic_auth_users first */
		return nvmx_say(-EINVAL, err, errlen, "%s:%zu: basic_auth_users given twice", path,
				m->start_mark.line + 1);
	n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	wc->users = calloc(n ? n : 1, sizeof(*wc->users));
	if (!wc->users)
		return nvmx_say(-ENOMEM, err, errlen, "out of memory");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		const char *name = scalar(k), *hash = scalar(yaml_document_get_node(doc, p->value));
		struct nvmxd_web_user *u;
		int cost;

		if (!name || !hash || !*name)
			return nvmx_say(-EINVAL, err, errlen,
					"%s:%zu: expected 'user: bcrypt hash'", path,
					k ? k->start_mark.line + 1 : 0);
		cost = bcrypt_cost(hash);
		if (cost < 0)
			return nvmx_say(
				-EINVAL, err, errlen,
				"%s:%zu: the password of %s is not a bcrypt hash ($2a$, $2b$ "
				"or $2y$, a 2-digit cost, '$', 53 characters of [./A-Za-z0-9])",
				path, k->start_mark.line + 1, name);
		/* a cost of 31 takes days per check: one request would stop the server */
		if (cost < NVMXD_BCRYPT_COST_MIN || cost > NVMXD_BCRYPT_COST_MAX)
			return nvmx_say(-EINVAL, err, errlen,
					"%s:%zu: the bcrypt cost of %s is %d, not %d to %d", path,
					k->start_mark.line + 1, name, cost, NVMXD_BCRYPT_COST_MIN,
					NVMXD_BCRYPT_COST_MAX);
		if (strchr(name, ':'))
			return nvmx_say(-EINVAL, err, errlen,
					"%s:%zu: user names cannot contain ':' (HTTP basic auth)",
					path, k->start_mark.line + 1);
		u = &wc->users[wc->n_users++];
		u->name = strdup(name);
		u->hash = strdup(hash);
		if (!u->name || !u->hash)
			return nvmx_say(-ENOMEM, err, errlen, "out of memory");
	}
	return 0;
}

int nvmxd_webconfig_load(const char *path, struct nvmxd_webconfig **out, char *err, size_t errlen)
{
	struct nvmxd_webconfig *wc = calloc(1, sizeof(*wc));
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	bool parser_ok = false, doc_ok = false;
	FILE *f = NULL;
	int e = 0;

	*out = NULL;
	if (!wc)
		return nvmx_say(-ENOMEM, err, errlen, "out of memory");
	f = fopen(path, "re");
	if (!f) {
		e = nvmx_say(-errno, err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		e = nvmx_say(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	parser_ok = true;
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		e = nvmx_say(-EINVAL, err, errlen, "%s:%zu: %s", path, parser.problem_mark.line + 1,
			     parser.problem ? parser.problem : "not YAML");
		goto out;
	}
	doc_ok = true;
	root = yaml_document_get_root_node(&doc);
	if (!root || (root->type == YAML_SCALAR_NODE && !*scalar(root)))
		goto out; /* empty: plain HTTP, no authentication */
	if (root->type != YAML_MAPPING_NODE) {
		e = nvmx_say(-EINVAL, err, errlen, "%s: expected a mapping at the top", path);
		goto out;
	}
	e = check_duplicates(&doc, root, path, 0, err, errlen);
	if (e)
		goto out;
	wc->tls_min = 12;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     !e && p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		const char *name = scalar(k);

		if (!name) {
			e = nvmx_say(-EINVAL, err, errlen, "%s: keys must be strings", path);
		} else if (scalar(v) && !*scalar(v)) {
			continue; /* "key:" with nothing: as absent */
		} else if (!strcmp(name, "tls_server_config")) {
			e = load_tls(&doc, v, path, wc, err, errlen);
		} else if (!strcmp(name, "basic_auth_users")) {
			e = load_users(&doc, v, path, wc, err, errlen);
		} else {
			e = nvmx_say(
				-ENOTSUP, err, errlen,
				"%s:%zu: %s is not supported by nvmxd (only tls_server_config and "
				"basic_auth_users)",
				path, k->start_mark.line + 1, name);
		}
	}
out:
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	if (f)
		fclose(f);
	if (e) {
		nvmxd_webconfig_free(wc);
		return e;
	}
	*out = wc;
	return 0;
}

bool nvmxd_webconfig_check_hash(const char *hash, const char *password)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	size_t len = strlen(hash);
	unsigned char diff = 0;
	const char *got;
	bool ok = false;

	if (!cd)
		return false;
	got = crypt_r(password, hash, cd);
	if (got && got[0] != '*' && strlen(got) == len) {
		for (size_t j = 0; j < len; j++)
			diff |= (unsigned char)(got[j] ^ hash[j]);
		ok = diff == 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

bool nvmxd_webconfig_check_password(const struct nvmxd_webconfig *wc, const char *user,
				    const char *password)
{
	if (!wc || !user || !password)
		return false;
	for (size_t i = 0; i < wc->n_users; i++)
		if (!strcmp(wc->users[i].name, user))
			return nvmxd_webconfig_check_hash(wc->users[i].hash, password);
	return false;
}
