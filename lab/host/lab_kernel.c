// SPDX-License-Identifier: GPL-2.0
/* Fetching, unpacking and reading the lab's stock Debian kernels. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab_kernel.h"

/*
 * Package names of each series. Debian renames the 6.1 package at every ABI bump and the 6.12
 * package at every point release, so the newest one apt knows is picked at run time. 6.1 and
 * 6.12 come from the host's Debian 12 sources; the newer ones from the lab's own apt
 * configuration (lab_apt_config: trixie-backports and sid), where the kernel is split in three
 * packages: linux-binary-unsigned-REL (usr/lib/modules/REL/vmlinuz), linux-modules-REL and
 * linux-base-REL (modules.builtin, modules.order), the linux-image-REL of 7.x being an empty
 * metapackage.
 */
static const struct kernel_series {
	const char *series;
	const char *pattern; /* for apt-cache search --names-only and regcomp */
	bool own_apt;	     /* from lab_apt_config's sources, not the host's */
	bool split;	     /* binary, modules and base packages of the same release */
	const char *arch;    /* the Debian architecture: "amd64", "arm64" (--isa arm64) */
} kernel_series[] = {
	{ "6.1", "^linux-image-6\\.1\\.0-[0-9]+-amd64$", false, false, "amd64" },
	{ "6.12", "^linux-image-6\\.12\\.[0-9]+\\+deb12-amd64$", false, false, "amd64" },
	{ "7.3", "^linux-binary-unsigned-7\\.3\\.[0-9]+\\+deb[0-9]+-amd64$", true, true, "amd64" },
	{ "newest", "^linux-binary-unsigned-[0-9]+\\.[0-9]+\\.[0-9]+\\+deb[0-9]+-amd64$", true,
	  true, "amd64" },
	/* --isa arm64: the lab's arm64 apt configuration (lab_apt_config_arm64) */
	{ "7.3", "^linux-binary-unsigned-7\\.3\\.[0-9]+\\+deb[0-9]+-arm64$", true, true, "arm64" },
};

/* The companions of a split kernel: "linux-binary-unsigned-" + REL -> PREFIX + REL. */
#define SPLIT_BINARY "linux-binary-unsigned-"
static const char *const split_companions[] = { "linux-modules-", "linux-base-" };

#define N_SERIES (sizeof(kernel_series) / sizeof(kernel_series[0]))

static const struct kernel_series *series_of_arch(const char *series, const char *arch)
{
	for (size_t i = 0; i < N_SERIES; i++)
		if (!strcmp(series, kernel_series[i].series) &&
		    !strcmp(arch, kernel_series[i].arch))
			return &kernel_series[i];
	return NULL;
}

static const struct kernel_series *series_of(const char *series)
{
	return series_of_arch(series, "amd64");
}

const char *lab_kernel_series_list(void)
{
	return "6.1, 6.12, 7.3 (trixie-backports), newest (the newest of trixie-backports and sid)";
}

bool lab_kernel_series_known(const char *series)
{
	return series_of(series) != NULL;
}

bool lab_kernel_series_known_arm64(const char *series)
{
	return series_of_arch(series, "arm64") != NULL;
}

int lab_cache_dir(char **out)
{
	const char *env = getenv("NVMX_CACHE");
	int n;

	if (env && *env)
		n = asprintf(out, "%s", env);
	else if (geteuid() == 0)
		n = asprintf(out, "/var/cache/nvmx/lab");
	else if ((env = getenv("XDG_CACHE_HOME")) && *env)
		n = asprintf(out, "%s/nvmx/lab", env);
	else if ((env = getenv("HOME")) && *env)
		n = asprintf(out, "%s/.cache/nvmx/lab", env);
	else
		return lab_fail(-ENOENT, "no cache directory: set NVMX_CACHE (or HOME)");
	return n < 0 ? lab_fail(-ENOMEM, "out of memory") : 0;
}

void lab_kernel_free(struct lab_kernel *k)
{
	if (!k)
		return;
	free(k->series);
	free(k->package);
	free(k->version);
	free(k->release);
	free(k->root);
	free(k->vmlinuz);
	free(k->moddir);
	free(k);
}

/* apt-cache or apt-get with the lab's configuration when conf is set: argv[1..2] "-c" conf. */
static void with_conf(const char **argv, size_t n, const char *conf)
{
	if (!conf) {
		memmove(argv + 1, argv + 3, (n - 3) * sizeof(*argv));
		return;
	}
	argv[1] = "-c";
	argv[2] = conf;
}

static int newest_package(const struct kernel_series *ks, const char *conf, char **package)
{
	const char *series = ks->series, *pattern = ks->pattern;
	const char *argv[] = { "apt-cache", NULL, NULL, "search", "--names-only", NULL, NULL };
	struct lab_buf out = { 0 };
	char *best = NULL, *line, *save = NULL;
	regex_t re;
	int r;

	argv[5] = pattern;
	with_conf(argv, sizeof(argv) / sizeof(argv[0]), conf);
	r = lab_run_tool(argv, NULL, &out, false, NULL);
	if (r < 0)
		return r;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB)) {
		lab_buf_free(&out);
		return lab_fail(-EINVAL, "bad pattern %s", pattern);
	}
	/* Lines are "NAME - description"; strverscmp orders 6.1.0-9 before 6.1.0-56. */
	/* apt-cache prints nothing when its lists are empty: then there is no buffer at all */
	for (line = out.data ? strtok_r(out.data, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strstr(line, " - ");

		if (sp)
			*sp = '\0';
		if (regexec(&re, line, 0, NULL, 0))
			continue;
		if (!best || strverscmp(line, best) > 0)
			best = line;
	}
	regfree(&re);
	if (!best) {
		lab_buf_free(&out);
		return conf ? lab_fail(-ENOENT,
				       "the lab's apt sources (%s) have no package matching %s "
				       "(kernel %s)",
				       conf, pattern, series)
			    : lab_fail(-ENOENT,
				       "apt knows no package matching %s (kernel %s): run "
				       "'apt-get update'",
				       pattern, series);
	}
	*package = strdup(best);
	lab_buf_free(&out);
	return *package ? 0 : lab_fail(-ENOMEM, "out of memory");
}

int lab_apt_version(const char *package, const char *conf, char **version)
{
	const char *argv[] = {
		"apt-cache", NULL, NULL, "show", "--no-all-versions", package, NULL
	};
	struct lab_buf out = { 0 };
	char *v;
	int r;

	with_conf(argv, sizeof(argv) / sizeof(argv[0]), conf);
	r = lab_run_tool(argv, NULL, &out, false, NULL);
	if (r < 0)
		return r;
	for (v = out.data; v && *v; v += strcspn(v, "\n") + (v[strcspn(v, "\n")] != '\0'))
		if (!strncmp(v, "Version: ", 9))
			break;
	if (!v || !*v) {
		lab_buf_free(&out);
		return lab_fail(-EINVAL, "apt-cache show %s printed no Version: field", package);
	}
	v += strlen("Version: ");
	*version = strndup(v, strcspn(v, "\n"));
	lab_buf_free(&out);
	return *version ? 0 : lab_fail(-ENOMEM, "out of memory");
}

/* Moves the one .deb apt-get download left in tmpdir to dest. */
static int take_downloaded_deb(const char *tmpdir, const char *package, size_t name_len,
			       const char *dest)
{
	char path[PATH_MAX];
	struct dirent *de;
	int found = 0;
	DIR *d = opendir(tmpdir);

	if (!d)
		return lab_fail(-errno, "%s: %s", tmpdir, strerror(errno));
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 4 || strcmp(de->d_name + len - 4, ".deb") ||
		    strncmp(de->d_name, package, name_len))
			continue;
		if (lab_path_join(path, tmpdir, de->d_name)) {
			closedir(d);
			return -ENAMETOOLONG;
		}
		found = 1;
		break;
	}
	closedir(d);
	if (!found)
		return lab_fail(-ENOENT, "apt-get download %s left no .deb in %s", package, tmpdir);
	if (rename(path, dest))
		return lab_fail(-errno, "rename %s to %s: %s", path, dest, strerror(errno));
	return 0;
}

int lab_apt_download(const char *cache, const char *conf, const char *package, const char *version,
		     const char *arch, char **deb)
{
	char tmpdir[PATH_MAX];
	const char *argv[] = { "apt-get", NULL, NULL, "download", "-q", NULL, NULL };
	/* NAME of busybox-static:arm64; the version without its epoch (1:10.0.2+ds-2) */
	size_t name_len = strcspn(package, ":");
	const char *epoch = strchr(version, ':');
	char *pkgver = NULL;
	int r;

	/* apt-get download names the file NAME_VERSION_ARCH.deb with ':' escaped as %3a. */
	if (asprintf(deb, "%s/debs/%.*s_%s_%s.deb", cache, (int)name_len, package,
		     epoch ? epoch + 1 : version, arch) < 0)
		return lab_fail(-ENOMEM, "out of memory");
	if (lab_path_exists(*deb))
		return 0;
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/debs/.download-%d", cache, (int)getpid()) >=
	    (int)sizeof(tmpdir))
		return lab_fail(-ENAMETOOLONG, "%s: path too long", cache);
	r = lab_rm_rf(tmpdir);
	if (!r)
		r = lab_mkdir_p(tmpdir, 0755);
	if (r)
		return r;
	/* apt drops to user _apt for downloads: the directory must be reachable by it. */
	if (chmod(tmpdir, 0777))
		return lab_fail(-errno, "chmod %s: %s", tmpdir, strerror(errno));
	if (asprintf(&pkgver, "%s=%s", package, version) < 0)
		return lab_fail(-ENOMEM, "out of memory");
	argv[5] = pkgver;
	with_conf(argv, sizeof(argv) / sizeof(argv[0]), conf);
	lab_progress("fetch: apt-get download %s (into %s/debs)", pkgver, cache);
	r = lab_run_tool(argv, tmpdir, NULL, false, NULL);
	free(pkgver);
	if (!r)
		r = take_downloaded_deb(tmpdir, package, name_len, *deb);
	(void)lab_rm_rf(tmpdir);
	return r;
}

static int only_subdir(const char *dir, char **name)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return lab_fail(-errno, "%s: %s", dir, strerror(errno));
	*name = NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		free(*name);
		*name = strdup(de->d_name);
	}
	closedir(d);
	if (n != 1) {
		free(*name);
		*name = NULL;
		return lab_fail(-EINVAL,
				"%s: expected exactly one kernel release directory, found %d", dir,
				n);
	}
	return *name ? 0 : lab_fail(-ENOMEM, "out of memory");
}

/*
 * Unpacks the n packages debs into root (through a temporary directory renamed at the end). A
 * kernel's: a merged-/usr package (Debian 13 on) has usr/lib/modules only: root/lib then points
 * to usr/lib, as on an installed system, for depmod -b and every reader of root/lib/modules.
 */
int lab_apt_unpack(char *const *debs, size_t n, const char *root, bool kernel)
{
	char tmp[PATH_MAX], moddir[PATH_MAX], lib[PATH_MAX];
	const char *unpack[] = { "dpkg-deb", "-x", NULL, tmp, NULL };
	const char *depmod[] = { "depmod", "-b", tmp, NULL, NULL };
	char *release = NULL;
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", root, (int)getpid()) >= (int)sizeof(tmp) - 16)
		return lab_fail(-ENAMETOOLONG, "%s: path too long", root);
	r = lab_rm_rf(tmp);
	if (!r)
		r = lab_mkdir_p(tmp, 0755);
	if (r)
		return r;
	for (size_t i = 0; i < n && !r; i++) {
		unpack[2] = debs[i];
		lab_progress("unpack: dpkg-deb -x %s", debs[i]);
		r = lab_run_tool(unpack, NULL, NULL, false, NULL);
	}
	if (r || !kernel)
		goto done;
	if (lab_path_join(lib, tmp, "lib")) {
		r = lab_fail(-ENAMETOOLONG, "%s: path too long", tmp);
		goto out;
	}
	if (!lab_path_exists(lib) && symlink("usr/lib", lib)) {
		r = lab_fail(-errno, "symlink %s -> usr/lib: %s", lib, strerror(errno));
		goto out;
	}
	if (snprintf(moddir, sizeof(moddir), "%s/lib/modules", tmp) >= (int)sizeof(moddir)) {
		r = lab_fail(-ENAMETOOLONG, "%s: path too long", tmp);
		goto out;
	}
	r = only_subdir(moddir, &release);
	if (r)
		goto out;
	depmod[3] = release;
	lab_progress("unpack: depmod -b %s %s", tmp, release);
	r = lab_run_tool(depmod, NULL, NULL, false, NULL);
done:
	if (r)
		goto out;
	if (rename(tmp, root)) {
		/* A concurrent run finished the same unpacking first: use its copy. */
		if ((errno == ENOTEMPTY || errno == EEXIST) && lab_path_exists(root))
			r = 0;
		else
			r = lab_fail(-errno, "rename %s to %s: %s", tmp, root, strerror(errno));
	}
out:
	free(release);
	(void)lab_rm_rf(tmp);
	return r;
}

/*
 * The .debs of k into cache/debs (downloaded unless there): its package, and for a split kernel
 * the companions of the same release and version.
 */
static int download_kernel(const char *cache, const char *conf, const struct kernel_series *ks,
			   const struct lab_kernel *k, char **debs, size_t *n)
{
	const char *rel = k->package + strlen(SPLIT_BINARY);
	int r;

	*n = 0;
	r = lab_apt_download(cache, conf, k->package, k->version, ks->arch, &debs[0]);
	if (r)
		return r;
	*n = 1;
	if (!ks->split)
		return 0;
	if (strncmp(k->package, SPLIT_BINARY, strlen(SPLIT_BINARY)))
		return lab_fail(-EINVAL, "%s: not a %sREL package", k->package, SPLIT_BINARY);
	for (size_t i = 0; i < sizeof(split_companions) / sizeof(split_companions[0]); i++) {
		char *name = NULL;

		if (asprintf(&name, "%s%s", split_companions[i], rel) < 0)
			return lab_fail(-ENOMEM, "out of memory");
		r = lab_apt_download(cache, conf, name, k->version, ks->arch, &debs[*n]);
		free(name);
		if (r)
			return r;
		(*n)++;
	}
	return 0;
}

static int kernel_fetch(const char *series, const char *arch, const char *cache,
			struct lab_kernel **out)
{
	const struct kernel_series *ks = series_of_arch(series, arch);
	struct lab_kernel *k = calloc(1, sizeof(*k));
	char *debs[3] = { NULL, NULL, NULL }, *path = NULL, *conf = NULL;
	size_t n_debs = 0;
	int r = 0;

	*out = NULL;
	if (!k)
		return lab_fail(-ENOMEM, "out of memory");
	k->series = strdup(series);
	if (!k->series) {
		r = lab_fail(-ENOMEM, "out of memory");
		goto err;
	}
	if (!ks) {
		r = lab_fail(-EINVAL, "unknown kernel series '%s' (known: %s)", series,
			     lab_kernel_series_list());
		goto err;
	}
	if (ks->own_apt)
		r = strcmp(arch, "arm64") ? lab_apt_config(cache, &conf)
					  : lab_apt_config_arm64(cache, &conf);
	if (!r)
		r = newest_package(ks, conf, &k->package);
	if (!r)
		r = lab_apt_version(k->package, conf, &k->version);
	if (r)
		goto err;
	if (asprintf(&path, "%s/debs", cache) < 0 ||
	    asprintf(&k->root, "%s/kernels/%s_%s", cache, k->package, k->version) < 0) {
		r = lab_fail(-ENOMEM, "out of memory");
		goto err;
	}
	r = lab_mkdir_p(path, 0755);
	if (!r) {
		free(path);
		path = NULL;
		if (asprintf(&path, "%s/kernels", cache) < 0)
			r = lab_fail(-ENOMEM, "out of memory");
		else
			r = lab_mkdir_p(path, 0755);
	}
	if (r)
		goto err;
	if (lab_path_exists(k->root)) {
		lab_progress("fetch: %s %s (cached in %s)", k->package, k->version, k->root);
	} else {
		r = download_kernel(cache, conf, ks, k, debs, &n_debs);
		if (!r)
			r = lab_apt_unpack(debs, n_debs, k->root, true);
		if (r)
			goto err;
	}
	free(path);
	if (asprintf(&path, "%s/lib/modules", k->root) < 0) {
		path = NULL;
		r = lab_fail(-ENOMEM, "out of memory");
		goto err;
	}
	r = only_subdir(path, &k->release);
	if (r)
		goto err;
	/* Debian 12's kernel is in boot/, Debian 13's in the module directory */
	if (asprintf(&k->vmlinuz, "%s/%s%s", k->root, ks->split ? "lib/modules/" : "boot/vmlinuz-",
		     k->release) < 0 ||
	    asprintf(&k->moddir, "%s/lib/modules/%s", k->root, k->release) < 0) {
		r = lab_fail(-ENOMEM, "out of memory");
		goto err;
	}
	if (ks->split) {
		/* the unsigned package's is vmlinuz.unsigned (the signed one's vmlinuz) */
		char *v = NULL;

		if (asprintf(&v, "%s/vmlinuz.unsigned", k->vmlinuz) < 0) {
			r = lab_fail(-ENOMEM, "out of memory");
			goto err;
		}
		if (!lab_path_exists(v))
			v[strlen(v) - strlen(".unsigned")] = '\0';
		free(k->vmlinuz);
		k->vmlinuz = v;
	}
	if (!lab_path_exists(k->vmlinuz)) {
		r = lab_fail(-ENOENT,
			     "%s: missing from the unpacked package (remove %s to redo it)",
			     k->vmlinuz, k->root);
		goto err;
	}
	for (size_t i = 0; i < 3; i++)
		free(debs[i]);
	free(path);
	free(conf);
	*out = k;
	return 0;
err:
	for (size_t i = 0; i < 3; i++)
		free(debs[i]);
	free(path);
	free(conf);
	lab_kernel_free(k);
	return r;
}

int lab_kernel_fetch(const char *series, const char *cache, struct lab_kernel **out)
{
	return kernel_fetch(series, "amd64", cache, out);
}

int lab_kernel_fetch_arm64(const char *series, const char *cache, struct lab_kernel **out)
{
	return kernel_fetch(series, "arm64", cache, out);
}

char *lab_module_file_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strcspn(base, ".");
	return strndup(base, len);
}

/* Module names compare with '-' and '_' the same, as modprobe does. */
static bool module_name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = *a == '-' ? '_' : *a, cb = *b == '-' ? '_' : *b;

		if (ca != cb)
			return false;
	}
	return !*a && !*b;
}

static bool list_has_module(const char *list_path, const char *name, bool is_dep)
{
	char line[4096];
	FILE *f = fopen(list_path, "re");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *end = is_dep ? strchr(line, ':') : line + strcspn(line, "\n");
		char *mod;

		if (!end)
			continue;
		*end = '\0';
		mod = lab_module_file_name(line);
		found = mod && module_name_eq(mod, name);
		free(mod);
	}
	fclose(f);
	return found;
}

bool lab_kernel_module_builtin(const struct lab_kernel *k, const char *name)
{
	char path[PATH_MAX];

	if (lab_path_join(path, k->moddir, "modules.builtin"))
		return false;
	return list_has_module(path, name, false);
}

/* Finds name's line in modules.dep: *file is the module's path, *deps its dependency paths. */
static int find_dep_line(const struct lab_kernel *k, const char *name, char **file, char **deps)
{
	char path[PATH_MAX], line[8192];
	FILE *f;

	if (lab_path_join(path, k->moddir, "modules.dep"))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return lab_fail(-errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		char *mod;
		bool match;

		if (!colon)
			continue;
		*colon = '\0';
		mod = lab_module_file_name(line);
		match = mod && module_name_eq(mod, name);
		free(mod);
		if (!match)
			continue;
		fclose(f);
		colon[1 + strcspn(colon + 1, "\n")] = '\0';
		*file = strdup(line);
		*deps = strdup(colon + 1);
		return *file && *deps ? 0 : lab_fail(-ENOMEM, "out of memory");
	}
	fclose(f);
	return lab_fail(-ENOENT, "%s: no module %s (kernel %s)", path, name, k->release);
}

static int resolve_one(const struct lab_kernel *k, const char *name, struct lab_strv *files,
		       int depth)
{
	char *file = NULL, *deps = NULL, *save = NULL;
	int r;

	if (depth > 32)
		return lab_fail(-ELOOP, "%s/modules.dep: dependency loop at %s", k->moddir, name);
	if (lab_kernel_module_builtin(k, name))
		return 0;
	r = find_dep_line(k, name, &file, &deps);
	if (r)
		return r;
	if (lab_strv_contains(files, file))
		goto out;
	for (char *dep = strtok_r(deps, " \t", &save); dep; dep = strtok_r(NULL, " \t", &save)) {
		char *dep_name = lab_module_file_name(dep);

		if (!dep_name) {
			r = lab_fail(-ENOMEM, "out of memory");
			goto out;
		}
		r = resolve_one(k, dep_name, files, depth + 1);
		free(dep_name);
		if (r)
			goto out;
	}
	r = lab_strv_push(files, file);
out:
	free(file);
	free(deps);
	return r;
}

int lab_kernel_resolve_modules(const struct lab_kernel *k, const char *const *names,
			       struct lab_strv *files)
{
	for (; *names; names++) {
		int r = resolve_one(k, *names, files, 0);

		if (r)
			return r;
	}
	return 0;
}
