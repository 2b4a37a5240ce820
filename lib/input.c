// SPDX-License-Identifier: GPL-2.0
/* An input read forward only, with look-ahead kept in a buffer: include/nvmx/input.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "nvmx/input.h"

struct nvmx_input {
	int fd;
	unsigned char *buf; /* look-ahead: bytes read from fd, not yet consumed */
	size_t pos, len, cap;
};

int nvmx_input_open(const char *path, struct nvmx_input **out)
{
	struct nvmx_input *in;
	struct stat st;
	int err;

	*out = NULL;
	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0) {
		err = -errno;
		free(in);
		return err;
	}
	if (!fstat(in->fd, &st) && S_ISDIR(st.st_mode)) {
		nvmx_input_close(in);
		return -EISDIR;
	}
	*out = in;
	return 0;
}

static ssize_t read_fd(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

int nvmx_input_peek(struct nvmx_input *in, size_t want, const unsigned char **p, size_t *have)
{
	while (in->len - in->pos < want) {
		ssize_t n;

		if (in->pos) {
			memmove(in->buf, in->buf + in->pos, in->len - in->pos);
			in->len -= in->pos;
			in->pos = 0;
		}
		if (in->cap < want) {
			unsigned char *b = realloc(in->buf, want);

			if (!b)
				return -ENOMEM;
			in->buf = b;
			in->cap = want;
		}
		n = read_fd(in->fd, in->buf + in->len, in->cap - in->len);
		if (n < 0)
			return (int)n;
		if (!n)
			break;
		in->len += (size_t)n;
	}
	*p = in->buf + in->pos;
	*have = in->len - in->pos;
	return 0;
}

ssize_t nvmx_input_read(struct nvmx_input *in, void *buf, size_t len)
{
	size_t n = in->len - in->pos;

	if (!n)
		return read_fd(in->fd, buf, len);
	if (n > len)
		n = len;
	memcpy(buf, in->buf + in->pos, n);
	in->pos += n;
	return (ssize_t)n;
}

int nvmx_input_is_json(struct nvmx_input *in)
{
	/* blanks before the '{' are looked at up to a limit: a capture does not start with 4 KiB of them */
	for (size_t i = 0; i < 4096; i++) {
		const unsigned char *p;
		size_t have;
		int err = nvmx_input_peek(in, i + 1, &p, &have);

		if (err)
			return err;
		if (have <= i)
			return 0;
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return p[i] == '{';
	}
	return 0;
}

static size_t count_lines(const char *s, size_t n)
{
	size_t lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines;
}

static bool all_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

int nvmx_input_read_json(struct nvmx_input *in, const char *name, struct json_object **root,
			 char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *doc = NULL;
	size_t total = 0, lines = 1;
	char what[128] = "";
	char *chunk;
	int ret = -EINVAL;

	*root = NULL;
	chunk = malloc(1 << 16);
	if (!tok || !chunk) {
		snprintf(err, errlen, "%s: out of memory", name);
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = nvmx_input_read(in, chunk, 1 << 16);
		const char *nul;
		size_t used;
		enum json_tokener_error jerr;

		if (n < 0) {
			snprintf(err, errlen, "%s: %s", name, strerror((int)-n));
			ret = (int)n;
			goto out;
		}
		if (!n)
			break;
		if (total + (size_t)n > NVMX_JSON_MAX_BYTES) {
			snprintf(err, errlen, "%s: larger than %u MiB: not a JSON document of nvmx",
				 name, NVMX_JSON_MAX_BYTES >> 20);
			ret = -EFBIG;
			goto out;
		}
		if (doc) {
			/* after the document: blanks only */
			if (!all_blank(chunk, (size_t)n)) {
				snprintf(what, sizeof(what), "text after the JSON document");
				goto fail;
			}
			lines += count_lines(chunk, (size_t)n);
			total += (size_t)n;
			continue;
		}
		nul = memchr(chunk, '\0', (size_t)n);
		if (nul) {
			lines += count_lines(chunk, (size_t)(nul - chunk));
			snprintf(what, sizeof(what), "a NUL byte at offset %zu",
				 total + (size_t)(nul - chunk));
			goto fail;
		}
		doc = json_tokener_parse_ex(tok, chunk, (int)n);
		jerr = json_tokener_get_error(tok);
		used = json_tokener_get_parse_end(tok);
		if (used > (size_t)n)
			used = (size_t)n;
		if (!doc && jerr != json_tokener_continue) {
			unsigned char c = used < (size_t)n ? (unsigned char)chunk[used] : 0;

			lines += count_lines(chunk, used);
			if (jerr == json_tokener_error_parse_unexpected && c >= 0x20 && c < 0x7f)
				snprintf(what, sizeof(what),
					 "unexpected character '%c' at offset %zu", c,
					 total + used);
			else
				snprintf(what, sizeof(what), "%s at offset %zu",
					 json_tokener_error_desc(jerr), total + used);
			goto fail;
		}
		if (doc && !all_blank(chunk + used, (size_t)n - used)) {
			lines += count_lines(chunk, used);
			snprintf(what, sizeof(what), "text after the JSON document");
			goto fail;
		}
		lines += count_lines(chunk, (size_t)n);
		total += (size_t)n;
	}
	if (!doc) {
		snprintf(what, sizeof(what), "the document ends early (truncated?)");
		lines = total ? lines : 1;
		goto fail;
	}
	*root = doc;
	doc = NULL;
	ret = 0;
	goto out;
fail:
	snprintf(err, errlen, "%s:%zu: not JSON: %s", name, lines, what);
	ret = -EINVAL;
out:
	json_object_put(doc);
	if (tok)
		json_tokener_free(tok);
	free(chunk);
	return ret;
}

int nvmx_json_read_path(const char *path, struct json_object **root, char *err, size_t errlen)
{
	struct nvmx_input *in;
	int ret = nvmx_input_open(path, &in);

	*root = NULL;
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = nvmx_input_read_json(in, path, root, err, errlen);
	nvmx_input_close(in);
	return ret;
}

int nvmx_json_count(struct json_object *v, uint64_t *out)
{
	int64_t x;

	*out = 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	x = json_object_get_int64(v);
	if (x < 0)
		return -EDOM;
	if (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return -ERANGE;
	*out = (uint64_t)x;
	return 0;
}

int nvmx_input_fd(const struct nvmx_input *in)
{
	return in->fd;
}

void nvmx_input_close(struct nvmx_input *in)
{
	if (!in)
		return;
	if (in->fd >= 0)
		close(in->fd);
	free(in->buf);
	free(in);
}
