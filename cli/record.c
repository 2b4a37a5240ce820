// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx record: a tracefs capture of exactly the KVM events nvmx's model reads, in a tracefs
 * instance of its own, with a header saying where it was made (include/nvmx/capture_env.h) and
 * every lost event in it as a LOST line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "nvmx/capture_env.h"
#include "nvmx/util.h"

#define PROG	    "nvmx record"
#define MAX_CPUS    1024
#define PROGRESS_NS (2 * UINT64_C(1000000000))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx record [--output FILE] [--duration SECONDS] [--pid PID]\n"
		"                   [--buffer-kb KB] [--instance NAME] [--quiet] [-- COMMAND "
		"[ARG]...]\n"
		"\n"
		"Captures, on the host running L0, exactly the KVM tracepoints nvmx's model reads\n"
		"(kvm_exit, kvm_entry, kvm_nested_*, kvm_msr, kvm_userspace_exit, kvm_inj_virq,\n"
		"kvm_inj_exception) into a file that 'nvmx replay' and 'nvmx report' read, e.g.\n"
		"\n"
		"  nvmx record --output capture.txt -- qemu-system-x86_64 ...\n"
		"  nvmx record --duration 30 | xz > capture.txt.xz\n"
		"\n"
		"It records until COMMAND exits, --pid's process exits, --duration ends, or\n"
		"SIGINT/SIGTERM (Ctrl-C), in a tracefs instance of its own\n"
		"(/sys/kernel/tracing/instances/NAME, else under /sys/kernel/debug/tracing), so\n"
		"the main trace buffer and other tracers are left alone; the instance is removed\n"
		"at the end. Needs root (or CAP_SYS_ADMIN on tracefs).\n"
		"\n"
		"The capture starts with '#' lines that replay skips: nvmx's version, the kernel\n"
		"(uname), the ISA (svm/vmx: the loaded kvm_amd/kvm_intel, else the cpu flag),\n"
		"every parameter of the kvm, kvm_amd and kvm_intel modules, the events enabled\n"
		"and those this kernel lacks, the trace clock and the start time (UTC); the\n"
		"events follow as tracefs's trace_pipe prints them (microseconds with the\n"
		"default 'local' clock), and '#' lines with the totals end it.\n"
		"\n"
		"Lost events are never lost silently: the kernel's 'CPU:N [LOST K EVENTS]' lines\n"
		"are kept where they happened, and when the per-CPU statistics\n"
		"(per_cpu/cpuN/stats: overrun, commit overrun, dropped events) count more, a\n"
		"LOST line for the rest is added at the end; replay counts them all and does not\n"
		"guess across them. Raise --buffer-kb if events were lost.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE     write the capture to FILE (default '-': stdout)\n"
		"  -d, --duration SECS   stop after SECS seconds (a decimal number > 0)\n"
		"  -p, --pid PID         only the threads of process PID, and the tasks they\n"
		"                        start (set_event_pid with event-fork): a QEMU's vCPU\n"
		"                        threads; the recording stops when PID exits\n"
		"  -b, --buffer-kb KB    the ring buffer per CPU (buffer_size_kb; default: the\n"
		"                        kernel's for a new instance)\n"
		"      --instance NAME   the tracefs instance's name (default nvmx-record-PID);\n"
		"                        it must not exist\n"
		"  -q, --quiet           no progress on stderr (a line every 2 s: events, LOST\n"
		"                        lines; the totals at the end)\n"
		"\n"
		"COMMAND runs with nvmx record's environment once the events are enabled; when\n"
		"the recording stops first (--duration, a signal), it gets SIGTERM and is\n"
		"waited for (a second signal: SIGKILL). Without COMMAND, --pid or --duration:\n"
		"until SIGINT/SIGTERM. The last '#' line says why it stopped.\n"
		"\n"
		"Exit status: 0 the capture is complete; 1 it is written, but the kernel lost\n"
		"events (its LOST lines say how many, stderr too); 2 a usage error, or it could\n"
		"not record: no tracefs, not root, the instance exists, no kvm tracepoint (kvm\n"
		"not loaded), COMMAND cannot run, writing FILE failed. If nvmx record is killed\n"
		"(SIGKILL) its instance stays: rmdir /sys/kernel/tracing/instances/NAME.\n");
	fputs(NVMX_USAGE_COMMON, f);
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct rec {
	char dir[PATH_MAX]; /* the instance */
	bool made;
	FILE *out;
	const char *out_name;
	int pipe_fd;
	/* the current line, for counting: events and LOST lines per CPU */
	char line[1024];
	size_t line_len;
	bool line_long;
	uint64_t events, markers, marker_lost[MAX_CPUS], marker_lost_other;
	bool write_failed;
	int write_errno;
};

/* Writes text into the instance's file name; 0 or -errno. */
static int put(const struct rec *r, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	int fd, err = 0;
	size_t len = strlen(text);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", r->dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

/* Reads the instance's file name into buf (at most len - 1 bytes); 0 or -errno. */
static int get(const struct rec *r, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX + 64];
	ssize_t n = 0, total = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1 && (n = read(fd, buf + total, len - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return n < 0 ? -errno : 0;
}

static const char *tracefs_root(void)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

	for (size_t i = 0; i < 2; i++) {
		char p[64];

		snprintf(p, sizeof(p), "%s/instances", roots[i]);
		if (!access(p, F_OK))
			return roots[i];
	}
	return NULL;
}

/* The clock in brackets in trace_clock ("[local] global counter..."). */
static void trace_clock(const struct rec *r, char *buf, size_t len)
{
	char text[512];
	char *a, *b;

	snprintf(buf, len, "unknown");
	if (get(r, "trace_clock", text, sizeof(text)))
		return;
	a = strchr(text, '[');
	b = a ? strchr(a, ']') : NULL;
	if (b)
		snprintf(buf, len, "%.*s", (int)(b - a - 1), a + 1);
}

static void count_line(struct rec *r)
{
	unsigned int cpu;
	uint64_t lost;
	const char *p;

	r->line[r->line_len] = '\0';
	p = r->line;
	while (*p == ' ')
		p++;
	if (!*p)
		return;
	if (!r->line_long && sscanf(p, "CPU:%u [LOST %" SCNu64 " EVENTS]", &cpu, &lost) == 2) {
		r->markers++;
		if (cpu < MAX_CPUS)
			r->marker_lost[cpu] += lost;
		else
			r->marker_lost_other += lost;
		return;
	}
	r->events++;
}

/* Copies what trace_pipe gave to the output, counting its lines. */
static void consume(struct rec *r, const char *buf, size_t n)
{
	if (!r->write_failed && fwrite(buf, 1, n, r->out) != n) {
		r->write_failed = true;
		r->write_errno = errno ? errno : EIO;
	}
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			count_line(r);
			r->line_len = 0;
			r->line_long = false;
		} else if (r->line_len < sizeof(r->line) - 1) {
			r->line[r->line_len++] = buf[i];
		} else {
			r->line_long = true;
		}
	}
}

/*
 * Reads trace_pipe until it is empty for now, or (all false) 4 MiB at most, so that a stream
 * faster than the copy still lets the caller look at its stop conditions. Returns 0 (empty), 1
 * (more waits) or -errno.
 */
static int drain(struct rec *r, bool all)
{
	static char buf[1 << 16];

	for (int reads = 0; all || reads < 64; reads++) {
		ssize_t n = read(r->pipe_fd, buf, sizeof(buf));

		if (n > 0) {
			consume(r, buf, (size_t)n);
			continue;
		}
		if (n == 0 || errno == EAGAIN)
			return 0;
		if (errno == EINTR)
			continue;
		return -errno;
	}
	return 1;
}

static uint64_t parse_duration(const char *s, bool *ok)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	*ok = !errno && end != s && !*end && d > 0 && d < 1e9;
	return *ok ? (uint64_t)(d * 1e9) : 0;
}

static bool parse_long(const char *s, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return !errno && end != s && !*end && *v > 0 && *v <= max;
}

/*
 * Every thread of pid into set_event_pid, event-fork on; 0 or a message in why. Two passes: a
 * thread started during the first by a thread not yet in the filter is there in the second, and
 * event-fork follows what threads in the filter start after that.
 */
static int filter_pid(struct rec *r, long pid, char *why, size_t len)
{
	char path[64], text[300], filter[PATH_MAX + 64];
	int err = put(r, "options/event-fork", "1");

	if (err)
		return nvmx_say(err, why, len, "%s/options/event-fork: %s", r->dir, strerror(-err));
	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	snprintf(filter, sizeof(filter), "%s/set_event_pid", r->dir);
	for (int pass = 0; pass < 2; pass++) {
		struct dirent *de;
		DIR *d = opendir(path);

		if (!d)
			return nvmx_say(-errno, why, len, "--pid %ld: %s", pid, strerror(errno));
		while ((de = readdir(d))) {
			int fd;

			if (de->d_name[0] == '.')
				continue;
			/* appended: O_TRUNC would keep only the last thread */
			fd = open(filter, O_WRONLY | O_APPEND | O_CLOEXEC);
			snprintf(text, sizeof(text), "%s\n", de->d_name);
			if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
				err = -errno;
				if (fd >= 0)
					close(fd);
				closedir(d);
				return nvmx_say(err, why, len, "%s: %s", filter, strerror(-err));
			}
			close(fd);
		}
		closedir(d);
	}
	return 0;
}

/*
 * At the end: the per-CPU statistics against the LOST lines seen; a LOST line for what the
 * statistics count beyond them. Returns the events lost in all.
 */
static uint64_t account_loss(struct rec *r, uint64_t *unreadable)
{
	uint64_t total = 0;

	*unreadable = 0;
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct nvmx_tracefs_stats st;
		char name[64], text[1024];
		uint64_t lost;

		snprintf(name, sizeof(name), "per_cpu/cpu%u/stats", cpu);
		if (get(r, name, text, sizeof(text)))
			continue; /* no such CPU (possible CPUs need not be contiguous) */
		if (nvmx_tracefs_stats_parse(text, &st)) {
			(*unreadable)++;
			continue;
		}
		lost = nvmx_tracefs_stats_lost(&st);
		if (lost > r->marker_lost[cpu]) {
			char line[96];
			int n = snprintf(line, sizeof(line), "CPU:%u [LOST %" PRIu64 " EVENTS]\n",
					 cpu, lost - r->marker_lost[cpu]);

			fprintf(r->out,
				"# cpu%u: the statistics count %" PRIu64
				" lost, the LOST lines %" PRIu64 ": the rest\n",
				cpu, lost, r->marker_lost[cpu]);
			consume(r, line, (size_t)n); /* counted as a LOST line */
		} else {
			lost = r->marker_lost[cpu];
		}
		total += lost;
	}
	return total + r->marker_lost_other;
}

/* Whether process pid still runs: not gone, not a zombie (its parent has not reaped it yet). */
static bool running(long pid)
{
	char path[64], text[512];
	const char *state;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(text, sizeof(text), f) != NULL;
	fclose(f);
	/* "PID (COMM) STATE ...": COMM may hold ')' and spaces, the last ')' ends it */
	state = ok ? strrchr(text, ')') : NULL;
	return !state || (state[1] == ' ' && state[2] != 'Z' && state[2] != 'X');
}

static int start_command(char **argv, pid_t *child, char *why, size_t len)
{
	int fds[2], err = 0;
	pid_t pid;

	/* the child reports a failed exec through a close-on-exec pipe */
	if (pipe2(fds, O_CLOEXEC))
		return nvmx_say(-errno, why, len, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return nvmx_say(err, why, len, "fork: %s", strerror(-err));
	}
	if (!pid) {
		int e;

		close(fds[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(argv[0], argv);
		e = errno;
		if (write(fds[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[1]);
	if (read(fds[0], &err, sizeof(err)) == sizeof(err)) {
		close(fds[0]);
		waitpid(pid, NULL, 0);
		return nvmx_say(-err, why, len, "cannot run '%s': %s", argv[0], strerror(err));
	}
	close(fds[0]);
	*child = pid;
	return 0;
}

static void progress(const struct rec *r, uint64_t elapsed_ns)
{
	fprintf(stderr, "nvmx record: %" PRIu64 " s, %" PRIu64 " events, %" PRIu64 " LOST lines\n",
		elapsed_ns / UINT64_C(1000000000), r->events, r->markers);
}

/* Disables every event and removes the instance; says so if it cannot. */
static void remove_instance(struct rec *r)
{
	if (!r->made)
		return;
	(void)put(r, "tracing_on", "0");
	(void)put(r, "events/enable", "0");
	if (rmdir(r->dir))
		fprintf(stderr, "nvmx record: cannot remove the tracefs instance %s: %s\n", r->dir,
			strerror(errno));
	r->made = false;
}

int nvmx_cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "buffer-kb", required_argument, NULL, 'b' },
		{ "instance", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		NVMX_COMMON_LONGOPTS,
	};
	const char *enabled[16], *missing[16];
	size_t n_enabled = 0, n_missing = 0;
	struct nvmx_capture_env env;
	struct nvmx_capture_info info;
	struct rec r = { .pipe_fd = -1 };
	const char *output = "-", *instance = NULL, *root;
	char inst_name[64], clock[32], text[256], why[512], pid_text[96];
	char pipe_path[PATH_MAX + 16];
	uint64_t duration_ns = 0, start_ns, next_progress, lost, unreadable;
	long buffer_kb = 0, pid = 0, kb_now = 0;
	bool quiet = false, ok;
	const char *why_stop = NULL;
	struct sigaction sa;
	pid_t child = 0;
	int c, err, ret = 2, child_status = -1;

	optind = 1;
	opterr = 0;
	/* '+': options stop at COMMAND (its own options are its own) */
	while ((c = getopt_long(argc, argv, "+:ho:d:p:b:q", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'd':
			duration_ns = parse_duration(optarg, &ok);
			if (!ok)
				return nvmx_usage_error(PROG, "--duration %s: expected seconds > 0",
							optarg);
			break;
		case 'p':
			if (!parse_long(optarg, INT_MAX, &pid))
				return nvmx_usage_error(PROG, "--pid %s: expected a process id",
							optarg);
			break;
		case 'b':
			if (!parse_long(optarg, 1L << 30, &buffer_kb))
				return nvmx_usage_error(PROG, "--buffer-kb %s: expected KiB > 0",
							optarg);
			break;
		case 'i':
			instance = optarg;
			if (!*instance || strchr(instance, '/') || instance[0] == '.' ||
			    strlen(instance) >= sizeof(inst_name))
				return nvmx_usage_error(PROG,
							"--instance %s: expected a name (no '/', "
							"not starting with '.', < 64 characters)",
							optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmx");
		default:
			return nvmx_getopt_error(PROG, c, argv);
		}
	}
	if (instance)
		snprintf(inst_name, sizeof(inst_name), "%s", instance);
	else
		snprintf(inst_name, sizeof(inst_name), "nvmx-record-%ld", (long)getpid());

	root = tracefs_root();
	if (!root) {
		fprintf(stderr,
			"nvmx record: no tracefs with instances at /sys/kernel/tracing or "
			"/sys/kernel/debug/tracing (mount -t tracefs nodev /sys/kernel/tracing)\n");
		return 2;
	}
	if (!strcmp(output, "-")) {
		r.out = stdout;
		r.out_name = "stdout";
	} else {
		r.out = fopen(output, "we");
		r.out_name = output;
		if (!r.out) {
			fprintf(stderr, "nvmx record: %s: %s\n", output, strerror(errno));
			return 2;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends the wait at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is a write error, said once */

	snprintf(r.dir, sizeof(r.dir), "%s/instances/%s", root, inst_name);
	if (mkdir(r.dir, 0700)) {
		err = errno;
		fprintf(stderr, "nvmx record: cannot create the tracefs instance %s: %s%s\n", r.dir,
			strerror(err),
			err == EEXIST ? " (another nvmx record? --instance NAME, or rmdir it)"
			: err == EACCES || err == EPERM ? " (run as root)"
							: "");
		goto out;
	}
	r.made = true;
	if ((err = put(&r, "tracing_on", "0"))) {
		fprintf(stderr, "nvmx record: %s/tracing_on: %s\n", r.dir, strerror(-err));
		goto out;
	}
	if (buffer_kb) {
		snprintf(text, sizeof(text), "%ld", buffer_kb);
		if ((err = put(&r, "buffer_size_kb", text))) {
			fprintf(stderr, "nvmx record: --buffer-kb %ld: %s/buffer_size_kb: %s\n",
				buffer_kb, r.dir, strerror(-err));
			goto out;
		}
	}
	if (!get(&r, "buffer_size_kb", text, sizeof(text)))
		kb_now = strtol(text, NULL, 10);
	for (size_t i = 0; i < nvmx_capture_events_n; i++) {
		char name[128];

		snprintf(name, sizeof(name), "events/kvm/%s/enable", nvmx_capture_events[i]);
		err = put(&r, name, "1");
		if (err == -ENOENT) {
			missing[n_missing++] = nvmx_capture_events[i];
		} else if (err) {
			fprintf(stderr, "nvmx record: %s/%s: %s\n", r.dir, name, strerror(-err));
			goto out;
		} else {
			enabled[n_enabled++] = nvmx_capture_events[i];
		}
	}
	if (!n_enabled) {
		fprintf(stderr,
			"nvmx record: this kernel has no kvm tracepoint (is kvm loaded?)\n");
		goto out;
	}
	if (n_missing) {
		fprintf(stderr, "nvmx record: this kernel lacks");
		for (size_t i = 0; i < n_missing; i++)
			fprintf(stderr, " kvm:%s", missing[i]);
		fprintf(stderr, " (the header says so; replay counts what it cannot see as "
				"unattributed)\n");
	}
	if (pid) {
		if (filter_pid(&r, pid, why, sizeof(why))) {
			fprintf(stderr, "nvmx record: %s\n", why);
			goto out;
		}
		snprintf(pid_text, sizeof(pid_text),
			 "pid %ld, its threads and the tasks they start", pid);
	}

	nvmx_capture_env_read(NULL, &env);
	trace_clock(&r, clock, sizeof(clock));
	info = (struct nvmx_capture_info){
		.writer = PROG,
		.nvmx_version = nvmx_version(),
		.tracefs = r.dir,
		.clock = clock,
		.buffer_kb = kb_now,
		.enabled = enabled,
		.n_enabled = n_enabled,
		.missing = missing,
		.n_missing = n_missing,
		.pid_filter = pid ? pid_text : NULL,
		.start_realtime_s = (int64_t)time(NULL),
	};
	if ((err = nvmx_capture_write_header(r.out, &env, &info))) {
		fprintf(stderr, "nvmx record: %s: %s\n", r.out_name, strerror(-err));
		goto out;
	}

	snprintf(pipe_path, sizeof(pipe_path), "%s/trace_pipe", r.dir);
	r.pipe_fd = open(pipe_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r.pipe_fd < 0) {
		fprintf(stderr, "nvmx record: %s: %s\n", pipe_path, strerror(errno));
		goto out;
	}
	if ((err = put(&r, "tracing_on", "1"))) {
		fprintf(stderr, "nvmx record: %s/tracing_on: %s\n", r.dir, strerror(-err));
		goto out;
	}
	start_ns = nvmx_mono_ns();
	next_progress = start_ns + PROGRESS_NS;
	if (optind < argc && start_command(argv + optind, &child, why, sizeof(why))) {
		fprintf(stderr, "nvmx record: %s\n", why);
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "nvmx record: recording %zu kvm events into %s (%s)\n", n_enabled,
			r.out_name, r.dir);

	while (!stop_signal && !r.write_failed) {
		struct pollfd pfd = { .fd = r.pipe_fd, .events = POLLIN };
		uint64_t now;
		int more;

		more = drain(&r, false);
		if (more < 0) {
			fprintf(stderr, "nvmx record: %s/trace_pipe: %s\n", r.dir, strerror(-more));
			goto out;
		}
		now = nvmx_mono_ns();
		if (duration_ns && now - start_ns >= duration_ns) {
			why_stop = "--duration";
			break;
		}
		if (child && waitpid(child, &child_status, WNOHANG) == child) {
			child = 0;
			why_stop = "COMMAND exited";
			break;
		}
		if (pid && !running(pid)) {
			why_stop = "--pid's process exited";
			break;
		}
		if (!quiet && now >= next_progress) {
			progress(&r, now - start_ns);
			next_progress += PROGRESS_NS;
		}
		/* trace_pipe's poll may wait for its buffer_percent: a short timeout is the pace */
		if (!more)
			(void)poll(&pfd, 1, 100);
	}
	(void)put(&r, "tracing_on", "0");
	if ((err = drain(&r, true)) < 0) {
		fprintf(stderr, "nvmx record: %s/trace_pipe: %s\n", r.dir, strerror(-err));
		goto out;
	}
	if (stop_signal)
		why_stop = "stopped by a signal";
	if (child) {
		/* a second signal while it takes its time: SIGKILL */
		stop_signal = 0;
		kill(child, SIGTERM);
		while (waitpid(child, &child_status, 0) < 0 && errno == EINTR)
			if (stop_signal)
				kill(child, SIGKILL);
		child = 0;
	}
	lost = account_loss(&r, &unreadable);
	fprintf(r.out, "# end: %" PRIu64 " events, %" PRIu64 " lost, in %" PRIu64 " ms (%s)\n",
		r.events, lost, (nvmx_mono_ns() - start_ns) / 1000000,
		why_stop ? why_stop : "a write failed");
	if (unreadable)
		fprintf(r.out, "# %" PRIu64 " per-CPU stats files unreadable: loss unknown\n",
			unreadable);
	if (fflush(r.out) == EOF || ferror(r.out)) {
		r.write_failed = true;
		r.write_errno = errno ? errno : EIO;
	}
	if (r.write_failed) {
		fprintf(stderr, "nvmx record: %s: %s\n", r.out_name, strerror(r.write_errno));
		goto out;
	}
	if (!quiet || lost || unreadable)
		fprintf(stderr, "nvmx record: %" PRIu64 " events, %" PRIu64 " lost%s into %s\n",
			r.events, lost, lost ? " (raise --buffer-kb)" : "", r.out_name);
	if (unreadable)
		fprintf(stderr, "nvmx record: %" PRIu64 " per-CPU stats unreadable: loss unknown\n",
			unreadable);
	if (child_status >= 0 && !quiet) {
		if (WIFEXITED(child_status))
			fprintf(stderr, "nvmx record: '%s' exited with %d\n", argv[optind],
				WEXITSTATUS(child_status));
		else if (WIFSIGNALED(child_status))
			fprintf(stderr, "nvmx record: '%s' was killed by signal %d\n", argv[optind],
				WTERMSIG(child_status));
	}
	ret = lost || unreadable ? 1 : 0;
out:
	if (r.pipe_fd >= 0)
		close(r.pipe_fd);
	remove_instance(&r);
	if (child) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	if (r.out && r.out != stdout && fclose(r.out) && ret != 2) {
		fprintf(stderr, "nvmx record: %s: %s\n", r.out_name, strerror(errno));
		ret = 2;
	}
	return ret;
}
