/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers of the lab host: one error message per failure, progress lines with elapsed time,
 * running external tools with their stderr captured, files, and xz.
 *
 * Convention: functions return 0 (or a count) on success and a negative errno on failure, after
 * putting one line saying what was wrong into the lab error (lab_error()). Only the top level
 * prints it.
 */
#ifndef NVMX_LAB_HOST_LAB_UTIL_H
#define NVMX_LAB_HOST_LAB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Sets the lab error (printf-style) and returns err, which must be a negative errno. */
int lab_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the current lab error with more context ("context: previous error"). */
int lab_fail_context(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *lab_error(void);

/* Progress on stderr: "nvmx lab [  12.3s] what". The clock starts at the first call. */
void lab_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double lab_elapsed(void);
/* Starts the clock again: a run's progress counts from its start. */
void lab_progress_restart(void);

/* A growable byte buffer, always NUL-terminated. */
struct lab_buf {
	char *data;
	size_t len;
	size_t cap;
};

int lab_buf_append(struct lab_buf *b, const void *data, size_t len);
int lab_buf_printf(struct lab_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lab_buf_free(struct lab_buf *b);

/* Appends s to b as one shell word in single quotes. */
int lab_buf_shell_quote(struct lab_buf *b, const char *s);

/* A NULL-terminated list of strings that owns them. */
struct lab_strv {
	char **v;
	size_t n;
	size_t cap;
};

int lab_strv_push(struct lab_strv *sv, const char *s);
int lab_strv_pushf(struct lab_strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool lab_strv_contains(const struct lab_strv *sv, const char *s);
void lab_strv_free(struct lab_strv *sv);

/*
 * Runs argv[0] (looked up in PATH) with argv, in cwd (NULL: ours), stdin from /dev/null.
 * Its stdout goes to *out when out is non-NULL (else to /dev/null), its stderr is kept. Returns
 * the exit status (0..255), or a negative errno when it could not run or was killed by a signal;
 * a non-zero exit sets the lab error to "TOOL exited with N: its stderr" and returns -EIO unless
 * allow_fail is set, in which case the status is returned and *err_out (when non-NULL) gets its
 * stderr.
 */
int lab_run_tool(const char *const argv[], const char *cwd, struct lab_buf *out, bool allow_fail,
		 struct lab_buf *err_out);

/* dir/name into buf (PATH_MAX bytes); -ENAMETOOLONG when it does not fit. */
int lab_path_join(char *buf, const char *dir, const char *name);
int lab_mkdir_p(const char *path, mode_t mode);
/* Removes path and everything under it; a missing path is not an error. */
int lab_rm_rf(const char *path);
bool lab_path_exists(const char *path);
/* Moves from_dir/name to to_dir/name when it exists. */
int lab_move_if_exists(const char *from_dir, const char *to_dir, const char *name);
int lab_read_file(const char *path, struct lab_buf *b);
int lab_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* Looks name up in PATH (a name with a slash is taken as is); *out is malloc'd realpath. */
int lab_which(const char *name, char **out);

/* Reads an .xz file whole. */
int lab_xz_read_file(const char *path, struct lab_buf *b);
/* Compresses in to out (.xz, preset 6, CRC64). */
int lab_xz_compress_file(const char *in, const char *out);

#endif /* NVMX_LAB_HOST_LAB_UTIL_H */
