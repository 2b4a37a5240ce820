// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd's Turtles breakdown as Prometheus metrics (src/metrics.c), from counts written out here:
 * two vCPU threads of one process and a second process, all named "vm-a", are summed (no series
 * per thread), "vm-b" stays apart; every value is checked exactly, and promtool check metrics
 * accepts both formats. arm64's injections into L1 itself, and the failed updates of each map.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "promtool_check.h"
#include "nvmx/breakdown.h"
#include "metrics.h"

#define SVM_CPUID 0x72u
#define SVM_VMRUN 0x80u
#define SVM_IOIO  0x7bu

static const char *vm_name(void *ctx, uint32_t tgid)
{
	(void)ctx;
	return tgid == 30 ? "vm-b" : "vm-a";
}

static struct nvmx_counters_bd bd(uint32_t tgid, uint32_t tid, uint32_t reason, uint32_t kind,
				  uint64_t count, uint64_t unit)
{
	struct nvmx_counters_bd b = { .key = { .tgid = tgid,
					       .tid = tid,
					       .isa = NVMX_EV_ISA_SVM,
					       .reason = reason,
					       .kind = kind } };

	b.v.count = count;
	/* parts 1..5 are unit * 1..5 ns; the round trip their sum, 15 * unit */
	for (uint32_t p = 1; p < NVMX_RT_PARTS; p++) {
		b.v.sum_ns[p] = unit * p;
		b.v.sum_ns[0] += unit * p;
	}
	/* every round trip in bucket 10 (<= 1024 ns) */
	b.v.buckets[0][10] = count;
	return b;
}

static struct nvmx_counters_keyed l1(uint32_t tgid, uint32_t tid, uint32_t reason,
				     uint32_t l1_reason, uint64_t count, uint64_t service_ns)
{
	struct nvmx_counters_keyed k = { .count = count, .sum_ns = service_ns };
	struct nvmx_bd_l1_key key = { tgid, tid, NVMX_EV_ISA_SVM, reason, l1_reason };

	memcpy(k.key, &key, sizeof(key));
	return k;
}

static struct nvmx_counters_keyed vec(uint32_t tgid, uint32_t type, uint32_t vector,
				      uint32_t outcome, uint64_t count)
{
	struct nvmx_counters_keyed k = { .count = count };
	struct nvmx_vec_key key = { tgid, NVMX_EV_ISA_SVM, type, vector, outcome, 0 };

	memcpy(k.key, &key, sizeof(key));
	return k;
}

/* arm64: an injection into L1 itself (nvmx_injs) */
static struct nvmx_counters_keyed inj(uint32_t tgid, uint32_t tid, uint32_t reason, uint64_t count)
{
	struct nvmx_counters_keyed k = { .count = count };
	struct nvmx_inj_key key = { tgid, tid, NVMX_EV_ISA_ARM64, reason };

	memcpy(k.key, &key, sizeof(key));
	return k;
}

static char *scrape(enum prom_format fmt)
{
	static struct nvmx_counters_bd bds[5];
	static struct nvmx_counters_keyed l1s[4], vecs[3], injs[3];
	static struct nvmx_counters c;
	struct nvmxd_metrics_in in = { .counts = &c, .vm_name = vm_name };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	bds[0] = bd(10, 11, SVM_CPUID, NVMX_BD_ROUND_TRIP, 3, 100);
	bds[1] = bd(10, 12, SVM_CPUID, NVMX_BD_ROUND_TRIP, 1, 1000); /* another vCPU */
	bds[2] = bd(20, 21, SVM_CPUID, NVMX_BD_ROUND_TRIP, 1, 0);    /* also vm-a */
	bds[3] = bd(30, 31, SVM_IOIO, NVMX_BD_ROUND_TRIP, 1, 7);
	bds[4] = bd(10, 11, SVM_IOIO, NVMX_BD_L0_HANDLED, 9, 5); /* not a round trip */
	l1s[0] = l1(10, 11, SVM_CPUID, SVM_CPUID, 6, 1500000000);
	l1s[1] = l1(10, 12, SVM_CPUID, SVM_CPUID, 4, 1000000000);
	l1s[2] = l1(20, 21, SVM_CPUID, NVMX_BD_L1_OVERFLOW, 1, 250000000);
	l1s[3] = l1(30, 31, SVM_IOIO, SVM_VMRUN, 2, 3000);
	vecs[0] = vec(10, NVMX_VEC_EXT_INTR, 0xec, NVMX_VEC_HANDED_TO_L1, 5);
	vecs[1] = vec(20, NVMX_VEC_EXT_INTR, 0xec, NVMX_VEC_HANDED_TO_L1, 2);
	vecs[2] = vec(30, NVMX_VEC_HW_EXCEPTION, 0x0e, NVMX_VEC_LOST, 1);
	injs[0] = inj(10, 11, NVMX_ARM64_R_IRQ, 4);
	injs[1] = inj(20, 21, NVMX_ARM64_R_IRQ, 1); /* also vm-a */
	injs[2] = inj(30, 31, 0x16, 2);		    /* a SYNC: HVC64 */
	c = (struct nvmx_counters){ .bds = bds,
				    .n_bds = 5,
				    .bd_l1s = l1s,
				    .n_bd_l1s = 4,
				    .vecs = vecs,
				    .n_vecs = 3,
				    .injs = injs,
				    .n_injs = 3 };
	/* each map's failed updates under its own name */
	c.self[NVMX_SELF_BREAKDOWN_UPDATE_FAILED] = 1;
	c.self[NVMX_SELF_BD_L1_UPDATE_FAILED] = 2;
	c.self[NVMX_SELF_VECTORING_UPDATE_FAILED] = 3;
	c.self[NVMX_SELF_INJ_UPDATE_FAILED] = 4;
	cr_assert_not_null(f);
	cr_assert_eq(nvmxd_metrics_write(f, &in, fmt), 0);
	fclose(f);
	return text;
}

static void has(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	cr_expect_not_null(strstr(text, want), "missing line: %s", line);
}

static void lacks(const char *text, const char *part)
{
	cr_expect_null(strstr(text, part), "unexpected: %s", part);
}

Test(metrics_breakdown, round_trips_summed_by_vm_name)
{
	char *t = scrape(PROM_TEXT);

	has(t, "# TYPE nvmx_nested_round_trips_total counter");
	has(t, "nvmx_nested_round_trips_total{vm=\"vm-a\",isa=\"svm\",reason=\"cpuid\"} 5");
	has(t, "nvmx_nested_round_trips_total{vm=\"vm-b\",isa=\"svm\",reason=\"io\"} 1");
	/* the L0-handled kind is not a round trip */
	lacks(t, "nvmx_nested_round_trips_total{vm=\"vm-a\",isa=\"svm\",reason=\"io\"}");
	/* per VM: the vCPU thread of the breakdown's keys is never a label (cardinality) */
	lacks(t, "tid=");
	lacks(t, "vcpu=");
	free(t);
}

Test(metrics_breakdown, parts_in_seconds)
{
	char *t = scrape(PROM_TEXT);

	/* vm-a cpuid: unit 100 + 1000 = 1100 ns per part index */
	has(t, "nvmx_nested_round_trip_part_seconds_total{vm=\"vm-a\",isa=\"svm\",reason=\"cpuid\","
	       "part=\"l0_exit\"} 1.1000000000000001e-06");
	has(t, "nvmx_nested_round_trip_part_seconds_total{vm=\"vm-a\",isa=\"svm\",reason=\"cpuid\","
	       "part=\"l0_entry_emulation\"} 5.4999999999999999e-06");
	has(t, "nvmx_nested_round_trip_part_seconds_total{vm=\"vm-b\",isa=\"svm\",reason=\"io\","
	       "part=\"l1_exit_service\"} 2.7999999999999999e-08");
	lacks(t, "part=\"round_trip\"");
	free(t);
}

Test(metrics_breakdown, round_trip_histogram_cumulative)
{
	char *t = scrape(PROM_TEXT);

	has(t, "# TYPE nvmx_nested_round_trip_seconds histogram");
	has(t, "nvmx_nested_round_trip_seconds_bucket{vm=\"vm-a\",isa=\"svm\",reason=\"cpuid\","
	       "le=\"5.12e-07\"} 0");
	has(t, "nvmx_nested_round_trip_seconds_bucket{vm=\"vm-a\",isa=\"svm\",reason=\"cpuid\","
	       "le=\"1.024e-06\"} 5");
	has(t, "nvmx_nested_round_trip_seconds_bucket{vm=\"vm-a\",isa=\"svm\",reason=\"cpuid\","
	       "le=\"+Inf\"} 5");
	has(t, "nvmx_nested_round_trip_seconds_count{vm=\"vm-a\",isa=\"svm\",reason=\"cpuid\"} 5");
	/* 15 * 1100 ns */
	has(t, "nvmx_nested_round_trip_seconds_sum{vm=\"vm-a\",isa=\"svm\",reason=\"cpuid\"} "
	       "1.6500000000000001e-05");
	free(t);
}

Test(metrics_breakdown, l1_exits_by_l1_reason)
{
	char *t = scrape(PROM_TEXT);

	has(t, "nvmx_nested_round_trip_l1_exits_total{vm=\"vm-a\",isa=\"svm\",reason=\"cpuid\","
	       "l1_reason=\"cpuid\"} 10");
	has(t, "nvmx_nested_round_trip_l1_exits_total{vm=\"vm-a\",isa=\"svm\",reason=\"cpuid\","
	       "l1_reason=\"other\"} 1");
	has(t, "nvmx_nested_round_trip_l1_exits_total{vm=\"vm-b\",isa=\"svm\",reason=\"io\","
	       "l1_reason=\"vmrun\"} 2");
	free(t);
}

Test(metrics_breakdown, l1_exit_service_seconds_by_l1_reason_merge_like_their_counts)
{
	char *t = scrape(PROM_TEXT);

	has(t, "# TYPE nvmx_nested_round_trip_l1_exit_service_seconds_total counter");
	has(t, "nvmx_nested_round_trip_l1_exit_service_seconds_total{vm=\"vm-a\",isa=\"svm\","
	       "reason=\"cpuid\",l1_reason=\"cpuid\"} 2.5");
	has(t, "nvmx_nested_round_trip_l1_exit_service_seconds_total{vm=\"vm-a\",isa=\"svm\","
	       "reason=\"cpuid\",l1_reason=\"other\"} 0.25");
	has(t, "nvmx_nested_round_trip_l1_exit_service_seconds_total{vm=\"vm-b\",isa=\"svm\","
	       "reason=\"io\",l1_reason=\"vmrun\"} 3.0000000000000001e-06");
	free(t);
}

Test(metrics_breakdown, interrupted_events)
{
	char *t = scrape(PROM_TEXT);

	has(t, "nvmx_interrupted_events_total{vm=\"vm-a\",isa=\"svm\",type=\"ext_intr\","
	       "vector=\"0xec\",outcome=\"handed_to_l1\"} 7");
	has(t, "nvmx_interrupted_events_total{vm=\"vm-b\",isa=\"svm\",type=\"hw_exception\","
	       "vector=\"0x0e\",outcome=\"lost\"} 1");
	free(t);
}

Test(metrics_breakdown, injected_to_l1_by_reason)
{
	char *t = scrape(PROM_TEXT);

	has(t, "# TYPE nvmx_injected_to_l1_total counter");
	has(t, "nvmx_injected_to_l1_total{vm=\"vm-a\",isa=\"arm64\",reason=\"IRQ\"} 5");
	has(t, "nvmx_injected_to_l1_total{vm=\"vm-b\",isa=\"arm64\",reason=\"HVC64\"} 2");
	/* an injection is no exit: no other family counts it */
	lacks(t, "nvmx_synthesized_to_l1_total{vm=\"vm-a\",isa=\"arm64\"");
	free(t);
}

Test(metrics_breakdown, update_failures_name_their_map)
{
	char *t = scrape(PROM_TEXT);

	has(t, "nvmx_map_update_failures_total{map=\"nvmx_breakdown\"} 1");
	has(t, "nvmx_map_update_failures_total{map=\"nvmx_bd_l1\"} 2");
	has(t, "nvmx_map_update_failures_total{map=\"nvmx_vectoring\"} 3");
	has(t, "nvmx_map_update_failures_total{map=\"nvmx_injs\"} 4");
	/* and every one of them is a lost event */
	has(t, "nvmx_lost_events_total 10");
	free(t);
}

static void promtool_accepts(enum prom_format fmt)
{
	char *t = scrape(fmt);

	expect_promtool_accepts(t);
	free(t);
}

Test(metrics_breakdown, promtool_accepts_text)
{
	promtool_accepts(PROM_TEXT);
}

Test(metrics_breakdown, openmetrics_families)
{
	char *t = scrape(PROM_OPENMETRICS);

	has(t, "# TYPE nvmx_nested_round_trips counter");
	has(t, "# TYPE nvmx_nested_round_trip_part_seconds counter");
	has(t, "# UNIT nvmx_nested_round_trip_part_seconds seconds");
	has(t, "# TYPE nvmx_nested_round_trip_seconds histogram");
	has(t, "# TYPE nvmx_interrupted_events counter");
	cr_expect_not_null(strstr(t, "\n# EOF\n"));
	free(t);
}
