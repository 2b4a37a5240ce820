// SPDX-License-Identifier: GPL-2.0
/*
 * The Bochs backend: nested VMX. QEMU's TCG has no VMX; Debian's Bochs 2.7 emulates it with EPT,
 * VPID, unrestricted guest and VMCS shadowing (cpu model corei7_skylake_x).
 *
 * Bochs boots no bare kernel: the kernel and initramfs go on a GRUB El Torito image made with
 * grub-mkrescue. Debian's build has no headless display and has the debugger compiled in, so it
 * runs with `display_library: term` under script(1) (a pseudo-terminal) and with an -rc file
 * that says "c". With the debugger, the term display draws on a pseudo-terminal of its own, whose
 * other side nobody opens: once its buffer is full (64 KiB: the status bar's IPS every wall
 * second filled it after about 7 minutes), Bochs blocks for ever in a write. So the IPS is hidden
 * and that side is opened and drained here. The serial console goes to a file that is read as
 * it grows. Bochs has no 9p:
 * the guest writes a tar of /out onto a raw disk (ata_piix, sd_mod), unpacked here after the
 * power-off. A guest power-off ends Bochs with a "soft power off" panic and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lab_backend.h"
#include "lab_util.h"

#define BOCHS	       "bochs"
#define BOCHS_BIOS     "/usr/share/bochs/BIOS-bochs-latest"
#define BOCHS_VGA_BIOS "/usr/share/bochs/VGABIOS-lgpl-latest"
#define GRUB_PC_DIR    "/usr/lib/grub/i386-pc"
/* 2048 cylinders of 16 heads and 63 sectors: a geometry Bochs takes for a flat image. */
#define DISK_BYTES (2048ull * 16 * 63 * 512)
/*
 * Emulated instructions per emulated second. With clock sync=none the emulated clock follows
 * instructions, not wall time, so this sets no speed: it only scales timer intervals (a higher
 * value makes fewer timer interrupts per instruction). 100 M measured fastest to boot.
 */
#define BOCHS_IPS 100000000
#define STR_(x)	  #x
#define STR(x)	  STR_(x)

static const char *const bochs_result_modules[] = { "ata_piix", "sd_mod", NULL };
static const char *const bochs_net_modules[] = { NULL };

static int bochs_check(void)
{
	static const struct {
		const char *program, *package;
	} programs[] = {
		{ BOCHS, "bochs bochsbios vgabios" },
		{ "grub-mkrescue", "grub-common grub-pc-bin" },
		{ "xorriso", "xorriso" },
		{ "mformat", "mtools" },
		{ "script", "bsdutils" },
	};
	static const struct {
		const char *path, *package;
	} files[] = {
		{ BOCHS_BIOS, "bochsbios" },
		{ BOCHS_VGA_BIOS, "vgabios" },
		{ GRUB_PC_DIR "/cdboot.img", "grub-pc-bin" },
	};

	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		char *path = NULL;
		int r = lab_which(programs[i].program, &path);

		free(path);
		if (r)
			return lab_fail(r, "%s not found: install the Debian package(s) %s",
					programs[i].program, programs[i].package);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (access(files[i].path, R_OK))
			return lab_fail(-ENOENT, "%s missing: install the Debian package %s",
					files[i].path, files[i].package);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bochs's working directory: beside what the guest hands back, removed with it. */
static int work_path(char *buf, const struct lab_guest *g, const char *name)
{
	char dir[PATH_MAX];
	int r = lab_path_join(dir, g->result_dir, ".bochs");

	return r ? r : lab_path_join(buf, dir, name);
}

static int copy_file(const char *from, const char *to)
{
	struct lab_buf b = { 0 };
	int r;

	/* A hard link when the cache is on the same file system; a copy otherwise. */
	if (!link(from, to))
		return 0;
	r = lab_read_file(from, &b);
	if (!r)
		r = lab_write_file(to, b.data, b.len, 0644);
	lab_buf_free(&b);
	return r;
}

/*
 * Debian's 7.x kernels (7.3.4+deb13) panic on Bochs 2.7's corei7_skylake_x 0.05 s into the boot:
 * a NULL pointer write in fpstate_reset called from fpu__init_system_xstate, after a warning
 * ("Attempted to kill the idle task"; seen 2026-12-05). noxsave skips the XSAVE set-up: L0 runs
 * with FXSAVE only, which KVM and the lab's L1 do not need, and boots. 6.1 and 6.12 boot with
 * XSAVE as they always did. The series is uname -r's first number.
 */
static const char *kernel_args(const struct lab_guest *g)
{
	return g->kernel_release && strtoul(g->kernel_release, NULL, 10) >= 7 ? " noxsave" : "";
}

static int make_boot_image(const struct lab_guest *g)
{
	char grub_cfg[512];
	char iso_dir[PATH_MAX], grub_dir[PATH_MAX], path[PATH_MAX], iso[PATH_MAX];
	struct lab_buf out = { 0 };
	int r;

	snprintf(grub_cfg, sizeof(grub_cfg),
		 "serial --unit=0 --speed=115200\n"
		 "terminal_input serial\n"
		 "terminal_output serial\n"
		 "set timeout=0\n"
		 "menuentry lab {\n"
		 "\tlinux /boot/vmlinuz console=ttyS0 panic=-1 quiet%s\n"
		 "\tinitrd /boot/initrd\n"
		 "}\n",
		 kernel_args(g));
	r = work_path(iso_dir, g, "iso");
	if (!r)
		r = work_path(iso, g, "boot.iso");
	if (!r)
		r = lab_path_join(grub_dir, iso_dir, "boot/grub");
	if (!r)
		r = lab_mkdir_p(grub_dir, 0755);
	if (!r)
		r = lab_path_join(path, grub_dir, "grub.cfg");
	if (!r)
		r = lab_write_file(path, grub_cfg, strlen(grub_cfg), 0644);
	if (!r)
		r = lab_path_join(path, iso_dir, "boot/vmlinuz");
	if (!r)
		r = copy_file(g->vmlinuz, path);
	if (!r)
		r = lab_path_join(path, iso_dir, "boot/initrd");
	if (!r)
		r = copy_file(g->initramfs, path);
	if (r)
		return lab_fail_context(r, "boot image");
	{
		const char *argv[] = { "grub-mkrescue", "-o", iso, iso_dir, NULL };

		r = lab_run_tool(argv, NULL, &out, false, NULL);
	}
	lab_buf_free(&out);
	if (r)
		return lab_fail_context(r, "grub-mkrescue");
	return lab_rm_rf(iso_dir);
}

static int make_disk(const struct lab_guest *g, char *disk)
{
	int fd, r = work_path(disk, g, "disk.img");

	if (r)
		return r;
	fd = open(disk, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return lab_fail(-errno, "%s: %s", disk, strerror(errno));
	/* Sparse: only what the guest writes takes space. */
	if (ftruncate(fd, (off_t)DISK_BYTES)) {
		r = lab_fail(-errno, "%s: %s", disk, strerror(errno));
		close(fd);
		return r;
	}
	close(fd);
	return 0;
}

static int write_config(const struct lab_guest *g, const char *disk, char *rc_path,
			char *config_path, char *log_path)
{
	char iso[PATH_MAX];
	struct lab_buf c = { 0 };
	int r;

	r = work_path(iso, g, "boot.iso");
	if (!r)
		r = work_path(rc_path, g, "debugger.rc");
	if (!r)
		r = work_path(config_path, g, "bochsrc");
	if (!r)
		r = work_path(log_path, g, "bochs.log");
	if (r)
		return r;
	r = lab_write_file(rc_path, "c\n", 2, 0644);
	if (r)
		return r;
	r |= lab_buf_printf(&c, "megs: %u\n", g->mem_mb);
	r |= lab_buf_printf(&c,
			    "cpu: model=corei7_skylake_x, count=%u, ips=%u, ignore_bad_msrs=1\n",
			    g->vcpus, BOCHS_IPS);
	r |= lab_buf_printf(&c, "romimage: file=%s\nvgaromimage: file=%s\n", BOCHS_BIOS,
			    BOCHS_VGA_BIOS);
	r |= lab_buf_printf(&c, "pci: enabled=1, chipset=i440fx\n");
	r |= lab_buf_printf(&c, "clock: sync=none, time0=local\n");
	r |= lab_buf_printf(&c, "display_library: term, options=\"hideIPS\"\n");
	r |= lab_buf_printf(&c,
			    "ata0-master: type=disk, path=\"%s\", mode=flat, cylinders=2048, "
			    "heads=16, spt=63\n",
			    disk);
	r |= lab_buf_printf(&c, "ata1-master: type=cdrom, path=\"%s\", status=inserted\n", iso);
	r |= lab_buf_printf(&c, "boot: cdrom\n");
	r |= lab_buf_printf(&c, "com1: enabled=1, mode=file, dev=\"%s\"\n", g->console_log);
	r |= lab_buf_printf(&c, "mouse: enabled=0\n");
	r |= lab_buf_printf(&c, "log: \"%s\"\n", log_path);
	/* Unknown MSRs are logged as errors: report them to the log, never stop. */
	r |= lab_buf_printf(&c, "panic: action=fatal\nerror: action=report\n"
				"info: action=ignore\ndebug: action=ignore\n");
	if (r) {
		lab_buf_free(&c);
		return lab_fail(-ENOMEM, "out of memory");
	}
	r = lab_write_file(config_path, c.data, c.len, 0644);
	lab_buf_free(&c);
	return r;
}

/*
 * The term display's own pseudo-terminal, named in Bochs's output (out): opened non-blocking and
 * raw (no echo back into Bochs's keyboard), to be drained; -1 until Bochs has named it.
 */
static int open_screen(const char *out)
{
	static const char tag[] = "Bochs connected to screen \"";
	struct lab_buf text = { 0 };
	char *name, *end;
	struct termios t;
	int fd = -1;

	if (lab_read_file(out, &text) || !text.data)
		return -1;
	name = memmem(text.data, text.len, tag, sizeof(tag) - 1);
	end = name ? memchr(name + sizeof(tag) - 1, '"',
			    text.len - (size_t)(name - text.data) - (sizeof(tag) - 1))
		   : NULL;
	if (end) {
		*end = '\0';
		fd = open(name + sizeof(tag) - 1, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	}
	if (fd >= 0 && !tcgetattr(fd, &t)) {
		cfmakeraw(&t);
		(void)tcsetattr(fd, TCSANOW, &t);
	}
	lab_buf_free(&text);
	return fd;
}

/* The last line of Bochs's log with a PANIC or an error, for the message of a failed run. */
static void last_panic(const char *log_path, char *buf, size_t len)
{
	struct lab_buf log = { 0 };
	char *line, *save = NULL;

	buf[0] = '\0';
	if (lab_read_file(log_path, &log) || !log.data)
		return;
	for (line = strtok_r(log.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "PANIC") || strstr(line, "p[") || strstr(line, "cannot"))
			snprintf(buf, len, "%s", line);
	lab_buf_free(&log);
}

static int bochs_run(const struct lab_guest *g, lab_console_line_fn on_line, void *ctx)
{
	char disk[PATH_MAX], rc[PATH_MAX], config[PATH_MAX], log_path[PATH_MAX], out[PATH_MAX];
	char cmd[4 * PATH_MAX], chunk[65536], panic_line[512];
	struct lab_buf line = { 0 };
	double deadline;
	int console_fd = -1, screen_fd = -1, status = 0, r, stopped = 0;
	bool exited = false;
	pid_t pid = -1;

	r = work_path(out, g, "");
	if (!r)
		r = lab_mkdir_p(out, 0755);
	if (!r)
		r = work_path(out, g, "bochs.out");
	if (!r)
		r = make_boot_image(g);
	if (!r)
		r = make_disk(g, disk);
	if (!r)
		r = write_config(g, disk, rc, config, log_path);
	if (r)
		return r;
	if (snprintf(cmd, sizeof(cmd), "exec %s -q -f '%s' -rc '%s'", BOCHS, config, rc) >=
	    (int)sizeof(cmd))
		return lab_fail(-ENAMETOOLONG, "%s: path too long", config);
	/* Bochs (re)creates the console file: start from an empty one that can be opened now. */
	r = lab_write_file(g->console_log, "", 0, 0644);
	if (r)
		return r;

	deadline = now_s() + g->timeout_s;
	pid = fork();
	if (pid < 0)
		return lab_fail(-errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		/* Its own process group, so that a timeout kills script and Bochs together. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (devnull < 0 || fd < 0 || dup2(devnull, 0) < 0 || dup2(fd, 1) < 0 ||
		    dup2(fd, 2) < 0)
			_exit(127);
		/* script gives Bochs's term display a pseudo-terminal (no headless build). */
		execlp("script", "script", "-qfec", cmd, "/dev/null", (char *)NULL);
		dprintf(2, "cannot run script: %s\n", strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	console_fd = open(g->console_log, O_RDONLY | O_CLOEXEC);
	if (console_fd < 0) {
		r = lab_fail(-errno, "%s: %s", g->console_log, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t got;
		pid_t w;

		while ((got = read(console_fd, chunk, sizeof(chunk))) > 0) {
			r = stopped ? 0 : lab_feed_lines(&line, chunk, (size_t)got, on_line, ctx);
			if (r > 0) {
				/* The caller saw enough: stop the guest. */
				stopped = 1;
				kill(-pid, SIGKILL);
				r = 0;
			}
			if (r < 0)
				goto out;
		}
		if (exited)
			break;
		if (screen_fd < 0)
			screen_fd = open_screen(out);
		while (screen_fd >= 0 && read(screen_fd, chunk, sizeof(chunk)) > 0)
			; /* what the term display draws: nobody looks */
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			exited = true;
			continue; /* read what was written last */
		}
		if (now_s() > deadline) {
			kill(-pid, SIGKILL);
			r = lab_fail(-ETIMEDOUT,
				     "the guest did not power off within %.0f s (hard timeout; "
				     "raise it with --timeout); Bochs killed, see %s",
				     g->timeout_s, g->console_log);
			goto out;
		}
		usleep(200000);
	}
	if (line.len && !stopped)
		(void)on_line(ctx, line.data);
	if (stopped) {
		r = -ECANCELED;
		goto out;
	}
	last_panic(log_path, panic_line, sizeof(panic_line));
	/* A guest power-off is Bochs's "soft power off" panic, exit status 1. */
	if (!strstr(panic_line, "soft power off"))
		r = lab_fail(-EIO, "Bochs stopped (exit status %d)%s%s; see %s and %s",
			     WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			     panic_line[0] ? ": " : "", panic_line, log_path, out);
out:
	if (pid > 0 && !exited) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (console_fd >= 0)
		close(console_fd);
	if (screen_fd >= 0)
		close(screen_fd);
	lab_buf_free(&line);
	return r;
}

static unsigned long long octal(const char *field, size_t len)
{
	unsigned long long v = 0;

	for (size_t i = 0; i < len && field[i] >= '0' && field[i] <= '7'; i++)
		v = v * 8 + (unsigned long long)(field[i] - '0');
	return v;
}

/* A path from the guest's tar, relative and without "..", or NULL. */
static const char *safe_name(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	if (!name[0] || !strcmp(name, ".") || name[0] == '/' || !strncmp(name, "../", 3) ||
	    strstr(name, "/../") || (strlen(name) >= 3 && !strcmp(name + strlen(name) - 3, "/..")))
		return NULL;
	return name;
}

/*
 * Unpacks the tar (POSIX ustar, with GNU long names as busybox writes them) that the guest wrote
 * at the start of the disk into result_dir: regular files and directories only.
 */
static int bochs_collect(const struct lab_guest *g)
{
	char disk[PATH_MAX], path[PATH_MAX], long_name[PATH_MAX] = "";
	unsigned char hdr[512];
	int fd, r = work_path(disk, g, "disk.img");
	size_t files = 0;

	if (r)
		return r;
	fd = open(disk, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lab_fail(-errno, "%s: %s", disk, strerror(errno));
	for (;;) {
		char name[PATH_MAX]; /* a GNU long name, or ustar prefix "/" name */
		unsigned long long size, padded;
		const char *rel;

		if (read(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr)) {
			r = lab_fail(-EIO, "%s: the guest's tar ends early", disk);
			break;
		}
		if (!hdr[0])
			break; /* end of archive (or nothing written: no files) */
		if (memcmp(hdr + 257, "ustar", 5)) {
			r = lab_fail(-EINVAL, "%s: no tar written by the guest (see console.log)",
				     disk);
			break;
		}
		size = octal((const char *)hdr + 124, 12);
		padded = (size + 511) & ~511ull;
		if (hdr[156] == 'L') {
			if (size >= sizeof(long_name) ||
			    read(fd, long_name, (size_t)padded) != (ssize_t)padded) {
				r = lab_fail(-EINVAL, "%s: bad long name in the guest's tar", disk);
				break;
			}
			long_name[size] = '\0';
			continue;
		}
		if (long_name[0]) {
			snprintf(name, sizeof(name), "%s", long_name);
			long_name[0] = '\0';
		} else if (hdr[345]) {
			snprintf(name, sizeof(name), "%.155s/%.100s", hdr + 345, hdr);
		} else {
			snprintf(name, sizeof(name), "%.100s", hdr);
		}
		rel = safe_name(name);
		if (!rel) {
			if (lseek(fd, (off_t)padded, SEEK_CUR) < 0)
				r = lab_fail(-errno, "%s: %s", disk, strerror(errno));
			if (r)
				break;
			continue;
		}
		r = lab_path_join(path, g->result_dir, rel);
		if (r)
			break;
		if (hdr[156] == '5') {
			r = lab_mkdir_p(path, 0755);
		} else if (hdr[156] == '0' || hdr[156] == '\0') {
			struct lab_buf data = { 0 };
			char *slash = strrchr(path, '/');

			*slash = '\0';
			r = lab_mkdir_p(path, 0755);
			*slash = '/';
			if (!r && padded) {
				data.data = malloc((size_t)padded);
				if (!data.data)
					r = lab_fail(-ENOMEM, "out of memory");
				else if (read(fd, data.data, (size_t)padded) != (ssize_t)padded)
					r = lab_fail(-EIO, "%s: the guest's tar ends early", disk);
			}
			if (!r)
				r = lab_write_file(path, data.data ? data.data : "", (size_t)size,
						   0644);
			free(data.data);
			files++;
			continue;
		} else if (lseek(fd, (off_t)padded, SEEK_CUR) < 0) {
			r = lab_fail(-errno, "%s: %s", disk, strerror(errno));
		}
		if (r)
			break;
	}
	close(fd);
	if (!r)
		lab_progress("collecting: %zu files from the guest's disk", files);
	return r;
}

const struct lab_backend lab_backend_bochs = {
	.name = "bochs",
	.isa = NVMX_ISA_VMX,
	.kvm_module = "kvm_intel",
	.result_modules = bochs_result_modules,
	.net_modules = bochs_net_modules,
	/* /out is in the initramfs; at the end it goes onto the raw disk as one tar. */
	.out_setup = "mkdir -p /out",
	.out_finish = "i=0; while [ ! -b /dev/sda ] && [ $i -lt 300 ]; do usleep 100000; "
		      "i=$((i + 1)); done; tar cf /dev/sda -C /out . && sync",
	.strip_module_signatures = true,
	/* clock: sync=none (below): the emulated clock counts instructions, BOCHS_IPS a second */
	.clock = "bochs sync=none ips=" STR(BOCHS_IPS),
	.check = bochs_check,
	.run = bochs_run,
	.collect = bochs_collect,
};
