// SPDX-License-Identifier: GPL-2.0
/* The attribution table: who handled each exit reason, as `nvmx replay` and `nvmx up` print it. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/types.h>

#include "nvmx/breakdown.h"
#include "nvmx/derive.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/summary.h"
#include "table.h"

/* One row per (isa, reason) of all exit kinds. */
struct row {
	uint32_t isa, reason;
	uint64_t l0, l1, l1_exits, synth;
	uint64_t round_trips,
		rt_l1_exits; /* complete round trips of this reason, L1 exits in them */
};

static struct row *row_of(struct row *rows, size_t *n, size_t cap, uint32_t isa, uint32_t reason)
{
	for (size_t i = 0; i < *n; i++)
		if (rows[i].isa == isa && rows[i].reason == reason)
			return &rows[i];
	if (*n == cap)
		return NULL;
	rows[*n] = (struct row){ .isa = isa, .reason = reason };
	return &rows[(*n)++];
}

/* An MSR/port entry's handler column: an exit of L1 itself has none. */
static const char *handler(enum nvmx_handler h)
{
	return h == NVMX_HANDLED_BY_NONE ? "-" : nvmx_handler_name(h);
}

int nvmx_filter_text(const struct nvmx_summary *s, char *buf, size_t len)
{
	const struct nvmx_summary_filter *flt = nvmx_summary_get_filter(s);
	char vm[80] = "", vcpu[32] = "";

	buf[0] = '\0';
	if (!flt)
		return 0;
	if (flt->vm[0])
		snprintf(vm, sizeof(vm), " --vm %s", flt->vm);
	if (flt->vcpu >= 0)
		snprintf(vcpu, sizeof(vcpu), " --vcpu %" PRId64, flt->vcpu);
	snprintf(buf, len,
		 "filter:%s%s: %" PRIu64 " vCPU thread%s, %" PRIu64
		 " events kept (lost events: the whole capture's)",
		 vm, vcpu, flt->threads, flt->threads == 1 ? "" : "s", flt->events);
	return 1;
}

void nvmx_print_filter(FILE *f, const struct nvmx_summary *s)
{
	char buf[256];

	if (nvmx_filter_text(s, buf, sizeof(buf)))
		fprintf(f, "%s\n", buf);
}

void nvmx_print_table(FILE *f, const struct nvmx_summary *s)
{
	const struct nvmx_summary_exit *ex;
	const struct nvmx_summary_msr *ms;
	const struct nvmx_summary_port *po;
	size_t n_ex = nvmx_summary_exits(s, &ex);
	size_t n_ms = nvmx_summary_msrs(s, &ms);
	size_t n_po = nvmx_summary_ports(s, &po);
	const struct nvmx_bd_entry *bd;
	size_t n_bd = nvmx_summary_breakdowns(s, &bd);
	struct row rows[512];
	size_t n_rows = 0, dropped = 0, uncertain = 0;
	int iw = 4;
	uint64_t tot_l0 = 0, tot_l1 = 0, tot_l1x = 0, tot_syn = 0, injected = 0, rts, rt_l1;
	char buf[24];

	for (size_t i = 0; i < n_ex; i++) {
		struct row *r;

		/* arm64: no exit, a line of its own below the total */
		if (ex[i].kind == NVMX_KIND_INJECTED_TO_L1) {
			injected += ex[i].count;
			continue;
		}
		r = row_of(rows, &n_rows, sizeof(rows) / sizeof(rows[0]), ex[i].isa, ex[i].reason);
		if (!r) {
			dropped++;
			continue;
		}
		if (ex[i].kind == NVMX_KIND_L2_EXIT && ex[i].handled_by == NVMX_HANDLED_BY_L1)
			r->l1 += ex[i].count;
		else if (ex[i].kind == NVMX_KIND_L2_EXIT)
			r->l0 += ex[i].count;
		else if (ex[i].kind == NVMX_KIND_L1_EXIT)
			r->l1_exits += ex[i].count;
		else
			r->synth += ex[i].count;
	}
	for (size_t i = 0; i < n_bd; i++) {
		struct row *r;

		if (bd[i].kind != NVMX_BD_ROUND_TRIP)
			continue;
		r = row_of(rows, &n_rows, sizeof(rows) / sizeof(rows[0]), bd[i].isa, bd[i].reason);
		if (!r) {
			dropped++;
			continue;
		}
		r->round_trips += bd[i].count;
		r->rt_l1_exits += nvmx_bd_l1_exits(&bd[i]);
	}
	/* the isa column fits its longest name: 4 for svm/vmx (the x86 outputs), 5 for arm64 */
	for (size_t i = 0; i < n_rows; i++)
		if ((int)strlen(nvmx_isa_name(rows[i].isa)) > iw)
			iw = (int)strlen(nvmx_isa_name(rows[i].isa));
	nvmx_print_filter(f, s);
	fprintf(f, "%-*s %-22s %10s %10s %10s %10s %10s %6s\n", iw, "isa", "reason", "L2->L0",
		"L2->L1", "reflected", "L1 own", "synth->L1", "mult");
	for (size_t i = 0; i < n_rows; i++) {
		const struct row *r = &rows[i];
		char share[16] = "-", mult[16] = "-";
		bool certain =
			nvmx_reason_certain(r->isa, r->reason) || !(r->l0 + r->l1 + r->l1_exits);

		if (r->l0 + r->l1)
			snprintf(share, sizeof(share), "%.1f%%",
				 100.0 * nvmx_reflected_share(r->l0, r->l1));
		if (r->round_trips)
			snprintf(mult, sizeof(mult), "%.2f",
				 nvmx_exit_multiplication(r->rt_l1_exits, r->round_trips));
		fprintf(f,
			"%-*s %-22s %10" PRIu64 " %10" PRIu64 " %10s %10" PRIu64 " %10" PRIu64
			" %6s%s\n",
			iw, nvmx_isa_name(r->isa),
			nvmx_reason_name(r->isa, r->reason, buf, sizeof(buf)), r->l0, r->l1, share,
			r->l1_exits, r->synth, mult, certain ? "" : "  *");
		uncertain += !certain;
		tot_l0 += r->l0;
		tot_l1 += r->l1;
		tot_l1x += r->l1_exits;
		tot_syn += r->synth;
	}
	if (dropped)
		fprintf(f, "(%zu entries not shown: too many reasons)\n", dropped);
	nvmx_summary_round_trip_totals(s, &rts, &rt_l1);
	snprintf(buf, sizeof(buf), "-");
	if (rts)
		snprintf(buf, sizeof(buf), "%.2f", nvmx_exit_multiplication(rt_l1, rts));
	fprintf(f, "%-*s %-22s %10" PRIu64 " %10" PRIu64 " %10s %10" PRIu64 " %10" PRIu64 " %6s\n",
		iw, "", "total", tot_l0, tot_l1, "", tot_l1x, tot_syn, buf);
	if (injected)
		fprintf(f, "injected into L1 itself (arm64, not exits): %" PRIu64 "\n", injected);
	/* once, not on every row: docs/model.md's "uncertain exit reason" */
	if (uncertain)
		fprintf(f, "* uncertain: also caused by timers, devices or paging; varies from run "
			   "to run\n");
	if (rts)
		fprintf(f,
			"\nexit multiplication (mult): %.2f L1 exits per round trip (L0 exits/RT "
			"%.2f), %" PRIu64 " complete round %s\n",
			nvmx_exit_multiplication(rt_l1, rts),
			nvmx_l0_exits_per_round_trip(rt_l1, rts), rts, rts == 1 ? "trip" : "trips");
	else if (tot_l1)
		fprintf(f, "\nexit multiplication (mult): - (no complete round trip)\n");

	if (n_ms) {
		fprintf(f, "\nMSR accesses:\n%-4s %-10s %-6s %-4s %-10s %10s\n", "isa", "msr",
			"access", "exit", "handled_by", "count");
		for (size_t i = 0; i < n_ms; i++) {
			if (ms[i].msr == NVMX_MSR_UNKNOWN)
				snprintf(buf, sizeof(buf), "unknown");
			else
				snprintf(buf, sizeof(buf), "0x%x", ms[i].msr);
			fprintf(f, "%-4s %-10s %-6s %-4s %-10s %10" PRIu64 "\n",
				nvmx_isa_name(ms[i].isa), buf, ms[i].write ? "write" : "read",
				nvmx_exit_level_name(ms[i].handled_by), handler(ms[i].handled_by),
				ms[i].count);
		}
	}
	if (n_po) {
		fprintf(f, "\nport I/O:\n%-4s %-8s %-4s %4s %-4s %-10s %10s\n", "isa", "port",
			"dir", "size", "exit", "handled_by", "count");
		for (size_t i = 0; i < n_po; i++)
			fprintf(f, "%-4s 0x%-6x %-4s %4u %-4s %-10s %10" PRIu64 "\n",
				nvmx_isa_name(po[i].isa), po[i].port, po[i].in ? "in" : "out",
				po[i].size, nvmx_exit_level_name(po[i].handled_by),
				handler(po[i].handled_by), po[i].count);
	}
	fprintf(f, "\nnested entries:        %" PRIu64 "\n", nvmx_summary_nested_entries(s));
	if (nvmx_summary_failed_entries(s))
		fprintf(f, "failed nested entries: %" PRIu64 "\n", nvmx_summary_failed_entries(s));
	fprintf(f, "unattributed:          %" PRIu64 "\n", nvmx_summary_unattributed(s));
	fprintf(f, "lost events:           %" PRIu64 "%s\n", nvmx_summary_lost(s),
		nvmx_summary_lost(s) ? " (the counts above are short by them)" : "");
}
