// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx bench compare: did NEW regress against BASE? Exact metrics must be equal; the others
 * regress when NEW's median exceeds BASE's by more than max(pct% of BASE's median, k x BASE's
 * spread (max - min of its repeats), abs).
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "commands.h"
#include "nvmx/input.h"

#define MAX_RULES   NVMX_BENCH_MAX_RULES
#define MAX_REPEATS 100

/* The clock of a result without one: a lab bench of an nvmx before issue 19. */
#define CLOCK_NONE "wall"

/* Defaults; a --thresholds file's lines come after them, and the last matching line wins. */
static const struct nvmx_bench_rule default_rules[] = {
	/* paging and the like: a few per run, stable for one kernel and configuration */
	{ "count.*", 50, 3, 5, false, NULL, NULL },
	/* timer interrupts: as many as the run lasts in wall time, which the host's load sets */
	{ "count.*interrupt*", 100, 3, 30, false, NULL, NULL },
	{ "ratio.*", 10, 3, 0.02, false, NULL, NULL },
	/*
	 * TCG times follow the host's load: between boots on a shared 2-core machine they varied
	 * up to 4x (docs/ci.md), so a time must quadruple. Tighten on a dedicated runner.
	 */
	{ "time.*", 300, 3, 0, false, NULL, NULL },
	/*
	 * L0's clock counts instructions (nvmx bench run's default, QEMU -icount): over 40 boots
	 * (docs/ci.md, the false-alarm run) the medians of a round trip's mean and parts, and of
	 * the L0-handled OUT, moved at most 2.2 % between boots; within one boot the repeats
	 * spread up to 5.7 % (l0_reflect_ns). 3 % or half BASE's spread flags a 5 % change.
	 */
	{ "time.*", 3, 0.5, 0, false, "icount*", NULL },
	/*
	 * Bochs's clock counts instructions too (nvmx bench run --isa vmx: sync=none, a fixed
	 * ips): over 23 boots (docs/ci.md, the VMX false-alarm run) the medians of a
	 * round trip's mean and parts, and of the L0-handled OUT, moved at most 2.40 %
	 * between boots; within one boot the repeats spread up to 6.12 %: 3 % or half BASE's
	 * spread, as under icount. Two groups of ONE boot differ more (up to 4.0 %,
	 * l1_handler_ns): a repeat's times depend on its position in the boot, the same in
	 * every boot, so compare results of separate boots (docs/ci.md).
	 */
	{ "time.*", 3, 0.5, 0, false, "bochs*", NULL },
	/*
	 * Under Bochs, L2's two EPT violations of a run that L0 handles take 1676 or 1764 ns on
	 * average, so a median of the repeats flips by 5.2 % (docs/ci.md): 10 % for them.
	 */
	{ "time.l0*.EPT_VIOLATION.*", 10, 0.5, 0, false, "bochs*", NULL },
	/* L0's timer interrupts: a few per run, each as long as what the timer does */
	{ "time.l0*.interrupt.*", 300, 3, 0, false, NULL, NULL },
	/*
	 * L1's kernel does its own work inside the workload's round trips now and then (a
	 * write_cr4 in 1 of 200): 0 -> 85 ns per round trip between boots. 250 ns is 3 % of the
	 * smallest steady L1 reason's service time per round trip (clgi, stgi: 3.8 us).
	 */
	{ "time.rt.*.l1.*", 3, 0.5, 250, false, "icount*", "kvm" },
	/*
	 * L0's reflection of a CPUID or an OUT is bimodal between boots: 2.63 or 2.81 us (io:
	 * 2.89 or 2.72 us, the other way round), 6.6 % apart, 2 boots of 10 on the high side.
	 */
	{ "time.rt.*.l0_reflect_ns", 8, 0.5, 0, false, "icount*", "kvm" },
	/* L1's handler (L1's own code, its cache and TLB): up to 3.25 % between single boots */
	{ "time.rt.*.l1_handler_ns", 4, 0.5, 0, false, "icount*", "kvm" },
	/*
	 * KVM as L1 (nvmx bench run --l1 kvm): L2's own timer interrupts and page faults that L1
	 * handles are a few round trips per run (3-11 interrupts, 1 NPF), as many and as long as
	 * L1's timer makes them: between 10 single boots their round trips' parts moved up to
	 * 108 %, the medians of 3 boots up to 66 % (docs/ci.md, "KVM as L1"). The workload's
	 * reasons (cpuid, io, msr) keep the icount default: medians of 3 boots within 1.9 %.
	 */
	{ "time.rt.*.interrupt.*", 150, 3, 0, false, NULL, "kvm" },
	{ "time.rt.*.npf.*", 150, 3, 0, false, NULL, "kvm" },
	{ "ratio.mult.*.interrupt*", 100, 3, 0.02, false, NULL, "kvm" },
	{ "ratio.mult.*.npf*", 100, 3, 0.02, false, NULL, "kvm" },
	/* ... and what L1 does inside those few round trips, per L1 reason: not gated */
	{ "*.interrupt.l1.*", 0, 0, 0, true, NULL, "kvm" },
	{ "*.npf.l1.*", 0, 0, 0, true, NULL, "kvm" },
	/*
	 * L0-handled NPFs: a few per run, 11.6 -> 22.3 us between boots; L0-handled interrupts of
	 * L2: 0 or 1 per run (their count is gated, count.*interrupt*)
	 */
	{ "time.l0*.npf.*", 300, 3, 0, false, NULL, "kvm" },
	{ "time.l0*.interrupt.*", 0, 0, 0, true, NULL, "kvm" },
	/*
	 * L1 exits of timer and paging reasons inside round trips (ratio.mult.*.l1.L1REASON,
	 * time.rt.*.l1.L1REASON.service_ns): a few per run, as many and as long as L0's and L1's
	 * timers make them (0 to 1.7 us per round trip between kernels, up to 300 % between boots
	 * with KVM as L1, docs/ci.md). Their sum is in l1_exit_service_ns and the exit
	 * multiplication, which are gated; shown, not gated on their own.
	 */
	{ "*.l1.interrupt*", 0, 0, 0, true, NULL, NULL },
	{ "*.l1.vintr*", 0, 0, 0, true, NULL, NULL },
	{ "*.l1.npf*", 0, 0, 0, true, NULL, NULL },
	{ "*.l1.other*", 0, 0, 0, true, NULL, NULL },
	/* log2-histogram tails: 25x between boots under load; in the result, not gated */
	{ "time.*.p99_ns", 0, 0, 0, true, NULL, NULL },
	/*
	 * BPF run time per program (bench/overhead.sh, icount: L0's clock counts instructions):
	 * two sessions of one build differed by at most 0.6 %, repeats within one by at most
	 * 1.9 % (docs/ci.md, "The BPF fast path"), so 3 % (or 3 x the spread) is a real change.
	 */
	{ "time.bpf.*", 3, 3, 0, false, NULL, NULL },
	{ "ratio.bpf.*", 3, 3, 0, false, NULL, NULL },
	/* the --baseline programs are the yardstick (the kernel's floor), not nvmx: shown, not gated */
	{ "*.bpf.nvmx_baseline_*", 0, 0, 0, true, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx bench compare [OPTIONS] BASE.json NEW.json\n"
		"\n"
		"Did NEW (nvmx bench run) regress against BASE? Every metric of either file:\n"
		"  exact  (counts the workload makes certain) must be equal in every repeat:\n"
		"         any change is a regression, up or down\n"
		"  count, ratio, time: NEW regresses when its median exceeds BASE's median by\n"
		"         more than max(pct%% of BASE's median, k x BASE's spread, abs), the\n"
		"         spread being max - min of BASE's repeats. Lower is never a regression.\n"
		"A metric missing from one file counts 0 there.\n"
		"\n"
		"BASE and NEW must have run the same workload on the same clock (workload\n"
		"\"clock\": \"icount shift=4\", nvmx bench run's default, where L0's clock counts\n"
		"instructions; \"bochs sync=none ips=...\" with --isa vmx, Bochs's instruction\n"
		"clock; \"wall\" with --no-icount, or from a host or an older nvmx). The time\n"
		"thresholds follow the clock: an instruction clock's times repeat within about\n"
		"2 %% between boots, the wall clock's follow the host's load.\n"
		"\n"
		"Default thresholds (pattern: fnmatch on the metric name, last match wins;\n"
		"[clock]: only for results of that clock; [l1=L1]: only for results of that\n"
		"L1, nvmx bench run --l1):\n");
	for (size_t i = 0; i < sizeof(default_rules) / sizeof(default_rules[0]); i++) {
		const struct nvmx_bench_rule *r = &default_rules[i];
		char clock[96] = "";

		if (r->clock || r->l1)
			snprintf(clock, sizeof(clock), "  [%s%s%s%s]", r->clock ? r->clock : "",
				 r->clock && r->l1 ? ", " : "", r->l1 ? "l1=" : "",
				 r->l1 ? r->l1 : "");
		if (r->ignore)
			fprintf(f, "  %-18s ignore%s\n", r->pattern, clock);
		else
			fprintf(f, "  %-18s pct=%g k=%g abs=%g%s\n", r->pattern, r->pct, r->k,
				r->abs, clock);
	}
	fprintf(f,
		"\n"
		"Options:\n"
		"  --thresholds FILE  more lines 'PATTERN [pct=P] [k=K] [abs=A] [ignore]' ('#'\n"
		"                     comments); they override the defaults for what they match\n"
		"  --markdown         the report as Markdown (a pull-request comment)\n"
		"  --junit FILE       also write JUnit XML: one test case per metric\n"
		"  -v, --verbose      every metric, not only regressions and improvements\n"
		"\n"
		"Exit status: 0 no regression; 1 a regression (the first line names the metric);\n"
		"2 cannot compare: a file unreadable, not JSON (truncated, corrupt, over 64 MiB),\n"
		"another schema, a value that is not a finite number (NaN would pass every\n"
		"limit), an \"env\" of the wrong shape, or another workload (one line says why:\n"
		"'nvmx bench compare: cannot compare: FILE[:LINE]: why'). BASE and NEW may be "
		"pipes.\n");
	fputs(NVMX_USAGE_COMMON, f);
}

/* Who says "cannot compare" (nvmx_bench_load()'s caller): compare, or matrix. */
static const char *cannot_who = "nvmx bench compare";

static int cannot(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "%s: cannot compare: ", cannot_who);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 2;
}

/* "env", when there: an object whose keys env_diff() shows are strings. */
static int check_env(const struct nvmx_bench_file *f)
{
	static const char *const keys[] = { "kernel", "l1", "emulator", "cpu_model" };
	struct json_object *v;

	if (!f->env)
		return 0;
	if (!json_object_is_type(f->env, json_type_object))
		return cannot("%s: \"env\" is not an object%s", f->path, "");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(f->env, keys[i], &v) &&
		    !json_object_is_type(v, json_type_string))
			return cannot("%s: \"env\": \"%s\" is not a string", f->path, keys[i]);
	if (!json_object_object_get_ex(f->env, "kvm_params", &v))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return cannot("%s: \"env\": \"kvm_params\" is not an object of strings%s", f->path,
			      "");
	json_object_object_foreach(v, k, p)
	{
		(void)k;
		if (!json_object_is_type(p, json_type_string))
			return cannot("%s: \"env\": \"kvm_params\" is not an object of strings%s",
				      f->path, "");
	}
	return 0;
}

static int load(struct nvmx_bench_file *f)
{
	struct json_object *v;
	char msg[512];

	/* bounded, pipes too: a file that never ends (/dev/zero) is not read on */
	if (nvmx_json_read_path(f->path, &f->root, msg, sizeof(msg)))
		return cannot("%s%s", msg, "");
	if (!json_object_object_get_ex(f->root, "nvmx_bench", &v) ||
	    !json_object_is_type(v, json_type_int))
		return cannot("%s: not an nvmx bench result (no \"nvmx_bench\" schema)%s", f->path,
			      "");
	if (json_object_get_int(v) != NVMX_BENCH_SCHEMA) {
		snprintf(msg, sizeof(msg), "%d, this nvmx reads %d", json_object_get_int(v),
			 NVMX_BENCH_SCHEMA);
		return cannot("%s: result schema %s", f->path, msg);
	}
	if (!json_object_object_get_ex(f->root, "repeats", &v) ||
	    (f->repeats = json_object_get_int(v)) < 1 || f->repeats > MAX_REPEATS)
		return cannot("%s: \"repeats\" missing or out of range%s", f->path, "");
	if (!json_object_object_get_ex(f->root, "metrics", &f->metrics) ||
	    !json_object_is_type(f->metrics, json_type_object) ||
	    !json_object_object_length(f->metrics))
		return cannot("%s: no \"metrics\"%s", f->path, "");
	if (!json_object_object_get_ex(f->root, "workload", &f->workload) ||
	    !json_object_is_type(f->workload, json_type_object))
		return cannot("%s: no \"workload\"%s", f->path, "");
	if (!json_object_object_get_ex(f->workload, "clock", &v))
		json_object_object_add(f->workload, "clock", json_object_new_string(CLOCK_NONE));
	else if (!json_object_is_type(v, json_type_string))
		return cannot("%s: the workload's \"clock\" is not a string%s", f->path, "");
	/* a lab result of an nvmx before --l1 kvm: the minimal L1, the only one then */
	if (json_object_object_get_ex(f->workload, "source", &v) &&
	    !strcmp(json_object_get_string(v) ?: "", "lab") &&
	    !json_object_object_get_ex(f->workload, "l1", NULL))
		json_object_object_add(f->workload, "l1", json_object_new_string("minimal"));
	json_object_object_get_ex(f->root, "env", &f->env);
	if (check_env(f))
		return 2;
	json_object_object_foreach(f->metrics, name, m)
	{
		struct json_object *vals, *kind;
		const char *k;

		if (!json_object_is_type(m, json_type_object) ||
		    !json_object_object_get_ex(m, "kind", &kind) ||
		    !json_object_is_type(kind, json_type_string) ||
		    !json_object_object_get_ex(m, "values", &vals) ||
		    !json_object_is_type(vals, json_type_array))
			return cannot("%s: metric %s has no kind or values", f->path, name);
		k = json_object_get_string(kind);
		if (strcmp(k, "exact") && strcmp(k, "count") && strcmp(k, "ratio") &&
		    strcmp(k, "time"))
			return cannot("%s: metric %s has an unknown kind", f->path, name);
		if (json_object_array_length(vals) != (size_t)f->repeats)
			return cannot("%s: metric %s: not one value per repeat", f->path, name);
		for (size_t i = 0; i < json_object_array_length(vals); i++) {
			struct json_object *x = json_object_array_get_idx(vals, i);

			if (!json_object_is_type(x, json_type_int) &&
			    !json_object_is_type(x, json_type_double))
				return cannot("%s: metric %s: a value is not a number", f->path,
					      name);
			/* a NaN compares false with every limit: it would pass the gate */
			if (!isfinite(json_object_get_double(x)))
				return cannot("%s: metric %s: a value is not a finite number",
					      f->path, name);
		}
	}
	return 0;
}

int nvmx_bench_load(struct nvmx_bench_file *f, const char *who)
{
	cannot_who = who;
	return load(f);
}

void nvmx_bench_file_free(struct nvmx_bench_file *f)
{
	json_object_put(f->root);
	f->root = NULL;
}

/*
 * The defaults for results of clock and L1 ("-" when the results name none), then the lines of
 * the thresholds file at path (if any).
 */
static int load_rules(const char *path, const char *clock, const char *l1,
		      struct nvmx_bench_rule *rules, int *n)
{
	FILE *f;
	char line[512];
	int lineno = 0;

	for (size_t i = 0; i < sizeof(default_rules) / sizeof(default_rules[0]); i++)
		if ((!default_rules[i].clock || !fnmatch(default_rules[i].clock, clock, 0)) &&
		    (!default_rules[i].l1 || !fnmatch(default_rules[i].l1, l1, 0)))
			rules[(*n)++] = default_rules[i];
	if (!path)
		return 0;
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: cannot compare: %s: %s\n", cannot_who, path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *tok, *save, *end;
		struct nvmx_bench_rule r;

		lineno++;
		line[strcspn(line, "#\n")] = 0;
		tok = strtok_r(line, " \t", &save);
		if (!tok)
			continue;
		if (*n == MAX_RULES || strlen(tok) >= sizeof(r.pattern))
			goto bad;
		memset(&r, 0, sizeof(r));
		snprintf(r.pattern, sizeof(r.pattern), "%s", tok);
		/* unset options keep the defaults' value for this pattern */
		for (int i = *n - 1; i >= 0; i--)
			if (!fnmatch(rules[i].pattern, r.pattern, 0) ||
			    !strcmp(rules[i].pattern, r.pattern)) {
				r.pct = rules[i].pct;
				r.k = rules[i].k;
				r.abs = rules[i].abs;
				break;
			}
		while ((tok = strtok_r(NULL, " \t", &save))) {
			double *dst = NULL;

			if (!strcmp(tok, "ignore")) {
				r.ignore = true;
				continue;
			}
			if (!strncmp(tok, "pct=", 4))
				dst = &r.pct;
			else if (!strncmp(tok, "k=", 2))
				dst = &r.k;
			else if (!strncmp(tok, "abs=", 4))
				dst = &r.abs;
			if (!dst)
				goto bad;
			*dst = strtod(strchr(tok, '=') + 1, &end);
			if (*end || *dst < 0)
				goto bad;
		}
		rules[(*n)++] = r;
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	fprintf(stderr,
		"%s: cannot compare: %s:%d: expected 'PATTERN [pct=P] [k=K] [abs=A] [ignore]'\n",
		cannot_who, path, lineno);
	return -EINVAL;
}

static const struct nvmx_bench_rule *rule_for(const struct nvmx_bench_rule *rules, int n,
					      const char *name)
{
	for (int i = n - 1; i >= 0; i--)
		if (!fnmatch(rules[i].pattern, name, 0))
			return &rules[i];
	return NULL;
}

static double max3(double a, double b, double c)
{
	double m = a > b ? a : b;

	return m > c ? m : c;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Values of a metric (all 0 when absent); returns their count. */
static int values(const struct nvmx_bench_file *f, const char *name, double *v, const char **kind)
{
	struct json_object *m, *vals, *k;

	if (!json_object_object_get_ex(f->metrics, name, &m)) {
		for (int i = 0; i < f->repeats; i++)
			v[i] = 0;
		return f->repeats;
	}
	json_object_object_get_ex(m, "values", &vals);
	json_object_object_get_ex(m, "kind", &k);
	if (!*kind || !strcmp(json_object_get_string(k), "count"))
		*kind = json_object_get_string(k);
	for (int i = 0; i < f->repeats; i++)
		v[i] = json_object_get_double(json_object_array_get_idx(vals, (size_t)i));
	return f->repeats;
}

/*
 * A metric's value as the report shows it: a time (ns) with its unit (155.6 us, not 1.556e+05), a
 * count as a whole number (a median of an even number of repeats may end in .5), a ratio with 4
 * significant digits.
 */
const char *nvmx_bench_fmt(const char *kind, double v, char *buf, size_t len)
{
	double a = v < 0 ? -v : v;

	if (kind && !strcmp(kind, "time")) {
		if (a < 1e3)
			snprintf(buf, len, "%.0f ns", v);
		else if (a < 1e6)
			snprintf(buf, len, "%.1f us", v / 1e3);
		else if (a < 1e9)
			snprintf(buf, len, "%.2f ms", v / 1e6);
		else
			snprintf(buf, len, "%.3f s", v / 1e9);
	} else if (kind && (!strcmp(kind, "count") || !strcmp(kind, "exact"))) {
		/* beyond 2^53 every double is whole, and (long long)v may not be representable */
		snprintf(buf, len,
			 a >= 9007199254740992.0 || v == (double)(long long)v ? "%.0f" : "%.1f", v);
	} else {
		snprintf(buf, len, "%.4g", v);
	}
	return buf;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void nvmx_bench_compare_metric(const struct nvmx_bench_file *b, const struct nvmx_bench_file *n,
			       const char *name, const struct nvmx_bench_rule *rules, int n_rules,
			       struct nvmx_bench_verdict *r)
{
	double bv[MAX_REPEATS], nv[MAX_REPEATS];
	const char *kind = NULL;
	const struct nvmx_bench_rule *rule;
	char pct[32], vb[32], vn[32], vs[32], vl[32], va[32];

	memset(r, 0, sizeof(*r));
	r->name = name;
	values(b, name, bv, &kind);
	values(n, name, nv, &kind);
	r->kind = kind;
	rule = rule_for(rules, n_rules, name);
	if (!strcmp(kind, "exact")) {
		bool equal = true;

		for (int i = 0; i < b->repeats; i++)
			for (int j = 0; j < n->repeats; j++)
				equal &= bv[i] == nv[j];
		r->base = bv[0];
		r->new = nv[0];
		for (int j = 0; j < n->repeats; j++)
			if (nv[j] != bv[0])
				r->new = nv[j];
		if (!equal && !(rule && rule->ignore)) {
			r->verdict = 1;
			snprintf(r->why, sizeof(r->why),
				 "%.0f -> %.0f (a certain count: must be equal)", r->base, r->new);
		} else {
			snprintf(r->why, sizeof(r->why), "%.0f -> %.0f%s", r->base, r->new,
				 equal ? "" : " (ignored)");
		}
		return;
	}
	r->base = median(bv, b->repeats);
	r->new = median(nv, n->repeats);
	r->spread = bv[b->repeats - 1] - bv[0];
	nvmx_bench_fmt(kind, r->base, vb, sizeof(vb));
	nvmx_bench_fmt(kind, r->new, vn, sizeof(vn));
	nvmx_bench_fmt(kind, r->spread, vs, sizeof(vs));
	if (!rule || rule->ignore) {
		snprintf(r->why, sizeof(r->why), "median %s -> %s (not gated)", vb, vn);
		return;
	}
	r->limit = max3(rule->pct / 100 * (r->base < 0 ? -r->base : r->base), rule->k * r->spread,
			rule->abs);
	if (r->base)
		snprintf(pct, sizeof(pct), "%+.1f%%", 100 * (r->new - r->base) / r->base);
	else
		snprintf(pct, sizeof(pct), "none in BASE");
	if (r->new - r->base > r->limit) {
		r->verdict = 1;
		snprintf(r->why, sizeof(r->why),
			 "median %s -> %s (%s; allowed +%s: max(%g%%, %g x spread %s, %s))", vb, vn,
			 pct, nvmx_bench_fmt(kind, r->limit, vl, sizeof(vl)), rule->pct, rule->k,
			 vs, nvmx_bench_fmt(kind, rule->abs, va, sizeof(va)));
	} else if (r->base - r->new > r->limit) {
		r->verdict = -1;
		snprintf(r->why, sizeof(r->why), "median %s -> %s (%s)", vb, vn, pct);
	} else {
		/* within the limit: -v shows how close */
		snprintf(r->why, sizeof(r->why), "median %s -> %s (%s; allowed +%s)", vb, vn, pct,
			 nvmx_bench_fmt(kind, r->limit, vl, sizeof(vl)));
	}
}

void nvmx_bench_xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static int write_junit(const char *path, const struct nvmx_bench_verdict *res, int n,
		       int regressions)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "nvmx bench compare: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites tests=\"%d\" failures=\"%d\">\n"
		"  <testsuite name=\"nvmx-bench\" tests=\"%d\" failures=\"%d\" errors=\"0\">\n",
		n, regressions, n, regressions);
	for (int i = 0; i < n; i++) {
		fprintf(f, "    <testcase classname=\"nvmx-bench.%s\" name=\"", res[i].kind);
		nvmx_bench_xml_escape(f, res[i].name);
		if (res[i].verdict == 1) {
			fprintf(f, "\">\n      <failure message=\"");
			nvmx_bench_xml_escape(f, res[i].why);
			fprintf(f, "\" type=\"regression\"/>\n    </testcase>\n");
		} else {
			fprintf(f, "\"/>\n");
		}
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	return fclose(f) ? -errno : 0;
}

static const char *wl_str(const struct nvmx_bench_file *f, const char *key, char *buf, size_t len)
{
	struct json_object *v;

	/* a null value has no string (json_object_get_string(NULL) is NULL) */
	if (!json_object_object_get_ex(f->workload, key, &v) || !v)
		return "-";
	snprintf(buf, len, "%s", json_object_get_string(v));
	return buf;
}

/* Whether two workloads, each with a "clock", are equal in every other key. */
static bool same_but_clock(struct json_object *x, struct json_object *y)
{
	struct json_object *v;

	if (json_object_object_length(x) != json_object_object_length(y))
		return false;
	json_object_object_foreach(x, k, u)
	{
		if (strcmp(k, "clock") &&
		    (!json_object_object_get_ex(y, k, &v) || !json_object_equal(u, v)))
			return false;
	}
	return true;
}

static const char *env_str(const struct nvmx_bench_file *f, const char *key)
{
	struct json_object *v;

	if (!f->env || !json_object_object_get_ex(f->env, key, &v) || !v)
		return "?"; /* check_env(): a string when present and not null */
	return json_object_get_string(v);
}

/* The environment's differences (why NEW may differ): kernel, emulator, CPU, kvm parameters. */
static void env_diff(FILE *out, const struct nvmx_bench_file *b, const struct nvmx_bench_file *n,
		     bool md)
{
	static const char *const keys[] = { "kernel", "l1", "emulator", "cpu_model" };
	struct json_object *bp = NULL, *np = NULL;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(env_str(b, keys[i]), env_str(n, keys[i])))
			fprintf(out, "%senvironment: %s: %s -> %s\n", md ? "- " : "", keys[i],
				env_str(b, keys[i]), env_str(n, keys[i]));
	if (b->env)
		json_object_object_get_ex(b->env, "kvm_params", &bp);
	if (n->env)
		json_object_object_get_ex(n->env, "kvm_params", &np);
	if (!bp || !np)
		return;
	json_object_object_foreach(bp, k, v)
	{
		struct json_object *w;
		const char *nw = json_object_object_get_ex(np, k, &w) ? json_object_get_string(w)
								      : "(absent)";

		if (strcmp(json_object_get_string(v), nw))
			fprintf(out, "%senvironment: %s: %s -> %s\n", md ? "- " : "", k,
				json_object_get_string(v), nw);
	}
}

int nvmx_bench_rules(const struct nvmx_bench_file *base, const struct nvmx_bench_file *new,
		     const char *thresholds, struct nvmx_bench_rule *rules, int *n_rules)
{
	char a[512], b[512];
	const char *l1a, *l1b;

	/*
	 * One clock: an instruction clock's times and the wall clock's are not comparable. Said
	 * apart when it is the only difference of the workloads (load() gave both a "clock").
	 */
	wl_str(base, "clock", a, sizeof(a));
	wl_str(new, "clock", b, sizeof(b));
	if (strcmp(a, b) && same_but_clock(base->workload, new->workload))
		return cannot("different clocks: BASE's L0 clock is %s, NEW's %s (nvmx bench run "
			      "--icount / --no-icount)",
			      a, b);
	/*
	 * One L1: the minimal L1's round trips and Linux KVM's are different systems, and their
	 * workloads (generator elements, runner elements) are never the same.
	 */
	l1a = wl_str(base, "l1", a, sizeof(a));
	l1b = wl_str(new, "l1", b, sizeof(b));
	if (strcmp(l1a, "-") && strcmp(l1b, "-") && strcmp(l1a, l1b))
		return cannot("different L1s: BASE ran the %s L1, NEW the %s L1 (nvmx bench run "
			      "--l1)",
			      l1a, l1b);
	*n_rules = 0;
	/* l1a is in a: BASE's clock goes to b */
	if (load_rules(thresholds, wl_str(base, "clock", b, sizeof(b)), l1a, rules, n_rules))
		return 2;
	/* the workload must be the same; the environment may differ (that is what is measured) */
	if (!json_object_equal(base->workload, new->workload)) {
		snprintf(a, sizeof(a), "%s", json_object_to_json_string(base->workload));
		snprintf(b, sizeof(b), "%s", json_object_to_json_string(new->workload));
		return cannot("different workloads: %s against %s", a, b);
	}
	return 0;
}

int nvmx_bench_compare(int argc, char **argv)
{
	struct nvmx_bench_file f[2] = { { 0 }, { 0 } };
	const char *thresholds = NULL, *junit = NULL, *first = NULL;
	bool markdown = false, verbose = false;
	struct nvmx_bench_rule rules[MAX_RULES];
	int n_rules = 0, n_paths = 0, ret = 2, n_res = 0, regressions = 0, improvements = 0;
	struct nvmx_bench_verdict *res = NULL;
	size_t cap;
	char a[512], b[512];

	static const struct option longopts[] = {
		{ "thresholds", required_argument, NULL, 't' },
		{ "junit", required_argument, NULL, 'j' },
		{ "markdown", no_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		NVMX_COMMON_LONGOPTS,
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			thresholds = optarg;
			break;
		case 'j':
			junit = optarg;
			break;
		case 'm':
			markdown = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmx");
		default:
			return nvmx_getopt_error("nvmx bench compare", c, argv);
		}
	}
	n_paths = argc - optind;
	if (n_paths != 2)
		return nvmx_usage_error("nvmx bench compare",
					"expected two files, BASE.json NEW.json (%d given)",
					n_paths);
	f[0].path = argv[optind];
	f[1].path = argv[optind + 1];
	if (load(&f[0]) || load(&f[1]))
		goto out;
	if (nvmx_bench_rules(&f[0], &f[1], thresholds, rules, &n_rules))
		goto out;
	cap = (size_t)json_object_object_length(f[0].metrics) +
	      (size_t)json_object_object_length(f[1].metrics);
	res = calloc(cap, sizeof(*res));
	if (!res)
		goto out;
	for (int side = 0; side < 2; side++) {
		json_object_object_foreach(f[side].metrics, name, m)
		{
			(void)m;
			if (side && json_object_object_get_ex(f[0].metrics, name, NULL))
				continue;
			nvmx_bench_compare_metric(&f[0], &f[1], name, rules, n_rules, &res[n_res]);
			if (res[n_res].verdict == 1) {
				regressions++;
				if (!first)
					first = res[n_res].name;
			}
			improvements += res[n_res].verdict == -1;
			n_res++;
		}
	}
	if (markdown)
		printf("### nvmx bench: %s\n\n", regressions ? "regression" : "no regression");
	if (regressions)
		printf("%sREGRESSION in %s (%d metric%s of %d)%s\n", markdown ? "**" : "", first,
		       regressions, regressions == 1 ? "" : "s", n_res, markdown ? "**\n" : "");
	else
		printf("no regression (%d metrics)%s\n", n_res, markdown ? "\n" : "");
	printf("%sworkload: %s %s x %s, %s vCPU; BASE %s (%d repeats), NEW %s (%d repeats)\n",
	       markdown ? "- " : "", wl_str(&f[0], "source", a, sizeof(a)),
	       wl_str(&f[0], "spec", b, sizeof(b)),
	       json_object_to_json_string(json_object_object_get(f[0].workload, "iterations")),
	       json_object_to_json_string(json_object_object_get(f[0].workload, "vcpus")),
	       f[0].path, f[0].repeats, f[1].path, f[1].repeats);
	env_diff(stdout, &f[0], &f[1], markdown);
	if (markdown && (regressions || improvements || verbose))
		printf("\n| | metric | kind | BASE | NEW | |\n|---|---|---|---:|---:|---|\n");
	for (int i = 0; i < n_res; i++) {
		const struct nvmx_bench_verdict *r = &res[i];
		const char *tag = r->verdict == 1 ? "REGRESSION" : r->verdict ? "improved" : "ok";

		if (!r->verdict && !verbose)
			continue;
		if (markdown)
			printf("| %s | `%s` | %s | %s | %s | %s |\n",
			       r->verdict == 1 ? ":x:"
			       : r->verdict    ? ":white_check_mark:"
					       : "",
			       r->name, r->kind, nvmx_bench_fmt(r->kind, r->base, a, sizeof(a)),
			       nvmx_bench_fmt(r->kind, r->new, b, sizeof(b)), r->why);
		else
			printf("%-10s %s [%s]: %s\n", tag, r->name, r->kind,
			       r->why[0] ? r->why : "");
	}
	ret = regressions ? 1 : 0;
	if (junit && write_junit(junit, res, n_res, regressions))
		ret = 2;
out:
	free(res);
	json_object_put(f[0].root);
	json_object_put(f[1].root);
	return ret;
}
