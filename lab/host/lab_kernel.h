/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lab's L0 kernels: a stock Debian kernel package, found with apt-cache, fetched with
 * apt-get download and unpacked (never installed) into a cache that later runs reuse.
 */
#ifndef NVMX_LAB_HOST_LAB_KERNEL_H
#define NVMX_LAB_HOST_LAB_KERNEL_H

#include <stdbool.h>

#include "lab.h"
#include "lab_util.h"

struct lab_kernel {
	char *series;  /* what the user asked for: "6.1", "6.12", "7.3", "newest" */
	char *package; /* linux-image-6.1.0-56-amd64 */
	char *version; /* the package version, 6.1.192-2 */
	char *release; /* uname -r of the kernel, 6.1.0-56-amd64 */
	char *root;    /* the unpacked package */
	char *vmlinuz; /* root/boot/vmlinuz-RELEASE, or root/lib/modules/RELEASE/vmlinuz (7.x) */
	char *moddir;  /* root/lib/modules/RELEASE, with modules.dep */
};

/* The series `--kernel` accepts, as one comma-separated string for messages. */
const char *lab_kernel_series_list(void);
bool lab_kernel_series_known(const char *series);

/*
 * Picks the newest package of the series that apt knows, downloads it into cache/debs unless it
 * is there, unpacks it into cache/kernels/PACKAGE_VERSION unless that is there, and runs depmod on
 * it (the .deb ships no modules.dep). Safe against a concurrent run doing the same.
 */
int lab_kernel_fetch(const char *series, const char *cache, struct lab_kernel **out);
/* The same for --isa arm64: an arm64 kernel from lab_apt_config_arm64()'s sources. */
int lab_kernel_fetch_arm64(const char *series, const char *cache, struct lab_kernel **out);
bool lab_kernel_series_known_arm64(const char *series);
void lab_kernel_free(struct lab_kernel *k);

/*
 * The lab's own apt configuration for kernels newer than the host's Debian (lab_apt.c), under
 * cache/apt, its lists refreshed with apt-get update when older than a day. *conf (malloc'd):
 * the file to pass to apt-cache/apt-get with -c.
 */
int lab_apt_config(const char *cache, char **conf);
/*
 * The same for --isa arm64, under cache/apt-arm64: the arm64 kernels of trixie-backports,
 * bookworm's arm64 packages (busybox-static:arm64) and bookworm-backports' amd64 ones (QEMU 10,
 * the first with FEAT_NV2; bookworm's 7.2 has none).
 */
int lab_apt_config_arm64(const char *cache, char **conf);

/* The Version: of package in apt's lists (conf: the lab's apt configuration, or NULL). */
int lab_apt_version(const char *package, const char *conf, char **version);
/*
 * Downloads package=version (package may be NAME:ARCH) into cache/debs unless it is there;
 * *deb (malloc'd): cache/debs/NAME_VERSION_ARCH.deb.
 */
int lab_apt_download(const char *cache, const char *conf, const char *package, const char *version,
		     const char *arch, char **deb);
/*
 * dpkg-deb -x of the n debs into root, renamed into place at the end (a concurrent run's copy
 * wins). kernel: also the lib -> usr/lib link and depmod -b of a kernel's modules.
 */
int lab_apt_unpack(char *const *debs, size_t n, const char *root, bool kernel);

/* Whether module name (dashes and underscores are the same) is built into the kernel. */
bool lab_kernel_module_builtin(const struct lab_kernel *k, const char *name);

/*
 * Appends to files the module files (paths under moddir) needed to load names, in load order:
 * each module after its dependencies, each once; built-in modules are skipped. Files already in
 * the list are not added again.
 */
int lab_kernel_resolve_modules(const struct lab_kernel *k, const char *const *names,
			       struct lab_strv *files);

/* "kvm-amd" from "kernel/arch/x86/kvm/kvm-amd.ko.xz". malloc'd. */
char *lab_module_file_name(const char *path);

#endif /* NVMX_LAB_HOST_LAB_KERNEL_H */
