// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx bench matrix's table (cli/bench_table.c) from hand-made result files: a cell beyond
 * bench compare's threshold for its metric is marked, one within it is not, a column without a
 * result says why, and the HTML marks the same cell.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static char dir[] = "/tmp/nvmx-test-matrix.XXXXXX";

/*
 * A result of the minimal L1 under icount (compare's time threshold there: 3 % or half BASE's
 * spread), 3 repeats: round trip RT ns, l0_exit_ns EXIT ns, exit multiplication 2 of which the
 * L1 reason cpuid is all, with L0's service time SVC ns per round trip.
 */
static const char *write_result(const char *name, const char *kernel, const char *clock, double rt,
				double exit_ns, double svc)
{
	static char paths[4][4096];
	static int n;
	char *path = paths[n++ % 4];
	FILE *f;

	snprintf(path, sizeof(paths[0]), "%s/%s.json", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"{\"nvmx_bench\": 1, \"repeats\": 3,\n"
		" \"workload\": {\"source\": \"lab\", \"isa\": \"svm\", \"spec\": \"cpuid\",\n"
		"  \"l1\": \"minimal\", \"iterations\": 500, \"vcpus\": 1,\n"
		"  \"clock\": \"%s\"},\n"
		" \"env\": {\"kernel\": \"%s\", \"l1\": \"nvmx-lab-workload svm mult=2\",\n"
		"  \"emulator\": \"qemu\", \"cpu_model\": \"test CPU\", \"kvm_params\": {}},\n"
		" \"metrics\": {\n"
		"  \"time.rt.svm.cpuid.mean_ns\": {\"kind\": \"time\", \"values\": [%g, %g, %g]},\n"
		"  \"time.rt.svm.cpuid.l0_exit_ns\": {\"kind\": \"time\", \"values\": [%g, %g, "
		"%g]},\n"
		"  \"ratio.mult.svm.cpuid\": {\"kind\": \"ratio\", \"values\": [2, 2, 2]},\n"
		"  \"ratio.mult.svm.cpuid.l1.cpuid\": {\"kind\": \"ratio\", \"values\": [2, 2, "
		"2]},\n"
		"  \"time.rt.svm.cpuid.l1.cpuid.service_ns\":\n"
		"   {\"kind\": \"time\", \"values\": [%g, %g, %g]}}}\n",
		clock, kernel, rt, rt, rt, exit_ns, exit_ns, exit_ns, svc, svc, svc);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(bench_matrix, .init = setup, .fini = teardown);

/* The line of the Markdown whose row label holds label. */
static const char *row(const char *md, const char *label)
{
	const char *p = strstr(md, label);

	cr_assert_not_null(p, "no row %s in:\n%s", label, md);
	while (p > md && p[-1] != '\n')
		p--;
	return p;
}

static char *line_of(const char *p)
{
	return strndup(p, strcspn(p, "\n"));
}

Test(bench_matrix, marks_a_change_beyond_the_threshold_and_not_one_within)
{
	struct nvmx_bench_file f[2] = { { 0 }, { 0 } };
	struct nvmx_bench_matrix_col cols[3] = { 0 };
	char *md = NULL, *html = NULL, *rt, *ex, *svc;
	size_t md_len = 0, html_len = 0;
	FILE *fm = open_memstream(&md, &md_len), *fh = open_memstream(&html, &html_len);

	/* 6.1 -> 6.12: the round trip +10 % (beyond 3 %), l0_exit_ns +1 % (within), service -20 % */
	f[0].path = write_result("a", "linux-image-6.1.0-57-amd64 6.1.192-3", "icount shift=4",
				 10000, 1000, 5000);
	f[1].path = write_result("b", "linux-image-6.12.118+deb12-amd64 6.12.118", "icount shift=4",
				 11000, 1010, 4000);
	cr_assert_eq(nvmx_bench_load(&f[0], "test"), 0);
	cr_assert_eq(nvmx_bench_load(&f[1], "test"), 0);
	cols[0] = (struct nvmx_bench_matrix_col){ .kernel = "6.1", .l1 = "minimal", .file = &f[0] };
	cols[1] =
		(struct nvmx_bench_matrix_col){ .kernel = "6.12", .l1 = "minimal", .file = &f[1] };
	cols[2] = (struct nvmx_bench_matrix_col){ .kernel = "7.3",
						  .l1 = "minimal",
						  .note = "nvmx bench run exited 2: no boot" };
	cr_assert_eq(nvmx_bench_matrix_write(fm, fh, cols, 3, NULL, "intro\n"), 0);
	fclose(fm);
	fclose(fh);

	rt = line_of(row(md, "round trip, mean"));
	ex = line_of(row(md, "`l0_exit_ns`"));
	svc = line_of(row(md, "L1 `cpuid` service per round trip"));
	cr_expect_str_eq(
		rt, "| **svm.cpuid** round trip, mean | 10.0 us | 11.0 us (**+10.0%** ▲) | – |");
	cr_expect_str_eq(ex, "| svm.cpuid: `l0_exit_ns` | 1.0 us | 1.0 us (+1.0%) | – |");
	cr_expect_str_eq(svc, "| svm.cpuid: L1 `cpuid` service per round trip | 5.0 us | 4.0 us "
			      "(**-20.0%** ▼) | – |");
	cr_expect(strstr(md, "| svm.cpuid: L1 `cpuid` per round trip | 2 | 2 (+0.0%) | – |"), "%s",
		  md);
	cr_expect(strstr(md, "- 7.3: **no result**: nvmx bench run exited 2: no boot"), "%s", md);
	cr_expect(strstr(md, "- 6.12: `linux-image-6.12.118+deb12-amd64 6.12.118`"), "%s", md);
	/* the HTML marks the same cells and no other */
	cr_expect(
		strstr(html, "<td class=\"up\">11.0 us <span class=\"chg\">(+10.0% ▲)</span></td>"),
		"%s", html);
	cr_expect(strstr(html, "<td class=\"\">1.0 us <span class=\"chg\">(+1.0%)</span></td>"),
		  "%s", html);
	cr_expect(strstr(html, "<td class=\"down\">4.0 us"), "%s", html);
	free(rt);
	free(ex);
	free(svc);
	free(md);
	free(html);
	nvmx_bench_file_free(&f[0]);
	nvmx_bench_file_free(&f[1]);
}

Test(bench_matrix, refuses_results_of_two_clocks)
{
	struct nvmx_bench_file f[2] = { { 0 }, { 0 } };
	struct nvmx_bench_matrix_col cols[2] = { 0 };
	char *md = NULL;
	size_t len = 0;
	FILE *fm = open_memstream(&md, &len);

	f[0].path = write_result("a", "linux-image-6.1.0-57-amd64 6.1.192-3", "icount shift=4",
				 10000, 1000, 5000);
	/* the same on the wall clock: compare refuses two clocks, and so does the matrix */
	f[1].path = write_result("b", "linux-image-6.12.118+deb12-amd64 6.12.118", "wall", 10000,
				 1000, 5000);
	cr_assert_eq(nvmx_bench_load(&f[0], "test"), 0);
	cr_assert_eq(nvmx_bench_load(&f[1], "test"), 0);
	cols[0] = (struct nvmx_bench_matrix_col){ .kernel = "6.1", .l1 = "minimal", .file = &f[0] };
	cols[1] =
		(struct nvmx_bench_matrix_col){ .kernel = "6.12", .l1 = "minimal", .file = &f[1] };
	cr_expect_eq(nvmx_bench_matrix_write(fm, NULL, cols, 2, NULL, NULL), 2);
	fclose(fm);
	free(md);
	nvmx_bench_file_free(&f[0]);
	nvmx_bench_file_free(&f[1]);
}
