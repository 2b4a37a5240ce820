/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What is counted of a verdict, written once for every counter: the BPF maps (bpf/nvmx.bpf.c),
 * nvmxd's reading of them (src/collect.c) and replay (lib/replay.c) all turn a model verdict into
 * these keys with these two functions, and lib turns the keys into summary entries
 * (include/nvmx/counted.h).
 *
 * BPF-safe, no #includes: include events.h and model.h first (and <linux/types.h> in user space).
 */
#ifndef NVMX_COUNTS_H
#define NVMX_COUNTS_H

/*
 * Outcome of a verdict: the last field of an exit key. One per way an exit or entry can end, so
 * that a summary can be rebuilt from the keys alone (nvmx_summary_add_counted).
 */
#define NVMX_OUT_L2_BY_L0	     0u /* an L2 exit L0 handled itself */
#define NVMX_OUT_L2_BY_L1	     1u /* an L2 exit reflected to L1 */
#define NVMX_OUT_SYNTHESIZED_TO_L1   2u /* an exit L0 made up and delivered to L1 */
#define NVMX_OUT_L1_EXIT	     3u /* an exit of L1 itself */
#define NVMX_OUT_NESTED_ENTRY	     4u /* L0 emulated L1's VMLAUNCH/VMRESUME/VMRUN */
#define NVMX_OUT_UNATTRIBUTED	     5u /* an exit or inject the model could not attribute */
#define NVMX_OUT_NESTED_ENTRY_FAILED 6u /* kvm_nested_vmenter_failed */
#define NVMX_OUT_COUNT		     7u

struct nvmx_exit_key {
	__u32 tgid;    /* the VMM process */
	__u32 tid;     /* the vCPU thread */
	__u32 isa;     /* NVMX_EV_ISA_* */
	__u32 reason;  /* basic exit reason (VMX: bits 15:0); 0 for nested entries */
	__u32 outcome; /* NVMX_OUT_* */
	__u32 pad;
};

/* L2 port I/O exits (nvmx_exit_io of model.h). */
struct nvmx_port_key {
	__u32 isa;
	__u16 port;
	__u8 in;	  /* 1: IN, 0: OUT */
	__u8 size;	  /* bytes, 0 if the record did not say */
	__u32 handled_by; /* NVMX_V_BY_L0 / NVMX_V_BY_L1 */
};

/* L2 MSR exits (nvmx_exit_msr_access of model.h). */
struct nvmx_msr_key {
	__u32 isa;
	__u32 msr; /* from the kvm_msr L0 traced, or NVMX_MODEL_MSR_UNKNOWN */
	__u32 write;
	__u32 handled_by; /* NVMX_V_BY_L0 / NVMX_V_BY_L1 */
};

static __always_inline __u32 nvmx_verdict_outcome(const struct nvmx_verdict *v)
{
	switch (v->kind) {
	case NVMX_V_L2_EXIT:
		return v->handled_by == NVMX_V_BY_L1 ? NVMX_OUT_L2_BY_L1 : NVMX_OUT_L2_BY_L0;
	case NVMX_V_L1_EXIT:
		return NVMX_OUT_L1_EXIT;
	case NVMX_V_SYNTHESIZED_TO_L1:
		return NVMX_OUT_SYNTHESIZED_TO_L1;
	case NVMX_V_NESTED_ENTRY:
		return NVMX_OUT_NESTED_ENTRY;
	case NVMX_V_NESTED_ENTRY_FAILED:
		return NVMX_OUT_NESTED_ENTRY_FAILED;
	default:
		return NVMX_OUT_UNATTRIBUTED;
	}
}

/*
 * The msrs/ports entry of a verdict, as every counter decides
 * it: only L2 exits; an MSR exit's index only when a kvm_msr told it (a reflected access is
 * emulated by L1, whose RCX no record carries). Returns 1 (msr), 2 (port) or 0 (neither).
 */
static __always_inline int nvmx_verdict_extra(const struct nvmx_verdict *v, struct nvmx_msr_key *mk,
					      struct nvmx_port_key *pk)
{
	__u32 write = 0, port = 0, in = 0, size = 0;
	__u32 by;

	if (v->kind != NVMX_V_L2_EXIT)
		return 0;
	by = v->handled_by == NVMX_V_BY_L1 ? NVMX_V_BY_L1 : NVMX_V_BY_L0;
	if (nvmx_exit_msr_access(v->isa, v->reason, v->info1, &write)) {
		mk->isa = v->isa;
		mk->msr = (v->flags & NVMX_VF_MSR_KNOWN) ? v->msr : NVMX_MODEL_MSR_UNKNOWN;
		mk->write = write;
		mk->handled_by = by;
		return 1;
	}
	if (nvmx_exit_io(v->isa, v->reason, v->info1, &port, &in, &size)) {
		pk->isa = v->isa;
		pk->port = (__u16)port;
		pk->in = (__u8)in;
		pk->size = (__u8)size;
		pk->handled_by = by;
		return 2;
	}
	return 0;
}

#endif /* NVMX_COUNTS_H */
