/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line every nvmx program shares: --version, and one style for a usage error:
 *
 *	PROG: PROBLEM
 *	try 'PROG --help'
 *
 * and exit status 2 (PROG is "nvmx CMD", "nvmxd", "nvmxtop", ...).
 */
#ifndef NVMX_CMDLINE_H
#define NVMX_CMDLINE_H

#include <stddef.h>
#include <stdio.h>

/*
 * The version of this build: the CMake project version, then "(git DESCRIBE)" in a git checkout
 * (lib/version.c.in, the nvmx_version library).
 */
const char *nvmx_version(void);
/* "PROG VERSION" on stdout, one line; returns 0, the exit status of --version. */
int nvmx_print_version(const char *prog);

/* Prints the two lines above to stderr; returns 2. */
int nvmx_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * After getopt_long() returned '?' or ':' (an optstring that starts with ':'), with opterr 0:
 * the usage error naming the option (unknown, needs a value, takes no value); returns 2.
 */
int nvmx_getopt_error(const char *prog, int c, char **argv);
/* The same problem, as text in buf (for a program that prints its errors its own way). */
void nvmx_getopt_problem(int c, char **argv, char *buf, size_t len);

#endif
