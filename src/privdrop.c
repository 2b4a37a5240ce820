// SPDX-License-Identifier: GPL-2.0
/* Dropping root after attach (src/privdrop.h). */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/capability.h>

#include "privdrop.h"
#include "nvmx/util.h"

#ifndef CAP_BPF
#define CAP_BPF 39 /* linux/capability.h of 5.8+; older headers lack it */
#endif

static int parse_id(const char *s, size_t n, unsigned long *out)
{
	char tmp[32], *end;

	if (!n || n >= sizeof(tmp) || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	*out = strtoul(tmp, &end, 10);
	if (errno || *end || *out >= UINT32_MAX)
		return -EINVAL;
	return 0;
}

int nvmxd_privdrop_parse_user(const char *spec, uid_t *uid, gid_t *gid)
{
	const char *colon = strchr(spec, ':');
	unsigned long u, g;
	struct passwd *pw;

	if (!parse_id(spec, colon ? (size_t)(colon - spec) : strlen(spec), &u)) {
		if (colon) {
			if (parse_id(colon + 1, strlen(colon + 1), &g))
				return -EINVAL;
		} else {
			pw = getpwuid((uid_t)u);
			g = pw ? pw->pw_gid : u;
		}
		*uid = (uid_t)u;
		*gid = (gid_t)g;
		return 0;
	}
	if (colon || !*spec)
		return -EINVAL;
	errno = 0;
	pw = getpwnam(spec);
	if (!pw && !strcmp(spec, "root")) {
		/* nvmxd(8): 'root' keeps root, also where no passwd file names it (the lab's L0) */
		*uid = 0;
		*gid = 0;
		return 0;
	}
	if (!pw)
		return errno ? -errno : -ENOENT;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	/* CAP_CHECKPOINT_RESTORE (40) is the last of 6.x kernels */
	return v >= 0 && v < 64 ? v : 40;
}

int nvmxd_privdrop(uid_t uid, gid_t gid, bool keep_bpf, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	int last = last_cap();

	if (uid == 0)
		return nvmx_say(-EINVAL, err, errlen, "refusing to drop to uid 0: that keeps root");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		return nvmx_say(-errno, err, errlen, "clearing the ambient capabilities: %s",
				strerror(errno));
	for (int cap = 0; cap <= last; cap++) {
		if (keep_bpf && cap == CAP_BPF)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return nvmx_say(-errno, err, errlen,
					"dropping capability %d from the bounding set: %s (needs "
					"CAP_SETPCAP)",
					cap, strerror(errno));
	}
	if (keep_bpf && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return nvmx_say(-errno, err, errlen, "PR_SET_KEEPCAPS: %s", strerror(errno));
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid) {
		if (setgroups(0, NULL))
			return nvmx_say(-errno, err, errlen, "setgroups: %s", strerror(errno));
		if (setresgid(gid, gid, gid))
			return nvmx_say(-errno, err, errlen, "setresgid(%u): %s", (unsigned int)gid,
					strerror(errno));
		if (setresuid(uid, uid, uid))
			return nvmx_say(-errno, err, errlen, "setresuid(%u): %s", (unsigned int)uid,
					strerror(errno));
	}
	memset(data, 0, sizeof(data));
	if (keep_bpf) {
		data[CAP_TO_INDEX(CAP_BPF)].effective = CAP_TO_MASK(CAP_BPF);
		data[CAP_TO_INDEX(CAP_BPF)].permitted = CAP_TO_MASK(CAP_BPF);
	}
	if (syscall(SYS_capset, &hdr, data))
		return nvmx_say(-errno, err, errlen, "capset: %s", strerror(errno));
	if (keep_bpf && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
		return nvmx_say(-errno, err, errlen, "PR_SET_KEEPCAPS: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return nvmx_say(-errno, err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	return 0;
}

int nvmxd_privdrop_probe(int map_fd, const void *key, size_t value_size, uid_t uid, gid_t gid)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		void *val = calloc(1, value_size);

		if (!val || nvmxd_privdrop(uid, gid, false, NULL, 0))
			_exit(2);
		if (bpf_map_lookup_elem(map_fd, key, val))
			_exit(errno == EPERM ? 1 : 3);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -ECHILD;
	switch (WEXITSTATUS(status)) {
	case 0:
		return 1;
	case 1:
		return 0;
	case 2:
		return -EPERM; /* the child could not drop: neither could the parent */
	default:
		return -EIO;
	}
}

/* "Name:\tvalue" of /proc/self/status; 0 if found. */
static int status_field(const char *text, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, n) || p[n] != ':')
			continue;
		p += n + 1;
		while (*p == '\t' || *p == ' ')
			p++;
		snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
		return 0;
	}
	return -ENOENT;
}

int nvmxd_privdrop_verify(uid_t uid, gid_t gid, unsigned long long allowed, char *err,
			  size_t errlen)
{
	static const char *const caps[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	char text[8192], v[256], want[128];
	size_t n = 0;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return nvmx_say(-errno, err, errlen, "/proc/self/status: %s", strerror(errno));
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';

	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned int)uid, (unsigned int)uid,
		 (unsigned int)uid, (unsigned int)uid);
	if (status_field(text, "Uid", v, sizeof(v)) || strcmp(v, want))
		return nvmx_say(-EPERM, err, errlen, "Uid is '%s', not '%s'", v, want);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned int)gid, (unsigned int)gid,
		 (unsigned int)gid, (unsigned int)gid);
	if (status_field(text, "Gid", v, sizeof(v)) || strcmp(v, want))
		return nvmx_say(-EPERM, err, errlen, "Gid is '%s', not '%s'", v, want);
	if (status_field(text, "Groups", v, sizeof(v)) || v[strspn(v, " ")])
		return nvmx_say(-EPERM, err, errlen, "Groups is '%s', not empty", v);
	if (status_field(text, "NoNewPrivs", v, sizeof(v)) || strcmp(v, "1"))
		return nvmx_say(-EPERM, err, errlen, "NoNewPrivs is '%s', not 1", v);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		unsigned long long mask, want_mask;
		char *end;

		if (status_field(text, caps[i], v, sizeof(v)))
			return nvmx_say(-EPERM, err, errlen, "no %s line", caps[i]);
		mask = strtoull(v, &end, 16);
		/* a kept capability is permitted, effective and bounding; never inherited */
		want_mask =
			(!strcmp(caps[i], "CapInh") || !strcmp(caps[i], "CapAmb")) ? 0 : allowed;
		if (*end || mask != want_mask)
			return nvmx_say(-EPERM, err, errlen, "%s is %s, not %016llx", caps[i], v,
					want_mask);
	}
	return 0;
}
