/* SPDX-License-Identifier: GPL-2.0 */
/* Internal to libnvmx (and its unit tests): counting the model's verdicts into a summary. */
#ifndef NVMX_REPLAY_INTERNAL_H
#define NVMX_REPLAY_INTERNAL_H

#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/summary.h"

/*
 * Adds one verdict: an exit entry, plus its msrs/ports entry for L2 MSR and I/O exits. Returns 0
 * or -ENOMEM / -EINVAL (unknown verdict kind).
 */
int nvmx_summary_apply_verdict(struct nvmx_summary *s, const struct nvmx_verdict *v);

#endif /* NVMX_REPLAY_INTERNAL_H */
