// SPDX-License-Identifier: GPL-2.0
/*
 * What `nvmx record` writes around a tracefs capture (lib/capture_env.c): the events it enables
 * are the ones lib's parser reads, its header says where the capture was made and replays as
 * comments (nothing malformed, nothing counted), and the per-CPU statistics give the events lost.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvmx/capture_env.h"
#include "trace_parse.h"

static enum nvmx_line_type parse_event(const char *name)
{
	char buf[256];
	struct nvmx_line ln;

	snprintf(buf, sizeof(buf), "  qemu-1234 [001] d..1. 12.345678: %s: ", name);
	nvmx_parse_line(buf, strlen(buf), &ln);
	return ln.type;
}

Test(capture_env, every_event_enabled_is_one_the_parser_reads)
{
	cr_assert_eq(nvmx_capture_events_n, 11);
	for (size_t i = 0; i < nvmx_capture_events_n; i++)
		cr_assert_neq(parse_event(nvmx_capture_events[i]), NVMX_LINE_SKIP,
			      "%s: lib's parser skips it, nvmx record need not enable it",
			      nvmx_capture_events[i]);
	/* the check tells: an event the model does not read is skipped */
	cr_assert_eq(parse_event("kvm_pio"), NVMX_LINE_SKIP);
}

static char root[64];

static void mk(const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	cr_assert_eq(system(cmd), 0);
	if (!text) {
		cr_assert_eq(mkdir(path, 0755), 0, "%s: %s", path, strerror(errno));
		return;
	}
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/nvmx-capture-env-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	(void)system(cmd);
}

Test(capture_env, isa_and_parameters_of_the_loaded_module, .init = setup, .fini = teardown)
{
	struct nvmx_capture_env env;

	mk("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vmx\n");
	mk("sys/module/kvm_amd/parameters/npt", "Y\n");
	mk("sys/module/kvm_amd/parameters/nested", "1\n");
	mk("sys/module/kvm_amd/parameters/avic", NULL); /* unreadable: a directory */
	mk("sys/module/kvm/parameters/halt_poll_ns", "200000\n");
	nvmx_capture_env_read(root, &env);
	/* the loaded module decides, not the cpu flag */
	cr_assert_str_eq(env.isa, "svm");
	cr_assert_str_eq(env.isa_from, "kvm_amd loaded");
	cr_assert_eq(env.n_params, 4);
	/* kvm's first, then each module's sorted by name */
	cr_assert_str_eq(env.params[0].name, "kvm.halt_poll_ns");
	cr_assert_str_eq(env.params[0].value, "200000");
	cr_assert_str_eq(env.params[1].name, "kvm_amd.avic");
	cr_assert_str_eq(env.params[1].value, "(unreadable: Is a directory)");
	cr_assert_str_eq(env.params[2].name, "kvm_amd.nested");
	cr_assert_str_eq(env.params[2].value, "1");
	cr_assert_str_eq(env.params[3].name, "kvm_amd.npt");
	cr_assert_str_eq(env.params[3].value, "Y");
	cr_assert_neq(env.release[0], '\0');
}

Test(capture_env, isa_from_the_cpu_flag_as_a_whole_word, .init = setup, .fini = teardown)
{
	struct nvmx_capture_env env;

	mk("proc/cpuinfo", "flags\t\t: fpu svm_lock vmx\n");
	nvmx_capture_env_read(root, &env);
	cr_assert_str_eq(env.isa, "vmx");
	cr_assert_str_eq(env.isa_from, "cpu flag vmx; no kvm_intel loaded");
	cr_assert_eq(env.n_params, 0);
	mk("proc/cpuinfo", "flags\t\t: fpu svm_lock\n");
	nvmx_capture_env_read(root, &env);
	cr_assert_str_eq(env.isa, "unknown");
}

Test(capture_env, header_says_where_and_replays_as_comments, .init = setup, .fini = teardown)
{
	static const char *const enabled[] = { "kvm_exit", "kvm_entry" };
	static const char *const missing[] = { "kvm_nested_vmenter_failed" };
	struct nvmx_capture_env env;
	struct nvmx_capture_info info = {
		.writer = "nvmx record",
		.nvmx_version = "9.9.9",
		.tracefs = "/sys/kernel/tracing/instances/t",
		.clock = "local",
		.buffer_kb = 1410,
		.enabled = enabled,
		.n_enabled = 2,
		.missing = missing,
		.n_missing = 1,
		.start_realtime_s = 1796400000, /* 2026-12-04T16:00:00Z */
	};
	char *text = NULL, *line, *save = NULL, want[3 * NVMX_ENV_TEXT + 32];
	size_t len = 0, lines = 0;
	FILE *mem;

	mk("sys/module/kvm_intel/parameters/ept", "Y\n");
	nvmx_capture_env_read(root, &env);
	mem = open_memstream(&text, &len);
	cr_assert_not_null(mem);
	cr_assert_eq(nvmx_capture_write_header(mem, &env, &info), 0);
	fclose(mem);
	snprintf(want, sizeof(want), "\n# kernel: %s %s %s\n", env.release, env.version,
		 env.machine);
	cr_assert_not_null(strstr(text, want), "%s", text);
	cr_assert_not_null(strstr(text, "\n# isa: vmx (kvm_intel loaded)\n"), "%s", text);
	cr_assert_not_null(strstr(text, "\n# param: kvm_intel.ept=Y\n"), "%s", text);
	cr_assert_not_null(strstr(text, "\n# nvmx-version: 9.9.9\n"), "%s", text);
	cr_assert_not_null(strstr(text, "\n# events: kvm_exit kvm_entry\n"), "%s", text);
	cr_assert_not_null(strstr(text, "\n# events-missing: kvm_nested_vmenter_failed\n"), "%s",
			   text);
	cr_assert_not_null(
		strstr(text, "\n# tasks: all\n# clock: local\n# buffer-kb: 1410 per CPU\n"), "%s",
		text);
	cr_assert_not_null(strstr(text, "\n# start: 2026-12-04T16:00:00Z\n"), "%s", text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct nvmx_line ln;

		nvmx_parse_line(line, strlen(line), &ln);
		cr_assert_eq(ln.type, NVMX_LINE_SKIP, "the header line '%s' is not a comment",
			     line);
		lines++;
	}
	cr_assert_geq(lines, 12);
	free(text);
}

Test(capture_env, stats_give_the_events_lost)
{
	/* per_cpu/cpu0/stats of 6.12 */
	static const char stats[] = "entries: 12\n"
				    "overrun: 5\n"
				    "commit overrun: 2\n"
				    "bytes: 640\n"
				    "oldest event ts:  8936.100000\n"
				    "now ts:  8937.143421\n"
				    "dropped events: 3\n"
				    "read events: 7539\n";
	struct nvmx_tracefs_stats st;

	cr_assert_eq(nvmx_tracefs_stats_parse(stats, &st), 0);
	cr_assert_eq(st.entries, 12);
	cr_assert_eq(st.overrun, 5);
	cr_assert_eq(st.commit_overrun, 2);
	cr_assert_eq(st.dropped, 3);
	cr_assert_eq(st.read, 7539);
	cr_assert_eq(nvmx_tracefs_stats_lost(&st), 10);
	/* an older kernel without "dropped events" */
	cr_assert_eq(nvmx_tracefs_stats_parse("entries: 0\noverrun: 4\ncommit overrun: 0\n", &st),
		     0);
	cr_assert_eq(nvmx_tracefs_stats_lost(&st), 4);
	/* "commit overrun" alone is not "overrun": not a stats file */
	cr_assert_eq(nvmx_tracefs_stats_parse("commit overrun: 1\n", &st), -EINVAL);
	cr_assert_eq(nvmx_tracefs_stats_parse("", &st), -EINVAL);
}
