// SPDX-License-Identifier: GPL-2.0
/* One style for a usage error in every nvmx program (include/nvmx/cmdline.h). */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "nvmx/cmdline.h"

int nvmx_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry '%s --help'\n", prog);
	return 2;
}

void nvmx_getopt_problem(int c, char **argv, char *buf, size_t len)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	const char *eq;
	int name_len;

	const char *cur = argv[optind];
	bool mid_cluster;

	/*
	 * getopt_long leaves optopt 0 for an unknown long option, the option's value for a known
	 * one or a short one. A short option that fails inside a cluster ("-xb") leaves optind at
	 * that cluster (argv[optind - 1] is an earlier word); anywhere else argv[optind - 1] is the
	 * word that failed.
	 */
	mid_cluster = optopt > 0 && optopt < 256 && cur && cur[0] == '-' && cur[1] &&
		      cur[1] != '-' && strchr(cur + 1, optopt);
	if (!strncmp(arg, "--", 2) && !mid_cluster) {
		eq = strchr(arg, '=');
		name_len = eq ? (int)(eq - arg) : (int)strlen(arg);
		if (c == ':')
			snprintf(buf, len, "%.*s needs a value", name_len, arg);
		else if (optopt && eq)
			snprintf(buf, len, "%.*s takes no value ('%s')", name_len, arg, arg);
		else
			snprintf(buf, len, "unknown option '%.*s'", name_len, arg);
	} else if (c == ':') {
		snprintf(buf, len, "-%c needs a value", optopt);
	} else if (optopt > 32 && optopt < 127) {
		snprintf(buf, len, "unknown option '-%c'", optopt);
	} else {
		snprintf(buf, len, "unknown option '%s'", arg);
	}
}

int nvmx_getopt_error(const char *prog, int c, char **argv)
{
	char what[256];

	nvmx_getopt_problem(c, argv, what, sizeof(what));
	return nvmx_usage_error(prog, "%s", what);
}
