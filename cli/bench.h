/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmx bench: the result file of `nvmx bench run` (docs/ci.md, schema NVMX_BENCH_SCHEMA) and the
 * two halves of the command, run and compare.
 */
#ifndef NVMX_CLI_BENCH_H
#define NVMX_CLI_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

/* "nvmx_bench" in the result file; bumped on any incompatible change of its keys. */
#define NVMX_BENCH_SCHEMA 1

/*
 * Metric kinds, the "kind" of each entry of "metrics":
 *   exact  a count the workload makes certain: must be equal, repeat by repeat
 *   count  a count that is not certain (L0's timers, paging): noise-aware
 *   ratio  reflect share, exit multiplication: noise-aware
 *   time   nanoseconds (breakdown means and quantiles): noise-aware
 */
#define NVMX_BENCH_KINDS "exact, count, ratio, time"

int nvmx_bench_run(int argc, char **argv);
int nvmx_bench_compare(int argc, char **argv);
int nvmx_bench_matrix(int argc, char **argv);

/* One result file, read by nvmx_bench_load(). */
struct nvmx_bench_file {
	const char *path;
	struct json_object *root, *metrics, *workload, *env;
	int repeats;
};

/* A threshold: PATTERN pct=P k=K abs=A, or ignore (nvmx bench compare --help). */
#define NVMX_BENCH_MAX_RULES 64
struct nvmx_bench_rule {
	char pattern[128];
	double pct, k, abs;
	bool ignore;
	/* a default for results of these clocks only (fnmatch on workload "clock"); NULL: any */
	const char *clock;
	/* a default for results of this L1 only (fnmatch on workload "l1"); NULL: any */
	const char *l1;
};

/* One metric of NEW against BASE. */
struct nvmx_bench_verdict {
	const char *name, *kind;
	double base, new, limit, spread;
	int verdict; /* 0 same, 1 regression (NEW higher), -1 improvement (NEW lower) */
	char why[256];
};

/*
 * Reads and checks f->path. 0, or 2 with one line on stderr: "WHO: cannot compare: why".
 * nvmx_bench_file_free() releases it.
 */
int nvmx_bench_load(struct nvmx_bench_file *f, const char *who);
void nvmx_bench_file_free(struct nvmx_bench_file *f);

/*
 * Whether BASE and NEW are comparable (one clock, one L1, one workload), and the rules for them:
 * compare's defaults for BASE's clock, then the thresholds file (may be NULL). 0, or 2 with one
 * line on stderr. rules holds NVMX_BENCH_MAX_RULES.
 */
int nvmx_bench_rules(const struct nvmx_bench_file *base, const struct nvmx_bench_file *new,
		     const char *thresholds, struct nvmx_bench_rule *rules, int *n_rules);

/* Metric name of NEW against BASE under rules: the one decision of compare and matrix. */
void nvmx_bench_compare_metric(const struct nvmx_bench_file *base,
			       const struct nvmx_bench_file *new, const char *name,
			       const struct nvmx_bench_rule *rules, int n_rules,
			       struct nvmx_bench_verdict *r);

/* A metric's value as compare shows it: a time with its unit, a count whole, a ratio. */
const char *nvmx_bench_fmt(const char *kind, double v, char *buf, size_t len);

/* s with & < > " escaped, for XML and HTML. */
void nvmx_bench_xml_escape(FILE *f, const char *s);

/*
 * The kernel matrix (nvmx bench matrix): one column per (kernel, L1) result, in order. A column
 * without a result (its run failed) has file NULL and says why in note.
 */
struct nvmx_bench_matrix_col {
	const char *kernel; /* the series asked for, e.g. "6.12" */
	const char *l1;	    /* "minimal" or "kvm" */
	struct nvmx_bench_file *file;
	const char *note;
};

/*
 * Writes the matrix as Markdown to md and as an HTML document to html (either may be NULL): one
 * table per L1; per reflected exit reason, the round trip's mean and each part, the exit
 * multiplication and, per L1 exit reason, its part of it and its service time per round trip.
 * Each cell after the first kernel beside the change from the previous kernel of the same L1,
 * marked when nvmx_bench_compare_metric() calls it a change under the rules of
 * nvmx_bench_rules() (thresholds: a file of more rules, or NULL). intro: Markdown paragraphs
 * before the tables (may be NULL). 0, or 2 with one line on stderr (results not comparable).
 */
int nvmx_bench_matrix_write(FILE *md, FILE *html, const struct nvmx_bench_matrix_col *cols,
			    int n_cols, const char *thresholds, const char *intro);

/*
 * Appends the metrics of one nvmx summary JSON object (nvmxd --json, or one VM of its "vms") as
 * repeat number rep (0-based) of repeats to metrics, an object of name -> metric entry. With
 * l1_certain false (a real L1: Linux KVM), L1's own exits, the exits synthesised to it and the
 * nested entries are never "exact". Returns 0 or a negative errno (-EINVAL: the object is not a
 * summary of schema 1).
 */
int nvmx_bench_add_summary(struct json_object *metrics, struct json_object *summary, int rep,
			   int repeats, bool l1_certain);

#endif
