// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd: attributes every nested (L2) exit of every VM on this host to L0 or L1, live, with BPF
 * programs on the KVM tracepoints (bpf/nvmx.bpf.c) running the attribution model of
 * include/nvmx/model.h. Prints a summary per VM and vCPU, writes the same JSON as `nvmx replay`
 * (plus "vms" and "nvmxd" keys), and can record every event as a tracefs-format capture.
 *
 * Lifecycle (libbpf-bootstrap): probe → open → set rodata → load → attach (src/loader.c) → poll
 * → one cleanup. Options are parsed in nvmxd_opts.c, the JSON document is nvmxd_json.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "nvmx/derive.h"
#include "nvmx/bitmap_rules.h"
#include "nvmx/cmdline.h"
#include "nvmx/events.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/model.h"
#include "nvmx/record.h"
#include "nvmx/summary.h"
#include "nvmxd.h"
#include "vm_name.h"
#include "nvmx/util.h"

/* ---- logging: errors always, details with -v (retsnoop's elog/vlog) ---- */

static bool verbose;

__attribute__((format(printf, 1, 2))) static void elog(const char *fmt, ...)
{
	va_list ap;

	fputs("nvmxd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2))) static void vlog(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	fputs("nvmxd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* The one error message of a failed run, printed once at the top level (systemd style). */
static char fail_msg[512];
/* its exit status: 1, or 2 for unusable options or input */
static int fail_status = 1;

int nvmxd_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -EINVAL;
}

int nvmxd_fail_output(int err, const char *fmt, ...)
{
	va_list ap;

	/*
	 * The first failure is the run's one line, printed last; a later one (often following
	 * from it: --json on the disk --record filled) is said at once, above it.
	 */
	if (fail_status == 2 && fail_msg[0]) {
		fputs("nvmxd: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
		return err < 0 ? err : -EINVAL;
	}
	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	fail_status = 2;
	return err < 0 ? err : -EINVAL;
}

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = sig;
}

/* ---- VM names: QEMU's -name guest=X, else the program name ---- */

const char *nvmxd_vm_name(struct nvmxd *d, __u32 tgid)
{
	struct vm_name **arr, *p = NULL;

	pthread_mutex_lock(&d->names_lock);
	for (size_t i = 0; i < d->n_names && !p; i++)
		if (d->names[i]->tgid == tgid)
			p = d->names[i];
	if (!p) {
		arr = realloc(d->names, (d->n_names + 1) * sizeof(*arr));
		if (arr)
			d->names = arr;
		p = arr ? malloc(sizeof(*p)) : NULL;
		if (p) {
			p->tgid = tgid;
			nvmxd_read_vm_name(tgid, p->name, sizeof(p->name));
			d->names[d->n_names++] = p;
		}
	}
	pthread_mutex_unlock(&d->names_lock);
	return p ? p->name : "?";
}

/* Names every VM while it still runs, so that exited ones keep theirs. */
static void name_vms(struct nvmxd *d)
{
	for (size_t i = 0; i < d->counts.n_exits; i++)
		(void)nvmxd_vm_name(d, d->counts.exits[i].key.tgid);
	for (size_t i = 0; i < d->counts.n_ns; i++)
		(void)nvmxd_vm_name(d, d->counts.ns[i].tgid);
	for (size_t i = 0; i < d->counts.n_msrs; i++)
		(void)nvmxd_vm_name(d, d->counts.msrs[i].key.tgid);
	for (size_t i = 0; i < d->counts.n_ports; i++)
		(void)nvmxd_vm_name(d, d->counts.ports[i].key.tgid);
}

static const char *turtles_vm_name(void *ctx, uint32_t tgid)
{
	return nvmxd_vm_name(ctx, tgid);
}

/* ---- recording ---- */

static int on_record(void *ctx, void *data, size_t size)
{
	struct nvmxd *d = ctx;
	const struct nvmx_record *r = data;
	char comm[NVMX_COMM_LEN + 1], line[512];
	int n;

	if (size < sizeof(*r))
		return 0;
	memcpy(comm, r->comm, NVMX_COMM_LEN);
	comm[NVMX_COMM_LEN] = '\0';
	n = nvmx_record_format_task(&r->ev, comm, r->tgid, r->cpu, line, sizeof(line));
	if (n < 0 || (size_t)n >= sizeof(line))
		return 0; /* not a tracepoint kind: cannot come from the BPF side */
	if (!d->record)
		return 0; /* its write failed: the run is stopping (record_failed()) */
	/* stdio keeps write(2)'s errno: ENOSPC stays "No space left on device" */
	if (fputs(line, d->record) == EOF || fputc('\n', d->record) == EOF) {
		d->record_err = errno ? -errno : -EIO;
		return d->record_err;
	}
	d->recorded++;
	return 0;
}

/*
 * --record cannot be written (a full disk): the run stops, and its --json is still written at
 * exit (it may be elsewhere); the exit status is 2, with this message.
 */
static int record_failed(struct nvmxd *d, int err)
{
	if (d->record) {
		(void)fclose(d->record);
		d->record = NULL;
	}
	d->stop_now = true;
	(void)nvmxd_fail_output(err, "writing %s failed: %s (the record stops there)",
				d->o.record_path, strerror(-err));
	return 0;
}

/*
 * Ring-buffer drops since the last call become one "[LOST n EVENTS]" line per CPU. Read from the
 * mmap'd nvmx_drops (bpf/nvmx.bpf.c): no map syscall in the poll loop.
 */
static int write_lost(struct nvmxd *d)
{
	if (!d->record || !d->drops)
		return 0;
	for (int cpu = 0; cpu < d->ncpus; cpu++) {
		__u64 now = __atomic_load_n(&d->drops[cpu], __ATOMIC_RELAXED);
		char line[64];

		if (now <= d->drops_seen[cpu])
			continue;
		nvmx_record_format_lost((uint32_t)cpu, now - d->drops_seen[cpu], line,
					sizeof(line));
		if (fprintf(d->record, "%s\n", line) < 0) {
			d->record_err = errno ? -errno : -EIO;
			return d->record_err;
		}
		d->lost_written += now - d->drops_seen[cpu];
		d->drops_seen[cpu] = now;
	}
	return 0;
}

/* ---- reading and reporting ---- */

static int read_counts(struct nvmxd *d)
{
	struct nvmxd_maps m = nvmx_loader__maps(d->loader).counts;
	int err;

	nvmxd_ns_maps(d->ns, &m);
	err = nvmxd_counts_read(&d->counts, &m);

	if (err)
		return nvmxd_fail(err, "reading the BPF maps failed: %s", strerror(-err));
	name_vms(d);
	return 0;
}

struct tally {
	uint64_t n[NVMX_OUT_COUNT];
	uint64_t sum_ns[NVMX_OUT_COUNT];
};

/*
 * The mean handling time of an exit row, over the exits that have one (counts.h
 * nvmx_verdict_timed): a reflected exit's cost is its round trip (the breakdown lines), and an
 * exit still open at the end has no time.
 */
static void print_mean(FILE *f, const struct nvmx_counters_exit *x)
{
	if (x->key.outcome == NVMX_OUT_L2_BY_L1)
		fprintf(f, "  cost: the round trip below\n");
	else if (!x->hist.timed)
		fprintf(f, "  not timed\n");
	else if (x->hist.timed == x->hist.count)
		fprintf(f, "  mean %.1f us\n", nvmx_mean(x->hist.sum_ns, x->hist.timed) / 1e3);
	else
		fprintf(f, "  mean %.1f us of %" PRIu64 " timed\n",
			nvmx_mean(x->hist.sum_ns, x->hist.timed) / 1e3, (uint64_t)x->hist.timed);
}

static void print_tally(FILE *f, const char *indent, const struct tally *t)
{
	uint64_t l2 = t->n[NVMX_OUT_L2_BY_L0] + t->n[NVMX_OUT_L2_BY_L1];

	fprintf(f,
		"%sL2 exits %" PRIu64 " (handled by L0 %" PRIu64 ", reflected to L1 %" PRIu64
		"), L1 exits %" PRIu64 ", synthesised to L1 %" PRIu64 ", nested entries %" PRIu64
		", failed entries %" PRIu64 ", unattributed %" PRIu64 "\n",
		indent, l2, t->n[NVMX_OUT_L2_BY_L0], t->n[NVMX_OUT_L2_BY_L1],
		t->n[NVMX_OUT_L1_EXIT], t->n[NVMX_OUT_SYNTHESIZED_TO_L1],
		t->n[NVMX_OUT_NESTED_ENTRY], t->n[NVMX_OUT_NESTED_ENTRY_FAILED],
		t->n[NVMX_OUT_UNATTRIBUTED]);
}

/* Per-program cost, when the kernel counts it (--bpf-stats or kernel.bpf_stats_enabled=1). */
static void print_prog_stats(const struct nvmxd *d, FILE *f)
{
	if (d->stats_fd < 0 && !nvmxd_bpf_stats_enabled())
		return;
	for (size_t i = 0; i < nvmx_loader__prog_count(d->loader); i++) {
		const struct nvmx_loader_prog *p = nvmx_loader__prog(d->loader, i);
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (!p->attached || bpf_obj_get_info_by_fd(p->fd, &info, &len))
			continue;
		fprintf(f, "  program %-30s %12llu runs, %8.0f ns/run%s%s%s\n", p->name,
			(unsigned long long)info.run_cnt,
			info.run_cnt ? (double)info.run_time_ns / (double)info.run_cnt : 0.0,
			p->baseline ? " (baseline: " : "", p->baseline ? p->baseline : "",
			p->baseline ? ")" : "");
	}
}

static void print_summary(struct nvmxd *d, FILE *f, bool final)
{
	const struct nvmx_counters *c = &d->counts;
	size_t missing, attached = nvmx_loader__attached(d->loader, &missing);
	struct tally all = { 0 };

	fprintf(f,
		"nvmxd: %s%.1f s: %" PRIu64 " events, %" PRIu64 " lost, %zu/%zu programs attached, "
		"%" PRIu64 " ring-buffer drops\n",
		final ? "final, " : "", (double)(nvmx_mono_ns() - d->start_ns) / 1e9,
		c->self[NVMX_SELF_EVENTS], nvmx_counters_lost(c), attached, attached + missing,
		c->self[NVMX_SELF_RINGBUF_DROPPED]);
	for (size_t i = 0; i < c->n_exits;) {
		__u32 tgid = c->exits[i].key.tgid;
		struct tally vm = { 0 };

		fprintf(f, "VM %s (pid %" PRIu32 ")\n", nvmxd_vm_name(d, tgid), tgid);
		while (i < c->n_exits && c->exits[i].key.tgid == tgid) {
			__u32 tid = c->exits[i].key.tid;
			struct tally cpu = { 0 };
			size_t first = i;

			for (; i < c->n_exits && c->exits[i].key.tgid == tgid &&
			       c->exits[i].key.tid == tid;
			     i++) {
				const struct nvmx_counters_exit *x = &c->exits[i];

				if (x->key.outcome >= NVMX_OUT_COUNT)
					continue;
				cpu.n[x->key.outcome] += x->hist.count;
				cpu.sum_ns[x->key.outcome] += x->hist.sum_ns;
			}
			fprintf(f, "  vCPU thread %" PRIu32 ": ", tid);
			print_tally(f, "", &cpu);
			for (size_t j = first; j < i; j++) {
				const struct nvmx_counters_exit *x = &c->exits[j];
				char buf[32];

				if (x->key.outcome == NVMX_OUT_NESTED_ENTRY ||
				    x->key.outcome == NVMX_OUT_NESTED_ENTRY_FAILED ||
				    x->key.outcome == NVMX_OUT_UNATTRIBUTED || !x->hist.count)
					continue;
				fprintf(f, "    %-24s %s %-20s %10" PRIu64,
					nvmx_outcome_name(x->key.outcome),
					nvmx_isa_name(x->key.isa),
					nvmx_reason_name(x->key.isa, x->key.reason, buf,
							 sizeof(buf)),
					(uint64_t)x->hist.count);
				print_mean(f, x);
			}
			for (size_t k = 0; k < NVMX_OUT_COUNT; k++) {
				vm.n[k] += cpu.n[k];
				vm.sum_ns[k] += cpu.sum_ns[k];
			}
		}
		print_tally(f, "  VM total: ", &vm);
		nvmxd_turtles_print(c, tgid, "  ", f);
		for (size_t k = 0; k < NVMX_OUT_COUNT; k++)
			all.n[k] += vm.n[k];
	}
	if (!c->n_exits)
		fprintf(f, "  no nested-virtualization events yet\n");
	else
		print_tally(f, "all VMs: ", &all);
	fprintf(f, "%s; %" PRIu64 " interrupted deliveries lost\n",
		nvmxd_turtles_unit_line(d->turtles), nvmxd_turtles_lost_events(d->turtles));
	if (nvmx_counters_lost(c))
		fprintf(f,
			"nvmxd: LOST %" PRIu64 " events: the kernel skipped %" PRIu64
			" runs of nvmx's programs, %" PRIu64 " counts were not made and %" PRIu64
			" nested-state calls may be missing; every count above may be short by "
			"that much\n",
			nvmx_counters_lost(c), c->skipped, nvmx_counters_update_failures(c),
			nvmx_counters_ns_missed(c));
	if (final)
		print_prog_stats(d, f);
	fflush(f);
}

/* ---- the HTTP server's view (src/serve.h) ---- */

static const char *http_vm_name(void *ctx, uint32_t tgid)
{
	return nvmxd_vm_name(ctx, tgid);
}

static int http_summary(void *ctx, const struct nvmx_counters *c, FILE *out)
{
	return nvmxd_write_summary(ctx, c, out);
}

static bool http_bpf_stats(void *ctx)
{
	const struct nvmxd *d = ctx;

	return d->stats_fd >= 0 || nvmxd_bpf_stats_enabled();
}

/* After attach: drop privileges and serve, if --listen. */
static int serve(struct nvmxd *d)
{
	struct nvmxd_http_source *src = &d->http_src;
	struct timespec now;
	struct utsname u;
	char msg[512];
	int err;

	if (!d->serve)
		return 0;
	for (size_t i = 0; i < nvmx_loader__prog_count(d->loader); i++) {
		const struct nvmx_loader_prog *lp = nvmx_loader__prog(d->loader, i);
		struct nvmxd_prog_status *p = &d->progs[i];

		snprintf(p->tracepoint, sizeof(p->tracepoint), "%s", lp->tracepoint);
		snprintf(p->program, sizeof(p->program), "%s", lp->name);
		p->attached = lp->attached;
		p->baseline = lp->baseline != NULL;
		p->fd = p->attached ? lp->fd : -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	*src = (struct nvmxd_http_source){
		.maps = nvmx_loader__maps(d->loader).counts,
		.progs = d->progs,
		.n_progs = nvmx_loader__prog_count(d->loader),
		.ctx = d,
		.vm_name = http_vm_name,
		.summary_json = http_summary,
		.bpf_stats = http_bpf_stats,
		.per_vcpu = d->o.metrics_per_vcpu,
		.start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9,
		.kver = uname(&u) ? 0 : nvmx_kver_parse(u.release),
	};
	nvmxd_ns_maps(d->ns, &src->maps);
	/*
	 * --json after the drop: a writer process keeps what replacing that one file needs
	 * (src/outfile.h), so the run's document is never lost to the dropped user's rights.
	 */
	if (d->o.json_path && nvmxd_serve_drops(d->serve)) {
		err = nvmxd_outfile_start_writer(&d->json, msg, sizeof(msg));
		if (err)
			return nvmxd_fail(err, "%s", msg);
	}
	err = nvmxd_serve_start(d->serve, src, msg, sizeof(msg));
	if (err)
		return nvmxd_fail(err, "%s", msg);
	elog("%s\n", msg);
	return 0;
}

/* ---- the run ---- */

/*
 * The vCPUs already running when the programs are attached: the kvm-vcpu file descriptors of
 * every process (of --pid's only). Their events start with a state the model does not know: an
 * exit open at attach is unattributed where an inject ends it, and not counted where only its
 * kvm_entry does (docs/model.md, open exits); nvmxd says so rather than let it pass silently.
 */
static void count_running_vcpus(struct nvmxd *d)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;

	if (!proc)
		return;
	while ((p = readdir(proc))) {
		char path[64], link[320], target[64];
		unsigned long pid;
		struct dirent *f;
		uint64_t n = 0;
		char *end;
		DIR *fds;

		pid = strtoul(p->d_name, &end, 10);
		if (*end || !pid || pid == (unsigned long)getpid() ||
		    (d->o.tgid && pid != d->o.tgid))
			continue;
		snprintf(path, sizeof(path), "/proc/%lu/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue; /* gone */
		while ((f = readdir(fds))) {
			ssize_t len;

			snprintf(link, sizeof(link), "%s/%s", path, f->d_name);
			len = readlink(link, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = '\0';
			/* KVM names a vCPU's fd anon_inode:kvm-vcpu:ID (kvm_vm_ioctl_create_vcpu) */
			if (!strncmp(target, "anon_inode:kvm-vcpu:", 20))
				n++;
		}
		closedir(fds);
		if (n) {
			d->vms_at_attach++;
			d->vcpus_at_attach += n;
		}
	}
	closedir(proc);
	if (d->vcpus_at_attach)
		elog("attached while %" PRIu64 " vCPUs of %" PRIu64
		     " VMs ran: an exit open at this moment is counted as unattributed where an "
		     "inject ends it, and not counted where only its entry does (its start was not "
		     "seen)\n",
		     d->vcpus_at_attach, d->vms_at_attach);
}

/* The loader's lines as nvmxd's own: always, details with -v. */
static void loader_log(void *ctx, enum nvmx_loader_log_level level, const char *line)
{
	if (level == NVMX_LOADER_LOG_DEBUG)
		vlog("%s\n", line);
	else
		elog("%s\n", line);
}

/* A step of the loader: its sentence becomes the run's error message. */
static int loader_result(struct nvmxd *d, int err)
{
	return err ? nvmxd_fail(err, "%s", nvmx_loader__error(d->loader)) : 0;
}

/* The BPF object for these options: the tracepoints probed, the programs chosen. */
static int probe(struct nvmxd *d)
{
	const struct nvmx_loader_opts lo = {
		.who = "nvmxd",
		.baseline = d->o.baseline,
		.classic_only = d->o.classic_only,
		.record = d->o.record_path != NULL,
		.ringbuf_mib = d->o.ringbuf_mib,
		.tgid = d->o.tgid,
		.cycles_cpus = nvmxd_turtles_cycles_cpus(d->turtles),
		.log = loader_log,
	};

	d->loader = nvmx_loader__new(&lo);
	if (!d->loader)
		return nvmxd_fail(-ENOMEM, "out of memory");
	return loader_result(d, nvmx_loader__probe(d->loader));
}

static int poll_once(struct nvmxd *d, int timeout_ms)
{
	int err;

	(void)nvmxd_turtles_poll(d->turtles); /* a failure to read it loses only log lines */
	if (!d->rb) {
		struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000 };

		(void)nanosleep(&ts, NULL); /* EINTR: a signal, seen by the caller */
		return 0;
	}
	/*
	 * The programs wake this poll only when a quarter of the ring buffer waits (a wakeup
	 * costs a vCPU an exit: bpf/nvmx.bpf.c, targ_wakeup_bytes); what a poll that timed out
	 * leaves is read here, at most timeout_ms late.
	 */
	err = ring_buffer__poll(d->rb, timeout_ms);
	if (err >= 0 || err == -EINTR)
		err = ring_buffer__consume(d->rb);
	if (d->record_err)
		return record_failed(d, d->record_err);
	if (err < 0 && err != -EINTR)
		return nvmxd_fail(err, "reading the ring buffer failed: %s", strerror(-err));
	err = write_lost(d);
	if (d->record_err)
		return record_failed(d, d->record_err);
	if (err)
		return nvmxd_fail(err, "reading the ring-buffer drops failed: %s", strerror(-err));
	return 0;
}

static int shutdown_run(struct nvmxd *d, bool print)
{
	int err;

	/* no scrape after this: the final counts are in --json */
	nvmxd_serve_free(d->serve);
	d->serve = NULL;
	/* no event may change the state map while the capture is ended */
	nvmx_loader__detach(d->loader);
	nvmxd_ns_detach(d->ns);
	(void)nvmxd_turtles_poll(d->turtles);
	if (d->rb && d->record) {
		err = ring_buffer__consume(d->rb);
		if (d->record_err)
			(void)record_failed(d, d->record_err);
		else if (err < 0)
			return nvmxd_fail(err, "reading the ring buffer failed: %s",
					  strerror(-err));
		else if (write_lost(d) && d->record_err)
			(void)record_failed(d, d->record_err);
	}
	if (d->record) {
		/* fclose flushes the rest: its errno is write(2)'s (ENOSPC) */
		err = fclose(d->record) ? -errno : 0;
		d->record = NULL;
		if (err)
			(void)nvmxd_fail_output(err,
						"writing %s failed: %s (the record stops there)",
						d->o.record_path, strerror(-err));
	}
	err = read_counts(d);
	if (err)
		return err;
	err = nvmxd_counts_end(&d->counts, nvmx_loader__maps(d->loader).counts.threads,
			       nvmx_loader__maps(d->loader).counts.slots, nvmx_mono_ns(),
			       &d->threads_ended);
	if (err)
		return nvmxd_fail(err, "ending the vCPU threads' state failed: %s", strerror(-err));
	if (print)
		print_summary(d, stdout, true);
	/* --json even when --record failed: it is the run's document, maybe on another disk */
	if (d->o.json_path) {
		err = nvmxd_write_json(d, true);
		if (err)
			return err;
	}
	return fail_status == 2 && fail_msg[0] ? -EIO : 0;
}

static int run(struct nvmxd *d)
{
	uint64_t interval_ns = (uint64_t)(d->o.interval_s * 1e9);
	uint64_t deadline = 0, next_print, next_checkpoint = UINT64_MAX;
	struct sigaction sa;
	bool printed = false;
	int err;

	d->ncpus = libbpf_num_possible_cpus();
	if (d->ncpus < 0)
		return nvmxd_fail(d->ncpus, "counting the possible CPUs failed");
	d->drops_seen = calloc((size_t)d->ncpus, sizeof(*d->drops_seen));
	if (!d->drops_seen)
		return nvmxd_fail(-ENOMEM, "out of memory");

	if (d->o.json_path) {
		char msg[512];

		/* its directory now, as root: unusable --json is said in milliseconds, not at exit */
		err = nvmxd_outfile_open(&d->json, d->o.json_path, msg, sizeof(msg));
		if (err)
			return nvmxd_fail_output(err, "--json %s", msg);
	}
	if (d->o.bpf_stats) {
		d->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (d->stats_fd < 0)
			return nvmxd_fail(-errno, "turning on BPF run-time statistics failed: %s",
					  strerror(errno));
	}
	if (d->o.serve.listen) {
		char msg[512];

		err = nvmxd_serve_prepare(&d->serve, &d->o.serve, msg, sizeof(msg));
		/* --listen, --user or --web-config unusable: exit 2 (a taken port is not that) */
		if (err && err != -EADDRINUSE && err != -ENOMEM)
			fail_status = 2;
		if (err)
			return nvmxd_fail(err, "%s", msg);
		if (nvmxd_serve_warning(d->serve, msg, sizeof(msg)))
			elog("warning: %s\n", msg);
	}
	/* the cycles probe first: its result sizes a map of the object */
	err = nvmxd_turtles_new(stderr, turtles_vm_name, d, &d->turtles);
	if (err)
		return nvmxd_fail(err, "out of memory");
	err = probe(d);
	if (err)
		return err;
	vlog("%s\n", nvmxd_turtles_unit_line(d->turtles));
	err = loader_result(d, nvmx_loader__load(d->loader));
	if (err)
		return err;
	err = nvmxd_turtles_start(d->turtles, nvmx_loader__maps(d->loader).anomalies,
				  nvmx_loader__maps(d->loader).cycles);
	if (err)
		return nvmxd_fail(err, "reading lost events or the cycle counters failed: %s",
				  strerror(-err));
	if (d->o.record_path) {
		/*
		 * As root, never through a symbolic link planted at the path (O_NOFOLLOW), and
		 * never on a path the user cannot have meant: either is an unusable --record.
		 */
		int fd = open(d->o.record_path,
			      O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

		d->record = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!d->record) {
			err = -errno;
			if (fd >= 0)
				close(fd);
			return nvmxd_fail_output(
				err, "--record %s: cannot create it: %s", d->o.record_path,
				err == -ELOOP ? "it is a symbolic link (refused as root)"
					      : strerror(-err));
		}
		err = nvmx_record_write_header(d->record, "nvmxd --record");
		if (err)
			return nvmxd_fail_output(err, "writing %s failed: %s", d->o.record_path,
						 strerror(-err));
		d->drops_len =
			((size_t)d->ncpus * sizeof(__u64) + (size_t)sysconf(_SC_PAGESIZE) - 1) &
			~((size_t)sysconf(_SC_PAGESIZE) - 1);
		d->drops = mmap(NULL, d->drops_len, PROT_READ, MAP_SHARED,
				nvmx_loader__maps(d->loader).drops, 0);
		if (d->drops == MAP_FAILED) {
			d->drops = NULL;
			return nvmxd_fail(-errno,
					  "mapping the ring-buffer drop counters failed: %s",
					  strerror(errno));
		}
		d->rb = ring_buffer__new(nvmx_loader__maps(d->loader).events, on_record, d, NULL);
		if (!d->rb)
			return nvmxd_fail(-errno, "opening the ring buffer failed: %s",
					  strerror(errno));
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends the poll at once */
	/*
	 * Every signal that would end the process by default ends the run instead, so the final
	 * table and --json are written (issue 16: SIGHUP, USR1, USR2 and ALRM lost the run's
	 * document). A reader gone from a pipe (SIGPIPE) no longer kills nvmxd before it
	 * writes --json: only the write to that pipe fails.
	 */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	err = loader_result(d, nvmx_loader__attach(d->loader));
	if (err)
		return err;
	count_running_vcpus(d);
	/* not fatal: only these counts are lost without the syscall tracepoints */
	d->ns = nvmxd_ns_start(nvmx_loader__tracefs(d->loader, NULL), d->o.tgid, d->o.classic_only,
			       d->ns_missing, sizeof(d->ns_missing));
	if (d->ns)
		elog("counting KVM_GET/SET_NESTED_STATE: attached %s\n", nvmxd_ns_programs(d->ns));
	else
		elog("missing KVM_GET/SET_NESTED_STATE counts: %s\n", d->ns_missing);
	d->start_ns = nvmx_mono_ns();
	if (d->o.ready_path) {
		int fd = open(d->o.ready_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			return nvmxd_fail_output(-errno, "--ready %s: cannot create it: %s",
						 d->o.ready_path, strerror(errno));
		close(fd);
	}
	err = serve(d);
	if (err)
		return err;
	if (d->o.duration_s > 0)
		deadline = d->start_ns + (uint64_t)(d->o.duration_s * 1e9);
	next_print = d->start_ns + interval_ns;
	if (d->o.checkpoint_s > 0)
		next_checkpoint = d->start_ns + (uint64_t)(d->o.checkpoint_s * 1e9);

	while (!stopping && !d->stop_now) {
		uint64_t now = nvmx_mono_ns(), until = next_print;

		if (deadline && now >= deadline)
			break;
		if (now >= next_checkpoint) {
			/* --checkpoint: a kill loses at most this interval of the document */
			err = read_counts(d);
			if (err)
				return err;
			if (nvmxd_write_json(d, false))
				break; /* an output that cannot be written: exit 2 after the rest */
			next_checkpoint += (uint64_t)(d->o.checkpoint_s * 1e9);
			if (next_checkpoint <= now)
				next_checkpoint = now + (uint64_t)(d->o.checkpoint_s * 1e9);
			continue;
		}
		if (next_checkpoint < until)
			until = next_checkpoint;
		if (now >= next_print) {
			err = read_counts(d);
			if (err)
				return err;
			print_summary(d, stdout, false);
			printed = true;
			if (d->o.once)
				break;
			next_print += interval_ns;
			continue;
		}
		if (deadline && deadline < until)
			until = deadline;
		/* short polls keep SIGINT, drops and the record file prompt */
		err = poll_once(
			d,
			(int)((until - now) / 1000000 > 200 ? 200 : (until - now) / 1000000 + 1));
		if (err)
			return err;
	}
	if (stopping)
		vlog("%s: stopping\n", strsignal(stopping));
	if (stopping && !d->stop_now && d->o.linger_s > 0) {
		deadline = nvmx_mono_ns() + (uint64_t)(d->o.linger_s * 1e9);
		elog("%s: serving %.1f s more (--linger)\n", strsignal(stopping), d->o.linger_s);
		while (nvmx_mono_ns() < deadline && !d->stop_now) {
			err = poll_once(d, 200);
			if (err)
				return err;
		}
	}
	return shutdown_run(d, !(d->o.once && printed));
}

static void nvmxd_free(struct nvmxd *d)
{
	if (!d)
		return;
	nvmxd_serve_free(d->serve);
	d->serve = NULL;
	nvmx_loader__detach(d->loader);
	ring_buffer__free(d->rb);
	nvmxd_turtles_free(d->turtles);
	if (d->record)
		fclose(d->record);
	/* maps, programs and links go with the loader */
	nvmx_loader__destroy(d->loader);
	nvmxd_ns_destroy(d->ns);
	nvmx_counters_free(&d->counts);
	for (size_t i = 0; i < d->n_names; i++)
		free(d->names[i]);
	free(d->names);
	pthread_mutex_destroy(&d->names_lock);
	if (d->drops)
		munmap((void *)d->drops, d->drops_len);
	free(d->drops_seen);
	nvmxd_outfile_close(&d->json);
	if (d->stats_fd >= 0)
		close(d->stats_fd);
}

int main(int argc, char **argv)
{
	struct nvmxd d;
	int err;

	memset(&d, 0, sizeof(d));
	d.stats_fd = -1;
	d.json.dirfd = -1;
	d.json.writer_fd = -1;
	pthread_mutex_init(&d.names_lock, NULL);
	err = nvmxd_parse_args(argc, argv, &d.o);
	if (err > 0)
		return 0;
	if (err < 0) {
		/* bad usage: one line, where to look, 2 */
		nvmxd_free(&d);
		return nvmx_usage_error("nvmxd", "%s", fail_msg);
	}
	verbose = d.o.verbose;
	if (!err) {
		libbpf_set_print(libbpf_print);
		err = run(&d);
	}
	nvmxd_free(&d);
	if (err) {
		elog("%s\n", fail_msg[0] ? fail_msg : strerror(-err));
		return fail_status;
	}
	return 0;
}
