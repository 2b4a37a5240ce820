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
#include "nested_state.skel.h"

struct nvmxd_ns {
	struct nested_state_bpf *skel;
};

struct nvmxd_ns *nvmxd_ns_start(const char *tracefs, __u32 tgid, char *why, size_t why_len)
{
	static const char *const events[] = { "sys_enter_ioctl", "sys_exit_ioctl" };
	struct nvmxd_ns *ns = calloc(1, sizeof(*ns));
	int err = 0;

	if (!ns) {
		snprintf(why, why_len, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < 2; i++) {
		char path[256];

		snprintf(path, sizeof(path), "%s/events/syscalls/%s", tracefs, events[i]);
		if (access(path, F_OK)) {
			err = -errno;
			snprintf(why, why_len,
				 "%s: %s (a kernel without CONFIG_FTRACE_SYSCALLS has no syscall "
				 "tracepoints)",
				 path, strerror(errno));
			goto fail;
		}
	}
	ns->skel = nested_state_bpf__open();
	if (!ns->skel) {
		err = -errno;
		snprintf(why, why_len, "opening its BPF object failed: %s", strerror(errno));
		goto fail;
	}
	ns->skel->rodata->targ_tgid = tgid;
	err = nested_state_bpf__load(ns->skel);
	if (err) {
		snprintf(why, why_len, "loading its BPF programs failed: %s", strerror(-err));
		goto fail;
	}
	err = nested_state_bpf__attach(ns->skel);
	if (err) {
		snprintf(why, why_len,
			 "attaching to syscalls:sys_enter_ioctl/sys_exit_ioctl failed: %s",
			 strerror(-err));
		goto fail;
	}
	return ns;
fail:
	nvmxd_ns_destroy(ns);
	errno = err < 0 ? -err : EINVAL;
	return NULL;
}

int nvmxd_ns_map_fd(const struct nvmxd_ns *ns)
{
	return ns ? bpf_map__fd(ns->skel->maps.nvmx_nested_state) : -1;
}

__u64 nvmxd_ns_failures(const struct nvmxd_ns *ns)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *vals, sum = 0;
	__u32 k = 0;

	if (!ns || ncpus <= 0)
		return 0;
	vals = calloc((size_t)ncpus, sizeof(*vals));
	if (vals && !bpf_map_lookup_elem(bpf_map__fd(ns->skel->maps.nvmx_ns_failed), &k, vals))
		for (int i = 0; i < ncpus; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

__u64 nvmxd_ns_skipped(const struct nvmxd_ns *ns)
{
	const struct bpf_program *progs[2];
	__u64 sum = 0;

	if (!ns)
		return 0;
	progs[0] = ns->skel->progs.nvmx_ns_enter;
	progs[1] = ns->skel->progs.nvmx_ns_exit;
	for (size_t i = 0; i < 2; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		/* libbpf 1.1 has no bpf_prog_get_info_by_fd (1.2+); this is the same call */
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]), &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
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
