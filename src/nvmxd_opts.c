// SPDX-License-Identifier: GPL-2.0
/* nvmxd's command line: the usage text and the parsing of the options (src/nvmxd.h). */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nvmx/cmdline.h"
#include "nvmxd.h"

void nvmxd_usage(FILE *f)
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
		"                      latency histograms) and \"nvmxd\" (self-metrics); "
		"FILE is\n"
		"                      replaced whole (temporary file, fsync, rename): a reader "
		"never\n"
		"                      sees half a document. Its directory is opened at start, as\n"
		"                      root: after --web.listen-address's privilege drop a\n"
		"                      writer process kept for it writes it\n"
		"  --checkpoint SECONDS\n"
		"                      with --json: also write it every SECONDS while running\n"
		"                      (\"final\": false), so a crash or kill loses at most that\n"
		"                      much of it\n"
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
		"  --classic-only      classic tracepoint programs only, no tp_btf (to compare:\n"
		"                      a preemptible kernel skips classic programs while a BPF\n"
		"                      map syscall holds the CPU; nvmxd reports them as lost);\n"
		"                      the nested-state counts on syscalls:sys_enter/exit_ioctl,\n"
		"                      not fexit on kvm_arch_vcpu_ioctl\n"
		"  --web.listen-address ADDR:PORT\n"
		"                      serve Prometheus metrics (/metrics) and the JSON API\n"
		"                      (/api/v1/summary, /api/v1/status) on ADDR:PORT, e.g.\n"
		"                      127.0.0.1:9477 (the port nvmx uses by convention); then,\n"
		"                      once attached, run as --user with no capabilities.\n"
		"                      --listen ADDR:PORT is an alias (nvmxd's older name)\n"
		"  --web.config.file FILE\n"
		"                      TLS and basic auth, in the Prometheus exporters'\n"
		"                      web-config.yml format (see nvmxd(8)). --web-config FILE\n"
		"                      is an alias (nvmxd's older name)\n"
		"  --web.telemetry-path PATH\n"
		"                      serve the metrics at PATH instead of /metrics (a path\n"
		"                      beginning with /, not one of the API's; node_exporter's\n"
		"                      flag)\n"
		"  --user USER         with --web.listen-address: drop to USER, UID or UID:GID\n"
		"                      (default nobody; root keeps root)\n"
		"  --metrics-per-vcpu  a vcpu_thread label on the exit metrics\n"
		"  --linger SECONDS    with --web.listen-address: after SIGINT/SIGTERM, keep\n"
		"                      counting and serving SECONDS longer, so a last scrape\n"
		"                      sees the end\n"
		"  --bpf-stats         turn on the kernel's BPF run-time statistics while\n"
		"                      nvmxd runs (BPF_ENABLE_STATS, like the sysctl\n"
		"                      kernel.bpf_stats_enabled=1): run_cnt and run_time_ns\n"
		"                      per program go to the JSON and the final summary\n"
		"  -v, --verbose       say more, including libbpf's debug output\n"
		"  -h, --help          this text\n"
		"  --version           nvmxd's version (and git commit), then exit\n"
		"\n"
		"Exit status 0 after SIGINT/SIGTERM or --duration/--once; 2 on bad usage or an\n"
		"output (--json, --record, --ready) that cannot be written, with one line naming\n"
		"the file and the reason (the counts still go to --json if it can be written);\n"
		"1 on other errors.\n"
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

/* 0: run; 1: --help or --version given; negative: bad usage (fail_msg set). */
int nvmxd_parse_args(int argc, char **argv, struct nvmxd_opts *o)
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
		O_CLASSIC_ONLY,
		O_RINGBUF,
		O_BPF_STATS,
		O_LISTEN,
		O_WEB_CONFIG,
		O_USER,
		O_PER_VCPU,
		O_LINGER,
		O_CHECKPOINT,
		O_TELEMETRY_PATH,
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
		{ "classic-only", no_argument, NULL, O_CLASSIC_ONLY },
		{ "bpf-stats", no_argument, NULL, O_BPF_STATS },
		{ "web.listen-address", required_argument, NULL, O_LISTEN },
		{ "web.config.file", required_argument, NULL, O_WEB_CONFIG },
		{ "web.telemetry-path", required_argument, NULL, O_TELEMETRY_PATH },
		/* nvmxd's older names, kept as aliases */
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "web-config", required_argument, NULL, O_WEB_CONFIG },
		{ "user", required_argument, NULL, O_USER },
		{ "metrics-per-vcpu", no_argument, NULL, O_PER_VCPU },
		{ "linger", required_argument, NULL, O_LINGER },
		{ "checkpoint", required_argument, NULL, O_CHECKPOINT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char what[256];
	int c;

	o->interval_s = 10;
	o->ringbuf_mib = 16;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (c) {
		case O_INTERVAL:
			if (parse_seconds(optarg, &o->interval_s))
				return nvmxd_fail(-EINVAL, "--interval %s: expected seconds > 0",
						  optarg);
			break;
		case O_DURATION:
			if (parse_seconds(optarg, &o->duration_s))
				return nvmxd_fail(-EINVAL, "--duration %s: expected seconds > 0",
						  optarg);
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
				return nvmxd_fail(
					-EINVAL,
					"--ringbuf-mib %s: expected a power of two <= 1024",
					optarg);
			break;
		case O_PID:
			if (parse_u32(optarg, &o->tgid))
				return nvmxd_fail(-EINVAL, "--pid %s: expected a process id",
						  optarg);
			break;
		case O_READY:
			o->ready_path = optarg;
			break;
		case O_BASELINE:
			o->baseline = true;
			break;
		case O_CLASSIC_ONLY:
			o->classic_only = true;
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
		case O_TELEMETRY_PATH:
			if (!nvmxd_telemetry_path_ok(optarg))
				return nvmxd_fail(-EINVAL,
						  "--web.telemetry-path %s: expected a path "
						  "beginning with / other than /, /api/v1/summary, "
						  "/api/v1/status and /-/healthy",
						  optarg);
			o->serve.telemetry_path = optarg;
			break;
		case O_USER:
			o->serve.user = optarg;
			break;
		case O_PER_VCPU:
			o->metrics_per_vcpu = true;
			break;
		case O_LINGER:
			if (parse_seconds(optarg, &o->linger_s))
				return nvmxd_fail(-EINVAL, "--linger %s: expected seconds > 0",
						  optarg);
			break;
		case O_CHECKPOINT:
			if (parse_seconds(optarg, &o->checkpoint_s))
				return nvmxd_fail(-EINVAL, "--checkpoint %s: expected seconds > 0",
						  optarg);
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			nvmxd_usage(stdout);
			return 1;
		case 'V':
			nvmx_print_version("nvmxd");
			return 1;
		default:
			nvmx_getopt_problem(c, argv, what, sizeof(what));
			return nvmxd_fail(-EINVAL, "%s", what);
		}
	}
	if (o->checkpoint_s > 0 && !o->json_path)
		return nvmxd_fail(-EINVAL, "--checkpoint needs --json");
	if (optind < argc)
		return nvmxd_fail(-EINVAL, "unexpected argument '%s'", argv[optind]);
	if (!o->serve.listen && (o->serve.web_config || o->serve.telemetry_path || o->serve.user ||
				 o->metrics_per_vcpu || o->linger_s > 0))
		return nvmxd_fail(-EINVAL, "--web.config.file, --web.telemetry-path, --user, "
					   "--metrics-per-vcpu and --linger need "
					   "--web.listen-address (or --listen)");
	return 0;
}
