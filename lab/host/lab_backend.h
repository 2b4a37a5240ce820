/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An emulator backend of the lab: what boots the L0 kernel with hardware virtualization emulated
 * (QEMU TCG for SVM, Bochs for VMX), and how results come back to the host.
 *
 * The rest of the lab (kernel fetching, initramfs, analysis) knows nothing about the emulator:
 * it asks the backend which guest modules and /init shell lines it needs, hands it a kernel, an
 * initramfs and a result directory, and gets console lines and, after the run, the files the
 * guest wrote under /out in that directory.
 */
#ifndef NVMX_LAB_HOST_LAB_BACKEND_H
#define NVMX_LAB_HOST_LAB_BACKEND_H

#include <stdbool.h>

#include "nvmx/summary.h"

struct lab_guest {
	const char *vmlinuz;
	const char *initramfs;
	const char *result_dir;	 /* host directory that receives what the guest writes to /out */
	const char *console_log; /* host file that receives the whole serial console */
	unsigned int vcpus;
	unsigned int mem_mb;
	unsigned int forward_host_port; /* 0: no network */
	unsigned int forward_guest_port;
	double timeout_s; /* hard limit for the whole boot-to-poweroff run */
	int icount_shift; /* >= 0: the guest clock counts instructions (backend->icount) */
	const char *kernel_release; /* uname -r of the L0 kernel (6.12.118+deb12-amd64) */
	const char *emulator;	    /* --isa arm64: the QEMU 10 it runs (lab_plan.h) */
};

/* Called with each console line (no line end); a non-zero return stops the emulator. */
struct lab_buf;

typedef int (*lab_console_line_fn)(void *ctx, const char *line);

/*
 * Splits console output into lines for on_line (carriage returns dropped); keeps a partial last
 * line in *line for the next call. Returns on_line's first non-zero return, or -ENOMEM.
 */
int lab_feed_lines(struct lab_buf *line, const char *data, size_t len, lab_console_line_fn on_line,
		   void *ctx);

struct lab_backend {
	const char *name;	/* "qemu", "bochs" */
	enum nvmx_isa isa;	/* what it emulates */
	const char *kvm_module; /* the L0 KVM vendor module: "kvm_amd", "kvm_intel" */
	/* Modules the guest needs to hand results back, and for --forward networking. */
	const char *const *result_modules;
	const char *const *net_modules;
	/* /init shell commands that make /out the result channel, and that close it at the end. */
	const char *out_setup;
	const char *out_finish;
	/*
	 * Whether the initramfs carries the modules without their signatures: Bochs spends ~8 s
	 * of a boot verifying them (measured on 6.12); the kernel loads unsigned ones tainted.
	 */
	bool strip_module_signatures;
	/*
	 * Whether the backend can make the guest clock count instructions (QEMU -icount): timings
	 * repeated in L0 then hardly vary with the host's load.
	 */
	bool icount;
	/*
	 * The guest clock without icount, as lab.json's "clock" names it: "wall" (it follows the
	 * host's time, so its load) or the backend's own instruction clock.
	 */
	const char *clock;
	/* Checks that the emulator is installed and usable; sets the lab error when not. */
	int (*check)(void);
	/*
	 * Boots guest to its power-off. Returns 0 when the guest powered off, -ETIMEDOUT when the
	 * hard limit killed it, another negative errno when the emulator failed (the lab error says
	 * why, with the emulator's stderr), or when a console callback stopped it.
	 */
	int (*run)(const struct lab_guest *guest, lab_console_line_fn on_line, void *ctx);
	/* Brings what the guest wrote to /out into result_dir (9p: nothing to do). */
	int (*collect)(const struct lab_guest *guest);
};

/* The backend for an ISA, or NULL (with the lab error set) when none exists yet. */
const struct lab_backend *lab_backend_for_isa(enum nvmx_isa isa);

extern const struct lab_backend lab_backend_qemu;
extern const struct lab_backend lab_backend_bochs;
extern const struct lab_backend lab_backend_qemu_arm64;

#endif /* NVMX_LAB_HOST_LAB_BACKEND_H */
