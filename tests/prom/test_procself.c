// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd's process_* metrics (src/procself.h, written by src/metrics.c): the parse of proc's
 * files exactly, then this test process read through /proc against what the kernel says through
 * other doors (getrusage, getrlimit, fds opened here, the clock), then a scrape has each family
 * with its HELP and TYPE in both formats and promtool accepts it. No root, no network.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "procself.h"
#include "promtool_check.h"

/* proc(5)'s stat of a process named "a) (b", with utime 250 and stime 150 ticks, starttime
 * 12345 ticks, vsize 7340032, rss 300 pages */
static const char stat_line[] =
	"4242 (a) (b) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 150 0 0 20 0 3 0 12345 7340032 300 "
	"18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
static const char limits_text[] =
	"Limit                     Soft Limit           Hard Limit           Units     \n"
	"Max cpu time              unlimited            unlimited            seconds   \n"
	"Max open files            1024                 524288               files     \n"
	"Max locked memory         8388608              8388608              bytes     \n";

Test(procself, parse_exact)
{
	struct nvmxd_procself p;

	cr_assert_eq(nvmxd_procself_parse(stat_line, limits_text, 1700000000, 100, 4096, &p), 0);
	cr_expect_float_eq(p.cpu_seconds, 4.0, 1e-12);
	cr_expect_eq(p.resident_bytes, 300 * 4096);
	cr_expect_eq(p.virtual_bytes, 7340032);
	cr_expect_eq(p.max_fds, 1024);
	cr_expect_float_eq(p.start_time_seconds, 1700000123.45, 1e-6);
}

Test(procself, parse_unlimited_and_refusals)
{
	struct nvmxd_procself p;

	cr_assert_eq(nvmxd_procself_parse(
			     stat_line,
			     "Limit Soft Hard Units\n"
			     "Max open files            unlimited            unlimited  files\n",
			     0, 100, 4096, &p),
		     0);
	cr_expect_eq(p.max_fds, UINT64_MAX);
	cr_expect_lt(nvmxd_procself_parse("4242 (x S 1", limits_text, 0, 100, 4096, &p), 0);
	cr_expect_lt(nvmxd_procself_parse("4242 (x) S 1 2 3", limits_text, 0, 100, 4096, &p), 0);
	cr_expect_lt(
		nvmxd_procself_parse(stat_line, "Limit\nMax processes 5 5\n", 0, 100, 4096, &p), 0);
	cr_expect_lt(nvmxd_procself_parse(stat_line, limits_text, 0, 0, 4096, &p), 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(procself, this_process)
{
	struct nvmxd_procself p, q;
	struct rusage ru;
	struct rlimit rl;
	volatile double x = 0;
	double cpu;
	int fds[3];

	/* some CPU time, so the comparison is not 0 against 0 */
	for (long i = 0; i < 30000000; i++)
		x += (double)i;
	cr_assert_gt(x, 0.0);
	cr_assert_eq(nvmxd_procself_read("/proc", &p), 0);
	cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	/* proc counts in clock ticks (10 ms), getrusage more finely: within two ticks and a bit */
	cr_expect(fabs(p.cpu_seconds - cpu) < 0.05, "proc %.3f s, getrusage %.3f s", p.cpu_seconds,
		  cpu);
	cr_expect_gt(p.cpu_seconds, 0.0);
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	cr_expect_eq(p.max_fds, rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur);
	cr_expect_gt(p.resident_bytes, 0);
	cr_expect_geq(p.virtual_bytes, p.resident_bytes);
	/* this process started at most a minute ago (Criterion forks each test), and not after now */
	cr_expect(p.start_time_seconds <= now_s() + 0.02 && p.start_time_seconds > now_s() - 60,
		  "start time %.2f, now %.2f", p.start_time_seconds, now_s());
	cr_expect_gt(p.open_fds, 0);
	for (int i = 0; i < 3; i++)
		cr_assert_geq(fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
	cr_assert_eq(nvmxd_procself_read("/proc", &q), 0);
	cr_expect_eq(q.open_fds, p.open_fds + 3, "%llu fds, then %llu after opening 3",
		     (unsigned long long)p.open_fds, (unsigned long long)q.open_fds);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	cr_expect_eq(nvmxd_procself_read("/nonexistent", &q), -ENOENT);
}

static const char *vm_name(void *ctx, uint32_t tgid)
{
	(void)ctx;
	(void)tgid;
	return "vm";
}

static char *scrape(enum prom_format fmt)
{
	static struct nvmx_counters c;
	struct nvmxd_metrics_in in = { .counts = &c, .vm_name = vm_name };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cr_assert_eq(nvmxd_metrics_write(f, &in, fmt), 0);
	fclose(f);
	return text;
}

/* The sample of a family without labels, and that its HELP and TYPE come first. */
static double sample(const char *text, const char *family, const char *type, const char *sample)
{
	char want[256];
	const char *help, *t, *s;

	snprintf(want, sizeof(want), "\n# HELP %s ", family);
	help = strstr(text, want);
	cr_assert_not_null(help, "no HELP for %s", family);
	snprintf(want, sizeof(want), "\n# TYPE %s %s\n", family, type);
	t = strstr(text, want);
	cr_assert_not_null(t, "no '# TYPE %s %s'", family, type);
	snprintf(want, sizeof(want), "\n%s ", sample);
	s = strstr(text, want);
	cr_assert_not_null(s, "no sample %s", sample);
	cr_assert(help < t && t < s, "%s: HELP, TYPE, then the sample", family);
	return strtod(s + strlen(want), NULL);
}

Test(procself, scraped)
{
	char *t = scrape(PROM_TEXT), *om = scrape(PROM_OPENMETRICS);
	double start;

	cr_expect_geq(
		sample(t, "process_cpu_seconds_total", "counter", "process_cpu_seconds_total"),
		0.0);
	cr_expect_gt(sample(t, "process_resident_memory_bytes", "gauge",
			    "process_resident_memory_bytes"),
		     0.0);
	cr_expect_gt(
		sample(t, "process_virtual_memory_bytes", "gauge", "process_virtual_memory_bytes"),
		0.0);
	cr_expect_gt(sample(t, "process_open_fds", "gauge", "process_open_fds"), 0.0);
	cr_expect_gt(sample(t, "process_max_fds", "gauge", "process_max_fds"), 0.0);
	start = sample(t, "process_start_time_seconds", "gauge", "process_start_time_seconds");
	cr_expect(start > now_s() - 60 && start <= now_s() + 0.02, "start %.2f", start);
	/* OpenMetrics: the counter family without _total, its sample with it */
	sample(om, "process_cpu_seconds", "counter", "process_cpu_seconds_total");
	sample(om, "process_start_time_seconds", "gauge", "process_start_time_seconds");
	expect_promtool_accepts(t);
	free(t);
	free(om);
}
