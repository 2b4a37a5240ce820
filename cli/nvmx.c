// SPDX-License-Identifier: GPL-2.0
/* nvmx: the command-line front end. Each subcommand lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "up", nvmx_cmd_up, "who handles nested exits here: nvmxd live, or in the lab" },
	{ "record", nvmx_cmd_record,
	  "capture the KVM events nvmx reads (tracefs), with the kernel and ISA in a header" },
	{ "replay", nvmx_cmd_replay,
	  "attribute the exits of a captured trace (tracefs or trace-cmd)" },
	{ "lab", nvmx_cmd_lab, "run real nested KVM under emulation, with exact ground truth" },
	{ "compare", nvmx_cmd_compare,
	  "do two attribution JSON files agree (truth against observed)" },
	{ "report", nvmx_cmd_report,
	  "the Turtles cost breakdown per exit reason, from a capture or JSON (--diff A B)" },
	{ "bench", nvmx_cmd_bench, "a CI gate: run a nested benchmark, compare two results" },
	{ "bitmap", nvmx_cmd_bitmap,
	  "MSR and port exits by handler and cost, and why: KVM's bitmap merging" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nvmx COMMAND [ARGS]...\n\n"
		   "Who handled each nested (L2) exit, L0 or L1, and what it cost.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n'nvmx COMMAND --help' explains each command; 'nvmx --version' (or 'nvmx\n"
		   "COMMAND --version') prints nvmx's version. The live view is nvmxtop(1), the\n"
		   "daemon nvmxd(8).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return nvmx_usage_error("nvmx", "give a COMMAND");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return nvmx_print_version("nvmx");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return nvmx_usage_error("nvmx", "unknown option '%.*s'", (int)strcspn(argv[1], "="),
					argv[1]);
	return nvmx_usage_error("nvmx", "unknown command '%s'", argv[1]);
}
