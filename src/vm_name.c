// SPDX-License-Identifier: GPL-2.0
/* VM names: QEMU's -name guest=X, else the program name (src/vm_name.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vm_name.h"

void nvmxd_read_vm_name(__u32 tgid, char *out, size_t len)
{
	char path[64], buf[4096];
	const char *args[64];
	size_t n = 0, nargs = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/cmdline", tgid);
	f = fopen(path, "re");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	if (!n) {
		snprintf(out, len, "(exited before it was named)");
		return;
	}
	buf[n] = '\0';
	for (size_t i = 0; i < n && nargs < 64; i += strlen(buf + i) + 1)
		args[nargs++] = buf + i;
	for (size_t i = 0; i + 1 < nargs; i++) {
		const char *v = args[i + 1];

		if (strcmp(args[i], "-name") && strcmp(args[i], "--name"))
			continue;
		/* QEMU: -name [guest=]NAME[,debug-threads=on|off][,process=...] */
		if (!strncmp(v, "guest=", 6))
			v += 6;
		snprintf(out, len, "%.*s", (int)strcspn(v, ","), v);
		return;
	}
	{
		const char *slash = strrchr(args[0], '/');

		snprintf(out, len, "%s", slash ? slash + 1 : args[0]);
	}
}
