/* SPDX-License-Identifier: GPL-2.0 */
/* Internal to libnvmx: struct nvmx_summary, shared by summary.c and breakdown.c. */
#ifndef NVMX_SUMMARY_INT_H
#define NVMX_SUMMARY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/breakdown.h"

/* The "schema" of every JSON file nvmx writes and reads. */
#define NVMX_SCHEMA 1

struct nvmx_summary {
	struct nvmx_summary_exit *exits;
	size_t n_exits, cap_exits;
	struct nvmx_summary_msr *msrs;
	size_t n_msrs, cap_msrs;
	struct nvmx_summary_port *ports;
	size_t n_ports, cap_ports;
	uint64_t nested_entries;
	bool has_nested_entries; /* added in memory or present in the JSON read */
	uint64_t failed_entries;
	uint64_t unattributed;
	struct nvmx_bd_entry *bds; /* sorted by isa, reason, kind */
	size_t n_bds, cap_bds;
	struct nvmx_vec_entry *vecs; /* sorted by isa, type, vector, outcome */
	size_t n_vecs, cap_vecs;
};

/* Certainty of MSR and port entries: known isa, and for an MSR a known index. */
bool nvmx_msr_certain(const struct nvmx_summary_msr *m);
bool nvmx_port_certain(const struct nvmx_summary_port *p);
/* "L0", "L1" or "none": handled_by in the JSON and in diff lines. */
const char *nvmx_handler_name(enum nvmx_handler h);

/* The JSON key of a part's cycles in a breakdown entry: "l0_exit_ns" -> "l0_exit_cycles". */
static inline void nvmx_bd_cycles_key(uint32_t part, char *buf, size_t len)
{
	const char *n = nvmx_bd_part_name(part);

	snprintf(buf, len, "%.*s_cycles", (int)(strlen(n) - 3), n);
}

/*
 * Reading nvmx's JSON back: every error is one "path: what was wrong" line in err, and -EINVAL.
 * ARR[I] names the entry being read (e.g. "l2_exits", 3) in the messages.
 */
struct nvmx_json_reader {
	const char *path;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) int nvmx_json_fail(struct nvmx_json_reader *r,
							 const char *fmt, ...);
int nvmx_json_get_string(struct nvmx_json_reader *r, struct json_object *o, const char *arr,
			 size_t i, const char *key, const char **v);
int nvmx_json_get_u64(struct nvmx_json_reader *r, struct json_object *o, const char *arr, size_t i,
		      const char *key, uint64_t *v);
int nvmx_json_get_isa(struct nvmx_json_reader *r, struct json_object *o, const char *arr, size_t i,
		      uint32_t *isa);
/* root[key] as an array; an absent key is an empty list (*arr NULL). */
int nvmx_json_get_array(struct nvmx_json_reader *r, struct json_object *root, const char *key,
			struct json_object **arr);

/* Reads those keys (absent: empty); 0, or -EINVAL with "path: what" in err. */
int nvmx_bd_json_read(struct json_object *root, struct nvmx_summary *s, const char *path, char *err,
		      size_t errlen);
/*
 * Counts only, never times (two observations of one run have different clocks). all: every
 * breakdown count and vectoring entry; else (truth against observed) the vectoring entries of
 * every (isa, type, vector) the truth names, and every lost event. Returns differences.
 */
int nvmx_bd_compare(const struct nvmx_summary *a, const struct nvmx_summary *b, bool all,
		    const char *a_name, const char *b_name, FILE *out);

#endif
