// SPDX-License-Identifier: GPL-2.0
/* The counted keys of include/nvmx/counts.h as summary entries. */
#include <errno.h>
#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/counted.h"
#include "nvmx/breakdown.h"
#include "nvmx/counters.h"

/* handled_by of an MSR/port key: an L2 exit's handler, or NONE for an exit of L1 itself */
static enum nvmx_handler io_handler_of(__u32 by)
{
	return by == NVMX_V_BY_L1   ? NVMX_HANDLED_BY_L1
	       : by == NVMX_V_BY_L0 ? NVMX_HANDLED_BY_L0
				    : NVMX_HANDLED_BY_NONE;
}

int nvmx_summary_add_counted(struct nvmx_summary *s, const struct nvmx_exit_key *k, uint64_t n)
{
	switch (k->outcome) {
	case NVMX_OUT_L2_BY_L0:
		return nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, k->isa, k->reason,
					     NVMX_HANDLED_BY_L0, n);
	case NVMX_OUT_L2_BY_L1:
		return nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, k->isa, k->reason,
					     NVMX_HANDLED_BY_L1, n);
	case NVMX_OUT_SYNTHESIZED_TO_L1:
		return nvmx_summary_add_exit(s, NVMX_KIND_SYNTHESIZED_TO_L1, k->isa, k->reason,
					     NVMX_HANDLED_BY_NONE, n);
	case NVMX_OUT_L1_EXIT:
		return nvmx_summary_add_exit(s, NVMX_KIND_L1_EXIT, k->isa, k->reason,
					     NVMX_HANDLED_BY_NONE, n);
	case NVMX_OUT_NESTED_ENTRY:
		nvmx_summary_add_nested_entries(s, n);
		return 0;
	case NVMX_OUT_NESTED_ENTRY_FAILED:
		nvmx_summary_add_failed_entries(s, n);
		return 0;
	case NVMX_OUT_UNATTRIBUTED:
		nvmx_summary_add_unattributed(s, n);
		return 0;
	default:
		return -EINVAL;
	}
}

int nvmx_summary_add_counted_msr(struct nvmx_summary *s, const struct nvmx_msr_key *k,
				 const struct nvmx_io_value *v)
{
	/* NVMX_MODEL_MSR_UNKNOWN and NVMX_MSR_UNKNOWN are the same value: see summary.h */
	enum nvmx_handler h = io_handler_of(k->handled_by);
	int err = nvmx_summary_add_msr(s, k->isa, k->msr, k->write, h, v->count);

	return err ? err
		   : nvmx_summary_add_msr_cost(s, k->isa, k->msr, k->write, h, v->timed, v->sum_ns);
}

int nvmx_summary_add_counted_port(struct nvmx_summary *s, const struct nvmx_port_key *k,
				  const struct nvmx_io_value *v)
{
	enum nvmx_handler h = io_handler_of(k->handled_by);
	int err = nvmx_summary_add_port(s, k->isa, k->port, k->in, k->size, h, v->count);

	return err ? err
		   : nvmx_summary_add_port_cost(s, k->isa, k->port, k->in, k->size, h, v->timed,
						v->sum_ns);
}

int nvmx_summary_add_verdict(struct nvmx_summary *s, const struct nvmx_verdict *v)
{
	struct nvmx_counters c = { 0 };
	int err;

	/* through the counters: verdict -> counts is nvmx_counters_add_verdict() alone */
	err = nvmx_counters_add_verdict(&c, v, 0, 0);
	if (!err)
		err = nvmx_counters_to_summary(&c, 0, 0, s);
	nvmx_counters_free(&c);
	return err;
}
