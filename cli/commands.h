/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands of `nvmx`: each takes the arguments after its own name (argv[0] is the name). */
#ifndef NVMX_CLI_COMMANDS_H
#define NVMX_CLI_COMMANDS_H

#include <getopt.h>

#include "nvmx/cmdline.h"

/*
 * One argument grammar for every subcommand: getopt_long (`--opt value` and `--opt=value`), with
 * opterr 0 and an optstring that starts with ':', its errors through nvmx_getopt_error() and any
 * other usage error through nvmx_usage_error() (include/nvmx/cmdline.h): one line, then "try
 * 'nvmx CMD --help'", exit 2. Every subcommand's options end with these: -h/--help and --version
 * ('V').
 */
/* The last lines of every subcommand's --help */
#define NVMX_USAGE_COMMON "\n-h, --help: this text; --version: nvmx's version (and git commit).\n"

#define NVMX_COMMON_LONGOPTS                                                       \
	{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, \
	{                                                                          \
		NULL, 0, NULL, 0                                                   \
	}

int nvmx_cmd_replay(int argc, char **argv);
int nvmx_cmd_lab(int argc, char **argv);
int nvmx_cmd_compare(int argc, char **argv);
int nvmx_cmd_up(int argc, char **argv);
int nvmx_cmd_report(int argc, char **argv);
int nvmx_cmd_bench(int argc, char **argv);
int nvmx_cmd_bitmap(int argc, char **argv);
int nvmx_cmd_record(int argc, char **argv);

#endif
