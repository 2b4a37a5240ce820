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

/* The size of a BTF type, through typedefs and modifiers; pointers 8. -1 if unknown. */
static long arg_size(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t)
		return -1;
	if (btf_is_ptr(t))
		return 8;
	if (btf_is_int(t) || btf_is_enum(t))
		return t->size;
	return -1;
}

/*
 * Whether btf_trace_<event> (the raw tracepoint's prototype: void *data, then the arguments)
 * has arguments of the sizes args lists. why gets what differs.
 */
static bool args_match(const struct btf *btf, const char *event, const char *args, char *why,
		       size_t len)
{
	char name[128], got[128] = "";
	const struct btf_type *t;
	const struct btf_param *p;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", event);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id <= 0) {
		snprintf(why, len, "no BTF type %s", name);
		return false;
	}
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type); /* the pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1) {
		snprintf(why, len, "%s is not a tracepoint prototype", name);
		return false;
	}
	p = btf_params(t);
	for (int i = 1; i < btf_vlen(t); i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%ld", i > 1 ? "," : "",
			 arg_size(btf, p[i].type));
	if (strcmp(got, args)) {
		snprintf(why, len, "its arguments are %s bytes, the program reads %s", got, args);
		return false;
	}
	return true;
}

/* A loaded module's split BTF on top of vmlinux's; NULL when the module or its BTF is absent. */
static struct btf *module_btf(const char *module, struct btf *vmlinux)
{
	char p[64];

	snprintf(p, sizeof(p), "/sys/kernel/btf/%s", module);
	return access(p, F_OK) == 0 ? btf__load_module_btf(module, vmlinux) : NULL;
}

int nvmxd_probe_tracepoints(const char *tracefs, struct nvmxd_tp *tps, size_t n,
			    const char **btf_where)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct btf *kvm = NULL, *kvm_amd = NULL;

	*btf_where = "no kernel BTF";
	if (vmlinux) {
		/* kvm as a module (Debian 6.1, 6.12): its types are in its own split BTF */
		kvm = module_btf("kvm", vmlinux);
		/* struct vcpu_svm (kvm_exit's tp_btf on SVM): kvm_amd's own BTF */
		kvm_amd = module_btf("kvm_amd", vmlinux);
		*btf_where = kvm && kvm_amd ? "vmlinux + kvm, kvm_amd modules"
			     : kvm	    ? "vmlinux + kvm module"
			     : kvm_amd	    ? "vmlinux + kvm_amd module"
					    : "vmlinux";
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
			struct btf *where[] = { vmlinux, kvm, kvm_amd };
			bool found = false;

			for (size_t k = 0; k < sizeof(where) / sizeof(where[0]) && !found; k++)
				found = where[k] && btf__find_by_name_kind(where[k], t->btf_type,
									   BTF_KIND_STRUCT) > 0;
			if (!found) {
				snprintf(t->missing, sizeof(t->missing),
					 "no BTF type struct %s (%s): CO-RE cannot read its record",
					 t->btf_type, *btf_where);
				continue;
			}
		}
		if (t->args) {
			char why[200];
			bool ok =
				vmlinux && args_match(vmlinux, t->event, t->args, why, sizeof(why));

			if (!ok && kvm)
				ok = args_match(kvm, t->event, t->args, why, sizeof(why));
			if (!ok) {
				snprintf(t->missing, sizeof(t->missing), "tp_btf: %s", why);
				continue;
			}
		}
		t->present = true;
	}
	btf__free(kvm_amd);
	btf__free(kvm);
	btf__free(vmlinux);
	return 0;
}

/* The argument sizes of FUNC_PROTO t as "8,4,8" (pointers 8), and the return's in *ret. */
static void proto_sizes(const struct btf *btf, const struct btf_type *t, char *got, size_t len,
			long *ret)
{
	const struct btf_param *p = btf_params(t);

	got[0] = '\0';
	for (int i = 0; i < btf_vlen(t); i++)
		snprintf(got + strlen(got), len - strlen(got), "%s%ld", i ? "," : "",
			 arg_size(btf, p[i].type));
	*ret = t->type ? arg_size(btf, t->type) : 0;
}

bool nvmxd_probe_func(const char *func, const char *args, long ret, char *why, size_t len)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct btf *kvm = vmlinux ? module_btf("kvm", vmlinux) : NULL;
	struct btf *where[] = { vmlinux, kvm };
	bool ok = false;

	snprintf(why, len, "no kernel BTF");
	if (vmlinux)
		snprintf(why, len, "no BTF function %s (vmlinux%s)", func,
			 kvm ? ", kvm module" : "");
	for (size_t k = 0; k < sizeof(where) / sizeof(where[0]) && where[k] && !ok; k++) {
		int id = btf__find_by_name_kind(where[k], func, BTF_KIND_FUNC);
		const struct btf_type *t;
		char got[64];
		long r;

		if (id <= 0)
			continue;
		t = btf__type_by_id(where[k], btf__type_by_id(where[k], id)->type);
		if (!t || !btf_is_func_proto(t)) {
			snprintf(why, len, "BTF function %s has no prototype", func);
			break;
		}
		proto_sizes(where[k], t, got, sizeof(got), &r);
		if (strcmp(got, args) || r != ret) {
			snprintf(why, len,
				 "%s's arguments are %s bytes returning %ld, the program reads %s "
				 "returning %ld",
				 func, got, r, args, ret);
			break;
		}
		ok = true;
	}
	btf__free(kvm);
	btf__free(vmlinux);
	return ok;
}

void nvmxd_autoload_none(struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) bpf_program__set_autoload(prog, false);
}
