// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxtop: the live view of nested-virtualization exits, per VM, vCPU and exit reason, with
 * who handled them (L0 or L1) and what they cost. A full-screen display (top_tui.c), or batch
 * text / JSON lines for scripts, over one of the sources of top_source.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "http_get.h"
#include "top_out.h"
#include "top_run.h"
#include "nvmx/cmdline.h"
#include "nvmx/util.h"

static void on_signal(int sig)
{
	top_stopping = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmxtop [--connect ADDRESS | --replay FILE | --standalone] [-b [-n COUNT] "
		"[--json]]\n"
		"               [-d SECONDS] [OPTIONS]\n"
		"\n"
		"Nested-virtualization exits as they happen, like top: for each VM, vCPU thread\n"
		"and exit reason, how many exits of the nested guest (L2) the host KVM (L0) "
		"handled,\n"
		"how many it reflected to the guest hypervisor (L1), and their mean cost.\n"
		"\n"
		"Where the numbers come from:\n"
		"  (default)        the nvmxd at " TOP_NVMXD_DEFAULT
		" (nvmxd --listen " TOP_NVMXD_DEFAULT "),\n"
		"                   or, if none answers there and nvmxtop runs as root, "
		"standalone\n"
		"                   (it says so)\n"
		"  --connect ADDRESS  the nvmxd listening there (its JSON API, /api/v1/summary):\n"
		"                   HOST:PORT, http://HOST:PORT or https://HOST:PORT; counts\n"
		"                   since nvmxd started. A fetch that fails or is slow marks the\n"
		"                   screen stale ('stale since HH:MM:SS: why' in the header;\n"
		"                   batch: a line on stderr) and is tried again after 1, 2, 4 ..\n"
		"                   30 s; nvmxtop never exits for it. Only at the first fetch,\n"
		"                   a setting to fix (TLS certificate not trusted, credentials\n"
		"                   wanted or refused, http:// to a TLS port, not an nvmxd)\n"
		"                   exits with status 2\n"
		"  --standalone     nvmxtop loads nvmx's BPF programs on the KVM tracepoints\n"
		"                   itself, as nvmxd does (needs root); counts since it started\n"
		"  --replay FILE    a capture (tracefs trace, trace-cmd report, perf script or\n"
		"                   nvmxd --record, plain or .xz; or a trace.dat, not through a\n"
		"                   pipe): each refresh is one interval (-d) of trace time.\n"
		"                   A capture has no process ids: its vCPU threads show under one\n"
		"                   VM named after the file.\n"
		"\n"
		"Display:\n"
		"  -d, --delay SECONDS  between refreshes (default 1; the first comes after 0.25 "
		"s)\n"
		"  -b, --batch          plain text, one block per refresh, stable columns, totals\n"
		"                       and L2 exits per second (like top -b, kvm_stat -l)\n"
		"  -n, --iterations N   stop after N refreshes (default: at the end of a capture,\n"
		"                       or at Ctrl-C / SIGTERM, which prints a final refresh)\n"
		"  --json               batch as JSON lines: one object per refresh, with the "
		"total\n"
		"                       and the delta of every count, per VM, vCPU and reason\n"
		"  --total              start the full-screen display with totals (default: "
		"rates)\n"
		"  --sort KEY           l2 (default), share (L1's share), cost (mean), name\n"
		"  --reverse            the other order\n"
		"  --vm TEXT            only VMs whose name or pid contains TEXT\n"
		"  --reason TEXT        only exit reasons whose name contains TEXT (any case)\n"
		"  --l1-exits           start in the L1-exit view (key e); batch: print it after\n"
		"                       each refresh's table\n"
		"  --no-color           no colours (also when TERM=dumb or NO_COLOR is set)\n"
		"  --no-bpf-stats       standalone: leave the kernel's BPF run-time statistics "
		"off\n"
		"                       (they are turned on while nvmxtop runs, so the header can\n"
		"                       show nvmx's own overhead; without them it shows '-')\n"
		"  --ready FILE         standalone: create FILE once the programs are attached\n"
		"  -v, --verbose        standalone: say on stderr, as nvmxd does, which programs\n"
		"                       were attached and what is missing, and libbpf's warnings\n"
		"  -h, --help           this text\n"
		"  --version            nvmxtop's version (and git commit), then exit\n"
		"\n" NVMX_HTTP_OPTIONS_HELP "\n"
		"Columns (names: docs/model.md's glossary): L2->L0 and L2->L1 (L2 exits L0\n"
		"handled / reflected to L1), L1%% (L1's share), L2/s, L0 us (mean time L0 took to\n"
		"handle an L2 exit itself, from the exit until KVM re-enters the guest), L1 own\n"
		"(L1's own exits), synth (exits L0 made up for L1: interrupts...).\n"
		"The Turtles breakdown of reflected exits (when the source has it, else '-'):\n"
		"RT us, the mean round trip from the L2 exit until L2 runs again (the cost of a\n"
		"reflected exit); mult, the exit multiplication: L1's exits inside its handler\n"
		"per round trip; on wide screens (and in --json) the trip's parts: L0exit,\n"
		"reflect, L1hdl, L1svc (L0 serving L1's exits), L0entry. Every source has it\n"
		"per vCPU thread and reason (a VM's row: the sum over its threads); the L1-exit\n"
		"view (e) is per VM.\n"
		"The header: L2 exits per second, the share reflected to L1, the mean round trip\n"
		"and the exit multiplication ('-' without the breakdown), how many round trips, "
		"events\n"
		"lost, and what nvmx's BPF programs cost (share of one CPU; '-' without BPF\n"
		"run-time statistics).\n"
		"\n"
		"Keys: arrows/PgUp/PgDn move, Enter or space expands/collapses, + expands all,\n"
		"- collapses all, s next sort key, r reverse, t rates/totals, v filter VMs,\n"
		"x filter exit reasons, c clear filters, e the L1-exit view, p pause, h or ? "
		"help,\n"
		"q quit.\n"
		"The L1-exit view: for the VMs and reflected reasons the filters keep, each L1\n"
		"exit reason inside their round trips (vmload, vmsave, stgi, vmread...): exits,\n"
		"exits per round trip, L0svc us (mean time L0 took to serve one, kvm_exit ->\n"
		"kvm_entry) and their total; '(other)': beyond the reasons a round trip keeps.\n"
		"\n"
		"Examples:\n"
		"  sudo nvmxtop                             every VM on this host, live\n"
		"  nvmxtop --connect 10.0.0.5:9477          the VMs of another host's nvmxd\n"
		"  nvmxtop --connect https://h1:9477 --ca-file ca.pem --credentials ~/.nvmx-pw\n"
		"                                           the same through TLS and basic auth\n"
		"  nvmxtop --replay trace.txt.xz -d 0.1     a capture, 100 ms of trace per "
		"refresh\n"
		"  sudo nvmxtop -b -d 5 -n 12 > log.txt     a minute of 5 s refreshes, as text\n"
		"  sudo nvmxtop --json -d 1 | jq .all       totals and deltas, one line a second\n"
		"  nvmx up --lab                            no nested guests here? the lab has "
		"some\n"
		"\n"
		"Exit status: 0; 2 on bad usage (an unreadable --ca-file, a --credentials file\n"
		"others can read included), or on input nvmxtop cannot use: a --replay FILE\n"
		"that cannot be read or is not a usable capture (nvmx replay --help), at the\n"
		"first fetch an nvmxd answer that is not the document nvmxtop reads or a\n"
		"setting to fix (above); 1 on other errors (no root for standalone, interrupted\n"
		"before nvmxd ever answered...). The reason is one line on stderr.\n");
}

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 1e6)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Sleeps s seconds or until a signal. */
static void nap(double s)
{
	uint64_t until = nvmx_mono_ns() + (uint64_t)(s * 1e9);

	while (!top_stopping) {
		uint64_t now = nvmx_mono_ns();
		struct timespec ts;

		if (now >= until)
			break;
		ts.tv_sec = (time_t)((until - now) / 1000000000u);
		ts.tv_nsec = (long)((until - now) % 1000000000u);
		if (!nanosleep(&ts, NULL))
			break;
	}
}

static int show(struct top_run *r, bool json)
{
	struct top_view v;
	struct top_where w;
	int err;

	err = top_run_view(r, &v);
	if (err)
		return err;
	top_run_where(r, &w);
	err = json ? top_print_json(stdout, &v, &w) : top_print_text(stdout, &v, &w, r->src->note);
	if (!err && !json && r->l1_view)
		err = top_print_l1_text(stdout, &v);
	top_view_free(&v);
	return err;
}

/* A failed refresh of a retrying source, in batch mode: one line on stderr. */
static void say_stale(const struct top_run *r)
{
	fprintf(stderr, "nvmxtop: %s; trying again in %u s\n", r->stale, r->backoff_s);
}

/*
 * The baseline. A retrying source (a remote nvmxd) that does not answer yet is tried again, with
 * backoff, until it does or a signal comes; an error retrying cannot fix (a setting to fix, an
 * answer that is not nvmxd's document) is returned at once.
 */
static int first_sample(struct top_run *r)
{
	int err;

	while ((err = top_run_sample(r, false))) {
		if (!r->src->retry || r->src->config_error || r->src->bad_input || top_stopping)
			return err;
		say_stale(r);
		nap(r->backoff_s);
		if (top_stopping)
			return err;
	}
	return 0;
}

static int run_batch(struct top_run *r, bool json)
{
	bool stale = false;
	int err = 0;

	while (!r->cur.ended) {
		if (r->src->live && stale)
			nap(r->backoff_s);
		else if (r->src->live)
			nap(r->refresh ? r->delay_s : (r->delay_s < 0.25 ? r->delay_s : 0.25));
		if (top_stopping)
			break;
		err = top_run_sample(r, false);
		/* a remote nvmxd may be back later: the output waits, nvmxtop does not end */
		stale = err && r->src->retry;
		if (stale) {
			if (!top_stopping)
				say_stale(r);
			continue;
		}
		if (err)
			return err;
		err = show(r, json);
		if (err)
			return err;
		if (r->count && (long)r->refresh >= r->count)
			return 0;
	}
	if (top_stopping && r->src->live) {
		/* the last refresh: what is still undecided is ended, as nvmxd does at exit */
		err = top_run_sample(r, true);
		if (!err)
			err = show(r, json);
		else if (r->src->retry) {
			/* asked to stop: the last refresh shown stands */
			fprintf(stderr, "nvmxtop: no final refresh: %s\n", r->src->why);
			err = 0;
		}
	}
	return err;
}

/*
 * A running nvmxd: the one at addr (--connect), or at the default address, falling back to
 * standalone (and saying so) when none answers there.
 */
static int open_nvmxd(const char *addr, const struct nvmx_http_opts *http, bool bpf_stats,
		      bool verbose, const char *ready, struct top_source **out, char *why,
		      size_t why_len, bool *usage)
{
	struct top_sample probe = { 0 };
	char no_nvmxd[512], standalone[512];
	int err;

	err = top_source_nvmxd_new(addr ? addr : TOP_NVMXD_DEFAULT, http, out, why, why_len);
	*usage = err == -EINVAL; /* the address, --ca-file or --credentials */
	if (err || addr)
		return err;
	err = (*out)->ops->sample(*out, &probe);
	top_sample_free(&probe);
	if (!err)
		return 0;
	if ((*out)->config_error) {
		/* an nvmxd is there, but its TLS or password settings and ours differ */
		snprintf(why, why_len, "%s", (*out)->why);
		top_source_free(*out);
		*out = NULL;
		*usage = true;
		return err;
	}
	snprintf(no_nvmxd, sizeof(no_nvmxd), "%s", (*out)->why);
	top_source_free(*out);
	*out = NULL;
	err = top_source_bpf_new(bpf_stats, verbose, ready, out, standalone, sizeof(standalone));
	if (err) {
		snprintf(why, why_len, "%.300s; and standalone: %.190s", no_nvmxd, standalone);
		return err;
	}
	fprintf(stderr, "nvmxtop: %s; counting standalone instead\n", no_nvmxd);
	snprintf((*out)->what + strlen((*out)->what), sizeof((*out)->what) - strlen((*out)->what),
		 " (no nvmxd at %s)", TOP_NVMXD_DEFAULT);
	return 0;
}

/* Can this terminal be driven full-screen? It needs cursor addressing. */
static bool terminal_usable(const char **why)
{
	const char *term = getenv("TERM");
	int err = 0;
	char *cup;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		*why = "standard input or output is not a terminal";
		return false;
	}
	if (!term || !*term || !strcmp(term, "dumb")) {
		*why = "TERM is dumb or unset: the terminal cannot move the cursor";
		return false;
	}
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		*why = "the terminal is not in the terminfo database";
		return false;
	}
	cup = tigetstr("cup");
	/* the question's terminal, not the display's (newterm makes its own): LeakSanitizer */
	del_curterm(cur_term);
	if (!cup || cup == (char *)-1) {
		*why = "the terminal cannot move the cursor (no 'cup' in terminfo)";
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	enum {
		O_REPLAY = 256,
		O_JSON,
		O_TOTAL,
		O_SORT,
		O_REVERSE,
		O_VM,
		O_REASON,
		O_NO_COLOR,
		O_NO_BPF_STATS,
		O_READY,
		O_CONNECT,
		O_STANDALONE,
		O_L1_EXITS,
		O_CA_FILE,
		O_CREDENTIALS,
		O_TIMEOUT,
	};
	static const struct option longopts[] = {
		{ "replay", required_argument, NULL, O_REPLAY },
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, O_JSON },
		{ "total", no_argument, NULL, O_TOTAL },
		{ "sort", required_argument, NULL, O_SORT },
		{ "reverse", no_argument, NULL, O_REVERSE },
		{ "vm", required_argument, NULL, O_VM },
		{ "reason", required_argument, NULL, O_REASON },
		{ "no-color", no_argument, NULL, O_NO_COLOR },
		{ "no-bpf-stats", no_argument, NULL, O_NO_BPF_STATS },
		{ "ready", required_argument, NULL, O_READY },
		{ "connect", required_argument, NULL, O_CONNECT },
		{ "standalone", no_argument, NULL, O_STANDALONE },
		{ "l1-exits", no_argument, NULL, O_L1_EXITS },
		{ "ca-file", required_argument, NULL, O_CA_FILE },
		{ "credentials", required_argument, NULL, O_CREDENTIALS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct top_run r = { .delay_s = 1, .rate = true, .sort = TOP_SORT_L2 };
	struct nvmx_http_opts http = { .stop = &top_stopping };
	bool bad_input, fix_settings = false;
	const char *replay = NULL, *ready = NULL, *why = NULL, *connect = NULL;
	bool batch = false, json = false, bpf_stats = true, standalone = false, verbose = false;
	char src_why[512] = "";
	struct sigaction sa;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":bn:d:vh", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case O_REPLAY:
			replay = optarg;
			break;
		case 'b':
			batch = true;
			break;
		case 'n':
			errno = 0;
			r.count = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || r.count <= 0)
				return nvmx_usage_error("nvmxtop", "-n %s: expected a count > 0",
							optarg);
			break;
		case 'd':
			if (parse_double(optarg, &r.delay_s))
				return nvmx_usage_error("nvmxtop", "-d %s: expected seconds > 0",
							optarg);
			break;
		case O_JSON:
			json = batch = true;
			break;
		case O_TOTAL:
			r.rate = false;
			break;
		case O_SORT:
			if (!strcmp(optarg, "l2"))
				r.sort = TOP_SORT_L2;
			else if (!strcmp(optarg, "share"))
				r.sort = TOP_SORT_L1_SHARE;
			else if (!strcmp(optarg, "cost"))
				r.sort = TOP_SORT_COST;
			else if (!strcmp(optarg, "name"))
				r.sort = TOP_SORT_NAME;
			else
				return nvmx_usage_error(
					"nvmxtop", "--sort %s: expected l2, share, cost or name",
					optarg);
			break;
		case O_REVERSE:
			r.reverse = true;
			break;
		case O_VM:
			snprintf(r.filter.vm, sizeof(r.filter.vm), "%s", optarg);
			break;
		case O_REASON:
			snprintf(r.filter.reason, sizeof(r.filter.reason), "%s", optarg);
			break;
		case O_NO_COLOR:
			r.no_color = true;
			break;
		case O_NO_BPF_STATS:
			bpf_stats = false;
			break;
		case O_READY:
			ready = optarg;
			break;
		case O_CONNECT:
			connect = optarg;
			break;
		case O_STANDALONE:
			standalone = true;
			break;
		case O_L1_EXITS:
			r.l1_view = true;
			break;
		case O_CA_FILE:
			http.ca_file = optarg;
			break;
		case O_CREDENTIALS:
			http.credentials = optarg;
			break;
		case O_TIMEOUT:
			if (parse_double(optarg, &http.timeout_s))
				return nvmx_usage_error(
					"nvmxtop", "--timeout %s: expected seconds > 0", optarg);
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmxtop");
		default:
			return nvmx_getopt_error("nvmxtop", c, argv);
		}
	}
	if (!!replay + !!connect + standalone > 1)
		return nvmx_usage_error("nvmxtop", "--replay, --connect and --standalone choose "
						   "the source: one of them");
	if (optind < argc)
		return nvmx_usage_error("nvmxtop", "unexpected argument '%s'", argv[optind]);
	if ((replay || standalone) && (http.ca_file || http.credentials || http.timeout_s))
		return nvmx_usage_error("nvmxtop",
					"--ca-file, --credentials and --timeout are for nvmxd "
					"(--connect or the default), not --replay or --standalone");
	if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
		r.no_color = true;
	if (!batch && !terminal_usable(&why)) {
		fprintf(stderr, "nvmxtop: %s: falling back to batch mode (-b)\n", why);
		batch = true;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends a sleep at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (replay)
		err = top_source_replay_new(replay, r.delay_s, &r.src, src_why, sizeof(src_why));
	else if (standalone)
		err = top_source_bpf_new(bpf_stats, verbose, ready, &r.src, src_why,
					 sizeof(src_why));
	else
		err = open_nvmxd(connect, &http, bpf_stats, verbose, ready, &r.src, src_why,
				 sizeof(src_why), &fix_settings);
	if (err) {
		fprintf(stderr, "nvmxtop: %s\n", src_why[0] ? src_why : strerror(-err));
		if (!replay && err == -EPERM)
			fprintf(stderr,
				"nvmxtop: without root, a capture can be watched: nvmxtop "
				"--replay FILE (nvmx replay --help says how to make one)\n");
		/* a capture that cannot be read: 2, as nvmx replay; settings to fix: 2 */
		return replay || fix_settings ? 2 : 1;
	}
	/* batch shows totals (with L2/s beside them) and sorts by them: rows keep their order */
	if (batch)
		r.rate = false;
	err = first_sample(&r);
	if (!err)
		err = batch ? run_batch(&r, json) : top_tui_run(&r);
	if (err)
		fprintf(stderr, "nvmxtop: %s\n", r.src->why[0] ? r.src->why : strerror(-err));
	/* only the first fetch can end nvmxtop for a setting to fix (2); later it is stale */
	bad_input = err && (r.src->bad_input || r.src->config_error);
	top_source_free(r.src);
	top_sample_free(&r.prev);
	top_sample_free(&r.cur);
	top_sample_free(&r.next);
	return bad_input ? 2 : err ? 1 : 0;
}
