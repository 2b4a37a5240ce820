/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to libnvmx: struct nvmx_summary and what its files share: summary.c (the container),
 * summary_json_write.c, summary_json_read.c and summary_compare.c.
 */
#ifndef NVMX_SUMMARY_INT_H
#define NVMX_SUMMARY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
	/* a truth whose L1 is a real hypervisor: only L2 exits are certain (JSON "l1_certain") */
	bool l1_uncertain;
	bool filtered; /* filter says which threads were kept (JSON "filter") */
	struct nvmx_summary_filter filter;
	uint64_t failed_entries;
	uint64_t unattributed;
	uint64_t lost;		   /* events the counts miss (JSON "lost_events") */
	struct nvmx_bd_entry *bds; /* sorted by isa, reason, kind */
	size_t n_bds, cap_bds;
	struct nvmx_vec_entry *vecs; /* sorted by isa, type, vector, outcome */
	size_t n_vecs, cap_vecs;
};

/* Certainty of MSR and port entries: known isa, and for an MSR a known index. */
bool nvmx_msr_certain(const struct nvmx_summary_msr *m);
bool nvmx_port_certain(const struct nvmx_summary_port *p);
/* "L0", "L1" or "none": handled_by in the JSON and in diff lines. */
/*
 * Finds key in a sorted array of n: returns its index with *found set, or the index where it
 * belongs.
 */
size_t nvmx_find_exit(const struct nvmx_summary_exit *arr, size_t n,
		      const struct nvmx_summary_exit *key, bool *found);
size_t nvmx_find_msr(const struct nvmx_summary_msr *arr, size_t n,
		     const struct nvmx_summary_msr *key, bool *found);
size_t nvmx_find_port(const struct nvmx_summary_port *arr, size_t n,
		      const struct nvmx_summary_port *key, bool *found);
/* "l2_exits", "l1_exits", "synthesized_to_l1": the JSON key of each kind's list. */
extern const char *const nvmx_kind_keys[NVMX_KIND_INJECTED_TO_L1 + 1];

/* The JSON key of a part's cycles in a breakdown entry: "l0_exit_ns" -> "l0_exit_cycles". */
static inline void nvmx_bd_cycles_key(uint32_t part, char *buf, size_t len)
{
	const char *n = nvmx_bd_part_name(part);

	snprintf(buf, len, "%.*s_cycles", (int)(strlen(n) - 3), n);
}

#endif
