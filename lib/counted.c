// SPDX-License-Identifier: GPL-2.0
/* The counted keys of include/nvmx/counts.h as summary entries. */
#include <errno.h>
#include <linux/types.h>

#include "nvmx/events.h"
#include "nvmx/model.h"
#include "nvmx/counts.h"
#include "nvmx/counted.h"
#include "nvmx/breakdown.h"

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

/* The breakdown of one verdict, as the BPF side sums it (nvmx_verdict_breakdown of counts.h). */
static int add_breakdown(struct nvmx_summary *s, const struct nvmx_verdict *v)
{
	uint64_t buckets[NVMX_HIST_BUCKETS] = { 0 };
	struct nvmx_bd_key k;
	__u64 parts[NVMX_RT_PARTS];
	int err;

	if (!nvmx_verdict_breakdown(v, &k, parts))
		return 0;
	buckets[nvmx_hist_bucket(parts[0])] = 1;
	err = nvmx_summary_add_breakdown(s, k.isa, k.reason, k.kind, 1, (const uint64_t *)parts,
					 buckets);
	if (err || k.kind != NVMX_BD_ROUND_TRIP)
		return err;
	if (nvmx_rt_parts_cycles(v, parts))
		err = nvmx_summary_add_breakdown_cycles(s, k.isa, k.reason, 1,
							(const uint64_t *)parts);
	for (int i = 0; i < NVMX_RT_L1_REASONS && !err; i++)
		err = nvmx_summary_add_breakdown_l1(s, k.isa, k.reason, v->rt.l1_reason[i],
						    v->rt.l1_count[i]);
	if (!err)
		err = nvmx_summary_add_breakdown_l1(s, k.isa, k.reason, NVMX_BD_L1_OVERFLOW,
						    v->rt.l1_overflow);
	return err;
}

/* The msrs/ports entry of one verdict (nvmx_verdict_io of counts.h). */
static int add_io(struct nvmx_summary *s, const struct nvmx_verdict *v)
{
	struct nvmx_msr_key mk;
	struct nvmx_port_key pk;
	struct nvmx_io_value inc;

	switch (nvmx_verdict_io(v, &mk, &pk, &inc)) {
	case 1:
		return nvmx_summary_add_counted_msr(s, &mk, &inc);
	case 2:
		return nvmx_summary_add_counted_port(s, &pk, &inc);
	default:
		return 0;
	}
}

int nvmx_summary_add_verdict(struct nvmx_summary *s, const struct nvmx_verdict *v)
{
	struct nvmx_exit_key k = { .isa = v->isa, .reason = v->reason };
	int err;

	if (v->kind == NVMX_V_VECTORING)
		return nvmx_summary_add_vectoring(s, v->isa, v->vec_type, v->vec_vector,
						  v->vec_outcome, 1);
	if (v->kind == NVMX_V_ROUND_TRIP) {
		err = add_breakdown(s, v);
		return err ? err : add_io(s, v);
	}
	if (v->kind > NVMX_V_NESTED_ENTRY_FAILED)
		return -EINVAL;
	err = add_breakdown(s, v);
	if (err)
		return err;
	k.outcome = nvmx_verdict_outcome(v);
	err = nvmx_summary_add_counted(s, &k, 1);
	return err ? err : add_io(s, v);
}
