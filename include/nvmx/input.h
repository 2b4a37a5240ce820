/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An input file opened once and read forward only, so that pipes work like files: what is
 * looked at to tell what the file is (xz magic, JSON or trace) stays in a buffer and is read
 * again, never rewound. User space only.
 */
#ifndef NVMX_INPUT_H
#define NVMX_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;
struct nvmx_input;

/* Opens path for reading (a directory is -EISDIR). Returns 0 or a negative errno. */
int nvmx_input_open(const char *path, struct nvmx_input **out);

/*
 * Makes at least want bytes visible without consuming them (fewer at the end of the input):
 * *p and *have. Returns 0 or a negative errno (-EIO...).
 */
int nvmx_input_peek(struct nvmx_input *in, size_t want, const unsigned char **p, size_t *have);

/* Reads up to len bytes: the count, 0 at the end, or a negative errno. */
ssize_t nvmx_input_read(struct nvmx_input *in, void *buf, size_t len);

/*
 * Whether the input is a JSON document (its first non-blank byte is '{') rather than a capture.
 * 1, 0, or a negative errno.
 */
int nvmx_input_is_json(struct nvmx_input *in);

/* JSON documents nvmx reads are small: a larger input is refused, not read on (/dev/zero). */
#define NVMX_JSON_MAX_BYTES (64u << 20)

/*
 * The JSON document of the whole input, at most NVMX_JSON_MAX_BYTES: 0 and *root (the caller's),
 * or a negative errno and err set to "NAME:LINE: not JSON: why" (-EINVAL), or "NAME: why".
 */
int nvmx_input_read_json(struct nvmx_input *in, const char *name, struct json_object **root,
			 char *err, size_t errlen);

/* The same for a path (pipes included): open, read, close. */
int nvmx_json_read_path(const char *path, struct json_object **root, char *err, size_t errlen);

/*
 * A count in a JSON document: an integer 0..INT64_MAX into *out (0 on error). json-c clamps
 * larger integers to INT64_MAX: they are told apart, never taken. Returns 0, -EINVAL (not an
 * integer: a string, a fraction, 1e400...), -EDOM (negative) or -ERANGE (above INT64_MAX).
 */
int nvmx_json_count(struct json_object *v, uint64_t *out);

/* The file descriptor, for a reader that needs the file itself (libtracecmd seeks in a trace.dat). */
int nvmx_input_fd(const struct nvmx_input *in);

void nvmx_input_close(struct nvmx_input *in);

#endif /* NVMX_INPUT_H */
