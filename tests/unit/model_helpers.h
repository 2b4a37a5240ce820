/* SPDX-License-Identifier: GPL-2.0 */
/* Building short event sequences for the model tests. */
#ifndef NVMX_TEST_MODEL_HELPERS_H
#define NVMX_TEST_MODEL_HELPERS_H

#include <linux/types.h>
#include <string.h>

#include "nvmx/events.h"
#include "nvmx/model.h"

/* SVM exit codes (<asm/svm.h>) and VMX basic reasons (<asm/vmx.h>) the tests use */
#define SVM_INTR	  0x060u
#define SVM_CPUID	  0x072u
#define SVM_IOIO	  0x07bu
#define SVM_MSR		  0x07cu
#define SVM_VMRUN	  0x080u
#define SVM_VMMCALL	  0x081u
#define VMX_EXTINT	  1u
#define VMX_CPUID	  10u
#define VMX_VMCALL	  18u
#define VMX_VMLAUNCH	  20u
#define VMX_VMRESUME	  24u
#define VMX_IO		  30u
#define VMX_MSR_READ	  31u
#define VMX_INVALID_STATE 33u

#define SVM NVMX_EV_ISA_SVM
#define VMX NVMX_EV_ISA_VMX

static inline struct nvmx_event ev(__u32 kind, __u64 ts, __u32 isa, __u32 reason, __u64 info1)
{
	struct nvmx_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.ts_ns = ts;
	e.tid = 100;
	e.isa = isa;
	e.reason = reason;
	e.info1 = info1;
	e.vcpu_id = NVMX_EV_VCPU_ID_NONE;
	return e;
}

/* Feeds one event and returns the verdicts it produced. */
static inline const struct nvmx_verdicts *feed(struct nvmx_vcpu_state *s, struct nvmx_event e)
{
	static struct nvmx_verdicts out;

	nvmx_model_step(s, &e, &out);
	return &out;
}

#define EXIT(ts, isa, r)	 ev(NVMX_EV_EXIT, ts, isa, r, 0)
#define EXIT_I(ts, isa, r, i1)	 ev(NVMX_EV_EXIT, ts, isa, r, i1)
#define NESTED(ts, isa, r)	 ev(NVMX_EV_NESTED_VMEXIT, ts, isa, r, 0)
#define NESTED_I(ts, isa, r, i1) ev(NVMX_EV_NESTED_VMEXIT, ts, isa, r, i1)
#define INJECT(ts, isa, r)	 ev(NVMX_EV_NESTED_VMEXIT_INJECT, ts, isa, r, 0)
#define VMENTER(ts, isa)	 ev(NVMX_EV_NESTED_VMENTER, ts, isa, 0, 0)
#define VMENTER_FAILED(ts)	 ev(NVMX_EV_NESTED_VMENTER_FAILED, ts, 0, 0, 0)
#define ENTRY(ts)		 ev(NVMX_EV_ENTRY, ts, 0, 0, 0)
#define USERSPACE(ts)		 ev(NVMX_EV_USERSPACE_EXIT, ts, 0, 0, 0)
#define LOST(ts)		 ev(NVMX_EV_LOST, ts, 0, 0, 0)
#define END(ts)			 ev(NVMX_EV_END, ts, 0, 0, 0)

static inline struct nvmx_event MSR_EV(__u64 ts, __u32 index, int write) {
	struct nvmx_event e = ev(NVMX_EV_MSR, ts, 0, 0, 0);

	e.msr = index;
	e.flags = write ? NVMX_EV_F_MSR_WRITE : 0;
	return e;
}

#endif
