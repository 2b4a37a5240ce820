// SPDX-License-Identifier: GPL-2.0
/* nvmxtop's header and rows as text (top_fmt.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nvmx/derive.h"
#include "nvmx/exit_reasons.h"
#include "top_fmt.h"

enum col {
	COL_L0,	    /* L2 exits handled by L0 */
	COL_L1,	    /* L2 exits reflected to L1 */
	COL_SHARE,  /* L1's share of the L2 exits */
	COL_RATE,   /* L2 exits per second (the total layouts only) */
	COL_L0_US,  /* mean cost of an L2 exit L0 handled */
	COL_RT_US,  /* mean round trip of a reflected one, until L2 runs again (breakdown) */
	COL_MULT,   /* exit multiplication: L1's exits in its handler per round trip */
	COL_L1_OWN, /* L1's own exits */
	COL_SYNTH,  /* exits L0 synthesised to L1 (interrupts...) */
	/* the round trip's parts, mean us (model.h NVMX_RT_L0_EXIT ...): wide screens only */
	COL_P_L0_EXIT,
	COL_P_REFLECT,
	COL_P_L1_HANDLER,
	COL_P_L1_SERVICE,
	COL_P_ENTRY,
	COLS,
};

static const struct {
	const char *title;
	int width;
	int part; /* the round trip part, for COL_P_*; 0 in the others */
} cols[COLS] = {
	[COL_L0] = { .title = "L2->L0", .width = 9 },
	[COL_L1] = { .title = "L2->L1", .width = 9 },
	[COL_SHARE] = { .title = "L1%", .width = 5 },
	[COL_RATE] = { .title = "L2/s", .width = 9 },
	[COL_L0_US] = { .title = "L0 us", .width = 7 },
	[COL_RT_US] = { .title = "RT us", .width = 7 },
	[COL_MULT] = { .title = "mult", .width = 6 },
	[COL_L1_OWN] = { .title = "L1 own", .width = 7 },
	[COL_SYNTH] = { .title = "synth", .width = 7 },
	[COL_P_L0_EXIT] = { .title = "L0exit", .width = 7, .part = 1 },
	[COL_P_REFLECT] = { .title = "reflect", .width = 7, .part = 2 },
	[COL_P_L1_HANDLER] = { .title = "L1hdl", .width = 7, .part = 3 },
	[COL_P_L1_SERVICE] = { .title = "L1svc", .width = 7, .part = 4 },
	[COL_P_ENTRY] = { .title = "L0entry", .width = 7, .part = 5 },
};

#define BATCH_NAME_WIDTH 28
#define MIN_NAME_WIDTH	 20

/* Which columns fit, and the name's width. */
static int layout(const struct top_fmt *f, bool shown[COLS])
{
	/* what to give up first on a narrow terminal */
	static const enum col drop[] = { COL_P_ENTRY,	COL_P_L1_SERVICE, COL_P_L1_HANDLER,
					 COL_P_REFLECT, COL_P_L0_EXIT,	  COL_RATE,
					 COL_MULT,	COL_SYNTH,	  COL_L1_OWN,
					 COL_RT_US,	COL_L0_US };
	int used = 0, width = f->width;

	for (int c = 0; c < COLS; c++) {
		/* batch: stable columns, the parts only in --json */
		shown[c] = width || !cols[c].part;
		if (shown[c])
			used += cols[c].width + 1;
	}
	if (!width)
		return BATCH_NAME_WIDTH;
	/* a rate display has the rate in every count column already */
	if (f->rate) {
		shown[COL_RATE] = false;
		used -= cols[COL_RATE].width + 1;
	}
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]) && width - used < MIN_NAME_WIDTH;
	     i++) {
		if (!shown[drop[i]])
			continue;
		shown[drop[i]] = false;
		used += -cols[drop[i]].width - 1;
	}
	return width - used > MIN_NAME_WIDTH ? width - used : MIN_NAME_WIDTH;
}

static void fmt_count(uint64_t n, char *buf, size_t len)
{
	if (n < 100000000u)
		snprintf(buf, len, "%" PRIu64, n);
	else if (n < 100000000000u)
		snprintf(buf, len, "%.2fM", (double)n / 1e6);
	else
		snprintf(buf, len, "%.2fG", (double)n / 1e9);
}

static void fmt_rate(double r, char *buf, size_t len)
{
	if (r < 1000)
		snprintf(buf, len, "%.1f", r);
	else if (r < 1e7)
		snprintf(buf, len, "%.0f", r);
	else
		snprintf(buf, len, "%.2fM", r / 1e6);
}

/* A count column: the total, or its rate over the interval ("-" with no interval yet). */
static void fmt_value(const struct top_fmt *f, const struct top_view *v, uint64_t total,
		      uint64_t delta, char *buf, size_t len)
{
	if (!f->rate)
		fmt_count(total, buf, len);
	else if (v->interval_s > 0)
		fmt_rate((double)delta / v->interval_s, buf, len);
	else
		snprintf(buf, len, "-");
}

static void fmt_mean_us(uint64_t ns, uint64_t n, char *buf, size_t len)
{
	if (n)
		snprintf(buf, len, "%.1f", (double)ns / (double)n / 1e3);
	else
		snprintf(buf, len, "-");
}

void top_fmt_titles(const struct top_fmt *f, char *buf, size_t len)
{
	bool shown[COLS];
	int name_w = layout(f, shown);
	size_t off;
	const char *title = f->rate ? "VM / vCPU / reason  (per s)" : "VM / vCPU / reason";

	/*
	 * The title never takes more than the names' width: a longer one pushed every column title
	 * right of its column and cut the last ones ("L1 own", "synth") at 80 columns. The status
	 * line says "per second" too.
	 */
	if ((int)strlen(title) > name_w)
		title = "VM / vCPU / reason";
	off = (size_t)snprintf(buf, len, "%-*.*s", name_w, name_w, title);
	for (int c = 0; c < COLS && off < len; c++)
		if (shown[c])
			off += (size_t)snprintf(buf + off, len - off, " %*s", cols[c].width,
						cols[c].title);
}

void top_fmt_row(const struct top_fmt *f, const struct top_view *v, const char *name,
		 const struct top_stats *st, char *buf, size_t len)
{
	bool shown[COLS];
	int name_w = layout(f, shown);
	size_t off;

	off = (size_t)snprintf(buf, len, "%-*.*s", name_w, name_w, name);
	for (int c = 0; c < COLS && off < len; c++) {
		/* interval numbers for a rate display, totals otherwise */
		const uint64_t *n = f->rate ? st->dn : st->n, *ns = f->rate ? st->dns : st->ns;
		const uint64_t *t = f->rate ? st->dt : st->t;
		uint64_t l0 = n[TOP_L2_BY_L0], l1 = n[TOP_L2_BY_L1];
		char val[32];

		if (!shown[c])
			continue;
		switch ((enum col)c) {
		case COL_L0:
			fmt_value(f, v, st->n[TOP_L2_BY_L0], st->dn[TOP_L2_BY_L0], val,
				  sizeof(val));
			break;
		case COL_L1:
			fmt_value(f, v, st->n[TOP_L2_BY_L1], st->dn[TOP_L2_BY_L1], val,
				  sizeof(val));
			break;
		case COL_SHARE:
			if (l0 + l1)
				snprintf(val, sizeof(val), "%.1f",
					 100.0 * nvmx_reflected_share(l0, l1));
			else
				snprintf(val, sizeof(val), "-");
			break;
		case COL_RATE:
			if (v->interval_s > 0)
				fmt_rate((double)top_l2(st, true) / v->interval_s, val,
					 sizeof(val));
			else
				snprintf(val, sizeof(val), "-");
			break;
		case COL_L0_US:
			fmt_mean_us(ns[TOP_L2_BY_L0], t[TOP_L2_BY_L0], val, sizeof(val));
			break;
		case COL_RT_US:
			fmt_mean_us(ns[TOP_ROUND_TRIP], n[TOP_ROUND_TRIP], val, sizeof(val));
			break;
		case COL_MULT:
			if (n[TOP_ROUND_TRIP])
				snprintf(val, sizeof(val), "%.2f",
					 nvmx_exit_multiplication(f->rate ? st->dl1_exits
									  : st->l1_exits,
								  n[TOP_ROUND_TRIP]));
			else
				snprintf(val, sizeof(val), "-");
			break;
		case COL_P_L0_EXIT:
		case COL_P_REFLECT:
		case COL_P_L1_HANDLER:
		case COL_P_L1_SERVICE:
		case COL_P_ENTRY:
			fmt_mean_us((f->rate ? st->dpart_ns : st->part_ns)[cols[c].part],
				    n[TOP_ROUND_TRIP], val, sizeof(val));
			break;
		case COL_L1_OWN:
			fmt_value(f, v, st->n[TOP_L1_EXIT], st->dn[TOP_L1_EXIT], val, sizeof(val));
			break;
		case COL_SYNTH:
			fmt_value(f, v, st->n[TOP_SYNTHESIZED_TO_L1], st->dn[TOP_SYNTHESIZED_TO_L1],
				  val, sizeof(val));
			break;
		default:
			val[0] = '\0';
		}
		off += (size_t)snprintf(buf + off, len - off, " %*s", cols[c].width, val);
	}
}

void top_fmt_vm_name(const struct top_vm *vm, char *buf, size_t len)
{
	if (vm->tgid)
		snprintf(buf, len, "%s (pid %" PRIu32 ")", vm->name, vm->tgid);
	else
		snprintf(buf, len, "%s", vm->name);
}

void top_fmt_header(const struct top_fmt *f, const struct top_view *v, const struct top_where *w,
		    char out[TOP_HEADER_LINES][TOP_LINE_MAX])
{
	const struct top_stats *a = &v->all;
	uint64_t l0 = a->n[TOP_L2_BY_L0], l1 = a->n[TOP_L2_BY_L1];
	char rate[32], share[16], mult[16], rt[32], total[32], over[32], lost[32], dlost[32];

	if (v->interval_s > 0)
		fmt_rate((double)top_l2(a, true) / v->interval_s, rate, sizeof(rate));
	else
		snprintf(rate, sizeof(rate), "-");
	fmt_count(l0 + l1, total, sizeof(total));
	if (l0 + l1)
		snprintf(share, sizeof(share), "%.1f%%", 100.0 * nvmx_reflected_share(l0, l1));
	else
		snprintf(share, sizeof(share), "-");
	/* the Turtles breakdown: '-' while the source has none (no complete round trip) */
	if (a->n[TOP_ROUND_TRIP])
		snprintf(rt, sizeof(rt), "%.1f us",
			 nvmx_mean(a->ns[TOP_ROUND_TRIP], a->n[TOP_ROUND_TRIP]) / 1e3);
	else
		snprintf(rt, sizeof(rt), "-");
	if (a->n[TOP_ROUND_TRIP])
		snprintf(mult, sizeof(mult), "%.2f",
			 nvmx_exit_multiplication(a->l1_exits, a->n[TOP_ROUND_TRIP]));
	else
		snprintf(mult, sizeof(mult), "-");
	if (v->overhead_known)
		snprintf(over, sizeof(over), "%.2f%% CPU", 100.0 * v->overhead_cpu);
	else
		snprintf(over, sizeof(over), "-");
	fmt_count(v->lost_events, lost, sizeof(lost));
	fmt_count(v->dlost_events, dlost, sizeof(dlost));

	/* what can change first: the source's name may be long and is cut on a narrow screen */
	snprintf(out[0], TOP_LINE_MAX,
		 "nvmxtop%s%s%s%s  refresh %lu  at %.3f s  interval %.3f s  %s",
		 w->paused ? "  PAUSED" : "", v->ended ? "  END" : "", w->stale ? "  " : "",
		 w->stale ? w->stale : "", w->refresh, w->since_start_s, v->interval_s, w->what);
	snprintf(out[1], TOP_LINE_MAX, "L2 exits %s/s (total %s)  to L1 %s  round trip %s  mult %s",
		 rate, total, share, rt, mult);
	snprintf(out[2], TOP_LINE_MAX,
		 "VMs %zu  vCPUs %zu  nested entries %" PRIu64 "  round trips %" PRIu64
		 "  unattributed %" PRIu64 "  lost %s (+%s)  nvmx overhead %s",
		 v->n_vms_all, v->n_vcpus_all, a->n[TOP_NESTED_ENTRY], a->n[TOP_ROUND_TRIP],
		 a->n[TOP_UNATTRIBUTED], lost, dlost, over);
	(void)f;
}

void top_fmt_l1_titles(const struct top_fmt *f, char *buf, size_t len)
{
	snprintf(buf, len, "%-24s %-4s %-16s %-16s %10s %9s %10s %12s", "VM", "isa", "reflected",
		 "L1 exit", f->rate ? "exits/s" : "exits", "per trip", "L0svc us", "svc total us");
}

void top_fmt_l1_row(const struct top_fmt *f, const struct top_view *v, const struct top_vm *vm,
		    const struct top_l1_row *r, char *buf, size_t len)
{
	/* interval numbers for a rate display, totals otherwise */
	uint64_t n = f->rate ? r->dn : r->n, ns = f->rate ? r->dns : r->ns;
	uint64_t rt = f->rate ? r->dround_trips : r->round_trips;
	char exits[24];

	if (f->rate)
		snprintf(exits, sizeof(exits), "%.1f",
			 v->interval_s > 0 ? (double)n / v->interval_s : 0.0);
	else
		snprintf(exits, sizeof(exits), "%" PRIu64, n);
	snprintf(buf, len, "%-24.24s %-4s %-16.16s %-16.16s %10s %9.2f %10.2f %12.1f", vm->name,
		 nvmx_isa_name(r->isa), r->name, r->l1_name, exits, nvmx_exit_multiplication(n, rt),
		 nvmx_mean(ns, n) / 1e3, (double)ns / 1e3);
}
