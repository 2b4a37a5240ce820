// SPDX-License-Identifier: GPL-2.0
/* Where nvmx finds the programs it runs (paths.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

int nvmx_find_nvmxd(char *out, size_t len)
{
	const char *env = getenv("NVMX_NVMXD");
	char exe[PATH_MAX];
	ssize_t n;

	if (env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = 0;
	if (!strcmp(exe, NVMX_BUILD_EXE)) {
		snprintf(out, len, "%s", NVMX_NVMXD_BUILD);
	} else {
		char *slash = strrchr(exe, '/');

		*slash = 0;
		if (snprintf(out, len, "%s/%s/nvmxd", exe, NVMX_SBIN_FROM_BIN) >= (int)len)
			return -ENAMETOOLONG;
	}
	return access(out, X_OK) ? -errno : 0;
}
