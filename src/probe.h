/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probing the running kernel before loading nvmx's BPF object: is tracefs there (mounting it if
 * not), does each KVM tracepoint exist, and does the kernel's BTF (vmlinux, the kvm or kvm_amd
 * module's) have the type whose fields the program reads through CO-RE. No logging: results
 * are returned for nvmxd to report, one line each.
 */
#ifndef NVMXD_PROBE_H
#define NVMXD_PROBE_H

#include <stdbool.h>
#include <stddef.h>

struct nvmxd_tp {
	const char *event; /* tracepoint name under events/kvm/ */
	/* the struct its program reads (a record, kvm_vcpu, vcpu_svm), NULL: none */
	const char *btf_type;
	/*
	 * A tp_btf program reading arguments by position: the sizes in bytes of the tracepoint's
	 * arguments, e.g. "4,8,8,4,4,4", checked against btf_trace_<event>'s prototype (a
	 * pointer counts 8). NULL: no check.
	 */
	const char *args;
	bool present;	   /* probe result */
	char missing[320]; /* why not, when !present */
};

/*
 * Finds tracefs: /sys/kernel/tracing, then /sys/kernel/debug/tracing; if neither has events/,
 * mounts tracefs at /sys/kernel/tracing (*mounted set). path gets the directory. Returns 0,
 * -EACCES (path is there but not readable by this process), or a negative errno from mount.
 */
int nvmxd_tracefs(char *path, size_t len, bool *mounted);

/* Whether events/kvm exists at all (KVM built in or its module loaded). */
bool nvmxd_kvm_events_exist(const char *tracefs);

/*
 * Fills present/missing of each tracepoint. *btf_where gets where CO-RE types were found
 * ("vmlinux", "vmlinux + kvm module", "vmlinux + kvm, kvm_amd modules") or why none was ("no
 * kernel BTF"). Returns 0 or -ENOMEM.
 */
int nvmxd_probe_tracepoints(const char *tracefs, struct nvmxd_tp *tps, size_t n,
			    const char **btf_where);

/*
 * Whether the kernel function func (vmlinux's BTF or the kvm module's) takes arguments of the
 * sizes args lists ("8,4,8": pointers 8) and returns ret bytes: what an fentry/fexit program
 * reading them by position needs. why gets what is missing or differs.
 */
bool nvmxd_probe_func(const char *func, const char *args, long ret, char *why, size_t len);

/*
 * Nothing of the object loads unless the caller enables it: each user of nvmx's object (nvmxd,
 * nvmxtop standalone, the benchmarks) names the programs it loads, so a program added to the
 * object is not loaded by the others by default.
 */
struct bpf_object;
void nvmxd_autoload_none(struct bpf_object *obj);

#endif /* NVMXD_PROBE_H */
