// SPDX-License-Identifier: GPL-2.0
/* Probing tracefs and BTF for the KVM tracepoints (src/probe.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/btf.h>

#include "probe.h"

static bool has_events(const char *dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/events", dir);
	return access(p, F_OK) == 0;
}

int nvmxd_tracefs(char *path, size_t len, bool *mounted)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

	*mounted = false;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (has_events(dirs[i])) {
			snprintf(path, len, "%s", dirs[i]);
			return 0;
		}
		/* mounted but not ours to read: mounting again would not help */
		if (errno == EACCES) {
			snprintf(path, len, "%s", dirs[i]);
			return -EACCES;
		}
	}
	/*
	 * libbpf attaches a classic tracepoint by reading its id from tracefs; minimal systems
	 * (the lab's initramfs, containers) may not have mounted it.
	 */
	if (mount("tracefs", dirs[0], "tracefs", 0, NULL))
		return -errno;
	*mounted = true;
	snprintf(path, len, "%s", dirs[0]);
	return has_events(dirs[0]) ? 0 : -ENOENT;
}

bool nvmxd_kvm_events_exist(const char *tracefs)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/events/kvm", tracefs);
	return access(p, F_OK) == 0;
}

int nvmxd_probe_tracepoints(const char *tracefs, struct nvmxd_tp *tps, size_t n,
			    const char **btf_where)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct btf *kvm = NULL;

	*btf_where = "no kernel BTF";
	if (vmlinux) {
		*btf_where = "vmlinux";
		/* kvm as a module (Debian 6.1, 6.12): its types are in its own split BTF */
		if (access("/sys/kernel/btf/kvm", F_OK) == 0) {
			kvm = btf__load_module_btf("kvm", vmlinux);
			if (kvm)
				*btf_where = "vmlinux + kvm module";
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct nvmxd_tp *t = &tps[i];
		char p[256];

		t->present = false;
		t->missing[0] = '\0';
		snprintf(p, sizeof(p), "%s/events/kvm/%s/id", tracefs, t->event);
		if (access(p, R_OK)) {
			snprintf(t->missing, sizeof(t->missing), "not in this kernel (no %s)", p);
			continue;
		}
		if (t->btf_type) {
			bool found = false;

			if (vmlinux &&
			    btf__find_by_name_kind(vmlinux, t->btf_type, BTF_KIND_STRUCT) > 0)
				found = true;
			if (!found && kvm &&
			    btf__find_by_name_kind(kvm, t->btf_type, BTF_KIND_STRUCT) > 0)
				found = true;
			if (!found) {
				snprintf(t->missing, sizeof(t->missing),
					 "no BTF type struct %s (%s): CO-RE cannot read its record",
					 t->btf_type, *btf_where);
				continue;
			}
		}
		t->present = true;
	}
	btf__free(kvm);
	btf__free(vmlinux);
	return 0;
}
