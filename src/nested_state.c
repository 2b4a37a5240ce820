// SPDX-License-Identifier: GPL-2.0
/* KVM_GET/SET_NESTED_STATE per process: bpf/nested_state.bpf.c loaded and attached (nested_state.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nested_state.h"
#include "probe.h"
#include "nested_state.skel.h"

struct nvmxd_ns {
	struct nested_state_bpf *skel;
	bool fexit;	    /* nvmx_ns_fexit runs; else the classic pair */
	char why[320];	    /* why the classic pair runs ("" when asked: --classic-only) */
	char programs[400]; /* what runs, for nvmxd's line and JSON */
};

/* The fexit program's target and its prototype (sizes in bytes): long f(struct file *, u32, ulong) */
#define NS_FEXIT_FUNC "kvm_arch_vcpu_ioctl"
#define NS_FEXIT_ARGS "8,4,8"
#define NS_FEXIT_RET  8

/* Opens, loads and attaches one of the two ways (fexit or not); 0 or -errno with why set. */
static int load(struct nvmxd_ns *ns, __u32 tgid, bool fexit, char *why, size_t why_len)
{
	int err;

	ns->skel = nested_state_bpf__open();
	if (!ns->skel) {
		err = -errno;
		snprintf(why, why_len, "opening its BPF object failed: %s", strerror(errno));
		return err;
	}
	ns->skel->rodata->targ_tgid = tgid;
	bpf_program__set_autoload(ns->skel->progs.nvmx_ns_fexit, fexit);
	bpf_program__set_autoload(ns->skel->progs.nvmx_ns_enter, !fexit);
	bpf_program__set_autoload(ns->skel->progs.nvmx_ns_exit, !fexit);
	err = nested_state_bpf__load(ns->skel);
	if (err) {
		snprintf(why, why_len, "loading its BPF programs failed: %s", strerror(-err));
		return err;
	}
	err = nested_state_bpf__attach(ns->skel);
	if (err)
		snprintf(why, why_len, "attaching %s failed: %s",
			 fexit ? "fexit " NS_FEXIT_FUNC : "syscalls:sys_enter_ioctl/sys_exit_ioctl",
			 strerror(-err));
	return err;
}

/* The classic pair needs the syscall tracepoints (CONFIG_FTRACE_SYSCALLS). */
static int classic_present(const char *tracefs, char *why, size_t why_len)
{
	static const char *const events[] = { "sys_enter_ioctl", "sys_exit_ioctl" };

	for (size_t i = 0; i < 2; i++) {
		char path[256];

		snprintf(path, sizeof(path), "%s/events/syscalls/%s", tracefs, events[i]);
		if (access(path, F_OK)) {
			int err = -errno;

			snprintf(why, why_len,
				 "%s: %s (a kernel without CONFIG_FTRACE_SYSCALLS has no syscall "
				 "tracepoints)",
				 path, strerror(errno));
			return err;
		}
	}
	return 0;
}

struct nvmxd_ns *nvmxd_ns_start(const char *tracefs, __u32 tgid, bool classic_only, char *why,
				size_t why_len)
{
	struct nvmxd_ns *ns = calloc(1, sizeof(*ns));
	char fexit_why[256];
	int err = 0;

	if (!ns) {
		snprintf(why, why_len, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	/* the default: fexit, where the kernel's BTF has the function with its prototype */
	if (classic_only)
		ns->why[0] = '\0';
	else if (!nvmxd_probe_func(NS_FEXIT_FUNC, NS_FEXIT_ARGS, NS_FEXIT_RET, fexit_why,
				   sizeof(fexit_why)))
		snprintf(ns->why, sizeof(ns->why), "not fexit: %s", fexit_why);
	else if (load(ns, tgid, true, fexit_why, sizeof(fexit_why))) {
		snprintf(ns->why, sizeof(ns->why), "not fexit: %s", fexit_why);
		nested_state_bpf__destroy(ns->skel);
		ns->skel = NULL;
	} else {
		ns->fexit = true;
		snprintf(ns->programs, sizeof(ns->programs),
			 "fexit " NS_FEXIT_FUNC " (kvm, trampoline)");
		return ns;
	}
	err = classic_present(tracefs, why, why_len);
	if (!err)
		err = load(ns, tgid, false, why, why_len);
	if (err) {
		if (ns->why[0]) {
			char both[512];

			snprintf(both, sizeof(both), "%s; %s", ns->why, why);
			snprintf(why, why_len, "%s", both);
		}
		goto fail;
	}
	snprintf(ns->programs, sizeof(ns->programs),
		 "syscalls:sys_enter_ioctl, sys_exit_ioctl (classic tracepoints: %s)",
		 ns->why[0] ? ns->why : "classic programs only, asked");
	return ns;
fail:
	nvmxd_ns_destroy(ns);
	errno = err < 0 ? -err : EINVAL;
	return NULL;
}

const char *nvmxd_ns_programs(const struct nvmxd_ns *ns)
{
	return ns ? ns->programs : "";
}

bool nvmxd_ns_fexit(const struct nvmxd_ns *ns)
{
	return ns && ns->fexit;
}

void nvmxd_ns_maps(const struct nvmxd_ns *ns, struct nvmxd_maps *m)
{
	m->nested_state = 0;
	m->n_ns_progs = 0;
	m->ns_failed = 0;
	if (!ns)
		return;
	m->nested_state = bpf_map__fd(ns->skel->maps.nvmx_nested_state);
	m->ns_failed = bpf_map__fd(ns->skel->maps.nvmx_ns_failed);
	if (ns->fexit) {
		m->ns_progs[m->n_ns_progs++] = bpf_program__fd(ns->skel->progs.nvmx_ns_fexit);
	} else {
		m->ns_progs[m->n_ns_progs++] = bpf_program__fd(ns->skel->progs.nvmx_ns_enter);
		m->ns_progs[m->n_ns_progs++] = bpf_program__fd(ns->skel->progs.nvmx_ns_exit);
	}
}

void nvmxd_ns_detach(struct nvmxd_ns *ns)
{
	if (ns && ns->skel)
		nested_state_bpf__detach(ns->skel);
}

void nvmxd_ns_destroy(struct nvmxd_ns *ns)
{
	if (!ns)
		return;
	nested_state_bpf__destroy(ns->skel);
	free(ns);
}
