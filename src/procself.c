// SPDX-License-Identifier: GPL-2.0
/* nvmxd's own process from /proc/self, as the client libraries' process_* (src/procself.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procself.h"

/* The whole of a small proc file into buf (NUL-terminated); 0 or -errno. */
static int slurp(const char *proc, const char *name, char *buf, size_t len)
{
	char path[512];
	size_t n = 0;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", proc, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n < len - 1) {
		r = read(fd, buf + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	r = r < 0 ? -errno : 0;
	close(fd);
	buf[n] = '\0';
	return (int)r;
}

int nvmxd_procself_parse(const char *stat, const char *limits, uint64_t btime, long ticks,
			 long page_size, struct nvmxd_procself *out)
{
	unsigned long long utime, stime, starttime, vsize;
	long long rss;
	const char *p = strrchr(stat, ')'), *l;
	char soft[32];

	if (!p || ticks <= 0 || page_size <= 0)
		return -EINVAL;
	/*
	 * After "pid (comm)", which may hold spaces and parentheses: field 3 (state) on. utime,
	 * stime are fields 14 and 15, starttime 22, vsize 23, rss 24 (proc(5)).
	 */
	if (sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d"
		   " %llu %llu %lld",
		   &utime, &stime, &starttime, &vsize, &rss) != 5 ||
	    rss < 0)
		return -EINVAL;
	l = strstr(limits, "\nMax open files");
	if (!l || sscanf(l + strlen("\nMax open files"), " %31s", soft) != 1)
		return -EINVAL;
	*out = (struct nvmxd_procself){
		.cpu_seconds = (double)(utime + stime) / (double)ticks,
		.resident_bytes = (uint64_t)rss * (uint64_t)page_size,
		.virtual_bytes = vsize,
		.start_time_seconds = (double)btime + (double)starttime / (double)ticks,
	};
	if (!strcmp(soft, "unlimited")) {
		out->max_fds = UINT64_MAX;
	} else {
		char *end;

		errno = 0;
		out->max_fds = strtoull(soft, &end, 10);
		if (errno || *end || end == soft)
			return -EINVAL;
	}
	return 0;
}

/* The boot time of /proc/stat's "btime" line (after the intr line, which can be very long). */
static int read_btime(const char *proc, unsigned long long *btime)
{
	char path[512], chunk[256];
	bool line_start = true, found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stat", proc);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!found && fgets(chunk, sizeof(chunk), f)) {
		if (line_start && !strncmp(chunk, "btime ", 6))
			found = sscanf(chunk + 6, "%llu", btime) == 1;
		line_start = strchr(chunk, '\n') != NULL;
	}
	fclose(f);
	return found ? 0 : -EINVAL;
}

int nvmxd_procself_read(const char *proc, struct nvmxd_procself *out)
{
	char stat[1024], limits[4096], path[512];
	unsigned long long btime = 0;
	struct dirent *de;
	uint64_t fds = 0;
	DIR *d;
	int e;

	e = slurp(proc, "self/stat", stat, sizeof(stat));
	if (!e)
		e = slurp(proc, "self/limits", limits, sizeof(limits));
	if (!e)
		e = read_btime(proc, &btime);
	if (e)
		return e;
	e = nvmxd_procself_parse(stat, limits, btime, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE),
				 out);
	if (e)
		return e;
	snprintf(path, sizeof(path), "%s/self/fd", proc);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		fds += de->d_name[0] != '.';
	closedir(d);
	out->open_fds = fds;
	return 0;
}
