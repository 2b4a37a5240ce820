/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmx bench: the result file of `nvmx bench run` (docs/ci.md, schema NVMX_BENCH_SCHEMA) and the
 * two halves of the command, run and compare.
 */
#ifndef NVMX_CLI_BENCH_H
#define NVMX_CLI_BENCH_H

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

/*
 * Appends the metrics of one nvmx summary JSON object (nvmxd --json, or one VM of its "vms") as
 * repeat number rep (0-based) of repeats to metrics, an object of name -> metric entry. Returns 0
 * or a negative errno (-EINVAL: the object is not a summary of schema 1).
 */
int nvmx_bench_add_summary(struct json_object *metrics, struct json_object *summary, int rep,
			   int repeats);

#endif
