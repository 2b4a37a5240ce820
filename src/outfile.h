/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxd's --json output: a file replaced whole or not at all (a new temporary file in the same
 * directory, written, fsync'ed, renamed over the file, the directory fsync'ed), so a reader sees
 * the previous document or the new one, never a part. Its directory is opened once, at start.
 *
 * Once nvmxd has dropped root (--listen, src/privdrop.h) it can no longer create a file in a
 * directory only root may write (the lab's /out, /var/lib/nvmx, ...), and a directory fd does not
 * change that: the kernel checks the directory's permissions against the caller at each create and
 * rename. nvmxd_outfile_start_writer() therefore forks, before the drop, a writer process that
 * keeps uid 0 with CAP_DAC_OVERRIDE alone (no other capability, no new privileges, no fd but its
 * socket and the directory) and does nothing but replace that one file with the bytes it is sent.
 * The writer ignores SIGINT/SIGTERM/SIGHUP (a signal to the process group must not stop it before
 * nvmxd's last document) and exits when nvmxd closes its socket or dies.
 *
 * Errors are the real errno (ENOSPC stays "No space left on device") with one line in err naming
 * the file. No logging.
 */
#ifndef NVMXD_OUTFILE_H
#define NVMXD_OUTFILE_H

#include <stddef.h>
#include <sys/types.h>

struct nvmxd_outfile {
	const char *path; /* as given: for messages */
	char *name;	  /* its last component */
	int dirfd;	  /* its directory, opened at start; -1: not open */
	int writer_fd;	  /* -1: this process writes; else the socket to the writer process */
	pid_t writer;	  /* the writer process, or 0 */
};

/*
 * Opens path's directory (must exist) and checks, by creating and removing a temporary file in it,
 * that this process can write there now. 0, or a negative errno with err saying what and where.
 */
int nvmxd_outfile_open(struct nvmxd_outfile *f, const char *path, char *err, size_t errlen);

/*
 * Replaces the file with buf[0..len): directly, or through the writer process once started.
 * 0, or a negative errno (the file keeps its previous content) with err naming the file.
 */
int nvmxd_outfile_replace(struct nvmxd_outfile *f, const void *buf, size_t len, char *err,
			  size_t errlen);

/*
 * Forks the writer process (see above; call while single-threaded, before dropping root).
 * 0, or a negative errno with err.
 */
int nvmxd_outfile_start_writer(struct nvmxd_outfile *f, char *err, size_t errlen);

/* Ends the writer (closes its socket, waits for it) and closes the directory. */
void nvmxd_outfile_close(struct nvmxd_outfile *f);

/*
 * The replacement itself, in the directory dirfd: a new file NAME.XXXXXX (O_EXCL, never an
 * existing path or a symbolic link), mode 0644, the bytes that read_chunk() hands (it returns the
 * byte count, 0 at the end, or a negative errno; ctx is its own), fsync, rename over name, fsync
 * of the directory. On any error the temporary file is removed and name is untouched.
 * Returns 0 or a negative errno; *step says which step failed ("create", "write", "fsync",
 * "rename").
 */
int nvmxd_replace_at(int dirfd, const char *name,
		     long (*read_chunk)(void *ctx, void *buf, size_t n), void *ctx,
		     const char **step);

/* write(2) of all of buf to fd (EINTR retried): 0 or a negative errno (ENOSPC, EIO...). */
int nvmxd_write_all(int fd, const void *buf, size_t len);

#endif /* NVMXD_OUTFILE_H */
