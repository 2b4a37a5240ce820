// SPDX-License-Identifier: GPL-2.0
/* The bitmap advisor's rows: see include/nvmx/bitmap.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmx/bitmap.h"

static int push(struct nvmx_bm_report *r, size_t *cap, const struct nvmx_bm_row *row)
{
	if (r->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct nvmx_bm_row *p = realloc(r->rows, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->rows = p;
		*cap = ncap;
	}
	r->rows[r->n++] = *row;
	return 0;
}

/* The difference now - before of a counter that only grows (a restarted nvmxd: now). */
static uint64_t delta(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

static void finish_row(struct nvmx_bm_row *row, nvmx_kver kver)
{
	row->mean_ns = row->timed ? (double)row->sum_ns / (double)row->timed : 0;
	row->cost_ns = (double)row->count * row->mean_ns;
	if (row->is_msr) {
		row->mechanism = nvmx_bm_msr_access_mechanism(row->isa, row->msr, row->write,
							      (int)row->handled_by, kver);
		row->name = row->msr == NVMX_MSR_UNKNOWN ? NULL : nvmx_msr_name(row->msr);
	} else {
		row->mechanism =
			nvmx_bm_port_mechanism(row->isa, row->port, (int)row->handled_by, kver);
		row->name = nvmx_port_name(row->port);
	}
}

static int cmp_rows(const void *pa, const void *pb)
{
	const struct nvmx_bm_row *a = pa, *b = pb;

	if (a->cost_ns != b->cost_ns)
		return a->cost_ns > b->cost_ns ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->is_msr != b->is_msr)
		return a->is_msr ? -1 : 1;
	if (a->isa != b->isa)
		return a->isa < b->isa ? -1 : 1;
	if (a->msr != b->msr)
		return a->msr < b->msr ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->write != b->write)
		return a->write ? 1 : -1;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	if (a->handled_by != b->handled_by)
		return a->handled_by < b->handled_by ? -1 : 1;
	return 0;
}

static const struct nvmx_summary_msr *base_msr(const struct nvmx_summary_msr *m, size_t n,
					       const struct nvmx_summary_msr *k)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].isa == k->isa && m[i].msr == k->msr && m[i].write == k->write &&
		    m[i].handled_by == k->handled_by)
			return &m[i];
	return NULL;
}

static const struct nvmx_summary_port *base_port(const struct nvmx_summary_port *p, size_t n,
						 const struct nvmx_summary_port *k)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].isa == k->isa && p[i].port == k->port && p[i].in == k->in &&
		    p[i].size == k->size && p[i].handled_by == k->handled_by)
			return &p[i];
	return NULL;
}

int nvmx_bm_report_build(const struct nvmx_summary *s, const struct nvmx_summary *base,
			 nvmx_kver kver, struct nvmx_bm_report *out)
{
	const struct nvmx_summary_msr *m, *bm = NULL;
	const struct nvmx_summary_port *p, *bp = NULL;
	size_t nm = nvmx_summary_msrs(s, &m), np = nvmx_summary_ports(s, &p), nbm = 0, nbp = 0;
	size_t cap = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (base) {
		nbm = nvmx_summary_msrs(base, &bm);
		nbp = nvmx_summary_ports(base, &bp);
	}
	for (size_t i = 0; i < nm && !err; i++) {
		const struct nvmx_summary_msr *b = base ? base_msr(bm, nbm, &m[i]) : NULL;
		struct nvmx_bm_row row = {
			.is_msr = true,
			.isa = m[i].isa,
			.msr = m[i].msr,
			.write = m[i].write,
			.handled_by = m[i].handled_by,
			.count = delta(m[i].count, b ? b->count : 0),
			.timed = delta(m[i].timed, b ? b->timed : 0),
			.sum_ns = delta(m[i].sum_ns, b ? b->sum_ns : 0),
		};

		if (!row.count)
			continue;
		finish_row(&row, kver);
		err = push(out, &cap, &row);
	}
	for (size_t i = 0; i < np && !err; i++) {
		const struct nvmx_summary_port *b = base ? base_port(bp, nbp, &p[i]) : NULL;
		struct nvmx_bm_row row = {
			.is_msr = false,
			.isa = p[i].isa,
			.port = p[i].port,
			.write = !p[i].in,
			.size = p[i].size,
			.handled_by = p[i].handled_by,
			.count = delta(p[i].count, b ? b->count : 0),
			.timed = delta(p[i].timed, b ? b->timed : 0),
			.sum_ns = delta(p[i].sum_ns, b ? b->sum_ns : 0),
		};

		if (!row.count)
			continue;
		finish_row(&row, kver);
		err = push(out, &cap, &row);
	}
	if (err) {
		nvmx_bm_report_free(out);
		return err;
	}
	if (out->n)
		qsort(out->rows, out->n, sizeof(*out->rows), cmp_rows);
	for (size_t i = 0; i < out->n; i++) {
		out->total_cost_ns += out->rows[i].cost_ns;
		out->total_count += out->rows[i].count;
	}
	return 0;
}

void nvmx_bm_report_free(struct nvmx_bm_report *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

const char *nvmx_bm_row_what(const struct nvmx_bm_row *r, char *buf, size_t len)
{
	if (r->is_msr) {
		if (r->msr == NVMX_MSR_UNKNOWN)
			snprintf(buf, len, "%s (index not seen)", r->write ? "WRMSR" : "RDMSR");
		else
			snprintf(buf, len, "%s 0x%x%s%s", r->write ? "WRMSR" : "RDMSR", r->msr,
				 r->name ? " " : "", r->name ? r->name : "");
	} else {
		snprintf(buf, len, "%s 0x%x%s%s", r->write ? "OUT" : "IN", r->port,
			 r->name ? " " : "", r->name ? r->name : "");
	}
	return buf;
}

const char *nvmx_bm_row_handler(const struct nvmx_bm_row *r)
{
	switch (r->handled_by) {
	case NVMX_HANDLED_BY_L1:
		return "reflected to L1";
	case NVMX_HANDLED_BY_L0:
		return "handled in L0";
	default:
		return "L1's own exit";
	}
}
