// SPDX-License-Identifier: GPL-2.0
/* A newc cpio writer and the copying of host programs with their libraries. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab_initramfs.h"

struct lab_cpio {
	char *path;
	FILE *f;
	unsigned int next_ino;
	struct lab_strv entries; /* every path added, so that parents and repeats are added once */
	int finished;
};

int lab_cpio_new(const char *path, struct lab_cpio **out)
{
	struct lab_cpio *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return lab_fail(-ENOMEM, "out of memory");
	c->path = strdup(path);
	c->f = fopen(path, "we");
	if (!c->path || !c->f) {
		int r = c->path ? lab_fail(-errno, "%s: %s", path, strerror(errno))
				: lab_fail(-ENOMEM, "out of memory");

		lab_cpio_free(c);
		return r;
	}
	c->next_ino = 1;
	*out = c;
	return 0;
}

void lab_cpio_free(struct lab_cpio *c)
{
	if (!c)
		return;
	if (c->f) {
		fclose(c->f);
		if (!c->finished)
			(void)unlink(c->path);
	}
	lab_strv_free(&c->entries);
	free(c->path);
	free(c);
}

static int write_entry(struct lab_cpio *c, const char *name, mode_t mode, unsigned int rmajor,
		       unsigned int rminor, const void *data, size_t len)
{
	static const char zeros[4];
	size_t namesize = strlen(name) + 1;
	char hdr[6 + 13 * 8 + 1];

	if (len > 0xffffffffu)
		return lab_fail(-EFBIG, "%s: %s is too big for newc cpio", c->path, name);
	/* newc: magic, ino, mode, uid, gid, nlink, mtime, filesize, maj, min, rmaj, rmin, namesize, check */
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->next_ino++, (unsigned int)mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u,
		 (unsigned int)len, 0u, 0u, rmajor, rminor, (unsigned int)namesize, 0u);
	if (fwrite(hdr, 1, 110, c->f) != 110 || fwrite(name, 1, namesize, c->f) != namesize ||
	    fwrite(zeros, 1, (4 - (110 + namesize) % 4) % 4, c->f) !=
		    (4 - (110 + namesize) % 4) % 4 ||
	    (len && fwrite(data, 1, len, c->f) != len) ||
	    fwrite(zeros, 1, (4 - len % 4) % 4, c->f) != (4 - len % 4) % 4)
		return lab_fail(-EIO, "%s: write: %s", c->path, strerror(errno));
	return 0;
}

/* Archive names are relative ("bin/busybox"); callers pass absolute paths. */
static const char *archive_name(const char *path)
{
	while (*path == '/')
		path++;
	return path;
}

static int add_parents(struct lab_cpio *c, const char *path)
{
	char buf[PATH_MAX];
	const char *name = archive_name(path);
	size_t len = strlen(name);

	if (len >= sizeof(buf))
		return lab_fail(-ENAMETOOLONG, "%s: name too long", path);
	memcpy(buf, name, len + 1);
	for (char *p = buf; (p = strchr(p, '/')); p++) {
		int r;

		*p = '\0';
		if (!lab_strv_contains(&c->entries, buf)) {
			r = write_entry(c, buf, S_IFDIR | 0755, 0, 0, NULL, 0);
			if (!r)
				r = lab_strv_push(&c->entries, buf);
			if (r)
				return r;
		}
		*p = '/';
	}
	return 0;
}

static int add_entry(struct lab_cpio *c, const char *path, mode_t mode, unsigned int rmajor,
		     unsigned int rminor, const void *data, size_t len)
{
	const char *name = archive_name(path);
	int r;

	if (!*name)
		return lab_fail(-EINVAL, "%s: empty archive name", c->path);
	if (lab_strv_contains(&c->entries, name)) {
		if (S_ISDIR(mode))
			return 0;
		return lab_fail(-EEXIST, "%s: %s added twice", c->path, path);
	}
	r = add_parents(c, path);
	if (!r)
		r = write_entry(c, name, mode, rmajor, rminor, data, len);
	return r ? r : lab_strv_push(&c->entries, name);
}

int lab_cpio_add_dir(struct lab_cpio *c, const char *path, mode_t perm)
{
	return add_entry(c, path, S_IFDIR | perm, 0, 0, NULL, 0);
}

int lab_cpio_add_data(struct lab_cpio *c, const char *path, const void *data, size_t len,
		      mode_t perm)
{
	return add_entry(c, path, S_IFREG | perm, 0, 0, data, len);
}

int lab_cpio_add_char_dev(struct lab_cpio *c, const char *path, mode_t perm, unsigned int major,
			  unsigned int minor)
{
	return add_entry(c, path, S_IFCHR | perm, major, minor, NULL, 0);
}

int lab_cpio_add_host_file(struct lab_cpio *c, const char *path, const char *host_path, mode_t perm)
{
	struct lab_buf b = { 0 };
	size_t len = strlen(host_path);
	struct stat st;
	int r;

	if (stat(host_path, &st))
		return lab_fail(-errno, "%s: %s", host_path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return lab_fail(-EINVAL, "%s: not a regular file", host_path);
	if (len > 3 && !strcmp(host_path + len - 3, ".xz"))
		r = lab_xz_read_file(host_path, &b);
	else
		r = lab_read_file(host_path, &b);
	if (!r)
		r = lab_cpio_add_data(c, path, b.data, b.len, perm ? perm : (st.st_mode & 07777));
	lab_buf_free(&b);
	return r;
}

/*
 * The signature a signed module carries at its end: the PKCS#7 blob, a struct module_signature
 * (12 bytes, big-endian sig_len last) and the magic (the kernel's module_signature.h).
 */
#define MODULE_SIG_MAGIC "~Module signature appended~\n"
#define MODULE_SIG_INFO	 12

int lab_cpio_add_module(struct lab_cpio *c, const char *path, const char *host_path,
			bool strip_signature)
{
	const size_t magic = sizeof(MODULE_SIG_MAGIC) - 1;
	struct lab_buf b = { 0 };
	size_t len = strlen(host_path);
	int r;

	if (!strip_signature)
		return lab_cpio_add_host_file(c, path, host_path, 0644);
	if (len > 3 && !strcmp(host_path + len - 3, ".xz"))
		r = lab_xz_read_file(host_path, &b);
	else
		r = lab_read_file(host_path, &b);
	if (r)
		return r;
	len = b.len;
	if (len > magic + MODULE_SIG_INFO &&
	    !memcmp(b.data + len - magic, MODULE_SIG_MAGIC, magic)) {
		const unsigned char *info = (const unsigned char *)b.data + len - magic - 4;
		size_t sig_len = (size_t)info[0] << 24 | (size_t)info[1] << 16 |
				 (size_t)info[2] << 8 | info[3];

		if (sig_len <= len - magic - MODULE_SIG_INFO)
			len -= magic + MODULE_SIG_INFO + sig_len;
	}
	r = lab_cpio_add_data(c, path, b.data, len, 0644);
	lab_buf_free(&b);
	return r;
}

int lab_cpio_finish(struct lab_cpio *c)
{
	int r = write_entry(c, "TRAILER!!!", 0, 0, 0, NULL, 0);

	if (r)
		return r;
	if (fclose(c->f)) {
		c->f = NULL;
		return lab_fail(-errno, "%s: %s", c->path, strerror(errno));
	}
	c->f = NULL;
	c->finished = 1;
	return 0;
}

/*
 * Reads the PT_INTERP of a 64-bit ELF file into interp (empty when there is none): an x86-64 one,
 * or with arm64 also an arm64 one (--isa arm64's busybox and workload generator).
 */
static int elf_interp_of(const char *path, char *interp, size_t len, bool arm64)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	interp[0] = '\0';
	if (fd < 0)
		return lab_fail(-errno, "%s: %s", path, strerror(errno));
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    (eh.e_machine != EM_X86_64 && !(arm64 && eh.e_machine == EM_AARCH64))) {
		r = lab_fail(-ENOEXEC, "%s: not an x86-64%s ELF executable", path,
			     arm64 ? " or arm64" : "");
		goto out;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * eh.e_phentsize)) !=
		    sizeof(ph)) {
			r = lab_fail(-ENOEXEC, "%s: truncated program headers", path);
			goto out;
		}
		if (ph.p_type != PT_INTERP)
			continue;
		if (!ph.p_filesz || ph.p_filesz >= len ||
		    pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz) {
			r = lab_fail(-ENOEXEC, "%s: bad PT_INTERP", path);
			goto out;
		}
		interp[ph.p_filesz - 1] = '\0';
		break;
	}
out:
	close(fd);
	return r;
}

static int elf_interp(const char *path, char *interp, size_t len)
{
	return elf_interp_of(path, interp, len, false);
}

int lab_elf_is_static(const char *path)
{
	char interp[PATH_MAX];
	int r = elf_interp_of(path, interp, sizeof(interp), true);

	return r ? r : !interp[0];
}

static int add_library_dir(struct lab_strv *libdirs, const char *lib)
{
	char *slash = strrchr(lib, '/');
	char dir[PATH_MAX];

	if (!slash || slash == lib || (size_t)(slash - lib) >= sizeof(dir))
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - lib), lib);
	return lab_strv_contains(libdirs, dir) ? 0 : lab_strv_push(libdirs, dir);
}

static int add_if_new(struct lab_cpio *c, const char *path)
{
	if (lab_strv_contains(&c->entries, archive_name(path)))
		return 0;
	return lab_cpio_add_host_file(c, path, path, 0);
}

/* The interpreter of a "#!" script into interp (empty when host_path is not a script). */
static int script_interp(const char *host_path, char *interp, size_t len)
{
	char line[PATH_MAX];
	FILE *f = fopen(host_path, "re");
	size_t n;

	interp[0] = '\0';
	if (!f)
		return lab_fail(-errno, "%s: %s", host_path, strerror(errno));
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return 0;
	n = strspn(line + 2, " \t");
	snprintf(interp, len, "%.*s", (int)strcspn(line + 2 + n, " \t\n"), line + 2 + n);
	if (interp[0] != '/')
		return lab_fail(-ENOEXEC, "%s: the #! line names no absolute interpreter",
				host_path);
	return 0;
}

/* Interpreters that busybox provides in the guest, where the host's must not replace them. */
static bool busybox_interp(const char *interp)
{
	return !strcmp(interp, "/bin/sh") || !strcmp(interp, "/bin/ash") ||
	       !strcmp(interp, "/bin/busybox");
}

int lab_cpio_add_program(struct lab_cpio *c, const char *host_path, struct lab_strv *libdirs)
{
	const char *argv[] = { "ldd", host_path, NULL };
	char interp[PATH_MAX];
	struct lab_buf out = { 0 };
	char *line, *save = NULL;
	int r;

	r = script_interp(host_path, interp, sizeof(interp));
	if (r)
		return r;
	if (interp[0]) {
		/* A script: itself, and its interpreter unless busybox is it. */
		r = add_if_new(c, host_path);
		if (!r && !busybox_interp(interp))
			r = lab_cpio_add_program(c, interp, libdirs);
		return r;
	}
	r = elf_interp(host_path, interp, sizeof(interp));
	if (!r)
		r = add_if_new(c, host_path);
	if (r || !interp[0])
		return r;
	r = add_if_new(c, interp);
	if (r)
		return lab_fail_context(r, "%s: ELF interpreter", host_path);
	r = lab_run_tool(argv, NULL, &out, false, NULL);
	if (r)
		return r;
	/* "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", "/lib64/ld-linux... (0x...)" */
	for (line = strtok_r(out.data, "\n", &save); line && !r;
	     line = strtok_r(NULL, "\n", &save)) {
		char *arrow = strstr(line, "=> ");
		char *lib = arrow ? arrow + 3 : line + strspn(line, " \t");
		char *end;

		if (!strncmp(lib, "not found", 9)) {
			r = lab_fail(-ENOENT, "%s: ldd cannot find its library%s", host_path, line);
			break;
		}
		if (*lib != '/')
			continue; /* the vDSO */
		end = strstr(lib, " (");
		if (end)
			*end = '\0';
		r = add_if_new(c, lib);
		if (!r)
			r = add_library_dir(libdirs, lib);
	}
	lab_buf_free(&out);
	return r;
}

int lab_cpio_add_shipped(struct lab_cpio *c, const char *host_path, struct lab_strv *libdirs)
{
	unsigned char magic[SELFMAG] = { 0 };
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(host_path, &st))
		return lab_fail(-errno, "%s: %s", host_path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return lab_fail(-EISDIR, "%s: is a directory", host_path);
	fd = open(host_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lab_fail(-errno, "%s: %s", host_path, strerror(errno));
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n < 0)
		return lab_fail(-errno, "%s: %s", host_path, strerror(errno));
	/* An ELF file, or an executable "#!" script: with what it needs to run. */
	if ((n == SELFMAG && !memcmp(magic, ELFMAG, SELFMAG)) ||
	    (n >= 2 && magic[0] == '#' && magic[1] == '!' && (st.st_mode & 0111)))
		return lab_cpio_add_program(c, host_path, libdirs);
	return add_if_new(c, host_path);
}
