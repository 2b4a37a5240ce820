// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx bitmap: MSR and port exits by handler (reflected to L1, handled in L0, L1's own), ranked by
 * what they cost, with the mechanism behind each (KVM's bitmap merging: include/nvmx/
 * bitmap_rules.h, docs/bitmaps.md). From a capture, an attribution JSON, or nvmxd live (two
 * snapshots of /api/v1/summary).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include <json-c/json.h>

#include "commands.h"
#include "load.h"
#include "table.h"
#include "http_get.h"
#include "nvmx/bitmap.h"
#include "nvmx/breakdown.h"
#include "nvmx/derive.h"
#include "nvmx/exit_decode.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"

#define DEFAULT_ADDR "127.0.0.1:9477"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx bitmap FILE [--kernel RELEASE] [--seconds S] [--top N] [--json]\n"
		"                   [--vm NAME|PID] [--vcpu N]\n"
		"       nvmx bitmap --live [ADDRESS] [--interval S] [--kernel RELEASE] [--top N] "
		"[--json]\n"
		"                   [--ca-file FILE] [--credentials FILE] [--timeout S]\n"
		"\n"
		"Per MSR and per I/O port: which exits L0 reflected to L1, which it handled\n"
		"itself, which were L1's own; what they cost; and why they exit, naming KVM's\n"
		"mechanism (how it merges L0's and L1's intercept bitmaps: docs/bitmaps.md).\n"
		"\n"
		"FILE is a KVM capture (tracefs trace, trace-cmd report, perf script, nvmxd\n"
		"--record; plain or .xz; or trace-cmd's trace.dat; replayed: nvmx replay --help)\n"
		"or an attribution JSON (nvmxd --json, nvmx replay --json, or\n"
		"curl http://127.0.0.1:9477/api/v1/summary). --live reads nvmxd twice, --interval\n"
		"apart, and shows what happened in between.\n"
		"\n"
		"One row per MSR (and access) or port (direction, size) and handler, ranked by\n"
		"cost = count x mean cost:\n"
		"  reflected to L1  an L2 exit L0 delivered to L1; its cost is the whole round\n"
		"                   trip, L2 exit -> entry into L2 again (L0, L1's handler, and\n"
		"                   L0's emulation of L1's VMRESUME/VMRUN)\n"
		"  handled in L0    an L2 exit L0 handled itself; cost kvm_exit -> kvm_entry (to\n"
		"                   L0's decision when it went out to the VMM)\n"
		"  L1's own exit    L1's own RDMSR/WRMSR/IN/OUT that L0 intercepts; cost as above\n"
		"Mechanisms (the advice names the kernel function and the knob):\n"
		"  l1_intercepts    L1's MSR bitmap / MSRPM or I/O bitmap / IOPM intercepts it:\n"
		"                   an L1 hypervisor setting\n"
		"  l0_merged        L0 intercepts it for L1 and KVM merges the bitmaps (OR): an "
		"L0\n"
		"                   setting\n"
		"  always_exits     exits whatever L0 and L1 set: VMX MSRs KVM does not merge, "
		"all\n"
		"                   port I/O (VMX: unconditional I/O exiting; SVM: KVM's IOPM\n"
		"                   intercepts every port): a KVM limitation\n"
		"  l1_no_apicv      VMX x2APIC MSRs L1 could pass through with APIC "
		"virtualization\n"
		"  l1_own           an exit of L1 itself\n"
		"A reflected RDMSR/WRMSR's index comes from L2's RCX, which only nvmxd reads (and\n"
		"nvmxd --record keeps); a tracefs capture shows it as 'index not seen'.\n"
		"\n"
		"Options:\n"
		"  --live [ADDRESS]    nvmxd's API (default " DEFAULT_ADDR "; https:// below)\n"
		"  --interval S        seconds between the two --live snapshots (default 5)\n"
		"  --kernel RELEASE    L0's kernel release (uname -r): KVM's merge rules change\n"
		"                      between versions. Default: the kernel nvmxd's JSON names,\n"
		"                      else this host's with --live, else unknown (the newest\n"
		"                      rules, said in the output)\n"
		"  --seconds S         the time FILE covers, for rates. Default: a capture's "
		"trace\n"
		"                      time, nvmxd's counted_seconds; --live: nvmxd's counted "
		"time\n"
		"                      between the snapshots\n"
		"  --top N             rows to show (default: 20 of text, all of JSON; 0: all);\n"
		"                      advice for the first 5 of text, every row of JSON\n"
		"  --json              one JSON object: the rows with their mechanism and "
		"advice\n" NVMX_USAGE_FILTER
		"                 Not with --live (nvmxd's API is per host).\n"
		"\n" NVMX_HTTP_OPTIONS_HELP "\n"
		"Exit status: 0; 2 on a usage error (--seconds nan, inf or <= 0 included) or when\n"
		"FILE cannot be used (one line on stderr: 'nvmx bitmap: FILE[:LINE]: what is\n"
		"wrong'): unreadable, not nvmx's JSON, or not a usable capture (the "
		"malformed-line\n"
		"policy of nvmx replay --help), or --vm/--vcpu match no vCPU thread of it.\n"
		"--live: 2 when nvmxd cannot be read (one line:\n"
		"refused, timed out, TLS not trusted, credentials wanted or refused...).\n");
	fputs(NVMX_USAGE_COMMON, f);
}

struct opts {
	const char *file, *live, *kernel;
	struct nvmx_replay_filter filter;
	struct nvmx_http_opts http;
	double interval, seconds;
	long top;
	bool json;
};

static int parse_double(const char *opt, const char *v, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	/* nan, inf: no time a capture covers */
	if (errno || end == v || *end || !isfinite(*out) || *out <= 0)
		return nvmx_usage_error("nvmx bitmap",
					"%s %s: expected a positive number of seconds", opt, v);
	return 0;
}

/* 0: run; 1: --help or --version done; 2: a usage error (said) */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "live", optional_argument, NULL, 'l' },
		{ "interval", required_argument, NULL, 'i' },
		{ "seconds", required_argument, NULL, 's' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "top", required_argument, NULL, 't' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "credentials", required_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 'T' },
		NVMX_FILTER_LONGOPTS,
		NVMX_COMMON_LONGOPTS,
	};
	const char *p = "nvmx bitmap";
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->filter.vcpu = -1;
	o->interval = 5;
	o->top = -1; /* not given: 20 rows of text, every row of JSON */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			nvmx_print_version("nvmx");
			return 1;
		case 'j':
			o->json = true;
			break;
		case 'M':
		case 'U':
			if (nvmx_filter_opt(p, c, optarg, &o->filter))
				return 2;
			break;
		case 'l':
			/* --live, --live=ADDR or --live ADDR (a FILE cannot come with --live) */
			o->live = DEFAULT_ADDR;
			if (optarg)
				o->live = optarg;
			else if (optind < argc && argv[optind][0] != '-')
				o->live = argv[optind++];
			break;
		case 'i':
			if (parse_double("--interval", optarg, &o->interval))
				return 2;
			break;
		case 's':
			if (parse_double("--seconds", optarg, &o->seconds))
				return 2;
			break;
		case 'C':
			o->http.ca_file = optarg;
			break;
		case 'P':
			o->http.credentials = optarg;
			break;
		case 'T':
			if (parse_double("--timeout", optarg, &o->http.timeout_s))
				return 2;
			break;
		case 'k':
			if (!nvmx_kver_parse(optarg))
				return nvmx_usage_error(
					p,
					"--kernel %s: not a kernel release "
					"(MAJOR.MINOR..., e.g. 6.12.57+deb13-amd64)",
					optarg);
			o->kernel = optarg;
			break;
		case 't':
			errno = 0;
			o->top = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o->top < 0)
				return nvmx_usage_error(p, "--top %s: expected a number >= 0",
							optarg);
			break;
		default:
			return nvmx_getopt_error(p, c, argv);
		}
	}
	if (optind < argc)
		o->file = argv[optind];
	if (argc - optind > 1)
		return nvmx_usage_error(p, "one FILE only (%s, then %s)", o->file,
					argv[optind + 1]);
	if (o->top < 0)
		o->top = o->json ? 0 : 20;
	if (!o->file == !o->live)
		return nvmx_usage_error(p, "give a FILE or --live");
	if (o->live && o->seconds)
		return nvmx_usage_error(p, "--seconds is for a JSON FILE; --live is --interval");
	if (o->live && nvmx_replay_filter_active(&o->filter))
		return nvmx_usage_error(p, "--vm and --vcpu are for a capture FILE, not --live");
	if (!o->live && (o->http.ca_file || o->http.credentials || o->http.timeout_s))
		return nvmx_usage_error(p, "--ca-file, --credentials and --timeout are for --live");
	return 0;
}

/* What an nvmxd document says of itself: how long its counts cover, and its kernel. */
struct nvmxd_info {
	double counted_seconds; /* 0: not said */
	char kernel[128];	/* "": not said */
};

static void nvmxd_info_of(struct json_object *root, struct nvmxd_info *info)
{
	struct json_object *d, *v;

	memset(info, 0, sizeof(*info));
	if (!root || !json_object_object_get_ex(root, "nvmxd", &d))
		return;
	if (json_object_object_get_ex(d, "counted_seconds", &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) &&
	    json_object_get_double(v) > 0)
		info->counted_seconds = json_object_get_double(v);
	if (json_object_object_get_ex(d, "kernel", &v) && json_object_is_type(v, json_type_string))
		snprintf(info->kernel, sizeof(info->kernel), "%s", json_object_get_string(v));
}

/* FILE's summary and the time it covers (*seconds): a capture's trace time, nvmxd's count time. */
static struct nvmx_summary *load_file(const char *path, const struct nvmx_replay_filter *filter,
				      double *seconds, struct nvmxd_info *info)
{
	struct nvmx_summary *s;
	struct nvmx_loaded in;

	memset(info, 0, sizeof(*info));
	/* one read: the summary and nvmxd's own keys come from the same document */
	if (nvmx_load_filtered("nvmx bitmap", path, true, filter, &in))
		return NULL;
	if (in.json) {
		nvmxd_info_of(in.root, info);
		*seconds = info->counted_seconds;
	} else if (in.stats.last_ts_ns > in.stats.first_ts_ns) {
		*seconds = (double)(in.stats.last_ts_ns - in.stats.first_ts_ns) / 1e9;
	}
	s = in.sum;
	in.sum = NULL;
	nvmx_loaded_free(&in);
	return s;
}

static struct nvmx_summary *snapshot(struct nvmx_http *h, struct nvmxd_info *info)
{
	enum json_tokener_error jerr = json_tokener_success;
	struct json_object *root;
	struct nvmx_summary *s;
	const char *body;
	char why[512];
	int err = nvmx_http_get_json(h, "/api/v1/summary", "nvmx-bitmap", &body, why, sizeof(why));

	if (err) {
		if (err == -ECONNREFUSED)
			fprintf(stderr,
				"nvmx bitmap: %s: start nvmxd with 'sudo nvmxd --listen %s', or "
				"give a capture or nvmxd --json file\n",
				why, h->where);
		else
			fprintf(stderr, "nvmx bitmap: %s\n", why);
		return NULL;
	}
	root = json_tokener_parse_verbose(body, &jerr);
	if (!root) {
		fprintf(stderr, "nvmx bitmap: nvmxd at %s: /api/v1/summary is not JSON\n",
			h->where);
		return NULL;
	}
	s = nvmx_summary_from_json(root, "/api/v1/summary", why, sizeof(why));
	if (s)
		nvmxd_info_of(root, info);
	else
		fprintf(stderr, "nvmx bitmap: nvmxd at %s: %s\n", h->where, why);
	json_object_put(root);
	return s;
}

static void sleep_seconds(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static const char *isa_of(uint32_t isa)
{
	return nvmx_isa_name(isa);
}

static size_t shown(const struct opts *o, const struct nvmx_bm_report *r)
{
	return o->top && (size_t)o->top < r->n ? (size_t)o->top : r->n;
}

#define ADVICE_ROWS 5

/*
 * The round trips of a reflected row's exit reason (RDMSR/WRMSR or I/O; per reason, not per MSR
 * or port: the breakdown's key), whose L1 exits by L1 exit reason say what each reflected access
 * costs L1. NULL when the input has none (a row not reflected, no complete round trip).
 */
static const struct nvmx_bd_entry *round_trips_of(const struct nvmx_summary *s,
						  const struct nvmx_bm_row *w)
{
	const struct nvmx_bd_entry *bd;
	size_t n = nvmx_summary_breakdowns(s, &bd);
	uint32_t reason;

	if (w->handled_by != NVMX_HANDLED_BY_L1)
		return NULL;
	if (w->isa == NVMX_ISA_SVM)
		reason = w->is_msr ? NVMX_SVM_EXIT_MSR : NVMX_SVM_EXIT_IOIO;
	else if (w->isa == NVMX_ISA_VMX)
		reason = !w->is_msr ? NVMX_VMX_EXIT_IO
			 : w->write ? NVMX_VMX_EXIT_MSR_WRITE
				    : NVMX_VMX_EXIT_MSR_READ;
	else
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (bd[i].kind == NVMX_BD_ROUND_TRIP && bd[i].isa == w->isa &&
		    bd[i].reason == reason && bd[i].count)
			return &bd[i];
	return NULL;
}

/* "    L1's exits in each round trip of an L2 msr exit: vmload 2.00 (mean 122.0 us), ..." */
static void print_l1_exits(const struct nvmx_summary *s, const struct nvmx_bm_row *w)
{
	const struct nvmx_bd_entry *e = round_trips_of(s, w);
	const struct nvmx_bd_l1 **l;
	struct nvmx_bd_l1 ovf;
	size_t n;
	char buf[24];

	if (!e || !(l = nvmx_bd_l1_sorted(e, &n)))
		return;
	printf("    L1's exits in each round trip of an L2 %s exit (%" PRIu64 " round %s): ",
	       nvmx_reason_name(e->isa, e->reason, buf, sizeof(buf)), e->count,
	       e->count == 1 ? "trip" : "trips");
	for (size_t k = 0; k < n; k++)
		printf("%s%s %.2f (mean %.1f us)", k ? ", " : "",
		       nvmx_reason_name(e->isa, l[k]->reason, buf, sizeof(buf)),
		       nvmx_exit_multiplication(l[k]->count, e->count),
		       nvmx_mean(l[k]->service_ns, l[k]->count) / 1e3);
	ovf = nvmx_bd_l1_overflow(e);
	if (ovf.count)
		printf("%sother %.2f (mean %.1f us)", n ? ", " : "",
		       nvmx_exit_multiplication(ovf.count, e->count),
		       nvmx_mean(ovf.service_ns, ovf.count) / 1e3);
	printf("%s\n", n || ovf.count ? "" : "none");
	free(l);
}

/* The same as JSON: [{"l1_reason", "per_round_trip", "mean_service_ns"}], NULL when none. */
static struct json_object *l1_exits_json(const struct nvmx_summary *s, const struct nvmx_bm_row *w)
{
	const struct nvmx_bd_entry *e = round_trips_of(s, w);
	struct json_object *a, *x;
	const struct nvmx_bd_l1 **l;
	struct nvmx_bd_l1 ovf;
	size_t n;
	char buf[24];

	if (!e || !(l = nvmx_bd_l1_sorted(e, &n)))
		return NULL;
	a = json_object_new_array();
	ovf = nvmx_bd_l1_overflow(e);
	for (size_t k = 0; a && k <= n; k++) {
		const struct nvmx_bd_l1 *b = k < n ? l[k] : &ovf;

		if (k == n && !ovf.count)
			break;
		x = json_object_new_object();
		json_object_object_add(
			x, "l1_reason",
			json_object_new_string(
				k < n ? nvmx_reason_name(e->isa, b->reason, buf, sizeof(buf))
				      : "other"));
		json_object_object_add(
			x, "per_round_trip",
			json_object_new_double(nvmx_exit_multiplication(b->count, e->count)));
		json_object_object_add(x, "mean_service_ns",
				       json_object_new_double(nvmx_mean(b->service_ns, b->count)));
		json_object_array_add(a, x);
	}
	free(l);
	return a;
}

/* Whether the capture's exits are all arm64's: it has no MSR or I/O intercept bitmaps to merge. */
static bool only_arm64(const struct nvmx_summary *s)
{
	const struct nvmx_summary_exit *ex;
	size_t n = nvmx_summary_exits(s, &ex);

	for (size_t i = 0; i < n; i++)
		if (ex[i].isa != NVMX_ISA_ARM64)
			return false;
	return n > 0;
}

static void print_text(const struct opts *o, const struct nvmx_summary *s,
		       const struct nvmx_bm_report *r, nvmx_kver kver, const char *kernel_src,
		       double seconds, const char *source)
{
	size_t n = shown(o, r);
	char what[96], advice[256];

	nvmx_print_filter(stdout, s);
	printf("MSR and port exits of %s: %zu %s, %" PRIu64 " %s", source, r->n,
	       r->n == 1 ? "row" : "rows", r->total_count, r->total_count == 1 ? "exit" : "exits");
	if (seconds > 0)
		printf(" in %.3f s", seconds);
	if (only_arm64(s)) {
		printf("\n\nAn arm64 capture: MSR and I/O intercept bitmaps are x86's (VMX, SVM); "
		       "nothing to advise on.\n");
		return;
	}
	if (kver)
		printf("; KVM's rules of Linux %u.%u (%s)\n", kver / 1000, kver % 1000, kernel_src);
	else
		printf("; L0's kernel unknown: the newest KVM rules (give --kernel)\n");
	if (!r->n) {
		printf("\nNo MSR or port exit was counted: nothing to advise on.\n");
		return;
	}
	printf("\n%4s %-4s %-36s %-16s %9s %10s %10s %10s %6s  %s\n", "rank", "isa", "access",
	       "handler", "count", "rate/s", "mean us", "cost ms", "share", "mechanism");
	for (size_t i = 0; i < n; i++) {
		const struct nvmx_bm_row *w = &r->rows[i];
		char rate[24], mean[24], cost[24], share[16];

		if (seconds > 0)
			snprintf(rate, sizeof(rate), "%.1f", (double)w->count / seconds);
		else
			snprintf(rate, sizeof(rate), "-");
		if (w->timed) {
			snprintf(mean, sizeof(mean), "%.2f", w->mean_ns / 1e3);
			snprintf(cost, sizeof(cost), "%.3f", w->cost_ns / 1e6);
			snprintf(share, sizeof(share), "%.1f%%",
				 r->total_cost_ns > 0 ? 100 * w->cost_ns / r->total_cost_ns : 0);
		} else {
			snprintf(mean, sizeof(mean), "-");
			snprintf(cost, sizeof(cost), "-");
			snprintf(share, sizeof(share), "-");
		}
		printf("%4zu %-4s %-36.36s %-16s %9" PRIu64 " %10s %10s %10s %6s  %s\n", i + 1,
		       isa_of(w->isa), nvmx_bm_row_what(w, what, sizeof(what)),
		       nvmx_bm_row_handler(w), w->count, rate, mean, cost, share,
		       nvmx_bm_mechanism_id(w->mechanism));
	}
	if (n < r->n)
		printf("(%zu more rows: --top 0 shows all)\n", r->n - n);
	printf("\nAdvice, most costly first:\n");
	for (size_t i = 0; i < n && i < ADVICE_ROWS; i++) {
		const struct nvmx_bm_row *w = &r->rows[i];

		printf("%2zu. %s %s, %s: %" PRIu64 " %s", i + 1, isa_of(w->isa),
		       nvmx_bm_row_what(w, what, sizeof(what)), nvmx_bm_row_handler(w), w->count,
		       w->count == 1 ? "exit" : "exits");
		if (w->timed)
			printf(", %.3f ms", w->cost_ns / 1e6);
		printf("\n    %s\n", nvmx_bm_advice(w->isa, w->is_msr, w->mechanism, kver, advice,
						    sizeof(advice)));
		if (w->is_msr && w->msr == NVMX_MSR_UNKNOWN)
			printf("    (the index was not seen: a tracefs capture has no L2 RCX; "
			       "nvmxd and nvmxd --record do)\n");
		print_l1_exits(s, w);
	}
}

static struct json_object *row_json(const struct nvmx_summary *s, const struct nvmx_bm_row *w,
				    const struct nvmx_bm_report *r, nvmx_kver kver, double seconds)
{
	struct json_object *o = json_object_new_object();
	char buf[256];

	json_object_object_add(o, "isa", json_object_new_string(isa_of(w->isa)));
	json_object_object_add(o, "kind", json_object_new_string(w->is_msr ? "msr" : "port"));
	if (w->is_msr) {
		if (w->msr == NVMX_MSR_UNKNOWN)
			snprintf(buf, sizeof(buf), "unknown");
		else
			snprintf(buf, sizeof(buf), "0x%x", w->msr);
		json_object_object_add(o, "msr", json_object_new_string(buf));
		json_object_object_add(o, "access",
				       json_object_new_string(w->write ? "write" : "read"));
	} else {
		snprintf(buf, sizeof(buf), "0x%x", w->port);
		json_object_object_add(o, "port", json_object_new_string(buf));
		json_object_object_add(o, "direction",
				       json_object_new_string(w->write ? "out" : "in"));
		json_object_object_add(o, "size", json_object_new_int(w->size));
	}
	json_object_object_add(o, "name", w->name ? json_object_new_string(w->name) : NULL);
	json_object_object_add(o, "exit",
			       json_object_new_string(nvmx_exit_level_name(w->handled_by)));
	if (w->handled_by != NVMX_HANDLED_BY_NONE)
		json_object_object_add(o, "handled_by",
				       json_object_new_string(nvmx_handler_name(w->handled_by)));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)w->count));
	json_object_object_add(o, "timed", json_object_new_int64((int64_t)w->timed));
	json_object_object_add(o, "sum_ns", json_object_new_int64((int64_t)w->sum_ns));
	json_object_object_add(o, "mean_ns", w->timed ? json_object_new_double(w->mean_ns) : NULL);
	json_object_object_add(o, "cost_ns", w->timed ? json_object_new_double(w->cost_ns) : NULL);
	json_object_object_add(o, "share",
			       w->timed && r->total_cost_ns > 0
				       ? json_object_new_double(w->cost_ns / r->total_cost_ns)
				       : NULL);
	json_object_object_add(o, "rate_per_s",
			       seconds > 0 ? json_object_new_double((double)w->count / seconds)
					   : NULL);
	json_object_object_add(o, "mechanism",
			       json_object_new_string(nvmx_bm_mechanism_id(w->mechanism)));
	json_object_object_add(o, "advice",
			       json_object_new_string(nvmx_bm_advice(
				       w->isa, w->is_msr, w->mechanism, kver, buf, sizeof(buf))));
	if (w->handled_by == NVMX_HANDLED_BY_L1)
		json_object_object_add(o, "l1_exits_per_round_trip", l1_exits_json(s, w));
	return o;
}

static int print_json(const struct opts *o, const struct nvmx_summary *s,
		      const struct nvmx_bm_report *r, nvmx_kver kver, double seconds,
		      const char *source)
{
	struct json_object *root = json_object_new_object(), *rows = json_object_new_array();
	char kb[32];
	size_t n = shown(o, r);
	const char *text;

	if (!root || !rows) {
		json_object_put(root);
		json_object_put(rows);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		json_object_array_add(rows, row_json(s, &r->rows[i], r, kver, seconds));
	snprintf(kb, sizeof(kb), "%u.%u", kver / 1000, kver % 1000);
	json_object_object_add(root, "source", json_object_new_string(source));
	if (nvmx_summary_get_filter(s))
		json_object_object_add(root, "filter", nvmx_summary_filter_json(s));
	json_object_object_add(root, "kernel", kver ? json_object_new_string(kb) : NULL);
	json_object_object_add(root, "seconds",
			       seconds > 0 ? json_object_new_double(seconds) : NULL);
	json_object_object_add(root, "total_count", json_object_new_int64((int64_t)r->total_count));
	json_object_object_add(root, "total_cost_ns", json_object_new_double(r->total_cost_ns));
	json_object_object_add(root, "rows_total", json_object_new_int64((int64_t)r->n));
	json_object_object_add(root, "rows", rows);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	printf("%s\n", text);
	json_object_put(root);
	return 0;
}

int nvmx_cmd_bitmap(int argc, char **argv)
{
	struct nvmx_summary *s = NULL, *base = NULL;
	struct nvmx_bm_report r = { 0 };
	const char *kernel_src = "--kernel";
	char source[256];
	struct utsname u;
	struct opts o;
	struct nvmxd_info info = { 0 }, before = { 0 };
	double seconds = 0;
	nvmx_kver kver = 0;
	int err;

	err = parse_args(argc, argv, &o);
	if (err)
		return err == 1 ? 0 : 2;
	if (o.live) {
		struct nvmx_http h;
		char why[512];

		if (nvmx_http_init(&h, o.live, "--live", &o.http, why, sizeof(why))) {
			fprintf(stderr, "nvmx bitmap: %s\n", why);
			return 2;
		}
		base = snapshot(&h, &before);
		if (base) {
			if (!o.json)
				fprintf(stderr,
					"nvmx bitmap: reading nvmxd at %s again in %g s...\n",
					o.live, o.interval);
			sleep_seconds(o.interval);
			s = snapshot(&h, &info);
		}
		nvmx_http_free(&h);
		/* the time nvmxd counted between the snapshots, else the interval slept */
		seconds = info.counted_seconds > before.counted_seconds
				  ? info.counted_seconds - before.counted_seconds
				  : o.interval;
		snprintf(source, sizeof(source), "nvmxd at %s over %.3g s", o.live, seconds);
	} else {
		s = load_file(o.file, &o.filter, &seconds, &info);
		if (o.seconds)
			seconds = o.seconds;
		snprintf(source, sizeof(source), "%s", o.file);
	}
	if (o.kernel) {
		kver = nvmx_kver_parse(o.kernel);
	} else if (info.kernel[0] && nvmx_kver_parse(info.kernel)) {
		kver = nvmx_kver_parse(info.kernel);
		kernel_src = "nvmxd's kernel";
	} else if (o.live && !uname(&u)) {
		/* an nvmxd that does not say: the common case is this host's */
		kver = nvmx_kver_parse(u.release);
		kernel_src = "this host's uname -r";
	}
	if (!s) {
		nvmx_summary_free(base);
		return 2;
	}
	err = nvmx_bm_report_build(s, base, kver, &r);
	if (!err) {
		if (o.json)
			err = print_json(&o, s, &r, kver, seconds, source);
		else
			print_text(&o, s, &r, kver, kernel_src, seconds, source);
	}
	if (err)
		fprintf(stderr, "nvmx bitmap: %s\n", strerror(-err));
	nvmx_bm_report_free(&r);
	nvmx_summary_free(s);
	nvmx_summary_free(base);
	return err ? 2 : 0;
}
