/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nested lab's host side (docs/lab.md): real nested KVM under an emulator, with exact ground
 * truth. lab_run() fetches a stock Debian kernel, builds an initramfs with the KVM modules, the
 * workload generator (lab/workload) and /init (lab/init.sh), boots it as L0 under QEMU (SVM) or
 * Bochs (VMX), and compares what the workload did (truth.json) with what nvmx attributes from
 * L0's trace (observed.json).
 *
 * `nvmx lab run` parses its command line into struct lab_options; `nvmx up` and `nvmx bench run`
 * fill one themselves. Every setting is validated by lab_run(), as the command line is.
 */
#ifndef NVMX_LAB_HOST_LAB_H
#define NVMX_LAB_HOST_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "nvmx/summary.h"

/* lab_run()'s result, and the exit status of `nvmx lab run`. */
enum lab_status {
	LAB_SAME = 0,	    /* every certain count of observed equals truth */
	LAB_DIFFERENT = 1,  /* one differs (listed on stderr), or the workload failed */
	LAB_CANNOT_RUN = 2, /* the lab cannot run: the reason is in lab_result.error */
};

/* The ranges of the numbers of struct lab_options, as `nvmx lab run` takes them. */
#define LAB_ITERATIONS_MAX 100000000
#define LAB_VCPUS_MAX	   64
#define LAB_MEM_MB_MIN	   256
#define LAB_MEM_MB_MAX	   65536
#define LAB_MEM_MB_DEFAULT 1024 /* --l2 linux: LAB_L2_LINUX_L0_MEM_MB instead (lab_l1.h) */
#define LAB_TIMEOUT_S_MIN  10
#define LAB_TIMEOUT_S_MAX  86400 /* also of ready_timeout_s */
#define LAB_BUFFER_KB_MIN  1024
#define LAB_BUFFER_KB_MAX  (4 * 1024 * 1024)
#define LAB_MAX_CONFIGS	   32
/* How long the workload waits for --exec's ready when ready_timeout_s is 0 (L0's clock). */
#define LAB_READY_TIMEOUT_S 60
/* How long --exec's command has to exit after SIGINT (L0's clock). */
#define LAB_EXEC_STOP_TIMEOUT_S 30
/*
 * QEMU takes up to 10, but L0 then runs its clock too fast for itself (measured on 6.12: shift 7
 * has a soft lockup warning in insmod, 10 hangs in early boot; 0, 4 and 5 are clean).
 */
#define LAB_ICOUNT_SHIFT_MAX 5
#define LAB_NO_ICOUNT	     (-1)

/* --l1: who is L1. */
enum lab_l1 {
	LAB_L1_MINIMAL = 0, /* the workload generator's own L1 (lab/workload), in L0 */
	LAB_L1_KVM = 1,	    /* Linux KVM under QEMU in L0, running nvmx-lab-runner as L2 */
};

/* --l2, with LAB_L1_KVM: what L1's KVM runs as L2. */
enum lab_l2 {
	LAB_L2_RUNNER = 0, /* nvmx-lab-runner (lab/workload/runner.c): the workload elements */
	LAB_L2_LINUX = 1,  /* the same Debian kernel under QEMU in L1, booting to power-off */
};

/* One run: the settings of `nvmx lab run`, one field per option. */
struct lab_options {
	/* --isa: NVMX_ISA_SVM under QEMU, NVMX_ISA_VMX under Bochs, NVMX_ISA_ARM64 under QEMU 10
	 * (lab_arm64.c) */
	enum nvmx_isa isa;
	enum lab_l1 l1;	    /* --l1 minimal|kvm: kvm only with NVMX_ISA_SVM, one configuration */
	enum lab_l2 l2;	    /* --l2 runner|linux: linux only with LAB_L1_KVM, no workload */
	const char *kernel; /* --kernel: the L0 kernel series, "6.1" or "6.12"; arm64: "7.3" */
	/* --workload SPEC, or NULL with configs: exactly one of them. */
	const char *workload;
	/* --config 'SPEC;MODULE.NAME=VAL;...', one per configuration of the boot. */
	const char *const *configs;
	size_t n_configs;
	unsigned long iterations; /* --iterations: 1 to LAB_ITERATIONS_MAX */
	unsigned int vcpus;	  /* --vcpus: 1 to LAB_VCPUS_MAX */
	/* --mem: L0 memory in MiB, LAB_MEM_MB_MIN to _MAX; 0: the default (LAB_MEM_MB_DEFAULT) */
	unsigned int mem_mb;
	/* --param MODULE.NAME=VAL: kvm_amd/kvm_intel or kvm, for every configuration. */
	const char *const *params;
	size_t n_params;
	const char *exec; /* --exec CMD, or NULL */
	/* --ship PATH: absolute host paths, copied to the same path in L0. */
	const char *const *ships;
	size_t n_ships;
	unsigned int ready_timeout_s; /* --ready-timeout, only with exec; 0: LAB_READY_TIMEOUT_S */
	int icount_shift;	      /* --icount, QEMU only: LAB_NO_ICOUNT or 0..SHIFT_MAX */
	/* --forward H:G, QEMU only: 127.0.0.1:H on the host to port G of L0; 0: no network. */
	unsigned int forward_host_port;
	unsigned int forward_guest_port;
	const char *out;	 /* --out DIR: receives the results (see docs/lab.md) */
	double timeout_s;	 /* --timeout, wall time; 0: scaled with the run */
	unsigned long buffer_kb; /* --buffer-kb, per CPU; 0: scaled with the run */
	bool keep;		 /* --keep: the initramfs and .guest/ stay in out */
};

/* What a run says besides its status. */
struct lab_result {
	char error[2048];     /* why it cannot run (LAB_CANNOT_RUN), else "" */
	char kernel[256];     /* the kernel package and version that ran, "" if none */
	const char *emulator; /* "qemu", "bochs"; NULL when it did not boot */
	/* L0's clock: "icount shift=N", "wall", or Bochs' instruction clock; "" if none */
	char clock[64];
};

/* The defaults of `nvmx lab run`: SVM, 1 vCPU, no icount; the rest 0 (--mem: default) or NULL. */
void lab_options_init(struct lab_options *o);

/*
 * Runs the lab: returns a status (LAB_SAME, LAB_DIFFERENT, LAB_CANNOT_RUN). On stderr, as
 * `nvmx lab run` shows them: progress lines, the differences, and the reason the lab cannot run
 * ("nvmx lab run: " before it for settings it refuses, "nvmx lab: cannot run: " after they
 * passed). result (may be NULL) gets the reason and what ran.
 */
int lab_run(const struct lab_options *o, struct lab_result *result);

/*
 * The elements of the workload generator (LAB_L1_MINIMAL) or of the L2 runner (LAB_L1_KVM), what
 * each does and its exact counts (`nvmx lab workloads [--l1 kvm]`), written to out. Returns 0,
 * or LAB_CANNOT_RUN with the reason in err.
 */
int lab_workloads_list(FILE *out, enum lab_l1 l1, char *err, size_t err_len);

/*
 * A number of option opt (for messages, e.g. "--iterations") from min to max, as `nvmx lab run`
 * reads it. Returns 0, or -EINVAL with the message in err.
 */
int lab_parse_number(const char *opt, const char *s, unsigned long min, unsigned long max,
		     unsigned long *out, char *err, size_t err_len);

/*
 * `nvmx lab sysroot`: the n bookworm arm64 packages (names without :arm64) fetched with the lab's
 * own arm64 apt configuration (apt-get download, never an install) and unpacked into dir, which
 * must not exist: the arm64 libraries the cross-built nvmxd links (lab/arm64/nvmxd.sh). Returns 0,
 * or LAB_CANNOT_RUN with the reason in err.
 */
int lab_arm64_sysroot(const char *dir, char *const *packages, size_t n, char *err, size_t err_len);

/* The kernel cache: $NVMX_CACHE, else /var/cache/nvmx/lab as root, else $XDG_CACHE_HOME. */
int lab_cache_dir(char **out);

#endif /* NVMX_LAB_HOST_LAB_H */
