/* SPDX-License-Identifier: GPL-2.0 */
/* For the metrics unit tests: Prometheus' own promtool must accept a scrape (NVMX_TEST_PROMTOOL). */
#ifndef NVMX_TEST_PROMTOOL_CHECK_H
#define NVMX_TEST_PROMTOOL_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <criterion/criterion.h>

/* Expects `promtool check metrics` to accept text (written to a temporary file). */
static inline void expect_promtool_accepts(const char *text)
{
	char cmd[512], path[] = "/tmp/nvmx-metrics-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "'%s' check metrics <'%s'", NVMX_TEST_PROMTOOL, path);
	cr_expect_eq(system(cmd), 0, "promtool check metrics failed on:\n%s", text);
	unlink(path);
}

#endif
