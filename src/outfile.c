// SPDX-License-Identifier: GPL-2.0
/* nvmxd's --json file, replaced whole or not at all (src/outfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "outfile.h"
#include "nvmx/util.h"

int nvmxd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* write(2) of a regular file never says 0 for len > 0 */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A new file NAME.XXXXXX in dirfd, never an existing path; its name in tmp. */
static int create_temp(int dirfd, const char *name, char *tmp, size_t tmplen)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	for (int attempt = 0; attempt < 100; attempt++) {
		unsigned char rnd[6];
		char suffix[7];
		int fd;

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return errno ? -errno : -EIO;
		for (size_t i = 0; i < sizeof(rnd); i++)
			suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
		suffix[6] = '\0';
		if (snprintf(tmp, tmplen, "%s.%s", name, suffix) >= (int)tmplen)
			return -ENAMETOOLONG;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			/* 0644 whatever the umask: the document is no secret, readers need it */
			if (fchmod(fd, 0644)) {
				int e = -errno;

				close(fd);
				(void)unlinkat(dirfd, tmp, 0);
				return e;
			}
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int nvmxd_replace_at(int dirfd, const char *name,
		     long (*read_chunk)(void *ctx, void *buf, size_t n), void *ctx,
		     const char **step)
{
	char tmp[4096], chunk[65536];
	int fd, err = 0;

	*step = "create";
	fd = create_temp(dirfd, name, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	*step = "write";
	for (;;) {
		long n = read_chunk(ctx, chunk, sizeof(chunk));

		if (n <= 0) {
			err = (int)n;
			break;
		}
		err = nvmxd_write_all(fd, chunk, (size_t)n);
		if (err)
			break;
	}
	if (!err) {
		*step = "fsync";
		if (fsync(fd))
			err = -errno;
	}
	/* close(2) reports a deferred write error on some filesystems (NFS): keep it */
	if (close(fd) && !err && errno != EINTR) {
		*step = "write";
		err = -errno;
	}
	if (!err) {
		*step = "rename";
		if (renameat(dirfd, tmp, dirfd, name))
			err = -errno;
	}
	if (err) {
		(void)unlinkat(dirfd, tmp, 0);
		return err;
	}
	/* the rename itself on disk; a directory that cannot be fsync'ed (EINVAL) is no error */
	if (fsync(dirfd) && errno != EINVAL && errno != EROFS) {
		*step = "fsync";
		return -errno;
	}
	return 0;
}

struct membuf {
	const char *p;
	size_t left;
};

static long read_mem(void *ctx, void *buf, size_t n)
{
	struct membuf *m = ctx;

	if (n > m->left)
		n = m->left;
	memcpy(buf, m->p, n);
	m->p += n;
	m->left -= n;
	return (long)n;
}

static void split_path(const char *path, char *dir, size_t dirlen, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, dirlen, ".");
		*base = path;
	} else if (slash == path) {
		snprintf(dir, dirlen, "/");
		*base = slash + 1;
	} else {
		snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
		*base = slash + 1;
	}
}

int nvmxd_outfile_open(struct nvmxd_outfile *f, const char *path, char *err, size_t errlen)
{
	char dir[4096], tmp[4096];
	const char *base;
	int fd;

	*f = (struct nvmxd_outfile){ .path = path, .dirfd = -1, .writer_fd = -1 };
	if (strlen(path) >= sizeof(dir))
		return nvmx_say(-ENAMETOOLONG, err, errlen, "%s: path too long", path);
	split_path(path, dir, sizeof(dir), &base);
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return nvmx_say(-EISDIR, err, errlen, "%s: a directory, not a file name", path);
	f->name = strdup(base);
	if (!f->name)
		return nvmx_say(-ENOMEM, err, errlen, "out of memory");
	f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0) {
		int e = -errno;

		nvmxd_outfile_close(f);
		return nvmx_say(e, err, errlen, "%s: cannot open its directory %s: %s", path, dir,
				strerror(-e));
	}
	/* can this process create files there? Better said at start than after the run */
	fd = create_temp(f->dirfd, f->name, tmp, sizeof(tmp));
	if (fd < 0) {
		nvmxd_outfile_close(f);
		return nvmx_say(fd, err, errlen, "%s: cannot create a file in %s: %s", path, dir,
				strerror(-fd));
	}
	close(fd);
	(void)unlinkat(f->dirfd, tmp, 0);
	return 0;
}

/* ---- the writer process ---- */

/* Reads exactly len bytes from fd: 0, -EPIPE at end of file, or a negative errno. */
static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct sockbuf {
	int fd;
	uint64_t left;
	int err; /* a failed read of the socket */
};

static long read_sock(void *ctx, void *buf, size_t n)
{
	struct sockbuf *s = ctx;
	ssize_t r;

	if (n > s->left)
		n = (size_t)s->left;
	if (!n)
		return 0;
	do
		r = read(s->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		s->err = r < 0 ? -errno : -EPIPE;
		return s->err;
	}
	s->left -= (uint64_t)r;
	return (long)r;
}

/*
 * In the writer: uid 0 stays (the files it makes are root's, as nvmxd's were before the drop),
 * every capability but CAP_DAC_OVERRIDE goes, and no new privileges.
 */
static int writer_reduce(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	__u32 keep;

	if (geteuid() != 0)
		return 0; /* nothing to give up that matters: it writes as this user */
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	/*
	 * CAP_DAC_OVERRIDE only if nvmxd had it: under nvmxd.service's bounding set it has not,
	 * and uid 0 writes root's directories as their owner
	 */
	keep = data[CAP_TO_INDEX(CAP_DAC_OVERRIDE)].permitted & CAP_TO_MASK(CAP_DAC_OVERRIDE);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	/* the bounding set needs CAP_SETPCAP; without it, no_new_privs below keeps it unused */
	for (int cap = 0; cap < 64; cap++)
		if ((cap != CAP_DAC_OVERRIDE || !keep) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) &&
		    errno != EINVAL && errno != EPERM)
			return -errno;
	memset(data, 0, sizeof(data));
	data[CAP_TO_INDEX(CAP_DAC_OVERRIDE)].effective = keep;
	data[CAP_TO_INDEX(CAP_DAC_OVERRIDE)].permitted = keep;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

/* The writer's loop: [u64 length, bytes] in, [i32 0 or -errno, i32 step] out, until EOF. */
static void writer_main(int sock, int dirfd, const char *name)
{
	static const char *const steps[] = { "create", "write", "fsync", "rename" };

	for (;;) {
		struct sockbuf s = { .fd = sock };
		const char *step = "write";
		int32_t reply[2] = { 0, 1 };
		char drain[65536];
		uint64_t len;
		int err;

		if (read_all(sock, &len, sizeof(len)))
			_exit(0); /* nvmxd closed the socket, or is gone */
		s.left = len;
		err = nvmxd_replace_at(dirfd, name, read_sock, &s, &step);
		if (s.err)
			_exit(1); /* the stream is broken: nothing sensible to answer */
		/* what a failed write left unread, so the next request starts at its length */
		while (s.left) {
			long n = read_sock(&s, drain, sizeof(drain));

			if (n <= 0)
				_exit(1);
		}
		reply[0] = err;
		for (int32_t i = 0; i < 4; i++)
			if (!strcmp(step, steps[i]))
				reply[1] = i;
		if (send(sock, reply, sizeof(reply), MSG_NOSIGNAL) != (ssize_t)sizeof(reply))
			_exit(1);
	}
}

int nvmxd_outfile_start_writer(struct nvmxd_outfile *f, char *err, size_t errlen)
{
	sigset_t all, old;
	int sv[2], e;
	pid_t pid;

	if (f->writer)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return nvmx_say(-errno, err, errlen, "%s: socketpair for its writer: %s", f->path,
				strerror(errno));
	/* no signal may reach the writer before it ignores them: blocked across the fork */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		e = -errno;
		close(sv[0]);
		close(sv[1]);
		return nvmx_say(e, err, errlen, "%s: forking its writer: %s", f->path,
				strerror(-e));
	}
	if (pid == 0) {
		static const int ignored[] = { SIGINT,	SIGTERM, SIGHUP,  SIGUSR1,
					       SIGUSR2, SIGALRM, SIGPIPE, SIGQUIT };
		int keep[2] = { sv[1] < f->dirfd ? sv[1] : f->dirfd,
				sv[1] < f->dirfd ? f->dirfd : sv[1] };

		for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
			signal(ignored[i], SIG_IGN);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* every other fd goes: BPF objects, the listening socket, --record */
		if (keep[0] > 3)
			close_range(3, (unsigned int)keep[0] - 1, 0);
		if (keep[1] > keep[0] + 1)
			close_range((unsigned int)keep[0] + 1, (unsigned int)keep[1] - 1, 0);
		close_range((unsigned int)keep[1] + 1, ~0u, 0);
		/* ends with nvmxd even if the socket is somehow kept open elsewhere */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() == 1 || writer_reduce())
			_exit(1);
		prctl(PR_SET_NAME, "nvmxd-writer", 0, 0, 0);
		writer_main(sv[1], f->dirfd, f->name);
		_exit(0);
	}
	close(sv[1]);
	f->writer_fd = sv[0];
	f->writer = pid;
	return 0;
}

/* send(2) of all of buf, with no SIGPIPE if the writer is gone: 0 or a negative errno */
static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int replace_via_writer(struct nvmxd_outfile *f, const void *buf, size_t len,
			      const char **step)
{
	static const char *const steps[] = { "create", "write", "fsync", "rename" };
	uint64_t n = len;
	int32_t reply[2];
	int e;

	*step = "send to the writer process";
	e = send_all(f->writer_fd, &n, sizeof(n));
	if (!e)
		e = send_all(f->writer_fd, buf, len);
	if (!e)
		e = read_all(f->writer_fd, reply, sizeof(reply));
	if (e)
		return e == -EPIPE || e == -ECONNRESET ? -ECHILD : e;
	*step = reply[1] >= 0 && reply[1] < 4 ? steps[reply[1]] : "write";
	return reply[0] <= 0 ? reply[0] : -EIO;
}

int nvmxd_outfile_replace(struct nvmxd_outfile *f, const void *buf, size_t len, char *err,
			  size_t errlen)
{
	struct membuf m = { buf, len };
	const char *step = "write";
	int e;

	if (f->dirfd < 0)
		return nvmx_say(-EBADF, err, errlen, "%s: not opened", f->path);
	if (f->writer_fd >= 0)
		e = replace_via_writer(f, buf, len, &step);
	else
		e = nvmxd_replace_at(f->dirfd, f->name, read_mem, &m, &step);
	if (!e)
		return 0;
	if (e == -ECHILD)
		return nvmx_say(e, err, errlen,
				"writing %s failed: its writer process (root, kept for it after "
				"the privilege drop) is gone",
				f->path);
	return nvmx_say(e, err, errlen, "writing %s failed (%s): %s", f->path, step, strerror(-e));
}

void nvmxd_outfile_close(struct nvmxd_outfile *f)
{
	if (f->writer_fd >= 0)
		close(f->writer_fd);
	if (f->writer > 0)
		(void)waitpid(f->writer, NULL, 0);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->name);
	f->name = NULL;
	f->dirfd = -1;
	f->writer_fd = -1;
	f->writer = 0;
}
