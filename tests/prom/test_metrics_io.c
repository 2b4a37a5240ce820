// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd's bounded MSR/port families (src/metrics_io.c): nvmx_msr_exits_total, nvmx_io_exits_total,
 * their _timed_total and _cost_seconds_total. From counts written out here, scraped twice
 * through one struct nvmxd_io_top as nvmxd's HTTP thread does: the NVMXD_IO_TOP costliest keys
 * get their own series, every other key adds to one "other" series per isa, exit and handler,
 * and a key that becomes costly once the set is full stays in "other" (series never move, so
 * every series stays a counter). Label values, the mechanism among them, follow the kernel
 * version passed in. The vm label is the VM's name: same-named processes are summed.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "promtool_check.h"
#include "metrics.h"

#define N_MSRS 40 /* NVMXD_IO_TOP exported, 8 in "other" */
#define N_L1   4  /* the least costly 4 are reflected: a second "other" series */

_Static_assert(N_MSRS > NVMXD_IO_TOP, "more keys than series");

/* Process 0 (every key below but those of vm_label_is_the_vm_name) is "vm"; 1 and 2 "alpha". */
static const char *vm_name(void *ctx, uint32_t tgid)
{
	(void)ctx;
	return tgid == 0 ? "vm" : tgid <= 2 ? "alpha" : "beta";
}

/*
 * MSR key i: cost (sum_ns) falls with i, count rises with it, so only a ranking by cost puts
 * key 0 first. The first four are keys with a known name and mechanism; the rest unnamed.
 */
static struct nvmx_counters_msr msr(int i)
{
	struct nvmx_counters_msr m = { .key = { .isa = NVMX_EV_ISA_VMX,
						.handled_by = NVMX_V_BY_L0 } };

	switch (i) {
	case 0: /* RDMSR APIC base, handled in L0: VMX never merges it */
		m.key.msr = 0x1b;
		break;
	case 1: /* WRMSR SPEC_CTRL, handled in L0: merged, so L0 intercepts it for L1 */
		m.key.msr = 0x48;
		m.key.write = 1;
		break;
	case 2: /* RDMSR SYSENTER_CS reflected to L1 */
		m.key.msr = 0x174;
		m.key.handled_by = NVMX_V_BY_L1;
		break;
	case 3: /* WRMSR x2APIC EOI of L1 itself */
		m.key.msr = 0x80b;
		m.key.write = 1;
		m.key.handled_by = NVMX_V_BY_NONE;
		break;
	default:
		m.key.msr = 0x3000 + (uint32_t)i;
		if (i >= N_MSRS - N_L1)
			m.key.handled_by = NVMX_V_BY_L1;
	}
	m.v.count = 100 + (uint64_t)i;
	m.v.timed = m.v.count;
	m.v.sum_ns = 1000000 - 1000 * (uint64_t)i;
	return m;
}

/* Key i's place in the counts: a permutation (7 and N_MSRS coprime), not in cost order. */
static size_t slot(int i)
{
	return (size_t)(i * 7 % N_MSRS);
}

static char *scrape(const struct nvmx_counters *c, struct nvmxd_io_top *top, uint32_t kver,
		    enum prom_format fmt)
{
	struct nvmxd_metrics_in in = {
		.counts = c, .vm_name = vm_name, .io_top = top, .kver = kver
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cr_assert_eq(nvmxd_metrics_write(f, &in, fmt), 0);
	fclose(f);
	return text;
}

/* The labels nvmxd writes for key i (name "" when the MSR has none). */
static void key_labels(char *buf, size_t len, const struct nvmx_counters_msr *m, const char *name,
		       const char *mechanism)
{
	static const char *const by[] = { "none", "L0", "L1" };

	snprintf(buf, len,
		 "vm=\"vm\",isa=\"vmx\",msr=\"0x%x\",name=\"%s\",access=\"%s\",exit=\"%s\","
		 "handled_by=\"%s\",mechanism=\"%s\"",
		 m->key.msr, name, m->key.write ? "write" : "read",
		 m->key.handled_by == NVMX_V_BY_NONE ? "L1" : "L2", by[m->key.handled_by],
		 mechanism);
}

/* The value of the series "family{labels}", NAN when the scrape does not have it. */
static double value(const char *text, const char *family, const char *labels)
{
	char want[512];
	const char *p;
	int n = snprintf(want, sizeof(want), "\n%s{%s} ", family, labels);

	/* A cut series name would find another series, or none: the test's own mistake. */
	if (n < 0 || (size_t)n >= sizeof(want))
		cr_assert_fail("series name too long: %s{%s}", family, labels);
	p = strstr(text, want);
	return p ? strtod(p + strlen(want), NULL) : NAN;
}

/* Sample lines of a family, with or without `part` in their labels. */
static int series(const char *text, const char *family, const char *part, bool with)
{
	char start[128];
	int n = 0;

	snprintf(start, sizeof(start), "\n%s{", family);
	for (const char *p = strstr(text, start); p; p = strstr(p + 1, start)) {
		const char *eol = strchr(p + 1, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		n += !!strstr(line, part) == with;
	}
	return n;
}

static const char *const families[] = { "nvmx_msr_exits_total", "nvmx_msr_exits_timed_total",
					"nvmx_msr_exit_cost_seconds_total" };

/* What family f says of v: count, timed, or the cost in seconds as nvmxd computes it. */
static double expect_of(int f, const struct nvmx_io_value *v)
{
	return f == 0 ? (double)v->count : f == 1 ? (double)v->timed : (double)v->sum_ns / 1e9;
}

/* Checks a scrape of the keys by_key[0..n): the first NVMXD_IO_TOP exported, the rest "other". */
static void check_scrape(const char *t, const struct nvmx_counters_msr *by_key, int n)
{
	struct nvmx_io_value other_l0 = { 0 }, other_l1 = { 0 };
	char l[512], m[64];

	for (int i = NVMXD_IO_TOP; i < n; i++) {
		struct nvmx_io_value *o =
			by_key[i].key.handled_by == NVMX_V_BY_L1 ? &other_l1 : &other_l0;

		o->count += by_key[i].v.count;
		o->timed += by_key[i].v.timed;
		o->sum_ns += by_key[i].v.sum_ns;
	}
	for (int f = 0; f < 3; f++) {
		cr_expect_eq(series(t, families[f], "msr=\"other\"", false), NVMXD_IO_TOP,
			     "%s: %d keyed series", families[f],
			     series(t, families[f], "msr=\"other\"", false));
		cr_expect_eq(series(t, families[f], "msr=\"other\"", true), 2,
			     "%s: one other series per handler", families[f]);
		for (int i = 0; i < n; i++) {
			snprintf(m, sizeof(m), "msr=\"0x%x\"", by_key[i].key.msr);
			if (i >= NVMXD_IO_TOP) {
				cr_expect_eq(series(t, families[f], m, true), 0,
					     "%s: key %d (%s) must be in \"other\", not among the "
					     "first %d",
					     families[f], i, m, NVMXD_IO_TOP);
				continue;
			}
			cr_expect_eq(series(t, families[f], m, true), 1, "%s: key %d (%s)",
				     families[f], i, m);
		}
		cr_expect_eq(
			value(t, families[f],
			      "vm=\"vm\",isa=\"vmx\",msr=\"other\",exit=\"L2\",handled_by=\"L0\""),
			expect_of(f, &other_l0), "%s: other L0 is the sum of the rest",
			families[f]);
		cr_expect_eq(
			value(t, families[f],
			      "vm=\"vm\",isa=\"vmx\",msr=\"other\",exit=\"L2\",handled_by=\"L1\""),
			expect_of(f, &other_l1), "%s: other L1 is the sum of the rest",
			families[f]);
		/* an unnamed key's value, exactly */
		key_labels(l, sizeof(l), &by_key[10], "", "always_exits");
		cr_expect_eq(value(t, families[f], l), expect_of(f, &by_key[10].v), "%s{%s}",
			     families[f], l);
	}
}

static void fill(struct nvmx_counters_msr *ms, struct nvmx_counters_msr *by_key, int n)
{
	for (int i = 0; i < n; i++) {
		by_key[i] = msr(i);
		ms[slot(i)] = by_key[i];
	}
}

Test(metrics_io, costliest_keys_then_other)
{
	struct nvmx_counters_msr ms[N_MSRS], by_key[N_MSRS];
	struct nvmx_counters c = { .msrs = ms, .n_msrs = N_MSRS };
	struct nvmxd_io_top top = { 0 };
	char *t;

	fill(ms, by_key, N_MSRS);
	t = scrape(&c, &top, 6012, PROM_TEXT);
	cr_expect_eq(top.n_msrs, NVMXD_IO_TOP);
	cr_expect_eq(top.n_ports, 0);
	check_scrape(t, by_key, N_MSRS);
	free(t);
}

Test(metrics_io, series_never_move)
{
	struct nvmx_counters_msr ms[N_MSRS + 1], by_key[N_MSRS + 1];
	struct nvmx_counters c = { .msrs = ms, .n_msrs = N_MSRS };
	struct nvmxd_io_top top = { 0 }, first;
	const int late = N_MSRS - 1; /* in "other" (reflected) after the first scrape */
	char *t, l[512];

	fill(ms, by_key, N_MSRS);
	free(scrape(&c, &top, 6012, PROM_TEXT));
	first = top;

	/* every key goes on; the last one becomes the costliest of all; a new key appears */
	for (int i = 0; i < N_MSRS; i++) {
		by_key[i].v.count += 10;
		by_key[i].v.timed += 10;
		by_key[i].v.sum_ns += 10000;
	}
	by_key[late].v.count += 1000;
	by_key[late].v.timed += 1000;
	by_key[late].v.sum_ns += 1000000000;
	by_key[N_MSRS] = msr(N_MSRS);
	by_key[N_MSRS].v.sum_ns = 2000000000;
	for (int i = 0; i < N_MSRS; i++)
		ms[slot(i)] = by_key[i];
	ms[N_MSRS] = by_key[N_MSRS];
	c.n_msrs = N_MSRS + 1;

	t = scrape(&c, &top, 6012, PROM_TEXT);
	cr_expect_eq(top.n_msrs, NVMXD_IO_TOP);
	cr_expect_eq(memcmp(&top, &first, sizeof(top)), 0, "the exported keys did not change");
	check_scrape(t, by_key, N_MSRS + 1);
	/* the two costliest keys now are in "other" (reflected) with the other 3 reflected ones */
	cr_expect_eq(value(t, "nvmx_msr_exit_cost_seconds_total",
			   "vm=\"vm\",isa=\"vmx\",msr=\"other\",exit=\"L2\",handled_by=\"L1\""),
		     (double)(by_key[36].v.sum_ns + by_key[37].v.sum_ns + by_key[38].v.sum_ns +
			      by_key[late].v.sum_ns + by_key[N_MSRS].v.sum_ns) /
			     1e9);
	/* the last exported key is still there, with its new value */
	key_labels(l, sizeof(l), &by_key[NVMXD_IO_TOP - 1], "", "always_exits");
	cr_expect_eq(value(t, "nvmx_msr_exits_total", l), 100 + NVMXD_IO_TOP - 1 + 10);
	free(t);
}

Test(metrics_io, labels_and_mechanism)
{
	struct nvmx_counters_msr ms[N_MSRS], by_key[N_MSRS];
	struct nvmx_counters c = { .msrs = ms, .n_msrs = N_MSRS };
	struct nvmxd_io_top top = { 0 };
	char *t, l[512];

	fill(ms, by_key, N_MSRS);
	t = scrape(&c, &top, 6012, PROM_TEXT);
	/* 0x1b handled by L0 on VMX: KVM never merges it, it always exits */
	cr_expect_eq(
		value(t, "nvmx_msr_exits_total",
		      "vm=\"vm\",isa=\"vmx\",msr=\"0x1b\",name=\"IA32_APIC_BASE\",access=\"read\","
		      "exit=\"L2\",handled_by=\"L0\",mechanism=\"always_exits\""),
		100);
	key_labels(l, sizeof(l), &by_key[1], "IA32_SPEC_CTRL", "l0_merged");
	cr_expect_eq(value(t, "nvmx_msr_exits_total", l), 101, "%s", l);
	key_labels(l, sizeof(l), &by_key[2], "IA32_SYSENTER_CS", "l1_intercepts");
	cr_expect_eq(value(t, "nvmx_msr_exits_total", l), 102, "%s", l);
	/* L1's own exit: exit="L1", no handler */
	cr_expect_eq(
		value(t, "nvmx_msr_exits_total",
		      "vm=\"vm\",isa=\"vmx\",msr=\"0x80b\",name=\"X2APIC_EOI\",access=\"write\","
		      "exit=\"L1\",handled_by=\"none\",mechanism=\"l1_own\""),
		103);
	cr_expect_eq(
		value(t, "nvmx_msr_exit_cost_seconds_total",
		      "vm=\"vm\",isa=\"vmx\",msr=\"0x1b\",name=\"IA32_APIC_BASE\",access=\"read\","
		      "exit=\"L2\",handled_by=\"L0\",mechanism=\"always_exits\""),
		1e-3);
	free(t);
}

/* IA32_FLUSH_CMD writes handled in L0 on VMX: merged since 6.4, so the kernel decides. */
Test(metrics_io, mechanism_follows_the_kernel)
{
	struct nvmx_counters_msr m = {
		.key = { .isa = NVMX_EV_ISA_VMX,
			 .msr = 0x10b,
			 .write = 1,
			 .handled_by = NVMX_V_BY_L0 },
		.v = { .count = 5, .timed = 5, .sum_ns = 500 },
	};
	struct nvmx_counters c = { .msrs = &m, .n_msrs = 1 };
	struct nvmxd_io_top top61 = { 0 }, top612 = { 0 };
	const char *fmt =
		"vm=\"vm\",isa=\"vmx\",msr=\"0x10b\",name=\"IA32_FLUSH_CMD\",access=\"write\","
		"exit=\"L2\",handled_by=\"L0\",mechanism=\"%s\"";
	char *t61 = scrape(&c, &top61, 6001, PROM_TEXT);
	char *t612 = scrape(&c, &top612, 6012, PROM_TEXT);
	char l[512];

	snprintf(l, sizeof(l), fmt, "always_exits");
	cr_expect_eq(value(t61, "nvmx_msr_exits_total", l), 5, "6.1: %s", l);
	snprintf(l, sizeof(l), fmt, "l0_merged");
	cr_expect_eq(value(t612, "nvmx_msr_exits_total", l), 5, "6.12: %s", l);
	/* no "other" series while every key has its own (the HELP text names it) */
	cr_expect_null(strstr(t612, "msr=\"other\","));
	free(t61);
	free(t612);
}

/* Ports: the same bound, with direction and size. */
Test(metrics_io, ports)
{
	struct nvmx_counters_port ps[NVMXD_IO_TOP + 2];
	struct nvmx_counters c = { .ports = ps, .n_ports = NVMXD_IO_TOP + 2 };
	struct nvmxd_io_top top = { 0 };
	uint64_t other = 0;
	char *t;

	for (int i = 0; i < NVMXD_IO_TOP + 2; i++) {
		ps[i] = (struct nvmx_counters_port){
			.key = { .isa = NVMX_EV_ISA_SVM,
				 .port = (uint16_t)(0x80 + i),
				 .in = i == 0,
				 .size = 1,
				 .handled_by = i == 0 ? NVMX_V_BY_L1 : NVMX_V_BY_L0 },
			.v = { .count = 1, .timed = 1, .sum_ns = 1000 - (uint64_t)i },
		};
		if (i >= NVMXD_IO_TOP)
			other += ps[i].v.count;
	}
	t = scrape(&c, &top, 6012, PROM_TEXT);
	cr_expect_eq(top.n_ports, NVMXD_IO_TOP);
	cr_expect_eq(series(t, "nvmx_io_exits_total", "port=\"other\"", false), NVMXD_IO_TOP);
	cr_expect_eq(value(t, "nvmx_io_exits_total",
			   "vm=\"vm\",isa=\"svm\",port=\"0x80\",name=\"POST\",direction=\"in\","
			   "size=\"1\","
			   "exit=\"L2\",handled_by=\"L1\",mechanism=\"l1_intercepts\""),
		     1);
	cr_expect_eq(
		value(t, "nvmx_io_exits_total",
		      "vm=\"vm\",isa=\"svm\",port=\"0x81\",name=\"DMA_PAGE\",direction=\"out\","
		      "size=\"1\",exit=\"L2\",handled_by=\"L0\",mechanism=\"always_exits\""),
		1);
	cr_expect_eq(value(t, "nvmx_io_exits_total",
			   "vm=\"vm\",isa=\"svm\",port=\"other\",exit=\"L2\",handled_by=\"L0\""),
		     (double)other);
	free(t);
}

static void promtool_accepts(enum prom_format fmt)
{
	struct nvmx_counters_msr ms[N_MSRS], by_key[N_MSRS];
	struct nvmx_counters c = { .msrs = ms, .n_msrs = N_MSRS };
	struct nvmxd_io_top top = { 0 };
	char *t;

	fill(ms, by_key, N_MSRS);
	t = scrape(&c, &top, 6012, fmt);
	expect_promtool_accepts(t);
	free(t);
}

Test(metrics_io, promtool_accepts_text)
{
	promtool_accepts(PROM_TEXT);
}

Test(metrics_io, openmetrics_families)
{
	struct nvmx_counters_msr ms[N_MSRS], by_key[N_MSRS];
	struct nvmx_counters c = { .msrs = ms, .n_msrs = N_MSRS };
	struct nvmxd_io_top top = { 0 };
	char *t;

	fill(ms, by_key, N_MSRS);
	t = scrape(&c, &top, 6012, PROM_OPENMETRICS);
	cr_expect_not_null(strstr(t, "\n# TYPE nvmx_msr_exits counter\n"));
	cr_expect_not_null(strstr(t, "\n# TYPE nvmx_msr_exits_timed counter\n"));
	cr_expect_not_null(strstr(t, "\n# TYPE nvmx_msr_exit_cost_seconds counter\n"));
	cr_expect_not_null(strstr(t, "\n# UNIT nvmx_msr_exit_cost_seconds seconds\n"));
	cr_expect_not_null(strstr(t, "\n# TYPE nvmx_io_exits counter\n"));
	cr_expect_not_null(strstr(t, "\n# TYPE nvmx_io_exit_cost_seconds counter\n"));
	cr_expect_not_null(strstr(t, "\n# EOF\n"));
	free(t);
}

/*
 * The vm label: processes of one name are one series (summed, their tgid gone), another name is
 * another series; "other" is per VM too.
 */
Test(metrics_io, vm_label_is_the_vm_name)
{
	struct nvmx_counters_port ps[NVMXD_IO_TOP + 4];
	struct nvmx_counters c = { .ports = ps, .n_ports = NVMXD_IO_TOP + 4 };
	struct nvmxd_io_top top = { 0 };
	const char *post = "isa=\"svm\",port=\"0x80\",name=\"POST\",direction=\"out\","
			   "size=\"1\",exit=\"L2\",handled_by=\"L1\",mechanism=\"l1_intercepts\"";
	char l[512], *t;

	/* 0x80 reflected: 3 exits of process 1 and 4 of process 2 ("alpha"), 5 of 3 ("beta") */
	for (int i = 0; i < 3; i++)
		ps[i] = (struct nvmx_counters_port){
			.key = { .tgid = (uint32_t)i + 1,
				 .isa = NVMX_EV_ISA_SVM,
				 .port = 0x80,
				 .size = 1,
				 .handled_by = NVMX_V_BY_L1 },
			.v = { .count = 3 + (uint64_t)i, .timed = 1, .sum_ns = 1000000 },
		};
	/* process 3: cheap ports enough to fill the set, the last two of them in "other" */
	for (int i = 3; i < NVMXD_IO_TOP + 4; i++)
		ps[i] = (struct nvmx_counters_port){
			.key = { .tgid = 3,
				 .isa = NVMX_EV_ISA_SVM,
				 .port = (uint16_t)(0x100 + i),
				 .size = 1,
				 .handled_by = NVMX_V_BY_L0 },
			.v = { .count = 1, .timed = 1, .sum_ns = 1000 - (uint64_t)i },
		};
	t = scrape(&c, &top, 6012, PROM_TEXT);
	snprintf(l, sizeof(l), "vm=\"alpha\",%s", post);
	cr_expect_eq(value(t, "nvmx_io_exits_total", l), 7, "%s", l);
	snprintf(l, sizeof(l), "vm=\"beta\",%s", post);
	cr_expect_eq(value(t, "nvmx_io_exits_total", l), 5, "%s", l);
	cr_expect_eq(value(t, "nvmx_io_exit_cost_seconds_total",
			   "vm=\"alpha\",isa=\"svm\",port=\"0x80\",name=\"POST\","
			   "direction=\"out\",size=\"1\",exit=\"L2\",handled_by=\"L1\","
			   "mechanism=\"l1_intercepts\""),
		     2e-3);
	/* 2 series for 0x80 + 30 of beta's ports: beta's last 3 are its "other" */
	cr_expect_eq(top.n_ports, NVMXD_IO_TOP);
	cr_expect_eq(series(t, "nvmx_io_exits_total", "port=\"other\"", false), NVMXD_IO_TOP);
	cr_expect_eq(value(t, "nvmx_io_exits_total",
			   "vm=\"beta\",isa=\"svm\",port=\"other\",exit=\"L2\",handled_by=\"L0\""),
		     3);
	cr_expect_null(strstr(t, "vm=\"alpha\",isa=\"svm\",port=\"other\""));
	expect_promtool_accepts(t);
	free(t);
}
