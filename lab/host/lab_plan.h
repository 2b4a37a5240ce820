/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pieces of lab_run() (lab.c), private to lab/host: the plan of one run (struct lab_options
 * checked and parsed, lab_plan.c), what goes into L0 (lab_guest.c), what L0's console says
 * (lab_console.c), the results against the truth (lab_compare.c) and the workload generator on
 * the host (lab_workload.c).
 */
#ifndef NVMX_LAB_HOST_LAB_PLAN_H
#define NVMX_LAB_HOST_LAB_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "lab.h"
#include "lab_backend.h"
#include "lab_kernel.h"
#include "lab_util.h"

#define LAB_WORKLOAD_NAME  "nvmx-lab-workload"
#define LAB_GUEST_WORKLOAD "/bin/" LAB_WORKLOAD_NAME

struct lab_param {
	char *module; /* "kvm_amd" or "kvm" */
	char *name;
	char *value;
};

/* One (workload, KVM vendor module parameters) configuration of a boot. */
struct lab_config {
	char *workload; /* SPEC */
	struct lab_param *params;
	size_t n_params;
	char dir[32]; /* under --out: "." for the only configuration, else "config-N" */
};

/* The options of a run, checked, with their parameters and configurations parsed. */
struct lab_plan {
	const struct lab_backend *backend;
	enum nvmx_isa isa;
	enum lab_l1 l1;
	enum lab_l2 l2;
	const char *kernel;
	struct lab_config configs[LAB_MAX_CONFIGS];
	size_t n_configs;
	unsigned long iterations;
	unsigned int vcpus;
	unsigned int mem_mb;
	struct lab_param *params;
	size_t n_params;
	const char *exec;
	struct lab_strv ships;	      /* --ship: absolute host paths */
	unsigned int ready_timeout_s; /* 0: LAB_READY_TIMEOUT_S */
	/*
	 * How long --exec's command has after SIGINT: LAB_EXEC_STOP_TIMEOUT_S, plus the --linger
	 * of an nvmxd the command runs (lab_plan.c: exec_linger_s)
	 */
	unsigned int stop_timeout_s;
	int icount_shift; /* LAB_NO_ICOUNT: no -icount */
	unsigned int forward_host, forward_guest;
	const char *out;
	double timeout_s;	 /* 0: scaled with iterations */
	unsigned long buffer_kb; /* 0: scaled with iterations */
	bool keep;
	/* --isa arm64: what lab_arm64_fetch_tools() unpacked into the cache, else NULL */
	char *busybox;	/* an arm64 busybox-static (else the host's /bin/busybox) */
	char *emulator; /* qemu-system-aarch64 of QEMU 10 */
};

/* Checks o and fills plan (lab_plan_free() it even on failure); the lab error says why not. */
int lab_plan_init(struct lab_plan *plan, const struct lab_options *o);
void lab_plan_free(struct lab_plan *plan);

/* A parameter configuration c sets itself, or NULL. */
const struct lab_param *lab_config_param(const struct lab_config *c, const char *module,
					 const char *name);
/* Module names equal, dashes and underscores being the same. */
bool lab_same_module(const char *a, const char *b);

/*
 * Copies the kernel module file (a path under k->moddir, from lab_kernel_resolve_modules()) to
 * /lib/modules/NAME.ko of c, decompressed, without its signature if strip_signature; *name
 * (malloc'd) is NAME, e.g. "kvm-amd".
 */
struct lab_cpio;
int lab_add_kernel_module(struct lab_cpio *c, const struct lab_kernel *k, const char *file,
			  bool strip_signature, char **name);

/* Writes L0's initramfs to path: busybox, /init, the modules, the workload, --exec, --ship. */
int lab_build_initramfs(const char *path, const struct lab_plan *o, const struct lab_kernel *k,
			const char *workload);

/* What the console told us while the guest ran. */
struct lab_console {
	const struct lab_plan *plan;
	char last_stage[64];
	char error[1024];
	char panic[512];	/* the kernel's "Kernel panic" line, if any */
	struct lab_strv params; /* "kvm_amd.npt=N" as the guest reads them */
	struct lab_strv workload_stderr;
	int workload_exit; /* -1: not seen */
	/* Per configuration ("nvmx-lab: config N" starts one): its parameters and results. */
	int config; /* 0: none started yet */
	struct lab_strv config_params[LAB_MAX_CONFIGS + 1];
	struct lab_strv config_stderr[LAB_MAX_CONFIGS + 1];
	int config_exit[LAB_MAX_CONFIGS + 1];
	int exec_exit; /* -1: not seen */
	int exec_killed;
	int seen_output;
	int seen_grub;
	int done;
};

void lab_console_init(struct lab_console *con, const struct lab_plan *plan);
/* A console line of the guest (lab_console_line_fn): progress, and what /init reports. */
int lab_console_line(void *ctx, const char *line);
void lab_console_free(struct lab_console *con);

/* What the guest writes to /out/CONFIG that DIR keeps (the trace is compressed instead). */
extern const char *const lab_guest_results[];

/* One configuration's results: its status (LAB_SAME, LAB_DIFFERENT) or a negative errno. */
int lab_config_result(const struct lab_plan *o, const struct lab_console *con, size_t ci,
		      const char *out_dir, const char *guest_dir);
/* Several configurations: one line each in DIR/configs.txt, and the worst status. */
int lab_configs_result(const struct lab_plan *o, const struct lab_console *con, const char *out_dir,
		       const char *guest_dir);

/* The workload generator: $NVMX_LAB_WORKLOAD, else the one of this build or installation. */
int lab_find_workload(char **out);
/* Whether the workload generator accepts spec, before anything boots. */
int lab_check_workload_spec(const char *workload, enum nvmx_isa isa, const char *spec);

/*
 * --isa arm64 (lab_arm64.c): QEMU 10 (bookworm-backports) and an arm64 busybox-static fetched
 * with the lab's arm64 apt configuration and unpacked into the cache, their paths into plan.
 */
int lab_arm64_fetch_tools(struct lab_plan *plan, const char *cache);
/*
 * The arm64 workload generator (lab_workload.c): $NVMX_LAB_WORKLOAD_ARM64, else this build
 * tree's (it is not installed).
 */
int lab_find_workload_arm64(char **out);
/* Whether spec names elements of the arm64 workload generator only (it cannot run here). */
int lab_check_workload_spec_arm64(const char *spec);
#define LAB_WORKLOAD_ARM64_NAME "nvmx-lab-workload-arm64"

#endif /* NVMX_LAB_HOST_LAB_PLAN_H */
