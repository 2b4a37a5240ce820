// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx-lab-mapstorm [--after FILE [--grown RECORD]] CMD [ARG]...: BPF map syscalls in a loop,
 * beside CMD, for the lab's loss test (tests/lab/loss_run.sh). With --after, the storm starts once
 * FILE exists (e.g. nvmxd's --ready file: the storm would slow nvmxd's start); with --grown too,
 * only once RECORD (nvmxd's --record) has grown past its size at that moment: the workload is
 * running and its first events are recorded before any is skipped. Waiting for the workload
 * itself, not a fixed delay, keeps the storm inside the workload however fast the machine. A map syscall (here BPF_MAP_LOOKUP_ELEM on an array of its own) runs
 * under bpf_disable_instrumentation(): it raises the CPU's bpf_prog_active and, on a preemptible
 * kernel, can be preempted there; while it is, the kernel skips every classic tracepoint program
 * on that CPU and counts the skip only in the program's recursion_misses. The lab's L0 has one
 * CPU, so the vCPU thread runs on the storm's. The storm is a child that dies with its parent
 * (PR_SET_PDEATHSIG); the parent becomes CMD (exec), so CMD keeps the pid the lab signals.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void storm(int fd)
{
	unsigned int key = 0;
	unsigned long long value;
	union bpf_attr a;

	for (;;) {
		memset(&a, 0, sizeof(a));
		a.map_fd = (unsigned int)fd;
		a.key = (unsigned long long)(unsigned long)&key;
		a.value = (unsigned long long)(unsigned long)&value;
		if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a)) {
			fprintf(stderr, "nvmx-lab-mapstorm: BPF_MAP_LOOKUP_ELEM: %s\n",
				strerror(errno));
			_exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	union bpf_attr a;
	pid_t parent = getpid(), child;
	const char *after = NULL, *grown = NULL;
	struct stat st;
	off_t size0 = 0;
	int fd;

	if (argc > 2 && !strcmp(argv[1], "--after")) {
		after = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (after && argc > 2 && !strcmp(argv[1], "--grown")) {
		grown = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: nvmx-lab-mapstorm [--after FILE [--grown RECORD]] CMD [ARG]...\n");
		return 2;
	}
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 1;
	fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0) {
		fprintf(stderr, "nvmx-lab-mapstorm: BPF_MAP_CREATE: %s\n", strerror(errno));
		return 2;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "nvmx-lab-mapstorm: fork: %s\n", strerror(errno));
		return 2;
	}
	if (child == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		while (after && access(after, F_OK))
			usleep(10000);
		if (grown) {
			size0 = stat(grown, &st) ? 0 : st.st_size;
			while (stat(grown, &st) || st.st_size <= size0)
				usleep(10000);
		}
		storm(fd);
	}
	close(fd);
	execvp(argv[1], argv + 1);
	fprintf(stderr, "nvmx-lab-mapstorm: %s: %s\n", argv[1], strerror(errno));
	kill(child, SIGKILL);
	return 2;
}
