// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx bench matrix: nvmx bench run per (L0 kernel, L1), or result files that exist, into one
 * Markdown and one HTML table (bench_table.c; docs/kernels.md shows one).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "commands.h"
#include "nvmx/input.h"

#define MATRIX_MAX_COLS	  32
#define MATRIX_KERNELS	  "6.1,6.12,7.3"
#define MATRIX_L1S	  "minimal,kvm"
#define MATRIX_FAILED_KEY "nvmx_bench_matrix_failed"
#define MATRIX_NOTE_MAX	  512
#define MATRIX_ARG_MAX	  24

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx bench matrix [OPTIONS] -o BASE\n"
		"       nvmx bench matrix [OPTIONS] -o BASE --from RESULT.json...\n"
		"\n"
		"Nested round trips across L0 kernels, side by side: runs `nvmx bench run` for\n"
		"every L0 kernel and L1 (the lab, under icount as bench run does), and writes\n"
		"ONE table as BASE.md (Markdown) and BASE.html. Per L1, one table: per reflected\n"
		"exit reason, the round trip's mean and each breakdown part, the exit\n"
		"multiplication and each L1 exit reason's part of it and service time per round\n"
		"trip, one column per kernel. Each cell is the median of the result's repeats,\n"
		"beside its change from the kernel before it, marked when `nvmx bench compare`\n"
		"would call it a change (its thresholds: compare --help; --thresholds adds).\n"
		"\n"
		"Each run writes BASE.KERNEL.L1.json (the result) and BASE.KERNEL.L1.log (its\n"
		"progress). A run that fails leaves its column without values and with the\n"
		"reason, and BASE.KERNEL.L1.json says why (a file --from reads back): a failed\n"
		"kernel is never silently missing. Progress goes to stderr.\n"
		"\n"
		"Options:\n"
		"  -o, --out BASE        the tables' path without .md/.html (required)\n"
		"  -k, --kernels LIST    L0 kernels, in column order (default %s;\n"
		"                        7.3 is the newest the lab has, see nvmx lab run --help)\n"
		"      --l1 LIST         L1s (default %s; see nvmx bench run --l1)\n"
		"  -r, --repeats R       bench run's --repeats (default: bench run's own,\n"
		"                        5 in one boot for the minimal L1, 3 boots for kvm)\n"
		"  -n, --iterations N    bench run's --iterations (default: bench run's own)\n"
		"      --thresholds FILE more rules, as nvmx bench compare --thresholds\n"
		"      --from            run nothing: the arguments are result files of bench run\n"
		"                        (or of an earlier matrix, failed ones included), in\n"
		"                        column order; their env says kernel and L1\n"
		"\n"
		"Exit status: 0 the tables are written, every run succeeded; 1 they are written\n"
		"but a run failed (its column says why); 2 usage, or a result file that cannot be\n"
		"read or compared.\n"
		"\n"
		"Example (the default: 3 kernels x 2 L1s, about 30-60 minutes on 2 cores):\n"
		"  nvmx bench matrix -o /tmp/kernels && nvmx bench matrix -o docs/kernels \\\n"
		"      --from /tmp/kernels.*.json\n",
		MATRIX_KERNELS, MATRIX_L1S);
	fputs(NVMX_USAGE_COMMON, f);
}

struct col_store {
	struct nvmx_bench_matrix_col col;
	struct nvmx_bench_file file;
	char kernel[32], l1[16], path[PATH_MAX], note[PATH_MAX + 2 * MATRIX_NOTE_MAX];
};

/*
 * A failed run's reason from its log: the last line that is not the lab's progress ("nvmx lab
 * [  12.3s] ...") nor bench run's own "nvmx lab run exited N (its reason is above)", which points
 * at it; else the last non-empty line; "" when there is none.
 */
static void last_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[MATRIX_NOTE_MAX], any[MATRIX_NOTE_MAX] = "";

	out[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0])
			continue;
		snprintf(any, sizeof(any), "%s", line);
		if (strncmp(line, "nvmx lab [", 10) && !strstr(line, "(its reason is above)"))
			snprintf(out, len, "%s", line);
	}
	if (!out[0])
		snprintf(out, len, "%s", any);
	if (f)
		fclose(f);
}

/* A failed run's file: what --from reads back as a column without a result. */
static int write_failed(const char *path, const char *kernel, const char *l1, const char *why)
{
	struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, MATRIX_FAILED_KEY, json_object_new_int(1));
	json_object_object_add(o, "kernel", json_object_new_string(kernel));
	json_object_object_add(o, "l1", json_object_new_string(l1));
	json_object_object_add(o, "why", json_object_new_string(why));
	r = json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
	json_object_put(o);
	return r ? -EIO : 0;
}

/* One bench run, in a child with its stderr in log. Returns its exit status. */
static int run_one(const char *kernel, const char *l1, const char *repeats, const char *iterations,
		   const char *out, const char *log)
{
	char *argv[MATRIX_ARG_MAX];
	int argc = 0, st;
	pid_t pid;

	argv[argc++] = "run";
	argv[argc++] = "--kernel";
	argv[argc++] = (char *)kernel;
	argv[argc++] = "--l1";
	argv[argc++] = (char *)l1;
	argv[argc++] = "-o";
	argv[argc++] = (char *)out;
	if (repeats) {
		argv[argc++] = "--repeats";
		argv[argc++] = (char *)repeats;
	}
	if (iterations) {
		argv[argc++] = "--iterations";
		argv[argc++] = (char *)iterations;
	}
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 2;
	if (!pid) {
		FILE *f = freopen(log, "w", stderr);

		if (!f)
			_exit(2);
		setvbuf(stderr, NULL, _IOLBF, 0);
		_exit(nvmx_bench_run(argc, argv));
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return 2;
	return WEXITSTATUS(st);
}

/*
 * The kernel series of a result, from its env "kernel" (the lab's package: "linux-image-6.1.0-57-amd64
 * 6.1.192-3" -> "6.1", "linux-binary-unsigned-7.3.4+deb13-amd64 ..." -> "7.3"), else "?".
 */
static void series_of(const struct nvmx_bench_file *f, char *out, size_t len)
{
	struct json_object *v;
	const char *k, *d;
	size_t n;

	snprintf(out, len, "?");
	if (!f->env || !json_object_object_get_ex(f->env, "kernel", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	k = json_object_get_string(v);
	d = k + strcspn(k, "0123456789");
	n = strspn(d, "0123456789");
	if (!n || d[n] != '.' || !strspn(d + n + 1, "0123456789"))
		return;
	n += 1 + strspn(d + n + 1, "0123456789");
	snprintf(out, len, "%.*s", (int)n, d);
}

/* A result file, or a failed run's: into c. 0, or 2 with one line. */
static int load_col(struct col_store *c, const char *path)
{
	struct json_object *o, *v;
	char msg[512];

	snprintf(c->path, sizeof(c->path), "%s", path);
	c->col.kernel = c->kernel;
	c->col.l1 = c->l1;
	/* bounded, as compare reads: a file that never ends (/dev/zero) is not read on */
	if (nvmx_json_read_path(path, &o, msg, sizeof(msg))) {
		fprintf(stderr, "nvmx bench matrix: cannot compare: %s\n", msg);
		return 2;
	}
	if (json_object_object_get_ex(o, MATRIX_FAILED_KEY, &v)) {
		struct json_object *k, *l, *w;

		if (!json_object_object_get_ex(o, "kernel", &k) ||
		    !json_object_object_get_ex(o, "l1", &l) ||
		    !json_object_object_get_ex(o, "why", &w)) {
			json_object_put(o);
			fprintf(stderr,
				"nvmx bench matrix: %s: a failed run's file without kernel, l1 or "
				"why\n",
				path);
			return 2;
		}
		snprintf(c->kernel, sizeof(c->kernel), "%s", json_object_get_string(k));
		snprintf(c->l1, sizeof(c->l1), "%s", json_object_get_string(l));
		snprintf(c->note, sizeof(c->note), "%s", json_object_get_string(w));
		c->col.note = c->note;
		json_object_put(o);
		return 0;
	}
	json_object_put(o);
	c->file.path = c->path;
	if (nvmx_bench_load(&c->file, "nvmx bench matrix"))
		return 2;
	c->col.file = &c->file;
	series_of(&c->file, c->kernel, sizeof(c->kernel));
	v = json_object_object_get(c->file.workload, "l1");
	snprintf(c->l1, sizeof(c->l1), "%s", v ? json_object_get_string(v) : "?");
	return 0;
}

/* The CPU of the first result (its env "cpu_model"): the machine the lab ran on. */
static const char *machine(const struct nvmx_bench_matrix_col *cols, int n)
{
	struct json_object *v;

	for (int i = 0; i < n; i++)
		if (cols[i].file && cols[i].file->env &&
		    json_object_object_get_ex(cols[i].file->env, "cpu_model", &v) &&
		    json_object_is_type(v, json_type_string))
			return json_object_get_string(v);
	return "?";
}

/* The first and last "date" of the results (ISO 8601: ordered as strings), into first, last. */
static void run_dates(const struct nvmx_bench_matrix_col *cols, int n, char *first, char *last,
		      size_t len)
{
	struct json_object *v;

	snprintf(first, len, "?");
	snprintf(last, len, "?");
	for (int i = 0; i < n; i++) {
		const char *d;

		if (!cols[i].file || !json_object_object_get_ex(cols[i].file->root, "date", &v) ||
		    !json_object_is_type(v, json_type_string))
			continue;
		d = json_object_get_string(v);
		if (!strcmp(first, "?") || strcmp(d, first) < 0)
			snprintf(first, len, "%s", d);
		if (!strcmp(last, "?") || strcmp(d, last) > 0)
			snprintf(last, len, "%s", d);
	}
}

static int split_list(char *s, const char **out, int max)
{
	int n = 0;

	for (char *save, *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return -1;
		out[n++] = t;
	}
	return n;
}

int nvmx_bench_matrix(int argc, char **argv)
{
	static const struct option options[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "kernels", required_argument, NULL, 'k' },
		{ "l1", required_argument, NULL, 'l' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "thresholds", required_argument, NULL, 't' },
		{ "from", no_argument, NULL, 'F' },
		NVMX_COMMON_LONGOPTS,
	};
	const char *p = "nvmx bench matrix", *out = NULL, *repeats = NULL, *iterations = NULL;
	const char *thresholds = NULL, *kernels[MATRIX_MAX_COLS], *l1s[4];
	char kernels_buf[256] = MATRIX_KERNELS, l1s_buf[64] = MATRIX_L1S;
	char path[PATH_MAX + 64], intro[2048], date[64], host[256] = "?", d0[64], d1[64];
	struct nvmx_bench_matrix_col cols[MATRIX_MAX_COLS];
	struct col_store *store;
	bool from = false;
	int opt, n_k, n_l, n_cols = 0, r = 0, failed = 0;
	time_t now = time(NULL), t0;
	struct utsname u;
	FILE *md, *html;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:k:r:n:", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'k':
			if (snprintf(kernels_buf, sizeof(kernels_buf), "%s", optarg) >=
			    (int)sizeof(kernels_buf))
				return nvmx_usage_error(p, "--kernels: too long");
			break;
		case 'l':
			if (snprintf(l1s_buf, sizeof(l1s_buf), "%s", optarg) >=
			    (int)sizeof(l1s_buf))
				return nvmx_usage_error(p, "--l1: too long");
			break;
		case 'r':
			repeats = optarg;
			break;
		case 'n':
			iterations = optarg;
			break;
		case 't':
			thresholds = optarg;
			break;
		case 'F':
			from = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmx");
		default:
			return nvmx_getopt_error(p, opt, argv);
		}
	}
	if (!out)
		return nvmx_usage_error(p, "-o BASE is required (BASE.md and BASE.html)");
	if (from && optind == argc)
		return nvmx_usage_error(p, "--from: give the result files");
	if (!from && optind < argc)
		return nvmx_usage_error(p, "unexpected '%s' (result files go with --from)",
					argv[optind]);
	n_k = split_list(kernels_buf, kernels, MATRIX_MAX_COLS);
	n_l = split_list(l1s_buf, l1s, 4);
	if (n_k < 1 || n_l < 1 || n_k * n_l > MATRIX_MAX_COLS)
		return nvmx_usage_error(p, "--kernels and --l1: 1 to %d columns in all",
					MATRIX_MAX_COLS);
	for (int i = 0; i < n_l; i++)
		if (strcmp(l1s[i], "minimal") && strcmp(l1s[i], "kvm"))
			return nvmx_usage_error(p, "--l1 %s: expected minimal or kvm", l1s[i]);
	if (from && argc - optind > MATRIX_MAX_COLS)
		return nvmx_usage_error(p, "--from: at most %d files", MATRIX_MAX_COLS);
	store = calloc(MATRIX_MAX_COLS, sizeof(*store));
	if (!store) {
		fprintf(stderr, "%s: out of memory\n", p);
		return 2;
	}
	if (from) {
		for (int i = optind; i < argc && !r; i++)
			r = load_col(&store[n_cols++], argv[i]);
	} else {
		/* L1 by L1, kernel by kernel: each table's columns in the order asked */
		for (int l = 0; l < n_l; l++) {
			for (int k = 0; k < n_k; k++) {
				struct col_store *c = &store[n_cols++];
				char log[PATH_MAX + 64], why[MATRIX_NOTE_MAX];
				int st;

				snprintf(path, sizeof(path), "%s.%s.%s.json", out, kernels[k],
					 l1s[l]);
				snprintf(log, sizeof(log), "%s.%s.%s.log", out, kernels[k], l1s[l]);
				fprintf(stderr,
					"%s: [%d/%d] kernel %s, L1 %s: nvmx bench run (its log: "
					"%s)\n",
					p, n_cols, n_k * n_l, kernels[k], l1s[l], log);
				t0 = time(NULL);
				st = run_one(kernels[k], l1s[l], repeats, iterations, path, log);
				if (!st) {
					fprintf(stderr, "%s: [%d/%d] done in %lld s: %s\n", p,
						n_cols, n_k * n_l, (long long)(time(NULL) - t0),
						path);
					r = load_col(c, path);
					if (r)
						break;
					continue;
				}
				last_line(log, why, sizeof(why));
				snprintf(c->note, sizeof(c->note),
					 "nvmx bench run exited %d (its log: %s): %s", st, log,
					 why[0] ? why : "(its log is empty)");
				fprintf(stderr, "%s: [%d/%d] FAILED after %lld s: %s\n", p, n_cols,
					n_k * n_l, (long long)(time(NULL) - t0), c->note);
				snprintf(c->kernel, sizeof(c->kernel), "%s", kernels[k]);
				snprintf(c->l1, sizeof(c->l1), "%s", l1s[l]);
				c->col.kernel = c->kernel;
				c->col.l1 = c->l1;
				c->col.note = c->note;
				failed++;
				if (write_failed(path, kernels[k], l1s[l], c->note)) {
					fprintf(stderr, "%s: cannot write %s\n", p, path);
					r = 2;
					break;
				}
			}
			if (r)
				break;
		}
	}
	for (int i = 0; i < n_cols; i++) {
		cols[i] = store[i].col;
		failed += !from ? 0 : !cols[i].file;
	}
	if (r)
		goto out;
	if (!uname(&u))
		snprintf(host, sizeof(host), "%s %s", u.sysname, u.release);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	run_dates(cols, n_cols, d0, d1, sizeof(d0));
	snprintf(intro, sizeof(intro),
		 "Written by `nvmx bench matrix` (nvmx %s) on %s from results run %s to %s, on %s "
		 "(host kernel %s). A benchmark, not a test: each column is one `nvmx bench run` "
		 "result (the lab: L0 under QEMU TCG, its clock as the tables say), each value the "
		 "median of its repeats. Changes are marked by `nvmx bench compare`'s default "
		 "thresholds%s%s%s.\n",
		 NVMX_VERSION, date, d0, d1, machine(cols, n_cols), host,
		 thresholds ? " and those of `" : "", thresholds ? thresholds : "",
		 thresholds ? "`" : "");
	snprintf(path, sizeof(path), "%s.md", out);
	md = fopen(path, "w");
	snprintf(path, sizeof(path), "%s.html", out);
	html = md ? fopen(path, "w") : NULL;
	if (!md || !html) {
		fprintf(stderr, "%s: cannot write %s: %s\n", p, path, strerror(errno));
		if (md)
			fclose(md);
		r = 2;
		goto out;
	}
	r = nvmx_bench_matrix_write(md, html, cols, n_cols, thresholds, intro);
	if ((fclose(md) | fclose(html)) && !r) {
		fprintf(stderr, "%s: cannot write %s.md or .html\n", p, out);
		r = 2;
	}
	if (!r) {
		fprintf(stderr,
			"%s: %d columns (%d without a result) written to %s.md and %s.html\n", p,
			n_cols, failed, out, out);
		r = failed ? 1 : 0;
	}
out:
	for (int i = 0; i < n_cols; i++)
		nvmx_bench_file_free(&store[i].file);
	free(store);
	return r;
}
