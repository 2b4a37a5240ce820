// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET/SET_NESTED_STATE counts (docs/model.md, "Nested state save and restore"): summed per
 * process by lib/counters.c as collect.c sums the per-CPU map, then as Prometheus metrics
 * (src/metrics.c): two processes named "vm-a" (the saving and the restoring QEMU) summed, "vm-b"
 * apart; every value exact; promtool accepts the scrape.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "promtool_check.h"
#include "metrics.h"

static const char *vm_name(void *ctx, uint32_t tgid)
{
	(void)ctx;
	return tgid == 30 ? "vm-b" : "vm-a";
}

/* get, get_failed, get_guest_mode, set, set_failed, set_guest_mode */
static void add(struct nvmx_counters *c, __u32 tgid, __u64 g, __u64 gf, __u64 gg, __u64 s, __u64 sf,
		__u64 sg)
{
	const __u64 v[NVMX_NS_COUNT] = { g, gf, gg, s, sf, sg };

	cr_assert_eq(nvmx_counters_add_ns(c, &tgid, v), 0);
}

static void fill(struct nvmx_counters *c)
{
	add(c, 10, 3, 0, 1, 1, 0, 0); /* the saving QEMU: reset SET, GETs, one in guest mode */
	add(c, 20, 1, 0, 0, 2, 0, 1); /* the restoring one: reset SET, SET in guest mode */
	add(c, 30, 0, 0, 0, 4, 1, 0);
	add(c, 10, 2, 1, 0, 0, 0, 0); /* another CPU's values of process 10 */
}

Test(nested_state, counters_sum_per_process)
{
	struct nvmx_counters c = { 0 };

	fill(&c);
	cr_assert_eq(c.n_ns, 3);
	cr_expect_eq(c.ns[0].tgid, 10);
	cr_expect_eq(c.ns[0].n[NVMX_NS_GET], 5);
	cr_expect_eq(c.ns[0].n[NVMX_NS_GET_FAILED], 1);
	cr_expect_eq(c.ns[0].n[NVMX_NS_GET_GUEST_MODE], 1);
	cr_expect_eq(c.ns[1].n[NVMX_NS_SET_GUEST_MODE], 1);
	cr_expect_str_eq(nvmx_ns_slot_name(NVMX_NS_SET_GUEST_MODE), "set_guest_mode");
	cr_expect_str_eq(nvmx_ns_slot_name(NVMX_NS_GET_FAILED), "get_failed");
	add(&c, 5, 1, 0, 0, 0, 0, 0);
	nvmx_counters_sort(&c);
	cr_expect_eq(c.ns[0].tgid, 5);
	cr_expect_eq(c.ns[1].tgid, 10);
	cr_expect_eq(c.ns[3].tgid, 30);
	nvmx_counters_reset(&c);
	cr_expect_eq(c.n_ns, 0);
	nvmx_counters_free(&c);
}

static char *scrape(enum prom_format fmt)
{
	static struct nvmx_counters c;
	struct nvmxd_metrics_in in = { .counts = &c, .vm_name = vm_name };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	nvmx_counters_free(&c);
	fill(&c);
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

Test(nested_state, ioctls_by_request_and_result)
{
	char *t = scrape(PROM_TEXT);

	has(t, "# TYPE nvmx_nested_state_ioctls_total counter");
	has(t, "nvmx_nested_state_ioctls_total{vm=\"vm-a\",request=\"get\",result=\"ok\"} 5");
	has(t, "nvmx_nested_state_ioctls_total{vm=\"vm-a\",request=\"get\",result=\"failed\"} 1");
	has(t, "nvmx_nested_state_ioctls_total{vm=\"vm-a\",request=\"set\",result=\"ok\"} 3");
	has(t, "nvmx_nested_state_ioctls_total{vm=\"vm-a\",request=\"set\",result=\"failed\"} 0");
	has(t, "nvmx_nested_state_ioctls_total{vm=\"vm-b\",request=\"set\",result=\"ok\"} 3");
	has(t, "nvmx_nested_state_ioctls_total{vm=\"vm-b\",request=\"set\",result=\"failed\"} 1");
	free(t);
}

Test(nested_state, guest_mode)
{
	char *t = scrape(PROM_TEXT);

	has(t, "nvmx_nested_state_guest_mode_total{vm=\"vm-a\",request=\"get\"} 1");
	has(t, "nvmx_nested_state_guest_mode_total{vm=\"vm-a\",request=\"set\"} 1");
	has(t, "nvmx_nested_state_guest_mode_total{vm=\"vm-b\",request=\"set\"} 0");
	free(t);
}

Test(nested_state, promtool_accepts_text)
{
	char *t = scrape(PROM_TEXT);

	expect_promtool_accepts(t);
	free(t);
}

Test(nested_state, openmetrics_families)
{
	char *t = scrape(PROM_OPENMETRICS);

	has(t, "# TYPE nvmx_nested_state_ioctls counter");
	has(t, "# TYPE nvmx_nested_state_guest_mode counter");
	cr_expect_not_null(strstr(t, "\n# EOF\n"));
	free(t);
}
