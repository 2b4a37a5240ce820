/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands of `nvmx`: each takes the arguments after its own name (argv[0] is the name). */
#ifndef NVMX_CLI_COMMANDS_H
#define NVMX_CLI_COMMANDS_H

int nvmx_cmd_replay(int argc, char **argv);
int nvmx_cmd_lab(int argc, char **argv);
int nvmx_cmd_compare(int argc, char **argv);
int nvmx_cmd_up(int argc, char **argv);
int nvmx_cmd_report(int argc, char **argv);
int nvmx_cmd_bench(int argc, char **argv);
int nvmx_cmd_bitmap(int argc, char **argv);

#endif
