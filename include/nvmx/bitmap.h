/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bitmap advisor's numbers: every MSR and port entry of a summary as a row, with its cost,
 * the mechanism behind it (bitmap_rules.h) and a rank. nvmx bitmap prints them; nvmxd's
 * Prometheus families of the top offenders use the same mechanism ids. User space.
 */
#ifndef NVMX_BITMAP_H
#define NVMX_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bitmap_rules.h"
#include "summary.h"

struct nvmx_bm_row {
	bool is_msr;
	uint32_t isa;
	uint32_t msr;		      /* MSR index, or NVMX_MSR_UNKNOWN (is_msr) */
	uint16_t port;		      /* !is_msr */
	bool write;		      /* MSR: WRMSR, else RDMSR; port: OUT, else IN */
	uint8_t size;		      /* port: bytes (0: not known) */
	enum nvmx_handler handled_by; /* L2 exit by L0 or L1; NONE: an exit of L1 itself */
	uint64_t count;		      /* exits */
	uint64_t timed;		      /* exits (reflected: round trips) with a cost */
	uint64_t sum_ns;	      /* their cost */
	double mean_ns;		      /* sum_ns / timed; 0 when nothing was timed */
	/*
	 * count x mean_ns: the time all its exits cost (L0's handling; for a reflected one the
	 * round trip: L0, L1's handler and the nested entry). What the rows are ranked by.
	 */
	double cost_ns;
	enum nvmx_bm_mechanism mechanism;
	const char *name; /* the well-known MSR/port name, or NULL */
};

struct nvmx_bm_report {
	struct nvmx_bm_row *rows; /* ranked: cost, then count, then key */
	size_t n;
	double total_cost_ns; /* of every row */
	uint64_t total_count;
};

/*
 * The rows of s: the MSR and port entries with at least one exit (after subtracting base, when
 * base is not NULL: a live delta between two snapshots of the same counters). kver selects
 * KVM's merge rules (0: unknown, the newest). Returns 0 or -ENOMEM.
 */
int nvmx_bm_report_build(const struct nvmx_summary *s, const struct nvmx_summary *base,
			 nvmx_kver kver, struct nvmx_bm_report *out);
void nvmx_bm_report_free(struct nvmx_bm_report *r);

/* "RDMSR 0x174 IA32_SYSENTER_CS", "OUT 0x80 POST (1 byte)": what the row's exits accessed. */
const char *nvmx_bm_row_what(const struct nvmx_bm_row *r, char *buf, size_t len);

/* "reflected to L1", "handled in L0", "L1's own exit" */
const char *nvmx_bm_row_handler(const struct nvmx_bm_row *r);

#endif /* NVMX_BITMAP_H */
