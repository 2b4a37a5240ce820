// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd: attributes every nested (L2) exit of every VM on this host to L0 or L1, live, with BPF
 * programs on the KVM tracepoints (bpf/nvmx.bpf.c) running the attribution model of
 * include/nvmx/model.h. Prints a summary per VM and vCPU, writes the same JSON as `nvmx replay`
 * (plus "vms" and "nvmxd" keys), and can record every event as a tracefs-format capture.
 *
 * Lifecycle (libbpf-bootstrap): probe → open → set rodata → load → attach → poll → one cleanup.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/types.h>

#include "nvmx/bitmap_rules.h"
#include "nvmx/events.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/model.h"
#include "nvmx/record.h"
#include "nvmx/summary.h"
#include "collect.h"
#include "probe.h"
#include "turtles.h"
#include "serve.h"
#include "nvmx.skel.h"
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

__attribute__((format(printf, 2, 3))) static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -EINVAL;
}

/* ---- options ---- */

struct opts {
	double interval_s;
	double duration_s; /* 0: until SIGINT/SIGTERM */
	bool once;
	bool baseline;
	bool bpf_stats;
	const char *json_path;
	const char *record_path;
	const char *ready_path;
	__u32 tgid;
	__u32 ringbuf_mib;
	struct nvmxd_serve_opts serve; /* serve.listen NULL: no HTTP server */
	bool metrics_per_vcpu;
	double linger_s;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmxd [OPTIONS]\n"
		"\n"
		"Who handles each nested-virtualization exit on this host, live: for every L2 "
		"exit,\n"
		"was it handled by L0 (this kernel's KVM) or reflected to L1 (the guest "
		"hypervisor)?\n"
		"BPF programs on the KVM tracepoints (kvm_exit, kvm_nested_vmexit,\n"
		"kvm_nested_vmexit_inject, kvm_nested_vmenter, kvm_nested_vmenter_failed,\n"
		"kvm_nested_intr_vmexit, kvm_entry, kvm_userspace_exit, kvm_msr) run the same\n"
		"attribution model as `nvmx replay` and count per VM (the VMM process) and per "
		"vCPU\n"
		"thread. Needs root (CAP_BPF + CAP_PERFMON) and a kernel with BTF.\n"
		"\n"
		"Options:\n"
		"  --interval SECONDS  print a summary every SECONDS (default 10)\n"
		"  --once              print one summary after one interval, then exit\n"
		"  --duration SECONDS  stop after SECONDS (default: at SIGINT or SIGTERM)\n"
		"  --json FILE         at exit, write the totals as JSON: the keys of `nvmx "
		"replay\n"
		"                      --json` (schema 1), plus \"vms\" (per VM and per vCPU "
		"counts and\n"
		"                      latency histograms) and \"nvmxd\" (self-metrics)\n"
		"  --record FILE       write every event, as the tracefs trace file prints it (ns\n"
		"                      timestamps), to FILE; `nvmx replay FILE --json` then gives "
		"the\n"
		"                      same counts as --json, unless events were dropped (then "
		"FILE\n"
		"                      has [LOST n EVENTS] lines and the replay forgets state "
		"there)\n"
		"  --ringbuf-mib N     ring buffer size for --record (power of two, default 16)\n"
		"  --pid PID           count only the VMM process PID\n"
		"  --ready FILE        create FILE once the programs are attached (for scripts)\n"
		"  --baseline          also attach an empty and a single-counter program to\n"
		"                      kvm_exit, so their run time (--bpf-stats) shows the cost\n"
		"                      of any BPF program, and of the simplest, next to nvmx's\n"
		"  --listen ADDR:PORT  serve Prometheus metrics (/metrics) and the JSON API\n"
		"                      (/api/v1/summary, /api/v1/status) on ADDR:PORT, e.g.\n"
		"                      127.0.0.1:9477 (the port nvmx uses by convention); then,\n"
		"                      once attached, run as --user with no capabilities\n"
		"  --web-config FILE   TLS and basic auth, in the Prometheus exporters'\n"
		"                      web-config.yml format (see nvmxd(8))\n"
		"  --user USER         with --listen: drop to USER, UID or UID:GID (default\n"
		"                      nobody; root keeps root). --json then writes as USER\n"
		"  --metrics-per-vcpu  a vcpu_thread label on the exit metrics\n"
		"  --linger SECONDS    with --listen: after SIGINT/SIGTERM, keep counting and\n"
		"                      serving SECONDS longer, so a last scrape sees the end\n"
		"  --bpf-stats         turn on the kernel's BPF run-time statistics while\n"
		"                      nvmxd runs (BPF_ENABLE_STATS, like the sysctl\n"
		"                      kernel.bpf_stats_enabled=1): run_cnt and run_time_ns\n"
		"                      per program go to the JSON and the final summary\n"
		"  -v, --verbose       say more, including libbpf's debug output\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status 0 after SIGINT/SIGTERM or --duration/--once; 1 on errors.\n"
		"Examples:\n"
		"  nvmxd --interval 5                      watch every VM, a summary every 5 s\n"
		"  nvmxd --duration 60 --json out.json     one minute, then the totals as JSON\n"
		"  nvmxd --record ev.txt --json live.json  then: nvmx replay ev.txt --json\n");
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v <= 0 || v > 1e9)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u32(const char *s, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}

/* 0: run; 1: --help given; negative: bad usage (fail_msg set). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	enum {
		O_INTERVAL = 256,
		O_ONCE,
		O_DURATION,
		O_JSON,
		O_RECORD,
		O_PID,
		O_READY,
		O_BASELINE,
		O_RINGBUF,
		O_BPF_STATS,
		O_LISTEN,
		O_WEB_CONFIG,
		O_USER,
		O_PER_VCPU,
		O_LINGER,
	};
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "once", no_argument, NULL, O_ONCE },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "json", required_argument, NULL, O_JSON },
		{ "record", required_argument, NULL, O_RECORD },
		{ "ringbuf-mib", required_argument, NULL, O_RINGBUF },
		{ "pid", required_argument, NULL, O_PID },
		{ "ready", required_argument, NULL, O_READY },
		{ "baseline", no_argument, NULL, O_BASELINE },
		{ "bpf-stats", no_argument, NULL, O_BPF_STATS },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "web-config", required_argument, NULL, O_WEB_CONFIG },
		{ "user", required_argument, NULL, O_USER },
		{ "metrics-per-vcpu", no_argument, NULL, O_PER_VCPU },
		{ "linger", required_argument, NULL, O_LINGER },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->interval_s = 10;
	o->ringbuf_mib = 16;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case O_INTERVAL:
			if (parse_seconds(optarg, &o->interval_s))
				return fail(-EINVAL, "--interval %s: expected seconds > 0", optarg);
			break;
		case O_DURATION:
			if (parse_seconds(optarg, &o->duration_s))
				return fail(-EINVAL, "--duration %s: expected seconds > 0", optarg);
			break;
		case O_ONCE:
			o->once = true;
			break;
		case O_JSON:
			o->json_path = optarg;
			break;
		case O_RECORD:
			o->record_path = optarg;
			break;
		case O_RINGBUF:
			if (parse_u32(optarg, &o->ringbuf_mib) || o->ringbuf_mib > 1024 ||
			    (o->ringbuf_mib & (o->ringbuf_mib - 1)))
				return fail(-EINVAL,
					    "--ringbuf-mib %s: expected a power of two <= 1024",
					    optarg);
			break;
		case O_PID:
			if (parse_u32(optarg, &o->tgid))
				return fail(-EINVAL, "--pid %s: expected a process id", optarg);
			break;
		case O_READY:
			o->ready_path = optarg;
			break;
		case O_BASELINE:
			o->baseline = true;
			break;
		case O_BPF_STATS:
			o->bpf_stats = true;
			break;
		case O_LISTEN:
			o->serve.listen = optarg;
			break;
		case O_WEB_CONFIG:
			o->serve.web_config = optarg;
			break;
		case O_USER:
			o->serve.user = optarg;
			break;
		case O_PER_VCPU:
			o->metrics_per_vcpu = true;
			break;
		case O_LINGER:
			if (parse_seconds(optarg, &o->linger_s))
				return fail(-EINVAL, "--linger %s: expected seconds > 0", optarg);
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return fail(-EINVAL, "bad usage; see nvmxd --help");
		}
	}
	if (optind < argc)
		return fail(-EINVAL, "unexpected argument '%s'; see nvmxd --help", argv[optind]);
	if (!o->serve.listen &&
	    (o->serve.web_config || o->serve.user || o->metrics_per_vcpu || o->linger_s > 0))
		return fail(-EINVAL,
			    "--web-config, --user, --metrics-per-vcpu and --linger need --listen");
	return 0;
}

/* ---- the daemon's state ---- */

/* The tracepoint programs of setup_table(), the --baseline one included. */
#define NVMXD_MAX_TPS 24

/*
 * How a program attaches. A tp_btf program reads the tracepoint's arguments, not its record, so
 * the kernel builds no record for it: nvmxd prefers one where it exists (TP_BTF_FIRST), with the
 * classic program of the same event as its fallback (TP_FALLBACK, the next entry); TP_BTF has no
 * fallback (what it adds is lost without it, and nvmxd says so).
 */
enum tp_kind { TP_CLASSIC, TP_BTF, TP_BTF_FIRST, TP_FALLBACK };

/* One tracepoint: its probe result, program and link. */
struct tp_prog {
	struct nvmxd_tp tp;
	struct bpf_program *prog;
	struct bpf_link *link;
	bool baseline; /* a --baseline program (empty or single counter) */
	enum tp_kind kind;
};

struct vm_name {
	__u32 tgid;
	char name[64];
};

struct nvmxd {
	struct opts o;
	struct nvmx_bpf *skel;
	struct tp_prog tps[NVMXD_MAX_TPS];
	size_t n_tps;
	bool no_tp_btf; /* a tp_btf program failed to load: loaded again with classic ones only */
	char tracefs[128];
	bool tracefs_mounted;
	const char *btf_where;
	struct nvmxd_counts counts;
	struct ring_buffer *rb;
	FILE *record;
	uint64_t recorded, lost_written;
	__u64 *drops_seen; /* per CPU: ring-buffer drops already written as LOST lines */
	int ncpus;
	struct nvmxd_turtles *turtles; /* lost events, cycles probe, breakdown table */
	struct vm_name **names;	       /* each allocated once: the HTTP thread keeps the pointers */
	size_t n_names;
	pthread_mutex_t names_lock;
	struct nvmxd_serve *serve;
	struct nvmxd_prog_status progs[NVMXD_MAX_TPS];
	struct nvmxd_http_source http_src;
	size_t threads_ended;
	uint64_t start_ns;
	int stats_fd; /* BPF_ENABLE_STATS: statistics on while it is open; -1 */
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = sig;
}


/* ---- VM names: QEMU's -name guest=X, else the program name ---- */

static void read_vm_name(__u32 tgid, char *out, size_t len)
{
	char path[64], buf[4096];
	const char *args[64];
	size_t n = 0, nargs = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/cmdline", tgid);
	f = fopen(path, "re");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	if (!n) {
		snprintf(out, len, "(exited before it was named)");
		return;
	}
	buf[n] = '\0';
	for (size_t i = 0; i < n && nargs < 64; i += strlen(buf + i) + 1)
		args[nargs++] = buf + i;
	for (size_t i = 0; i + 1 < nargs; i++) {
		const char *v = args[i + 1];

		if (strcmp(args[i], "-name") && strcmp(args[i], "--name"))
			continue;
		/* QEMU: -name [guest=]NAME[,debug-threads=on|off][,process=...] */
		if (!strncmp(v, "guest=", 6))
			v += 6;
		snprintf(out, len, "%.*s", (int)strcspn(v, ","), v);
		return;
	}
	{
		const char *slash = strrchr(args[0], '/');

		snprintf(out, len, "%s", slash ? slash + 1 : args[0]);
	}
}

static const char *vm_name(struct nvmxd *d, __u32 tgid)
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
			read_vm_name(tgid, p->name, sizeof(p->name));
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
		(void)vm_name(d, d->counts.exits[i].key.tgid);
}

/*
 * Names the VMs of the threads seen so far: a walk of the (small) state map, cheaper than
 * reading the counters, done every 250 ms so a VM that exits before the next summary keeps its
 * name.
 */
static void name_new_vms(struct nvmxd *d)
{
	int fd = bpf_map__fd(d->skel->maps.nvmx_threads);
	struct nvmx_thread t;
	__u32 key, next;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (!bpf_map_lookup_elem(fd, &key, &t))
			(void)vm_name(d, t.tgid);
	}
}

static const char *turtles_vm_name(void *ctx, uint32_t tgid)
{
	return vm_name(ctx, tgid);
}

/* ---- probing, loading, attaching ---- */

static void setup_table(struct nvmxd *d)
{
	struct nvmx_bpf *s = d->skel;
	const struct {
		const char *event, *btf_type;
		struct bpf_program *prog;
		bool baseline;
		enum tp_kind kind;
		const char *args; /* tp_btf reading arguments by position: their sizes */
	} t[] = {
		{ "kvm_exit", "trace_event_raw_kvm_exit", s->progs.nvmx_kvm_exit, false, TP_CLASSIC,
		  NULL },
		{ "kvm_nested_vmexit", "trace_event_raw_kvm_nested_vmexit",
		  s->progs.nvmx_kvm_nested_vmexit, false, TP_CLASSIC, NULL },
		/* tp_btf: L2's RCX, the index of a reflected RDMSR/WRMSR (needs struct kvm_vcpu) */
		{ "kvm_nested_vmexit", "kvm_vcpu", s->progs.nvmx_kvm_nested_vmexit_rcx, false,
		  TP_BTF, NULL },
		{ "kvm_nested_vmexit_inject", NULL, s->progs.nvmx_kvm_nested_vmexit_inject_btf,
		  false, TP_BTF_FIRST, "4,8,8,4,4,4" },
		{ "kvm_nested_vmexit_inject", "trace_event_raw_kvm_nested_vmexit_inject",
		  s->progs.nvmx_kvm_nested_vmexit_inject, false, TP_FALLBACK, NULL },
		{ "kvm_nested_vmenter", NULL, s->progs.nvmx_kvm_nested_vmenter_btf, false,
		  TP_BTF_FIRST, NULL },
		{ "kvm_nested_vmenter", "trace_event_raw_kvm_nested_vmenter",
		  s->progs.nvmx_kvm_nested_vmenter, false, TP_FALLBACK, NULL },
		{ "kvm_nested_vmenter_failed", NULL, s->progs.nvmx_kvm_nested_vmenter_failed, false,
		  TP_CLASSIC, NULL },
		{ "kvm_nested_intr_vmexit", NULL, s->progs.nvmx_kvm_nested_intr_vmexit, false,
		  TP_CLASSIC, NULL },
		{ "kvm_entry", "kvm_vcpu", s->progs.nvmx_kvm_entry_btf, false, TP_BTF_FIRST, NULL },
		{ "kvm_entry", "trace_event_raw_kvm_entry", s->progs.nvmx_kvm_entry, false,
		  TP_FALLBACK, NULL },
		{ "kvm_userspace_exit", "trace_event_raw_kvm_userspace_exit",
		  s->progs.nvmx_kvm_userspace_exit, false, TP_CLASSIC, NULL },
		{ "kvm_msr", "trace_event_raw_kvm_msr", s->progs.nvmx_kvm_msr, false, TP_CLASSIC,
		  NULL },
		{ "kvm_inj_virq", "trace_event_raw_kvm_inj_virq", s->progs.nvmx_kvm_inj_virq, false,
		  TP_CLASSIC, NULL },
		{ "kvm_inj_exception", "trace_event_raw_kvm_inj_exception",
		  s->progs.nvmx_kvm_inj_exception, false, TP_CLASSIC, NULL },
		{ "kvm_exit", NULL, s->progs.nvmx_baseline_kvm_exit, true, TP_CLASSIC, NULL },
		{ "kvm_exit", NULL, s->progs.nvmx_baseline_counter_kvm_exit, true, TP_CLASSIC,
		  NULL },
	};

	_Static_assert(sizeof(t) / sizeof(t[0]) <= NVMXD_MAX_TPS, "NVMXD_MAX_TPS is too small");
	d->n_tps = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tp_prog *p = &d->tps[d->n_tps];

		if (t[i].baseline && !d->o.baseline)
			continue;
		memset(p, 0, sizeof(*p));
		p->tp.event = t[i].event;
		p->tp.btf_type = t[i].btf_type;
		p->prog = t[i].prog;
		p->baseline = t[i].baseline;
		p->kind = t[i].kind;
		p->tp.args = t[i].args;
		d->n_tps++;
	}
}

/*
 * After the probe: each event keeps one program. A TP_BTF_FIRST program the kernel can take
 * (and no tp_btf load failed) replaces its TP_FALLBACK; otherwise the fallback stays. TP_BTF
 * programs stay listed, missing with the reason, after a tp_btf load failure.
 */
static void choose_programs(struct nvmxd *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_tps; i++) {
		struct tp_prog *p = &d->tps[i];
		bool keep = true;

		if (p->kind == TP_BTF && d->no_tp_btf && p->tp.present) {
			p->tp.present = false;
			snprintf(
				p->tp.missing, sizeof(p->tp.missing),
				"a tp_btf program failed to load on this kernel (-v shows libbpf's "
				"log)");
		}
		if (p->kind == TP_BTF_FIRST) {
			keep = p->tp.present && !d->no_tp_btf;
			if (!keep && !d->no_tp_btf)
				vlog("%s: the classic program, not tp_btf: %s\n", p->tp.event,
				     p->tp.missing);
		} else if (p->kind == TP_FALLBACK)
			keep = !(i > 0 && d->tps[i - 1].kind == TP_BTF_FIRST &&
				 d->tps[i - 1].tp.present && !d->no_tp_btf);
		if (keep)
			d->tps[n++] = *p;
	}
	d->n_tps = n;
}

static int probe_and_open(struct nvmxd *d)
{
	struct nvmxd_tp tps[NVMXD_MAX_TPS];
	int err;

	err = nvmxd_tracefs(d->tracefs, sizeof(d->tracefs), &d->tracefs_mounted);
	if (err == -EACCES)
		return fail(err,
			    "cannot read %s/events: nvmxd needs root (or CAP_BPF, CAP_PERFMON and "
			    "read access to tracefs)",
			    d->tracefs);
	if (err)
		return fail(err, "no tracefs, and mounting it at /sys/kernel/tracing failed: %s",
			    strerror(-err));
	if (d->tracefs_mounted)
		elog("tracefs was not mounted: mounted it at %s\n", d->tracefs);
	if (!nvmxd_kvm_events_exist(d->tracefs))
		return fail(-ENOENT,
			    "no KVM tracepoints in this kernel (%s/events/kvm is missing): is "
			    "KVM built in or its module (kvm.ko) loaded?",
			    d->tracefs);

	d->skel = nvmx_bpf__open();
	if (!d->skel)
		return fail(-errno, "opening the BPF object failed: %s", strerror(errno));
	setup_table(d);
	for (size_t i = 0; i < d->n_tps; i++)
		tps[i] = d->tps[i].tp;
	err = nvmxd_probe_tracepoints(d->tracefs, tps, d->n_tps, &d->btf_where);
	if (err)
		return fail(err, "probing the kernel failed: %s", strerror(-err));
	vlog("CO-RE types from: %s\n", d->btf_where);
	for (size_t i = 0; i < d->n_tps; i++)
		d->tps[i].tp = tps[i];
	choose_programs(d);
	return 0;
}

static int load(struct nvmxd *d)
{
	struct nvmx_bpf *s = d->skel;
	size_t present = 0;
	int err;

	s->rodata->targ_record = d->o.record_path ? 1 : 0;
	s->rodata->targ_tgid = d->o.tgid;
	if (nvmxd_turtles_cycles_cpus(d->turtles)) {
		s->rodata->targ_cycles = 1;
		err = bpf_map__set_max_entries(s->maps.nvmx_cycles,
					       nvmxd_turtles_cycles_cpus(d->turtles));
		if (err)
			return fail(err, "sizing the cycle counter map failed: %s", strerror(-err));
	}
	/* not recording: the smallest ring buffer the kernel takes (one page) */
	err = bpf_map__set_max_entries(s->maps.nvmx_events, d->o.record_path
								    ? d->o.ringbuf_mib << 20
								    : (__u32)sysconf(_SC_PAGESIZE));
	if (err)
		return fail(err, "sizing the ring buffer failed: %s", strerror(-err));
	/* only the chosen programs: not the test entry points, baselines or unchosen alternatives */
	nvmxd_autoload_none(s->obj);
	for (size_t i = 0; i < d->n_tps; i++) {
		struct tp_prog *p = &d->tps[i];

		bpf_program__set_autoload(p->prog, p->tp.present);
		present += p->tp.present;
	}
	if (!present)
		return fail(-ENOENT, "none of nvmx's KVM tracepoints can be used on this kernel");
	err = nvmx_bpf__load(s);
	if (err && !d->no_tp_btf) {
		bool btf = false;

		for (size_t i = 0; i < d->n_tps; i++)
			btf |= d->tps[i].tp.present && d->tps[i].kind != TP_CLASSIC &&
			       d->tps[i].kind != TP_FALLBACK;
		if (btf) {
			/*
			 * A kernel whose verifier or BTF refuses a tp_btf program still gets every
			 * count from the classic programs; only the reflected MSR indexes (L2's
			 * RCX) are then unknown, and nvmxd says so. A failed load cannot be retried
			 * on the same object: open it again.
			 */
			elog("loading the tp_btf programs failed (%s): going on with classic "
			     "tracepoints only; reflected RDMSR/WRMSR exits will have msr "
			     "\"unknown\" (-v shows libbpf's log)\n",
			     strerror(-err));
			d->no_tp_btf = true;
			nvmx_bpf__destroy(d->skel);
			d->skel = NULL;
			err = probe_and_open(d);
			return err ? err : load(d);
		}
	}
	if (err)
		return fail(err,
			    "loading the BPF programs failed: %s (run with -v for libbpf's log)",
			    strerror(-err));
	return 0;
}

static int attach(struct nvmxd *d)
{
	size_t attached = 0;

	for (size_t i = 0; i < d->n_tps; i++) {
		struct tp_prog *p = &d->tps[i];
		const char *what = !p->baseline ? ""
				   : p->prog == d->skel->progs.nvmx_baseline_kvm_exit
					   ? " (baseline: empty program)"
					   : " (baseline: single-counter program)";

		if (!p->tp.present) {
			elog("missing %s%s: %s\n", p->tp.event, what, p->tp.missing);
			continue;
		}
		/* one perf event with pid -1: the tracepoint fires the program on every CPU */
		p->link = bpf_program__attach(p->prog);
		if (!p->link) {
			int err = -errno;

			p->tp.present = false;
			snprintf(p->tp.missing, sizeof(p->tp.missing), "attach failed: %s",
				 strerror(-err));
			elog("missing %s%s: %s\n", p->tp.event, what, p->tp.missing);
			continue;
		}
		elog("attached %s (%s)%s\n", p->tp.event,
		     bpf_program__type(p->prog) == BPF_PROG_TYPE_TRACING ? "tp_btf" : "tracepoint",
		     what);
		attached += !p->baseline;
	}
	if (!attached)
		return fail(-ENOENT, "no nvmx program could be attached");
	return 0;
}

static void detach(struct nvmxd *d)
{
	for (size_t i = 0; i < d->n_tps; i++) {
		bpf_link__destroy(d->tps[i].link);
		d->tps[i].link = NULL;
	}
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
	n = nvmx_record_format(&r->ev, comm, r->cpu, line, sizeof(line));
	if (n < 0 || (size_t)n >= sizeof(line))
		return 0; /* not a tracepoint kind: cannot come from the BPF side */
	if (fputs(line, d->record) == EOF || fputc('\n', d->record) == EOF)
		return -EIO;
	d->recorded++;
	return 0;
}

/* Ring-buffer drops since the last call become one "[LOST n EVENTS]" line per CPU. */
static int write_lost(struct nvmxd *d)
{
	__u32 slot = NVMX_SELF_RINGBUF_DROPPED;
	__u64 *vals;
	int err = 0;

	if (!d->record)
		return 0;
	vals = calloc((size_t)d->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.nvmx_self), &slot, vals)) {
		err = -errno;
		goto out;
	}
	for (int cpu = 0; cpu < d->ncpus; cpu++) {
		char line[64];

		if (vals[cpu] <= d->drops_seen[cpu])
			continue;
		nvmx_record_format_lost((uint32_t)cpu, vals[cpu] - d->drops_seen[cpu], line,
					sizeof(line));
		if (fprintf(d->record, "%s\n", line) < 0) {
			err = -EIO;
			goto out;
		}
		d->lost_written += vals[cpu] - d->drops_seen[cpu];
		d->drops_seen[cpu] = vals[cpu];
	}
out:
	free(vals);
	return err;
}

/* ---- reading and reporting ---- */

static int read_counts(struct nvmxd *d)
{
	struct nvmxd_maps m = NVMXD_MAPS_OF(d->skel);
	int err = nvmxd_counts_read(&d->counts, &m);

	if (err)
		return fail(err, "reading the BPF maps failed: %s", strerror(-err));
	name_vms(d);
	return 0;
}

static size_t programs_attached(const struct nvmxd *d, size_t *missing)
{
	size_t n = 0;

	*missing = 0;
	for (size_t i = 0; i < d->n_tps; i++) {
		if (d->tps[i].baseline)
			continue;
		if (d->tps[i].tp.present)
			n++;
		else
			(*missing)++;
	}
	return n;
}

struct tally {
	uint64_t n[NVMX_OUT_COUNT];
	uint64_t sum_ns[NVMX_OUT_COUNT];
};

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

static bool bpf_stats_enabled(void);

/* Per-program cost, when the kernel counts it (--bpf-stats or kernel.bpf_stats_enabled=1). */
static void print_prog_stats(const struct nvmxd *d, FILE *f)
{
	if (d->stats_fd < 0 && !bpf_stats_enabled())
		return;
	for (size_t i = 0; i < d->n_tps; i++) {
		const struct tp_prog *p = &d->tps[i];
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (!p->tp.present || bpf_obj_get_info_by_fd(bpf_program__fd(p->prog), &info, &len))
			continue;
		fprintf(f, "  program %-30s %12llu runs, %8.0f ns/run%s\n",
			bpf_program__name(p->prog), (unsigned long long)info.run_cnt,
			info.run_cnt ? (double)info.run_time_ns / (double)info.run_cnt : 0.0,
			!p->baseline ? ""
			: p->prog == d->skel->progs.nvmx_baseline_kvm_exit
				? " (baseline: empty program)"
				: " (baseline: single-counter program)");
	}
}

static void print_summary(struct nvmxd *d, FILE *f, bool final)
{
	const struct nvmxd_counts *c = &d->counts;
	size_t missing, attached = programs_attached(d, &missing);
	struct tally all = { 0 };

	fprintf(f,
		"nvmxd: %s%.1f s: %" PRIu64 " events, %zu/%zu programs attached, %" PRIu64
		" map update failures, %" PRIu64 " ring-buffer drops\n",
		final ? "final, " : "", (double)(nvmx_mono_ns() - d->start_ns) / 1e9,
		c->self[NVMX_SELF_EVENTS], attached, attached + missing,
		nvmxd_counts_update_failures(c), c->self[NVMX_SELF_RINGBUF_DROPPED]);
	for (size_t i = 0; i < c->n_exits;) {
		__u32 tgid = c->exits[i].key.tgid;
		struct tally vm = { 0 };

		fprintf(f, "VM %s (pid %" PRIu32 ")\n", vm_name(d, tgid), tgid);
		while (i < c->n_exits && c->exits[i].key.tgid == tgid) {
			__u32 tid = c->exits[i].key.tid;
			struct tally cpu = { 0 };
			size_t first = i;

			for (; i < c->n_exits && c->exits[i].key.tgid == tgid &&
			       c->exits[i].key.tid == tid;
			     i++) {
				const struct nvmxd_exit *x = &c->exits[i];

				if (x->key.outcome >= NVMX_OUT_COUNT)
					continue;
				cpu.n[x->key.outcome] += x->hist.count;
				cpu.sum_ns[x->key.outcome] += x->hist.sum_ns;
			}
			fprintf(f, "  vCPU thread %" PRIu32 ": ", tid);
			print_tally(f, "", &cpu);
			for (size_t j = first; j < i; j++) {
				const struct nvmxd_exit *x = &c->exits[j];
				char buf[32];

				if (x->key.outcome == NVMX_OUT_NESTED_ENTRY ||
				    x->key.outcome == NVMX_OUT_NESTED_ENTRY_FAILED ||
				    x->key.outcome == NVMX_OUT_UNATTRIBUTED || !x->hist.count)
					continue;
				fprintf(f, "    %-24s %s %-20s %10" PRIu64 "  mean %.1f us\n",
					nvmxd_outcome_name(x->key.outcome),
					nvmx_isa_name(x->key.isa),
					nvmx_reason_name(x->key.isa, x->key.reason, buf,
							 sizeof(buf)),
					(uint64_t)x->hist.count,
					(double)x->hist.sum_ns / (double)x->hist.count / 1e3);
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
	fprintf(f, "%s; %" PRIu64 " lost events\n", nvmxd_turtles_unit_line(d->turtles),
		nvmxd_turtles_lost_events(d->turtles));
	if (final)
		print_prog_stats(d, f);
	fflush(f);
}

/* ---- JSON ---- */

static struct json_object *summary_object(const struct nvmxd_counts *c, __u32 tgid, __u32 tid)
{
	struct nvmx_summary *s = nvmx_summary_new();
	struct json_object *o = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (!s)
		return NULL;
	mem = open_memstream(&text, &len);
	if (mem) {
		if (!nvmxd_counts_to_summary(c, tgid, tid, s) && !nvmx_summary_write_json(s, mem)) {
			fclose(mem);
			mem = NULL;
			o = json_tokener_parse(text);
		}
		if (mem)
			fclose(mem);
	}
	free(text);
	nvmx_summary_free(s);
	return o;
}

static struct json_object *hist_object(const struct nvmxd_exit *x)
{
	struct json_object *o = json_object_new_object(), *b = json_object_new_array();
	char buf[32];

	if (!o || !b) {
		json_object_put(o);
		json_object_put(b);
		return NULL;
	}
	json_object_object_add(o, "outcome",
			       json_object_new_string(nvmxd_outcome_name(x->key.outcome)));
	json_object_object_add(o, "isa", json_object_new_string(nvmx_isa_name(x->key.isa)));
	json_object_object_add(o, "reason",
			       json_object_new_string(nvmx_reason_name(x->key.isa, x->key.reason,
								       buf, sizeof(buf))));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)x->hist.count));
	json_object_object_add(o, "sum_ns", json_object_new_int64((int64_t)x->hist.sum_ns));
	/* non-cumulative: bucket i holds latencies in (2^(i-1), 2^i] ns; the last is +Inf */
	for (__u32 i = 0; i < NVMX_HIST_BUCKETS; i++) {
		struct json_object *e;

		if (!x->hist.buckets[i])
			continue;
		e = json_object_new_object();
		if (!e)
			continue;
		if (i == NVMX_HIST_BUCKETS - 1)
			json_object_object_add(e, "le_ns", json_object_new_string("+Inf"));
		else
			json_object_object_add(e, "le_ns", json_object_new_int64((int64_t)1 << i));
		json_object_object_add(e, "count",
				       json_object_new_int64((int64_t)x->hist.buckets[i]));
		json_object_array_add(b, e);
	}
	json_object_object_add(o, "latency_buckets", b);
	return o;
}

static struct json_object *vms_object(struct nvmxd *d, const struct nvmxd_counts *c)
{
	struct json_object *vms = json_object_new_array();

	for (size_t i = 0; vms && i < c->n_exits;) {
		__u32 tgid = c->exits[i].key.tgid;
		struct json_object *vm = json_object_new_object(), *vcpus = json_object_new_array();

		if (!vm || !vcpus) {
			json_object_put(vm);
			json_object_put(vcpus);
			json_object_put(vms);
			return NULL;
		}
		json_object_object_add(vm, "pid", json_object_new_int64(tgid));
		json_object_object_add(vm, "name", json_object_new_string(vm_name(d, tgid)));
		json_object_object_add(vm, "summary", summary_object(c, tgid, 0));
		while (i < c->n_exits && c->exits[i].key.tgid == tgid) {
			__u32 tid = c->exits[i].key.tid;
			struct json_object *v = json_object_new_object(),
					   *lat = json_object_new_array();

			for (; i < c->n_exits && c->exits[i].key.tgid == tgid &&
			       c->exits[i].key.tid == tid;
			     i++)
				if (lat && c->exits[i].hist.count)
					json_object_array_add(lat, hist_object(&c->exits[i]));
			if (!v) {
				json_object_put(lat);
				continue;
			}
			json_object_object_add(v, "tid", json_object_new_int64(tid));
			json_object_object_add(v, "summary", summary_object(c, tgid, tid));
			json_object_object_add(v, "latency", lat);
			json_object_array_add(vcpus, v);
		}
		json_object_object_add(vm, "vcpus", vcpus);
		json_object_array_add(vms, vm);
	}
	return vms;
}

static bool bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

static struct json_object *self_object(struct nvmxd *d, const struct nvmxd_counts *c)
{
	struct json_object *o = json_object_new_object(), *progs = json_object_new_array();
	size_t missing, attached = programs_attached(d, &missing);
	bool stats = d->stats_fd >= 0 || bpf_stats_enabled();

	if (!o || !progs) {
		json_object_put(o);
		json_object_put(progs);
		return NULL;
	}
	for (size_t i = 0; i < d->n_tps; i++) {
		const struct tp_prog *p = &d->tps[i];
		struct json_object *e = json_object_new_object();
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd;

		if (!e)
			continue;
		json_object_object_add(e, "tracepoint", json_object_new_string(p->tp.event));
		json_object_object_add(e, "program",
				       json_object_new_string(bpf_program__name(p->prog)));
		json_object_object_add(e, "baseline", json_object_new_boolean(p->baseline));
		json_object_object_add(e, "attached", json_object_new_boolean(p->tp.present));
		if (!p->tp.present)
			json_object_object_add(e, "missing", json_object_new_string(p->tp.missing));
		fd = p->tp.present ? bpf_program__fd(p->prog) : -1;
		memset(&info, 0, sizeof(info));
		/* libbpf 1.1 has no bpf_prog_get_info_by_fd (1.2+); this is the same call */
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
			if (stats) {
				json_object_object_add(
					e, "run_cnt", json_object_new_int64((int64_t)info.run_cnt));
				json_object_object_add(
					e, "run_time_ns",
					json_object_new_int64((int64_t)info.run_time_ns));
			}
			json_object_object_add(
				e, "recursion_misses",
				json_object_new_int64((int64_t)info.recursion_misses));
		}
		json_object_array_add(progs, e);
	}
	json_object_object_add(o, "programs", progs);
	json_object_object_add(o, "programs_attached", json_object_new_int64((int64_t)attached));
	json_object_object_add(o, "programs_missing", json_object_new_int64((int64_t)missing));
	json_object_object_add(o, "bpf_stats_enabled", json_object_new_boolean(stats));
	json_object_object_add(o, "events",
			       json_object_new_int64((int64_t)c->self[NVMX_SELF_EVENTS]));
	json_object_object_add(o, "map_update_failures",
			       json_object_new_int64((int64_t)nvmxd_counts_update_failures(c)));
	json_object_object_add(o, "cycles",
			       json_tokener_parse(nvmxd_turtles_cycles_json(d->turtles)));
	json_object_object_add(
		o, "lost_events",
		json_object_new_int64((int64_t)nvmxd_turtles_lost_events(d->turtles)));
	json_object_object_add(o, "ringbuf_drops",
			       json_object_new_int64((int64_t)c->self[NVMX_SELF_RINGBUF_DROPPED]));
	json_object_object_add(o, "ringbuf_records",
			       json_object_new_int64((int64_t)c->self[NVMX_SELF_RINGBUF_SENT]));
	json_object_object_add(o, "recorded_lines", json_object_new_int64((int64_t)d->recorded));
	json_object_object_add(o, "threads_ended",
			       json_object_new_int64((int64_t)d->threads_ended));
	json_object_object_add(o, "tracefs", json_object_new_string(d->tracefs));
	json_object_object_add(o, "tracefs_mounted_by_nvmxd",
			       json_object_new_boolean(d->tracefs_mounted));
	json_object_object_add(o, "btf", json_object_new_string(d->btf_where ? d->btf_where : ""));
	{
		struct utsname u;

		/* this kernel: KVM's bitmap rules for nvmx bitmap of this document */
		json_object_object_add(o, "kernel",
				       json_object_new_string(uname(&u) ? "" : u.release));
	}
	/* how long the counts cover: rates (nvmx bitmap) */
	json_object_object_add(
		o, "counted_seconds",
		json_object_new_double(d->start_ns ? (double)(nvmx_mono_ns() - d->start_ns) / 1e9 : 0));
	return o;
}

/* The --json document of counts c; also GET /api/v1/summary (from the HTTP thread). */
static int write_summary(struct nvmxd *d, const struct nvmxd_counts *c, FILE *f)
{
	const char *keys[2] = { "nvmxd", "vms" };
	const char *values[2] = { NULL, NULL };
	struct json_object *self = self_object(d, c), *vms = vms_object(d, c);
	struct nvmx_summary *s = nvmx_summary_new();
	int err = -ENOMEM;

	if (self && vms && s)
		err = nvmxd_counts_to_summary(c, 0, 0, s);
	if (!err) {
		values[0] = json_object_to_json_string_ext(self, JSON_C_TO_STRING_PLAIN);
		values[1] = json_object_to_json_string_ext(vms, JSON_C_TO_STRING_PLAIN);
		err = nvmx_summary_write_json_extra(s, keys, values, 2, f);
	}
	json_object_put(self);
	json_object_put(vms);
	nvmx_summary_free(s);
	return err;
}

static int write_json(struct nvmxd *d)
{
	char tmp[4096];
	FILE *f;
	int err;

	/* written whole or not at all: readers never see half a file */
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->o.json_path);
	f = fopen(tmp, "we");
	if (!f) {
		err = -errno;
		goto out;
	}
	err = write_summary(d, &d->counts, f);
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, d->o.json_path))
		err = -errno;
	if (err)
		(void)unlink(tmp);
out:
	if (err)
		return fail(err, "writing %s failed: %s", d->o.json_path, strerror(-err));
	return 0;
}

/* ---- the HTTP server's view (src/serve.h) ---- */

static const char *http_vm_name(void *ctx, uint32_t tgid)
{
	return vm_name(ctx, tgid);
}

static int http_summary(void *ctx, const struct nvmxd_counts *c, FILE *out)
{
	return write_summary(ctx, c, out);
}

static bool http_bpf_stats(void *ctx)
{
	const struct nvmxd *d = ctx;

	return d->stats_fd >= 0 || bpf_stats_enabled();
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
	for (size_t i = 0; i < d->n_tps; i++) {
		struct nvmxd_prog_status *p = &d->progs[i];

		snprintf(p->tracepoint, sizeof(p->tracepoint), "%s", d->tps[i].tp.event);
		snprintf(p->program, sizeof(p->program), "%s", bpf_program__name(d->tps[i].prog));
		p->attached = d->tps[i].tp.present;
		p->baseline = d->tps[i].baseline;
		p->fd = p->attached ? bpf_program__fd(d->tps[i].prog) : -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	*src = (struct nvmxd_http_source){
		.maps = NVMXD_MAPS_OF(d->skel),
		.progs = d->progs,
		.n_progs = d->n_tps,
		.ctx = d,
		.vm_name = http_vm_name,
		.summary_json = http_summary,
		.bpf_stats = http_bpf_stats,
		.per_vcpu = d->o.metrics_per_vcpu,
		.start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9,
		.kver = uname(&u) ? 0 : nvmx_kver_parse(u.release),
	};
	err = nvmxd_serve_start(d->serve, src, msg, sizeof(msg));
	if (err)
		return fail(err, "%s", msg);
	elog("%s\n", msg);
	return 0;
}

/* ---- the run ---- */

static int poll_once(struct nvmxd *d, int timeout_ms)
{
	int err;

	(void)nvmxd_turtles_poll(d->turtles); /* a failure to read it loses only log lines */
	if (!d->rb) {
		struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000 };

		(void)nanosleep(&ts, NULL); /* EINTR: a signal, seen by the caller */
		return 0;
	}
	err = ring_buffer__poll(d->rb, timeout_ms);
	if (err < 0 && err != -EINTR)
		return fail(err, "reading the ring buffer failed: %s", strerror(-err));
	err = write_lost(d);
	if (err)
		return fail(err, "writing %s failed: %s", d->o.record_path, strerror(-err));
	return 0;
}

static int shutdown_run(struct nvmxd *d, bool print)
{
	int err;

	/* no scrape after this: the final counts are in --json */
	nvmxd_serve_free(d->serve);
	d->serve = NULL;
	/* no event may change the state map while the capture is ended */
	detach(d);
	(void)nvmxd_turtles_poll(d->turtles);
	if (d->rb) {
		err = ring_buffer__consume(d->rb);
		if (err < 0)
			return fail(err, "reading the ring buffer failed: %s", strerror(-err));
		err = write_lost(d);
		if (err)
			return fail(err, "writing %s failed: %s", d->o.record_path, strerror(-err));
	}
	if (d->record) {
		err = fclose(d->record) ? -errno : 0;
		d->record = NULL;
		if (err)
			return fail(err, "writing %s failed: %s", d->o.record_path, strerror(-err));
	}
	err = read_counts(d);
	if (err)
		return err;
	err = nvmxd_counts_end(&d->counts, bpf_map__fd(d->skel->maps.nvmx_threads),
			       bpf_map__fd(d->skel->maps.nvmx_slots), nvmx_mono_ns(), &d->threads_ended);
	if (err)
		return fail(err, "ending the vCPU threads' state failed: %s", strerror(-err));
	if (print)
		print_summary(d, stdout, true);
	if (d->o.json_path)
		return write_json(d);
	return 0;
}

static int run(struct nvmxd *d)
{
	uint64_t interval_ns = (uint64_t)(d->o.interval_s * 1e9);
	uint64_t deadline = 0, next_print, next_names;
	struct sigaction sa;
	bool printed = false;
	int err;

	d->ncpus = libbpf_num_possible_cpus();
	if (d->ncpus < 0)
		return fail(d->ncpus, "counting the possible CPUs failed");
	d->drops_seen = calloc((size_t)d->ncpus, sizeof(*d->drops_seen));
	if (!d->drops_seen)
		return fail(-ENOMEM, "out of memory");

	if (d->o.bpf_stats) {
		d->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (d->stats_fd < 0)
			return fail(-errno, "turning on BPF run-time statistics failed: %s",
				    strerror(errno));
	}
	if (d->o.serve.listen) {
		char msg[512];

		err = nvmxd_serve_prepare(&d->serve, &d->o.serve, msg, sizeof(msg));
		if (err)
			return fail(err, "%s", msg);
	}
	err = probe_and_open(d);
	if (err)
		return err;
	err = nvmxd_turtles_new(stderr, turtles_vm_name, d, &d->turtles);
	if (err)
		return fail(err, "out of memory");
	vlog("%s\n", nvmxd_turtles_unit_line(d->turtles));
	err = load(d);
	if (err)
		return err;
	err = nvmxd_turtles_start(d->turtles, bpf_map__fd(d->skel->maps.nvmx_anomalies),
				  bpf_map__fd(d->skel->maps.nvmx_cycles));
	if (err)
		return fail(err, "reading lost events or the cycle counters failed: %s",
			    strerror(-err));
	if (d->o.record_path) {
		d->record = fopen(d->o.record_path, "we");
		if (!d->record)
			return fail(-errno, "cannot create %s: %s", d->o.record_path,
				    strerror(errno));
		err = nvmx_record_write_header(d->record, "nvmxd --record");
		if (err)
			return fail(err, "writing %s failed", d->o.record_path);
		d->rb = ring_buffer__new(bpf_map__fd(d->skel->maps.nvmx_events), on_record, d,
					 NULL);
		if (!d->rb)
			return fail(-errno, "opening the ring buffer failed: %s", strerror(errno));
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends the poll at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = attach(d);
	if (err)
		return err;
	d->start_ns = nvmx_mono_ns();
	if (d->o.ready_path) {
		int fd = open(d->o.ready_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			return fail(-errno, "cannot create %s: %s", d->o.ready_path,
				    strerror(errno));
		close(fd);
	}
	err = serve(d);
	if (err)
		return err;
	if (d->o.duration_s > 0)
		deadline = d->start_ns + (uint64_t)(d->o.duration_s * 1e9);
	next_print = d->start_ns + interval_ns;
	next_names = d->start_ns + 250000000u;

	while (!stopping) {
		uint64_t now = nvmx_mono_ns(), until = next_print;

		if (deadline && now >= deadline)
			break;
		if (now >= next_names) {
			name_new_vms(d);
			next_names = now + 250000000u;
		}
		if (next_names < until)
			until = next_names;
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
	if (stopping && d->o.linger_s > 0) {
		deadline = nvmx_mono_ns() + (uint64_t)(d->o.linger_s * 1e9);
		elog("%s: serving %.1f s more (--linger)\n", strsignal(stopping), d->o.linger_s);
		while (nvmx_mono_ns() < deadline) {
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
	detach(d);
	ring_buffer__free(d->rb);
	nvmxd_turtles_free(d->turtles);
	if (d->record)
		fclose(d->record);
	/* maps, programs and any link the skeleton owns go with it */
	nvmx_bpf__destroy(d->skel);
	nvmxd_counts_free(&d->counts);
	for (size_t i = 0; i < d->n_names; i++)
		free(d->names[i]);
	free(d->names);
	pthread_mutex_destroy(&d->names_lock);
	free(d->drops_seen);
	if (d->stats_fd >= 0)
		close(d->stats_fd);
}

int main(int argc, char **argv)
{
	struct nvmxd d;
	int err;

	memset(&d, 0, sizeof(d));
	d.stats_fd = -1;
	pthread_mutex_init(&d.names_lock, NULL);
	err = parse_args(argc, argv, &d.o);
	if (err > 0)
		return 0;
	if (!err) {
		libbpf_set_print(libbpf_print);
		err = run(&d);
	}
	nvmxd_free(&d);
	if (err) {
		elog("%s\n", fail_msg[0] ? fail_msg : strerror(-err));
		return 1;
	}
	return 0;
}
