/* SPDX-License-Identifier: GPL-2.0 */
/* Where nvmx finds the programs it runs. */
#ifndef NVMX_CLI_PATHS_H
#define NVMX_CLI_PATHS_H

#include <stddef.h>

/*
 * nvmxd: $NVMX_NVMXD, else the one of this build tree (when nvmx runs from it), else the
 * installed one beside nvmx's own directory. Writes the path to out; returns 0 if it is
 * executable, else a negative errno.
 */
int nvmx_find_nvmxd(char *out, size_t len);

#endif
