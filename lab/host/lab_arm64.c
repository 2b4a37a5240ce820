// SPDX-License-Identifier: GPL-2.0
/*
 * --isa arm64 (lab_plan.h): what the arm64 lab needs besides the kernel, fetched as the kernel is
 * (the lab's own apt configuration, apt-get download, dpkg-deb -x into the cache, never an
 * install): QEMU 10 of bookworm-backports, whose TCG emulates FEAT_NV2 and which runs on
 * bookworm's libraries (installing it would replace the qemu-system-common of the host's QEMU
 * 7.2), and bookworm's arm64 busybox-static. And the arm64 workload generator (lab/arm64), built
 * by the cross compiler, which cannot run on the host: its elements are checked here.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"
#include "lab_plan.h"

/*
 * Unpacks package (NAME or NAME:ARCH) of the lab's arm64 sources into cache/tools/NAME_VERSION_ARCH
 * unless it is there; *path (malloc'd): file, a path inside it.
 */
static int fetch_tool(const char *cache, const char *conf, const char *package, const char *arch,
		      const char *file, char **path)
{
	size_t name_len = strcspn(package, ":");
	char *version = NULL, *deb = NULL, *root = NULL;
	const char *v;
	int r;

	*path = NULL;
	r = lab_apt_version(package, conf, &version);
	if (r)
		return r;
	v = strchr(version, ':') ? strchr(version, ':') + 1 : version;
	if (asprintf(&root, "%s/tools/%.*s_%s_%s", cache, (int)name_len, package, v, arch) < 0) {
		root = NULL;
		r = lab_fail(-ENOMEM, "out of memory");
		goto out;
	}
	if (lab_path_exists(root)) {
		lab_progress("fetch: %s %s (cached in %s)", package, version, root);
	} else {
		char tools[PATH_MAX];

		r = lab_path_join(tools, cache, "tools");
		if (!r)
			r = lab_mkdir_p(tools, 0755);
		if (!r)
			r = lab_apt_download(cache, conf, package, version, arch, &deb);
		if (!r)
			r = lab_apt_unpack(&deb, 1, root, false);
		if (r)
			goto out;
	}
	if (asprintf(path, "%s/%s", root, file) < 0) {
		*path = NULL;
		r = lab_fail(-ENOMEM, "out of memory");
	} else if (!lab_path_exists(*path)) {
		r = lab_fail(-ENOENT, "%s: missing from the unpacked %s (remove %s to redo it)",
			     *path, package, root);
		free(*path);
		*path = NULL;
	}
out:
	free(version);
	free(deb);
	free(root);
	return r;
}

int lab_arm64_fetch_tools(struct lab_plan *plan, const char *cache)
{
	char *conf = NULL;
	int r;

	r = lab_apt_config_arm64(cache, &conf);
	if (!r)
		r = fetch_tool(cache, conf, "qemu-system-arm", "amd64",
			       "usr/bin/qemu-system-aarch64", &plan->emulator);
	if (!r)
		r = fetch_tool(cache, conf, "busybox-static:arm64", "arm64", "bin/busybox",
			       &plan->busybox);
	free(conf);
	return r;
}

int lab_check_workload_spec_arm64(const char *spec)
{
	static const char *const names[WL64_NR_ELEMENTS] = WL64_ELEMENT_NAMES;
	char *copy = strdup(spec), *save = NULL;
	int r = 0;

	if (!copy)
		return lab_fail(-ENOMEM, "out of memory");
	for (char *w = strtok_r(copy, ",", &save); w && !r; w = strtok_r(NULL, ",", &save)) {
		size_t i = 0;

		while (i < WL64_NR_ELEMENTS && strcmp(w, names[i]))
			i++;
		if (i == WL64_NR_ELEMENTS)
			r = lab_fail(-EINVAL,
				     "--workload %s: unknown element '%s' (--isa arm64 has hvc, "
				     "sysreg, smc, mmio, wfi, sysreg-write, virq)",
				     spec, w);
	}
	if (!r && !strtok_r(strcpy(copy, spec), ",", &save))
		r = lab_fail(-EINVAL, "--workload '%s': no element", spec);
	free(copy);
	return r;
}

/* The .deb files apt-get download left in dir, into debs (malloc'd paths). */
static int debs_in(const char *dir, struct lab_strv *debs)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
		return lab_fail(-errno, "%s: %s", dir, strerror(errno));
	while (!r && (de = readdir(d))) {
		char path[PATH_MAX];
		size_t len = strlen(de->d_name);

		if (len < 4 || strcmp(de->d_name + len - 4, ".deb"))
			continue;
		r = lab_path_join(path, dir, de->d_name);
		if (!r)
			r = lab_strv_push(debs, path);
	}
	closedir(d);
	return r;
}

static int sysroot(const char *dir, char *const *packages, size_t n)
{
	struct lab_strv argv = { 0 }, debs = { 0 };
	char *cache = NULL, *conf = NULL, *tmp = NULL;
	int r;

	if (!n)
		return lab_fail(-EINVAL, "no package to unpack");
	if (lab_path_exists(dir))
		return lab_fail(-EEXIST, "%s exists: remove it to fetch the packages again", dir);
	r = lab_cache_dir(&cache);
	if (!r)
		r = lab_apt_config_arm64(cache, &conf);
	if (!r && asprintf(&tmp, "%s.debs-%d", dir, (int)getpid()) < 0) {
		tmp = NULL;
		r = lab_fail(-ENOMEM, "out of memory");
	}
	if (!r)
		r = lab_rm_rf(tmp);
	if (!r)
		r = lab_mkdir_p(tmp, 0755);
	/* apt drops to user _apt for downloads: the directory must be reachable by it */
	if (!r && chmod(tmp, 0777))
		r = lab_fail(-errno, "chmod %s: %s", tmp, strerror(errno));
	/*
	 * NAME:arm64/bookworm: bookworm's, although the lab's arm64 sources also hold
	 * trixie-backports (whose newer versions would be the candidates)
	 */
	if (!r)
		r = lab_strv_push(&argv, "apt-get");
	if (!r)
		r = lab_strv_push(&argv, "-c");
	if (!r)
		r = lab_strv_push(&argv, conf);
	if (!r)
		r = lab_strv_push(&argv, "-q");
	if (!r)
		r = lab_strv_push(&argv, "download");
	for (size_t i = 0; !r && i < n; i++)
		r = lab_strv_pushf(&argv, "%s:arm64/bookworm", packages[i]);
	if (!r) {
		lab_progress("fetch: apt-get download of %zu bookworm arm64 packages (%s)", n,
			     conf);
		r = lab_run_tool((const char *const *)argv.v, tmp, NULL, false, NULL);
	}
	if (!r)
		r = debs_in(tmp, &debs);
	if (!r)
		r = lab_apt_unpack(debs.v, debs.n, dir, false);
	if (tmp)
		(void)lab_rm_rf(tmp);
	lab_strv_free(&argv);
	lab_strv_free(&debs);
	free(tmp);
	free(conf);
	free(cache);
	return r;
}

int lab_arm64_sysroot(const char *dir, char *const *packages, size_t n, char *err, size_t err_len)
{
	if (!sysroot(dir, packages, n))
		return 0;
	snprintf(err, err_len, "%s", lab_error());
	return LAB_CANNOT_RUN;
}
