// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd's option parser (src/nvmxd_opts.c) on its own: node_exporter's flag names
 * (--web.listen-address, --web.config.file, --web.telemetry-path) in both spellings (--opt value,
 * --opt=value), nvmxd's older --listen and --web-config as aliases of the first two, and the
 * refusals, each one line. No root, no network.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmxd.h"

/* nvmxd.c's nvmxd_fail keeps the run's one message; here the test reads it */
static char fail_msg[512];

int nvmxd_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -EINVAL;
}

/* Parses the NULL-terminated arguments after "nvmxd" into *o; returns nvmxd_parse_args'. */
static int parse(struct nvmxd_opts *o, ...)
{
	char *argv[32] = { "nvmxd" };
	int argc = 1;
	va_list ap;

	va_start(ap, o);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	memset(o, 0, sizeof(*o));
	fail_msg[0] = '\0';
	optind = 0; /* glibc: start over */
	return nvmxd_parse_args(argc, argv, o);
}

Test(nvmxd_opts, node_exporter_names)
{
	struct nvmxd_opts o;

	cr_assert_eq(parse(&o, "--web.listen-address", "127.0.0.1:9477", "--web.config.file",
			   "/etc/nvmx/web-config.yml", "--web.telemetry-path", "/nvmx/metrics",
			   NULL),
		     0, "%s", fail_msg);
	cr_assert_str_eq(o.serve.listen, "127.0.0.1:9477");
	cr_assert_str_eq(o.serve.web_config, "/etc/nvmx/web-config.yml");
	cr_assert_str_eq(o.serve.telemetry_path, "/nvmx/metrics");
}

Test(nvmxd_opts, equals_spelling)
{
	struct nvmxd_opts o;

	cr_assert_eq(parse(&o, "--web.listen-address=[::1]:0", "--web.config.file=w.yml",
			   "--web.telemetry-path=/m", NULL),
		     0, "%s", fail_msg);
	cr_assert_str_eq(o.serve.listen, "[::1]:0");
	cr_assert_str_eq(o.serve.web_config, "w.yml");
	cr_assert_str_eq(o.serve.telemetry_path, "/m");
}

Test(nvmxd_opts, old_names_are_aliases)
{
	struct nvmxd_opts o;

	cr_assert_eq(parse(&o, "--listen", "127.0.0.1:1", "--web-config=a.yml", NULL), 0, "%s",
		     fail_msg);
	cr_assert_str_eq(o.serve.listen, "127.0.0.1:1");
	cr_assert_str_eq(o.serve.web_config, "a.yml");
	cr_assert_null(o.serve.telemetry_path, "the default path is the server's (/metrics)");
	/* the last one given wins, whichever its name, as getopt does for any repeated option */
	cr_assert_eq(
		parse(&o, "--listen", "127.0.0.1:1", "--web.listen-address", "127.0.0.1:2", NULL),
		0);
	cr_assert_str_eq(o.serve.listen, "127.0.0.1:2");
	cr_assert_eq(
		parse(&o, "--web.listen-address", "127.0.0.1:2", "--listen", "127.0.0.1:3", NULL),
		0);
	cr_assert_str_eq(o.serve.listen, "127.0.0.1:3");
}

Test(nvmxd_opts, defaults_without_server)
{
	struct nvmxd_opts o;

	cr_assert_eq(parse(&o, NULL), 0, "%s", fail_msg);
	cr_assert_null(o.serve.listen);
	cr_assert_null(o.serve.web_config);
	cr_assert_null(o.serve.telemetry_path);
	cr_assert_float_eq(o.interval_s, 10.0, 1e-9);
	cr_assert_eq(o.ringbuf_mib, 16);
}

Test(nvmxd_opts, server_options_need_an_address)
{
	struct nvmxd_opts o;

	cr_assert_lt(parse(&o, "--web.config.file", "w.yml", NULL), 0);
	cr_assert_not_null(strstr(fail_msg, "need --web.listen-address (or --listen)"), "%s",
			   fail_msg);
	cr_assert_lt(parse(&o, "--web.telemetry-path", "/m", NULL), 0);
	cr_assert_not_null(strstr(fail_msg, "need --web.listen-address"), "%s", fail_msg);
	cr_assert_lt(parse(&o, "--web-config", "w.yml", NULL), 0);
	cr_assert_not_null(strstr(fail_msg, "need --web.listen-address"), "%s", fail_msg);
}

Test(nvmxd_opts, telemetry_path_refused)
{
	static const char *const bad[] = {
		"metrics", "",	     "/",   "/api/v1/summary", "/api/v1/status", "/-/healthy",
		"/a b",	   "/m?x=1", "/m#f"
	};
	struct nvmxd_opts o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_lt(parse(&o, "--web.listen-address", "127.0.0.1:0",
				   "--web.telemetry-path", bad[i], NULL),
			     0, "'%s' accepted", bad[i]);
		cr_assert_not_null(strstr(fail_msg, "--web.telemetry-path "), "%s", fail_msg);
		cr_assert_null(strchr(fail_msg, '\n'), "one line: %s", fail_msg);
	}
}

Test(nvmxd_opts, missing_argument_is_one_line)
{
	struct nvmxd_opts o;

	cr_assert_lt(parse(&o, "--web.listen-address", NULL), 0);
	cr_assert_not_null(strstr(fail_msg, "web.listen-address"), "%s", fail_msg);
	cr_assert_null(strchr(fail_msg, '\n'), "%s", fail_msg);
	cr_assert_lt(parse(&o, "--web", "127.0.0.1:0", NULL), 0,
		     "an abbreviation shared by several options is ambiguous");
	cr_assert_lt(parse(&o, "--web.listen-address", "127.0.0.1:0", "extra", NULL), 0);
	cr_assert_not_null(strstr(fail_msg, "unexpected argument 'extra'"), "%s", fail_msg);
}

Test(nvmxd_opts, help_names_both_spellings)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	nvmxd_usage(f);
	fclose(f);
	cr_assert_not_null(strstr(text, "--web.listen-address ADDR:PORT"));
	cr_assert_not_null(strstr(text, "--listen ADDR:PORT is an alias"));
	cr_assert_not_null(strstr(text, "--web.config.file FILE"));
	cr_assert_not_null(strstr(text, "--web-config FILE\n                      is an alias"));
	cr_assert_not_null(strstr(text, "--web.telemetry-path PATH"));
	free(text);
}
