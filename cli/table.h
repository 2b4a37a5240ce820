/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NVMX_CLI_TABLE_H
#define NVMX_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct nvmx_summary;

/* Per (isa, reason): L2 exits by handler, reflected share, L1 exits, synthesised; MSRs; ports. */
void nvmx_print_table(FILE *f, const struct nvmx_summary *s);

/*
 * A summary of some vCPU threads only (--vm, --vcpu): one line saying which and how many, the
 * first line of every text output made of it; nothing for a summary of every thread.
 */
void nvmx_print_filter(FILE *f, const struct nvmx_summary *s);
/* That line without its newline in buf; returns 0 (buf "") for a summary of every thread. */
int nvmx_filter_text(const struct nvmx_summary *s, char *buf, size_t len);

#endif
