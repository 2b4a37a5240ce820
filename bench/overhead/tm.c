// SPDX-License-Identifier: GPL-2.0
/*
 * overhead_tm RESULTS TAG CMD ARGS...: runs CMD and appends "TAG wall_ns exit_status user_s sys_s"
 * to RESULTS (bench/overhead/l0_bench.sh times every workload run with it: busybox's date has
 * no nanoseconds). Static, so it runs in the lab's L0 as it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int st = 0;
	pid_t p;
	FILE *f;

	if (argc < 4) {
		fprintf(stderr, "usage: overhead_tm RESULTS TAG CMD ARGS...\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	p = fork();
	if (p < 0) {
		perror("fork");
		return 2;
	}
	if (p == 0) {
		execv(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	if (wait4(p, &st, 0, &ru) < 0) {
		perror("wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	f = fopen(argv[1], "a");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fprintf(f, "%s %lld %d %ld.%06ld %ld.%06ld\n", argv[2],
		(long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
		WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), (long)ru.ru_utime.tv_sec,
		(long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	if (fclose(f))
		return 2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
