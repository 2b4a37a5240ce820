// SPDX-License-Identifier: GPL-2.0
/*
 * The QEMU backends: nested SVM under TCG (full emulation, no host virtualization needed), and
 * arm64 with FEAT_NV2 (--isa arm64). QEMU 7.2's TCG emulates SVM with NPT but not VMX, and no
 * NV2; the arm64 lab runs QEMU 10 from bookworm-backports, unpacked into the lab's cache
 * (lab_arm64.c). Results come back over a 9p share.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "lab_backend.h"
#include "lab_util.h"

#define QEMU "qemu-system-x86_64"

/* Both backends hand results back on the 9p share of -virtfs (push_common). */
#define OUT_SETUP  "mount -t 9p -o trans=virtio,version=9p2000.L out /out"
#define OUT_FINISH "sync; umount /out"

static const char *const qemu_result_modules[] = { "virtio_pci", "9pnet_virtio", "9p", NULL };
static const char *const qemu_net_modules[] = { "virtio_pci", "virtio_net", NULL };

static int qemu_check(void)
{
	char *path = NULL;
	int r = lab_which(QEMU, &path);

	free(path);
	if (r)
		return lab_fail(r, "%s not found: install the Debian package qemu-system-x86",
				QEMU);
	return 0;
}

/* The 9p share of the results and the kernel, initramfs and command line of the guest. */
static int push_common(const struct lab_guest *g, struct lab_strv *argv, const char *append)
{
	int r = 0;

	r |= lab_strv_push(argv, "-m");
	r |= lab_strv_pushf(argv, "%uM", g->mem_mb);
	r |= lab_strv_push(argv, "-smp");
	r |= lab_strv_pushf(argv, "%u", g->vcpus);
	r |= lab_strv_push(argv, "-nographic");
	r |= lab_strv_push(argv, "-no-reboot");
	r |= lab_strv_push(argv, "-nodefaults");
	r |= lab_strv_push(argv, "-serial");
	r |= lab_strv_push(argv, "stdio");
	r |= lab_strv_push(argv, "-kernel");
	r |= lab_strv_push(argv, g->vmlinuz);
	r |= lab_strv_push(argv, "-initrd");
	r |= lab_strv_push(argv, g->initramfs);
	r |= lab_strv_push(argv, "-virtfs");
	r |= lab_strv_pushf(argv, "local,path=%s,mount_tag=out,security_model=none", g->result_dir);
	if (g->forward_host_port) {
		r |= lab_strv_push(argv, "-nic");
		r |= lab_strv_pushf(argv, "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:%u-:%u",
				    g->forward_host_port, g->forward_guest_port);
	}
	r |= lab_strv_push(argv, "-append");
	r |= lab_strv_push(argv, append);
	return r;
}

/*
 * arm64: the virt machine with EL2 and a GICv3 (KVM's nested virtualization needs both), a CPU
 * with FEAT_NV2 (max), the cheap pointer authentication (pauth-impdef: QARMA costs TCG much),
 * and no FEAT_LPA2: with it an NV VM's teardown walks a 52-bit IPA space, 3.5-4.2 s instead of
 * 0.25 s (issue 18). L0 boots with KVM's nested virtualization on (kvm-arm.mode=nested).
 */
static int build_argv_arm64(const struct lab_guest *g, struct lab_strv *argv)
{
	int r = 0;

	r |= lab_strv_push(argv, g->emulator);
	r |= lab_strv_push(argv, "-accel");
	r |= lab_strv_push(argv, "tcg");
	r |= lab_strv_push(argv, "-M");
	r |= lab_strv_push(argv, "virt,virtualization=on,gic-version=3");
	r |= lab_strv_push(argv, "-cpu");
	r |= lab_strv_push(argv, "max,pauth-impdef=on,lpa2=off");
	r |= push_common(g, argv, "console=ttyAMA0 kvm-arm.mode=nested panic=-1 quiet");
	return r ? -ENOMEM : 0;
}

static int build_argv(const struct lab_guest *g, struct lab_strv *argv)
{
	int r = 0;

	r |= lab_strv_push(argv, QEMU);
	/*
	 * Several vCPUs take turns on one host thread, never MTTCG: with two vCPUs and
	 * thread=multi, a 6.12 L0 died of "Oops: int3" in __schedule on the other vCPU while
	 * tracing was switched off (a fresh-clone CI run, 2026-12-05): the kernel patches its code
	 * with int3 (text_poke_bp), and MTTCG most likely let that vCPU run a stale translation of the
	 * patched code. The price: several busy vCPUs share one host core.
	 */
	r |= lab_strv_push(argv, "-accel");
	r |= lab_strv_push(argv, g->vcpus > 1 ? "tcg,thread=single" : "tcg");
	if (g->icount_shift >= 0) {
		r |= lab_strv_push(argv, "-icount");
		r |= lab_strv_pushf(argv, "shift=%d,sleep=off", g->icount_shift);
	}
	r |= lab_strv_push(argv, "-cpu");
	r |= lab_strv_push(argv, "qemu64,+svm,+npt");
	r |= push_common(g, argv, "console=ttyS0 panic=-1 quiet");
	return r ? -ENOMEM : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_argv(const struct lab_guest *g,
		    int (*build)(const struct lab_guest *g, struct lab_strv *argv),
		    lab_console_line_fn on_line, void *ctx)
{
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	struct lab_strv argv = { 0 };
	struct lab_buf line = { 0 }, err = { 0 };
	int log_fd = -1, status = 0, r, stopped = 0;
	double deadline = now_s() + g->timeout_s;
	bool exited = false;
	pid_t pid = -1;

	r = build(g, &argv);
	if (r)
		return lab_fail(r, "out of memory");
	log_fd = open(g->console_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log_fd < 0) {
		r = lab_fail(-errno, "%s: %s", g->console_log, strerror(errno));
		goto out;
	}
	if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
		r = lab_fail(-errno, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = lab_fail(-errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		/* QEMU must not outlive nvmx (killed by a test timeout, say). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_pipe[1], 1) < 0 ||
		    dup2(err_pipe[1], 2) < 0)
			_exit(127);
		execvp(argv.v[0], argv.v);
		dprintf(2, "cannot run %s: %s\n", argv.v[0], strerror(errno));
		_exit(127);
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;

	struct pollfd fds[2] = { { .fd = out_pipe[0], .events = POLLIN },
				 { .fd = err_pipe[0], .events = POLLIN } };
	int open_fds = 2;
	char chunk[65536];

	while (open_fds > 0) {
		double left = deadline - now_s();
		int n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			r = lab_fail(
				-ETIMEDOUT,
				"the guest did not power off within %.0f s (hard timeout; raise it "
				"with --timeout); QEMU killed, see %s",
				g->timeout_s, g->console_log);
			goto reap;
		}
		n = poll(fds, 2, left > 1 ? 1000 : (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = lab_fail(-errno, "poll: %s", strerror(errno));
			kill(pid, SIGKILL);
			goto reap;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t got;

			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			got = read(fds[i].fd, chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 1) {
				r = lab_buf_append(&err, chunk, (size_t)got);
			} else {
				if (write(log_fd, chunk, (size_t)got) != got) {
					r = lab_fail(-errno, "%s: write: %s", g->console_log,
						     strerror(errno));
					kill(pid, SIGKILL);
					goto reap;
				}
				r = stopped ? 0
					    : lab_feed_lines(&line, chunk, (size_t)got, on_line,
							     ctx);
				if (r > 0) {
					/* The caller saw enough: stop the guest. */
					stopped = 1;
					kill(pid, SIGKILL);
					r = 0;
				}
			}
			if (r < 0) {
				kill(pid, SIGKILL);
				goto reap;
			}
		}
	}
	if (line.len && !stopped)
		(void)on_line(ctx, line.data);
reap:
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	exited = true;
	if (r)
		goto out;
	while (err.len && (err.data[err.len - 1] == '\n' || err.data[err.len - 1] == '\r'))
		err.data[--err.len] = '\0';
	if (stopped) {
		r = -ECANCELED;
	} else if (WIFSIGNALED(status)) {
		r = lab_fail(-EIO, "%s was killed by signal %d%s%s", argv.v[0], WTERMSIG(status),
			     err.len ? ": " : "", err.len ? err.data : "");
	} else if (WEXITSTATUS(status)) {
		r = lab_fail(-EIO, "%s exited with %d: %s", argv.v[0], WEXITSTATUS(status),
			     err.len ? err.data : "(nothing on stderr)");
	}
out:
	if (pid > 0 && !exited) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	if (log_fd >= 0)
		close(log_fd);
	lab_buf_free(&line);
	lab_buf_free(&err);
	lab_strv_free(&argv);
	return r;
}

static int qemu_run(const struct lab_guest *g, lab_console_line_fn on_line, void *ctx)
{
	return run_argv(g, build_argv, on_line, ctx);
}

static int qemu_arm64_run(const struct lab_guest *g, lab_console_line_fn on_line, void *ctx)
{
	return run_argv(g, build_argv_arm64, on_line, ctx);
}

/* lab_arm64_fetch_tools() has unpacked QEMU 10 into the cache before: nothing on the host. */
static int qemu_arm64_check(void)
{
	return 0;
}

static int qemu_collect(const struct lab_guest *g)
{
	return 0; /* the 9p share is result_dir itself */
}

const struct lab_backend lab_backend_qemu = {
	.name = "qemu",
	.isa = NVMX_ISA_SVM,
	.kvm_module = "kvm_amd",
	.result_modules = qemu_result_modules,
	.net_modules = qemu_net_modules,
	.out_setup = OUT_SETUP,
	.out_finish = OUT_FINISH,
	.icount = true,
	.clock = "wall",
	.check = qemu_check,
	.run = qemu_run,
	.collect = qemu_collect,
};

static const char *const qemu_arm64_result_modules[] = { "9pnet_virtio", "9p", NULL };
static const char *const no_modules[] = { NULL };

const struct lab_backend lab_backend_qemu_arm64 = {
	.name = "qemu",
	.isa = NVMX_ISA_ARM64,
	.kvm_module = "kvm", /* built in (CONFIG_KVM=y), as virtio_pci */
	.result_modules = qemu_arm64_result_modules,
	.net_modules = no_modules,
	.out_setup = OUT_SETUP,
	.out_finish = OUT_FINISH,
	.icount = false,
	.clock = "wall",
	.check = qemu_arm64_check,
	.run = qemu_arm64_run,
	.collect = qemu_collect,
};

const struct lab_backend *lab_backend_for_isa(enum nvmx_isa isa)
{
	if (isa == NVMX_ISA_ARM64)
		return &lab_backend_qemu_arm64;
	switch (isa) {
	case NVMX_ISA_SVM:
		return &lab_backend_qemu;
	case NVMX_ISA_VMX:
		return &lab_backend_bochs; /* QEMU's TCG emulates SVM but not VMX */
	default:
		lab_fail(-EINVAL, "unknown ISA");
		return NULL;
	}
}
