/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The counted keys of counts.h as summary entries: how replay (one verdict at a time) and nvmxd
 * (per-CPU map entries summed) fill a struct nvmx_summary. User space; include <linux/types.h>,
 * events.h, model.h and counts.h first.
 */
#ifndef NVMX_COUNTED_H
#define NVMX_COUNTED_H

#include <stdint.h>

#include "summary.h"

/* Each returns 0, -ENOMEM, or -EINVAL for an outcome it does not know. */
int nvmx_summary_add_counted(struct nvmx_summary *s, const struct nvmx_exit_key *k, uint64_t n);
int nvmx_summary_add_counted_msr(struct nvmx_summary *s, const struct nvmx_msr_key *k,
				 const struct nvmx_io_value *v);
int nvmx_summary_add_counted_port(struct nvmx_summary *s, const struct nvmx_port_key *k,
				  const struct nvmx_io_value *v);

/* One verdict of the model, counted: its outcome, and its MSR or port for an L2 exit. */
int nvmx_summary_add_verdict(struct nvmx_summary *s, const struct nvmx_verdict *v);

#endif /* NVMX_COUNTED_H */
