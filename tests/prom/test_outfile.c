// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd's --json file (src/outfile.h): replaced whole or not at all, directly and through the
 * writer process nvmxd keeps after dropping root; errors keep their errno and name the file. A
 * full disk is a real one: a 64 KiB tmpfs mounted in a private mount namespace of the test's
 * own process (as root; otherwise in a user namespace too). No lab, no BPF.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <linux/capability.h>

#include "nvmx/record.h"
#include "nvmx/summary.h"
#include "outfile.h"

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/nvmx-outfile-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static char *slurp(const char *path)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* The names in dir other than . and ..; fails the test if there are not exactly want. */
static void expect_entries(const char *want)
{
	char seen[1024] = "";
	struct dirent *e;
	DIR *d = opendir(dir);

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			strcat(seen, seen[0] ? " " : "");
			strcat(seen, e->d_name);
		}
	closedir(d);
	cr_assert_str_eq(seen, want, "the directory holds '%s', not '%s'", seen, want);
}

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* path = dir/nvmxd.json, opened into f (with its writer process when writer): the test's start */
static void open_json(struct nvmxd_outfile *f, char *path, size_t len, bool writer)
{
	char err[512];

	path_of(path, len, "nvmxd.json");
	cr_assert_eq(nvmxd_outfile_open(f, path, err, sizeof(err)), 0, "%s", err);
	if (writer)
		cr_assert_eq(nvmxd_outfile_start_writer(f, err, sizeof(err)), 0, "%s", err);
}

/* A private 64 KiB tmpfs on dir, in this test process's own mount namespace. */
static void tiny_tmpfs(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	make_dir();
	if (uid != 0) {
		char map[64];
		int fd;

		cr_assert_eq(unshare(CLONE_NEWUSER | CLONE_NEWNS), 0,
			     "unshare(user, mount): %s: this test needs root or user namespaces",
			     strerror(errno));
		fd = open("/proc/self/setgroups", O_WRONLY);
		cr_assert(fd >= 0 && write(fd, "deny", 4) == 4);
		close(fd);
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
		fd = open("/proc/self/uid_map", O_WRONLY);
		cr_assert(fd >= 0 && write(fd, map, strlen(map)) == (ssize_t)strlen(map));
		close(fd);
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
		fd = open("/proc/self/gid_map", O_WRONLY);
		cr_assert(fd >= 0 && write(fd, map, strlen(map)) == (ssize_t)strlen(map));
		close(fd);
	} else {
		cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare(mount): %s", strerror(errno));
	}
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "%s", strerror(errno));
	cr_assert_eq(mount("tmpfs", dir, "tmpfs", 0, "size=64k"), 0, "mount tmpfs: %s",
		     strerror(errno));
}

/* Fills the file system of dir to its last block with the file "fill". */
static void fill_up(void)
{
	char path[128], block[4096];
	int fd;

	path_of(path, sizeof(path), "fill");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0);
	memset(block, 'x', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	cr_assert_eq(errno, ENOSPC, "filling up: %s", strerror(errno));
	close(fd);
}

Test(outfile, replaces_the_file_whole_with_mode_0644_and_no_temporary_left)
{
	struct nvmxd_outfile f;
	char path[128], err[512];
	struct stat st;
	mode_t old = umask(077);

	make_dir();
	open_json(&f, path, sizeof(path), false);
	cr_assert_eq(nvmxd_outfile_replace(&f, "{\"a\": 1}\n", 9, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(path), "{\"a\": 1}\n");
	cr_assert_eq(nvmxd_outfile_replace(&f, "{\"b\": 2}\n", 9, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(path), "{\"b\": 2}\n");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644, "mode %o under umask 077", st.st_mode & 07777);
	umask(old);
	expect_entries("nvmxd.json");
	nvmxd_outfile_close(&f);
}

Test(outfile, a_symbolic_link_at_the_path_is_replaced_never_followed)
{
	struct nvmxd_outfile f;
	char path[128], target[128], err[512];
	struct stat st;
	int fd;

	make_dir();
	path_of(path, sizeof(path), "nvmxd.json");
	path_of(target, sizeof(target), "victim");
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	cr_assert(fd >= 0 && write(fd, "keep", 4) == 4);
	close(fd);
	cr_assert_eq(symlink(target, path), 0);
	cr_assert_eq(nvmxd_outfile_open(&f, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(nvmxd_outfile_replace(&f, "doc\n", 4, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(target), "keep");
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert(S_ISREG(st.st_mode), "the path is a regular file now");
	cr_assert_str_eq(slurp(path), "doc\n");
	nvmxd_outfile_close(&f);
}

Test(outfile, an_unusable_path_is_said_at_open_with_the_path)
{
	struct nvmxd_outfile f;
	char path[128], err[512];

	make_dir();
	path_of(path, sizeof(path), "no/such/dir/nvmxd.json");
	cr_assert_eq(nvmxd_outfile_open(&f, path, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, path) && strstr(err, "No such file or directory"), "%s", err);
	path_of(path, sizeof(path), "");
	cr_assert_eq(nvmxd_outfile_open(&f, path, err, sizeof(err)), -EISDIR, "%s", err);
}

Test(outfile, a_full_disk_is_enospc_naming_the_file_and_keeps_the_old_document)
{
	static char big[128 * 1024];
	struct nvmxd_outfile f;
	char path[128], err[512];

	tiny_tmpfs();
	open_json(&f, path, sizeof(path), false);
	cr_assert_eq(nvmxd_outfile_replace(&f, "old\n", 4, err, sizeof(err)), 0, "%s", err);
	memset(big, 'y', sizeof(big));
	cr_assert_eq(nvmxd_outfile_replace(&f, big, sizeof(big), err, sizeof(err)), -ENOSPC, "%s",
		     err);
	cr_assert(strstr(err, path) && strstr(err, "No space left on device"), "%s", err);
	cr_assert_str_eq(slurp(path), "old\n");
	expect_entries("nvmxd.json");
	/* full to the last block: not even the temporary file's first block fits */
	fill_up();
	cr_assert_eq(nvmxd_outfile_replace(&f, "new\n", 4, err, sizeof(err)), -ENOSPC, "%s", err);
	cr_assert_str_eq(slurp(path), "old\n");
	expect_entries("fill nvmxd.json");
	nvmxd_outfile_close(&f);
}

Test(outfile, the_writer_process_replaces_alike_and_says_enospc)
{
	static char big[128 * 1024];
	struct nvmxd_outfile f;
	char path[128], err[512];

	tiny_tmpfs();
	open_json(&f, path, sizeof(path), true);
	cr_assert(f.writer > 0 && f.writer_fd >= 0);
	cr_assert_eq(nvmxd_outfile_replace(&f, "one\n", 4, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(path), "one\n");
	memset(big, 'z', sizeof(big));
	cr_assert_eq(nvmxd_outfile_replace(&f, big, sizeof(big), err, sizeof(err)), -ENOSPC, "%s",
		     err);
	cr_assert(strstr(err, path) && strstr(err, "No space left on device"), "%s", err);
	/* the stream stays in step after a failed request: the next one works */
	cr_assert_eq(nvmxd_outfile_replace(&f, "two\n", 4, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(path), "two\n");
	expect_entries("nvmxd.json");
	nvmxd_outfile_close(&f);
}

Test(outfile, the_writer_works_without_cap_dac_override_as_under_nvmxd_service)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	struct nvmxd_outfile f;
	char path[128], err[512];

	/* nvmxd.service's bounding set has no CAP_DAC_OVERRIDE: the writer must not need it */
	memset(data, 0, sizeof(data));
	cr_assert_eq(syscall(SYS_capget, &hdr, data), 0);
	data[CAP_TO_INDEX(CAP_DAC_OVERRIDE)].effective &= ~CAP_TO_MASK(CAP_DAC_OVERRIDE);
	data[CAP_TO_INDEX(CAP_DAC_OVERRIDE)].permitted &= ~CAP_TO_MASK(CAP_DAC_OVERRIDE);
	cr_assert_eq(syscall(SYS_capset, &hdr, data), 0, "capset: %s", strerror(errno));
	make_dir();
	open_json(&f, path, sizeof(path), true);
	cr_assert_eq(nvmxd_outfile_replace(&f, "ok\n", 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(path), "ok\n");
	nvmxd_outfile_close(&f);
}

Test(outfile, a_writer_gone_is_said_not_hung)
{
	struct nvmxd_outfile f;
	char path[128], err[512];

	make_dir();
	open_json(&f, path, sizeof(path), true);
	cr_assert_eq(kill(f.writer, SIGKILL), 0);
	cr_assert_eq(waitpid(f.writer, NULL, 0), f.writer);
	f.writer = 0;
	cr_assert_eq(nvmxd_outfile_replace(&f, "x\n", 2, err, sizeof(err)), -ECHILD, "%s", err);
	cr_assert(strstr(err, path) && strstr(err, "writer process"), "%s", err);
	cr_assert_null(slurp(path));
	nvmxd_outfile_close(&f);
}

Test(outfile, the_writer_survives_the_signals_that_end_nvmxd)
{
	struct nvmxd_outfile f;
	char path[128], err[512];

	make_dir();
	open_json(&f, path, sizeof(path), true);
	/* what `nvmx lab run` and a terminal send to the whole process group */
	kill(f.writer, SIGINT);
	kill(f.writer, SIGTERM);
	kill(f.writer, SIGHUP);
	usleep(100000);
	cr_assert_eq(nvmxd_outfile_replace(&f, "last\n", 5, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(path), "last\n");
	nvmxd_outfile_close(&f);
}

Test(outfile, write_errors_keep_their_errno)
{
	FILE *full = fopen("/dev/full", "w");
	int fd = open("/dev/full", O_WRONLY);

	cr_assert(fd >= 0 && full, "/dev/full: %s", strerror(errno));
	cr_assert_eq(nvmxd_write_all(fd, "x", 1), -ENOSPC);
	close(fd);
	/* lib's stdio writers too (they said EIO for a full disk: issue 16) */
	setvbuf(full, NULL, _IONBF, 0);
	cr_assert_eq(nvmx_record_write_header(full, "test"), -ENOSPC);
	{
		struct nvmx_summary *s = nvmx_summary_new();

		cr_assert_not_null(s);
		cr_assert_eq(nvmx_summary_write_json_extra(s, NULL, NULL, 0, full), -ENOSPC);
		nvmx_summary_free(s);
	}
	fclose(full);
}
