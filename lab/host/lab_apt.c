// SPDX-License-Identifier: GPL-2.0
/*
 * The lab's own apt configuration, for kernels newer than the host's Debian (`--kernel 7.3`,
 * `--kernel newest`): Debian 12's sources stop at 6.12, the newer kernels are in trixie-backports
 * and sid. apt-cache and apt-get read this configuration (`-c FILE`) with state and cache of
 * their own under the lab's cache directory; the host's sources, lists and preferences are never
 * read or changed. Only `apt-get download` is run with it (never install): the packages are
 * unpacked with dpkg-deb -x.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lab_kernel.h"

/* Refreshed when older than this: a new point release replaces the previous one's packages. */
#define LISTS_MAX_AGE_S (24 * 3600)

static const char *mirror(void)
{
	const char *m = getenv("NVMX_LAB_DEBIAN_MIRROR");

	return m && *m ? m : "http://deb.debian.org/debian";
}

/* The newest mtime of a Packages list in dir, 0 when it has none. */
static time_t newest_list(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	time_t newest = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct stat st;

		if (!strstr(de->d_name, "_Packages") || lab_path_join(path, dir, de->d_name))
			continue;
		if (!stat(path, &st) && st.st_mtime > newest)
			newest = st.st_mtime;
	}
	closedir(d);
	return newest;
}

static int write_text(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];

	if (lab_path_join(path, dir, name))
		return lab_fail(-ENAMETOOLONG, "%s/%s: path too long", dir, name);
	return lab_write_file(path, text, strlen(text), 0644);
}

/*
 * The configuration under cache/NAME: its sources (a sources.list) for the architectures archs
 * (apt.conf's APT::Architectures list, the first being APT::Architecture); what says what they
 * are for the progress line.
 */
static int apt_config(const char *cache, const char *name, const char *sources, const char *archs,
		      const char *what, char **conf)
{
	static const char *const subdirs[] = { "etc/sources.list.d", "etc/preferences.d",
					       "state/lists/partial", "cache/archives/partial" };
	char *dir = NULL, *text = NULL, lists[PATH_MAX];
	time_t newest;
	int r = 0;

	*conf = NULL;
	if (asprintf(&dir, "%s/%s", cache, name) < 0)
		return lab_fail(-ENOMEM, "out of memory");
	for (size_t i = 0; !r && i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char path[PATH_MAX];

		r = lab_path_join(path, dir, subdirs[i]);
		if (!r)
			r = lab_mkdir_p(path, 0755);
	}
	if (r)
		goto out;
	r = write_text(dir, "etc/sources.list", sources);
	if (!r)
		r = write_text(dir, "state/status", "");
	if (r)
		goto out;
	/*
	 * Check-Valid-Until off: these machines' clocks can be behind the archive's. No
	 * recommends, no translations, archs only: only Packages lists are fetched.
	 */
	if (asprintf(&text,
		     "Dir::Etc::SourceList \"%1$s/etc/sources.list\";\n"
		     "Dir::Etc::SourceParts \"%1$s/etc/sources.list.d\";\n"
		     "Dir::Etc::Preferences \"%1$s/etc/preferences\";\n"
		     "Dir::Etc::PreferencesParts \"%1$s/etc/preferences.d\";\n"
		     "Dir::State \"%1$s/state\";\n"
		     "Dir::State::status \"%1$s/state/status\";\n"
		     "Dir::Cache \"%1$s/cache\";\n"
		     "Acquire::Check-Valid-Until \"false\";\n"
		     "Acquire::Languages \"none\";\n"
		     "APT::Architecture \"amd64\";\n"
		     "APT::Architectures { %2$s };\n",
		     dir, archs) < 0) {
		text = NULL;
		r = lab_fail(-ENOMEM, "out of memory");
		goto out;
	}
	r = write_text(dir, "apt.conf", text);
	if (r)
		goto out;
	if (asprintf(conf, "%s/apt.conf", dir) < 0) {
		*conf = NULL;
		r = lab_fail(-ENOMEM, "out of memory");
		goto out;
	}
	if (snprintf(lists, sizeof(lists), "%s/state/lists", dir) >= (int)sizeof(lists)) {
		r = lab_fail(-ENAMETOOLONG, "%s: path too long", dir);
		goto out;
	}
	newest = newest_list(lists);
	if (newest && time(NULL) - newest < LISTS_MAX_AGE_S)
		goto out;
	{
		const char *argv[] = { "apt-get", "-c", *conf, "-q", "update", NULL };

		lab_progress("fetch: apt-get update of the lab's own sources (%s at %s; %s)", what,
			     mirror(), *conf);
		r = lab_run_tool(argv, NULL, NULL, false, NULL);
		if (r)
			r = lab_fail_context(r, "the lab's apt sources (%s)", *conf);
	}
out:
	free(text);
	free(dir);
	if (r) {
		free(*conf);
		*conf = NULL;
	}
	return r;
}

/* The host's keyring (debian-archive-keyring) has the bookworm and trixie keys that sign these. */
#define SIGNED_BY "signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"

int lab_apt_config(const char *cache, char **conf)
{
	char *sources = NULL;
	int r;

	if (asprintf(&sources,
		     "deb [" SIGNED_BY "] %s trixie-backports main\n"
		     "deb [" SIGNED_BY "] %s sid main\n",
		     mirror(), mirror()) < 0)
		return lab_fail(-ENOMEM, "out of memory");
	r = apt_config(cache, "apt", sources, "\"amd64\";", "trixie-backports, sid", conf);
	free(sources);
	return r;
}

int lab_apt_config_arm64(const char *cache, char **conf)
{
	char *sources = NULL;
	int r;

	if (asprintf(&sources,
		     "deb [arch=arm64 " SIGNED_BY "] %s trixie-backports main\n"
		     "deb [arch=arm64 " SIGNED_BY "] %s bookworm main\n"
		     "deb [arch=amd64 " SIGNED_BY "] %s bookworm-backports main\n",
		     mirror(), mirror(), mirror()) < 0)
		return lab_fail(-ENOMEM, "out of memory");
	r = apt_config(cache, "apt-arm64", sources, "\"amd64\"; \"arm64\";",
		       "trixie-backports and bookworm arm64, bookworm-backports amd64", conf);
	free(sources);
	return r;
}
