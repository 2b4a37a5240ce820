/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmxd's own process, as the Prometheus client libraries export it (the process_* metrics of
 * client_golang's process collector): CPU time, memory, file descriptors and start time, read from
 * /proc/self when a scrape asks. Readable after the privilege drop: a process may always read its
 * own /proc entries. No logging.
 */
#ifndef NVMXD_PROCSELF_H
#define NVMXD_PROCSELF_H

#include <stdbool.h>
#include <stdint.h>

struct nvmxd_procself {
	double cpu_seconds;	   /* utime + stime of every thread (stat), in seconds */
	uint64_t resident_bytes;   /* resident set size: stat's rss pages x the page size */
	uint64_t virtual_bytes;	   /* stat's vsize */
	uint64_t open_fds;	   /* entries of /proc/self/fd (the directory's own one included) */
	uint64_t max_fds;	   /* the soft "Max open files" of /proc/self/limits;
				    * "unlimited": UINT64_MAX, as client_golang's procfs reads it */
	double start_time_seconds; /* Unix time the process started: btime + stat's starttime */
};

/*
 * Reads them from proc (normally "/proc"; tests give another root with the same files: self/stat,
 * self/fd, self/limits, stat). Returns 0, or a negative errno when a file is missing or does not
 * parse (nothing is then exported rather than a wrong value).
 */
int nvmxd_procself_read(const char *proc, struct nvmxd_procself *out);

/* The same from the strings of /proc/self/stat and /proc/self/limits, /proc/stat's btime and the
 * clock ticks and page size: what nvmxd_procself_read parses (0 or -EINVAL). */
int nvmxd_procself_parse(const char *stat, const char *limits, uint64_t btime, long ticks,
			 long page_size, struct nvmxd_procself *out);

#endif /* NVMXD_PROCSELF_H */
