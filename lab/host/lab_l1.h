/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `nvmx lab run --l1 kvm` (lab_l1.c): Linux KVM as L1 under QEMU in the lab's L0, with
 * nvmx-lab-runner as its L2.
 */
#ifndef NVMX_LAB_HOST_LAB_L1_H
#define NVMX_LAB_HOST_LAB_L1_H

#include "lab_plan.h"

struct lab_cpio;

#define LAB_RUNNER_NAME	 "nvmx-lab-runner"
#define LAB_L1_GUEST_DIR "/lab/l1"
/* L0's script that boots L1 and brings the runner's truth out: the configuration's workload. */
#define LAB_L1_SCRIPT "/lab/l1-kvm.sh"
/* L1's memory (QEMU -m) and how long L0 lets it run (L0's clock) before killing QEMU. */
#define LAB_L1_MEM_MB	 256
#define LAB_L1_TIMEOUT_S 300
/*
 * Under --icount SHIFT L0's clock advances 2^SHIFT ns per instruction: about 9 times ahead of
 * wall time with SHIFT 4, 4 times behind with 0 (docs/lab.md). The limit is multiplied by
 * 2^SHIFT, so that it stays at least as long in wall time.
 */
/* What L1's boot adds to --timeout's default: 10-90 s measured, with nvmxd live in L0. */
#define LAB_L1_BOOT_S 120.0
/*
 * The same under Bochs (--isa vmx), where the 75 MiB initramfs, L1's boot and the trace of its
 * ~215,000 exits are slow: a whole run took 942 s on a loaded 2-core host (docs/lab.md).
 */
#define LAB_L1_BOOT_VMX_S 1200.0
/* The L1 boot's own exits go into the trace too (about 40,000 L0 exits): buffer room for them. */
#define LAB_L1_BUFFER_KB 65536

/*
 * --l2 linux: L2 is the same Debian kernel under QEMU in L1, with a busybox initramfs whose
 * /init powers off. QEMU, its firmware and the kernel then go into L1's initramfs too; L1 needs
 * more memory (measured: 768 MiB), L0 more still (L1, QEMU's own, the trace buffer), and L1's
 * and L2's boots fill the trace: about 1.2 million events (49,000 L2 exits, 400,000 L1 exits).
 * Nothing about L2 Linux's exits is certain: there is no truth; L0 counts the nested exits per
 * reason itself with tracefs hist triggers (lab/l1-kvm.sh), which tests/lab-l1 compares with
 * nvmx's.
 */
#define LAB_L2_LINUX_WORKLOAD  "linux"
#define LAB_L1_LINUX_MEM_MB    768
#define LAB_L2_LINUX_MEM_MB    256
#define LAB_L2_LINUX_L0_MEM_MB 2048
#define LAB_L2_LINUX_BUFFER_KB 262144
/*
 * What L2 Linux's boot adds to --timeout's default: at least L0's limit on L1 below, plus the
 * trace's formatting and compression. Measured with nvmxd --record live, 6.12: 79 s for the
 * whole run (L2 at its /init after 14.7 s); without nvmxd 37 s. Before nvmxd stopped waking
 * its reader on every record (bpf/nvmx.bpf.c, targ_wakeup_bytes) each wakeup cost L1 an exit
 * and a run took 343-600 s: the margin stays for a loaded host.
 */
#define LAB_L2_LINUX_BOOT_S 600.0
/* How long L0 lets L1 run with --l2 linux (L0's clock), and L1 lets L2 run (L1's clock). */
#define LAB_L2_LINUX_TIMEOUT_S	  600
#define LAB_L2_LINUX_L2_TIMEOUT_S 480
#define LAB_L2_GUEST_DIR	  "/lab/l2"

/* The runner, next to the workload generator (the build tree's or the installed one). */
int lab_find_runner(const char *workload, char **out);

/*
 * Adds to L0's initramfs c what --l1 kvm needs: QEMU with its libraries (their directories join
 * libdirs), firmware and TCG module; the kernel and L1's initramfs (built at l1_initramfs, a
 * scratch path, then removed) under LAB_L1_GUEST_DIR; and LAB_L1_SCRIPT.
 */
int lab_l1_add(struct lab_cpio *c, const struct lab_plan *o, const struct lab_kernel *k,
	       const char *runner, const char *l1_initramfs, struct lab_strv *libdirs);

#endif /* NVMX_LAB_HOST_LAB_L1_H */
