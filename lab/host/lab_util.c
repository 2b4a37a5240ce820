// SPDX-License-Identifier: GPL-2.0
/* Helpers of `nvmx lab`: errors, progress, external tools, files, xz. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <lzma.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab_backend.h"
#include "lab_util.h"

static char lab_error_msg[2048];

int lab_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lab_error_msg, sizeof(lab_error_msg), fmt, ap);
	va_end(ap);
	return err;
}

int lab_fail_context(int err, const char *fmt, ...)
{
	char prev[sizeof(lab_error_msg)];
	char ctx[512];
	va_list ap;

	memcpy(prev, lab_error_msg, sizeof(prev));
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	/* A message cut at the buffer's end is still the most useful one we have. */
	if (snprintf(lab_error_msg, sizeof(lab_error_msg), "%s: %s", ctx,
		     prev[0] ? prev : strerror(-err)) >= (int)sizeof(lab_error_msg))
		lab_error_msg[sizeof(lab_error_msg) - 1] = '\0';
	return err;
}

const char *lab_error(void)
{
	return lab_error_msg[0] ? lab_error_msg : "unknown error";
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double lab_clock_start = -1;

void lab_progress_restart(void)
{
	lab_clock_start = now_seconds();
}

double lab_elapsed(void)
{
	if (lab_clock_start < 0)
		lab_clock_start = now_seconds();
	return now_seconds() - lab_clock_start;
}

void lab_progress(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nvmx lab [%6.1fs] ", lab_elapsed());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int lab_buf_append(struct lab_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return lab_fail(-ENOMEM, "out of memory");
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int lab_buf_printf(struct lab_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, r;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return lab_fail(-ENOMEM, "out of memory");
	r = lab_buf_append(b, s, (size_t)n);
	free(s);
	return r;
}

void lab_buf_free(struct lab_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int lab_buf_shell_quote(struct lab_buf *b, const char *s)
{
	int r = lab_buf_append(b, "'", 1);

	for (; !r && *s; s++) {
		if (*s == '\'')
			r = lab_buf_append(b, "'\\''", 4);
		else
			r = lab_buf_append(b, s, 1);
	}
	return r ? r : lab_buf_append(b, "'", 1);
}

int lab_strv_push(struct lab_strv *sv, const char *s)
{
	char *copy;

	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 8;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (!v)
			return lab_fail(-ENOMEM, "out of memory");
		sv->v = v;
		sv->cap = cap;
	}
	copy = strdup(s);
	if (!copy)
		return lab_fail(-ENOMEM, "out of memory");
	sv->v[sv->n++] = copy;
	sv->v[sv->n] = NULL;
	return 0;
}

int lab_strv_pushf(struct lab_strv *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, r;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return lab_fail(-ENOMEM, "out of memory");
	r = lab_strv_push(sv, s);
	free(s);
	return r;
}

bool lab_strv_contains(const struct lab_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

void lab_strv_free(struct lab_strv *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

/* Reads both pipes until EOF so that neither child stream can block on a full pipe. */
static int drain_pipes(int out_fd, struct lab_buf *out, int err_fd, struct lab_buf *err)
{
	struct pollfd fds[2] = { { .fd = out_fd, .events = POLLIN },
				 { .fd = err_fd, .events = POLLIN } };
	struct lab_buf *bufs[2] = { out, err };
	int open_fds = (out_fd >= 0) + (err_fd >= 0);
	char chunk[65536];

	if (out_fd < 0)
		fds[0].fd = -1;
	while (open_fds > 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return lab_fail(-errno, "poll: %s", strerror(errno));
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			n = read(fds[i].fd, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			if (lab_buf_append(bufs[i], chunk, (size_t)n))
				return -ENOMEM;
		}
	}
	return 0;
}

int lab_run_tool(const char *const argv[], const char *cwd, struct lab_buf *out, bool allow_fail,
		 struct lab_buf *err_out)
{
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	struct lab_buf err = { 0 };
	int status, r;
	pid_t pid;

	if (pipe2(err_pipe, O_CLOEXEC) || (out && pipe2(out_pipe, O_CLOEXEC))) {
		r = lab_fail(-errno, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = lab_fail(-errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (devnull < 0 || dup2(devnull, 0) < 0 ||
		    dup2(out ? out_pipe[1] : devnull, 1) < 0 || dup2(err_pipe[1], 2) < 0)
			_exit(127);
		if (cwd && chdir(cwd)) {
			dprintf(2, "cannot enter %s: %s\n", cwd, strerror(errno));
			_exit(127);
		}
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(err_pipe[1]);
	err_pipe[1] = -1;
	if (out) {
		close(out_pipe[1]);
		out_pipe[1] = -1;
	}
	r = drain_pipes(out ? out_pipe[0] : -1, out, err_pipe[0], &err);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = lab_fail(-errno, "waitpid %s: %s", argv[0], strerror(errno));
			goto out;
		}
	}
	if (r)
		goto out;
	/* Trailing newlines make the one-line message two lines. */
	while (err.len && (err.data[err.len - 1] == '\n' || err.data[err.len - 1] == '\r'))
		err.data[--err.len] = '\0';
	if (WIFSIGNALED(status)) {
		r = lab_fail(-EINTR, "%s was killed by signal %d%s%s", argv[0], WTERMSIG(status),
			     err.len ? ": " : "", err.len ? err.data : "");
		goto out;
	}
	r = WEXITSTATUS(status);
	if (r == 127 && err.len && strstr(err.data, "cannot run ")) {
		r = lab_fail(-ENOENT, "%s", err.data);
		goto out;
	}
	if (r && !allow_fail) {
		r = lab_fail(-EIO, "%s exited with %d%s%s", argv[0], r, err.len ? ": " : "",
			     err.len ? err.data : " and said nothing on stderr");
		goto out;
	}
	if (err_out) {
		*err_out = err;
		err = (struct lab_buf){ 0 };
	}
out:
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	lab_buf_free(&err);
	return r;
}

int lab_path_join(char *buf, const char *dir, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		return lab_fail(-ENAMETOOLONG, "%s/%s: path too long", dir, name);
	return 0;
}

int lab_mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return lab_fail(-ENAMETOOLONG, "%s: path too long", path);
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return lab_fail(-errno, "mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return lab_fail(-errno, "mkdir %s: %s", tmp, strerror(errno));
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (remove(path)) {
		lab_fail(-errno, "remove %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int lab_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		return lab_fail(-errno, "%s: %s", path, strerror(errno));
	}
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS))
		return -EIO;
	return 0;
}

bool lab_path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int lab_move_if_exists(const char *from_dir, const char *to_dir, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (lab_path_join(from, from_dir, name) || lab_path_join(to, to_dir, name))
		return -ENAMETOOLONG;
	if (!lab_path_exists(from))
		return 0;
	if (rename(from, to))
		return lab_fail(-errno, "rename %s to %s: %s", from, to, strerror(errno));
	return 0;
}

int lab_read_file(const char *path, struct lab_buf *b)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return lab_fail(-errno, "%s: %s", path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = lab_fail(-errno, "%s: read: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		r = lab_buf_append(b, chunk, (size_t)n);
		if (r)
			break;
	}
	close(fd);
	if (!r && !b->data)
		r = lab_buf_append(b, "", 0);
	return r;
}

int lab_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		return lab_fail(-errno, "%s: %s", path, strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return lab_fail(-e, "%s: write: %s", path, strerror(e));
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd))
		return lab_fail(-errno, "%s: close: %s", path, strerror(errno));
	return 0;
}

int lab_which(const char *name, char **out)
{
	char buf[PATH_MAX];
	const char *path = getenv("PATH");

	*out = NULL;
	if (!*name)
		return lab_fail(-EINVAL, "empty program name");
	if (strchr(name, '/')) {
		if (access(name, X_OK))
			return lab_fail(-errno, "%s: %s", name, strerror(errno));
		*out = realpath(name, NULL);
		return *out ? 0 : lab_fail(-errno, "%s: %s", name, strerror(errno));
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		if (len &&
		    (size_t)snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, name) <
			    sizeof(buf) &&
		    !access(buf, X_OK)) {
			*out = realpath(buf, NULL);
			return *out ? 0 : lab_fail(-errno, "%s: %s", buf, strerror(errno));
		}
		path += len;
		if (*path == ':')
			path++;
	}
	return lab_fail(-ENOENT, "%s: not found in PATH (%s)", name, getenv("PATH"));
}

static const char *lzma_what(lzma_ret ret)
{
	switch (ret) {
	case LZMA_MEM_ERROR:
		return "out of memory";
	case LZMA_FORMAT_ERROR:
		return "not in .xz format";
	case LZMA_OPTIONS_ERROR:
		return "unsupported .xz options";
	case LZMA_DATA_ERROR:
		return "corrupt .xz data";
	case LZMA_BUF_ERROR:
		return "truncated .xz data";
	default:
		return "liblzma error";
	}
}

int lab_xz_read_file(const char *path, struct lab_buf *b)
{
	struct lab_buf in = { 0 };
	lzma_stream strm = LZMA_STREAM_INIT;
	uint8_t chunk[1 << 16];
	lzma_ret ret;
	int r;

	r = lab_read_file(path, &in);
	if (r)
		return r;
	ret = lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED);
	if (ret != LZMA_OK) {
		r = lab_fail(-ENOMEM, "%s: %s", path, lzma_what(ret));
		goto out;
	}
	strm.next_in = (const uint8_t *)in.data;
	strm.avail_in = in.len;
	do {
		strm.next_out = chunk;
		strm.avail_out = sizeof(chunk);
		ret = lzma_code(&strm, LZMA_FINISH);
		if (ret != LZMA_OK && ret != LZMA_STREAM_END) {
			r = lab_fail(-EINVAL, "%s: %s", path, lzma_what(ret));
			goto out;
		}
		r = lab_buf_append(b, chunk, sizeof(chunk) - strm.avail_out);
		if (r)
			goto out;
	} while (ret != LZMA_STREAM_END);
out:
	lzma_end(&strm);
	lab_buf_free(&in);
	return r;
}

int lab_xz_compress_file(const char *in_path, const char *out_path)
{
	struct lab_buf in = { 0 }, out = { 0 };
	lzma_stream strm = LZMA_STREAM_INIT;
	uint8_t chunk[1 << 16];
	lzma_ret ret;
	int r;

	r = lab_read_file(in_path, &in);
	if (r)
		return r;
	ret = lzma_easy_encoder(&strm, 6, LZMA_CHECK_CRC64);
	if (ret != LZMA_OK) {
		r = lab_fail(-ENOMEM, "%s: %s", out_path, lzma_what(ret));
		goto out;
	}
	strm.next_in = (const uint8_t *)in.data;
	strm.avail_in = in.len;
	do {
		strm.next_out = chunk;
		strm.avail_out = sizeof(chunk);
		ret = lzma_code(&strm, LZMA_FINISH);
		if (ret != LZMA_OK && ret != LZMA_STREAM_END) {
			r = lab_fail(-EIO, "%s: %s", out_path, lzma_what(ret));
			goto out;
		}
		r = lab_buf_append(&out, chunk, sizeof(chunk) - strm.avail_out);
		if (r)
			goto out;
	} while (ret != LZMA_STREAM_END);
	r = lab_write_file(out_path, out.data, out.len, 0644);
out:
	lzma_end(&strm);
	lab_buf_free(&in);
	lab_buf_free(&out);
	return r;
}

int lab_feed_lines(struct lab_buf *line, const char *data, size_t len, lab_console_line_fn on_line,
		   void *ctx)
{
	for (size_t i = 0; i < len; i++) {
		int r;

		if (data[i] == '\r')
			continue;
		if (data[i] != '\n') {
			r = lab_buf_append(line, &data[i], 1);
			if (r)
				return r;
			continue;
		}
		r = on_line(ctx, line->data ? line->data : "");
		line->len = 0;
		if (line->data)
			line->data[0] = '\0';
		if (r)
			return r;
	}
	return 0;
}
