/* SPDX-License-Identifier: GPL-2.0 */
/* The VMM of the workload: one KVM VM whose vCPUs each run an L1 hypervisor and its L2. */
#ifndef NVMX_LAB_VMM_H
#define NVMX_LAB_VMM_H

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

struct wl_run_config {
	uint32_t isa; /* NVMX_ISA_SVM */
	struct wl_spec spec;
	uint64_t iterations;
	uint32_t vcpus;
	unsigned int timeout_s;
};

/* What the VMM itself saw, per vCPU: the L2 exits that L0 sent out to it. */
struct wl_vmm_counts {
	uint64_t io_in_l0, io_out_l0, kicks;
	uint64_t l1_done;
};

/*
 * reinject: what the VMM reads back after the run, per vCPU: the #DEs L2's handler counted, and
 * the pages of the vCPU's fresh-page region that are resident (mincore), at the planned slots
 * and elsewhere (those must be none: no other access touched the region).
 */
struct wl_reinject_seen {
	uint64_t l2_de_taken;
	uint64_t pages_in_slots, pages_elsewhere;
};

struct wl_run_result {
	struct wl_l1_counts l1[WL_MAX_VCPUS];
	struct wl_vmm_counts vmm[WL_MAX_VCPUS];
	struct wl_reinject_seen reinject[WL_MAX_VCPUS];
};

/*
 * Runs the workload. Returns 0 when every vCPU's L1 finished, -ENODEV/-ENOTSUP when this machine
 * cannot run it (no /dev/kvm, no nested SVM: the lab's exit 2), another negative errno on failure.
 * err says why in one line.
 */
int wl_run(const struct wl_run_config *cfg, struct wl_run_result *res, char *err, size_t errlen);

#endif /* NVMX_LAB_VMM_H */
