// SPDX-License-Identifier: GPL-2.0
/* include/nvmx/util.h */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nvmx/util.h"

uint64_t nvmx_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int nvmx_say(int err, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf && len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

int nvmx_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	if (elem && n > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

bool nvmx_kvm_nested_enabled(void)
{
	static const char *const params[] = { "/sys/module/kvm_intel/parameters/nested",
					      "/sys/module/kvm_amd/parameters/nested" };

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		FILE *f = fopen(params[i], "re");
		char buf[8] = "";

		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		if (buf[0] == 'Y' || buf[0] == '1')
			return true;
	}
	return false;
}
