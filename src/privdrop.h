/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dropping root once nvmxd has loaded and attached its programs: to an unprivileged uid/gid with
 * no supplementary groups, no capabilities (effective, permitted, inheritable, ambient, bounding)
 * and PR_SET_NO_NEW_PRIVS, keeping every open file descriptor (maps, links, the listening socket).
 *
 * Kernels before 5.19 refuse every bpf() command, even on an open map fd, to a process without
 * CAP_BPF when kernel.unprivileged_bpf_disabled is set (the check at the top of __sys_bpf). Alan
 * Maguire's "bpf: refine kernel.unprivileged_bpf_disabled behaviour" (5.19) narrowed it to
 * BPF_PROG_LOAD and BPF_MAP_CREATE, and 6.5 moved those into map_create() and bpf_prog_load();
 * measured in the lab: Debian's 6.1 (unprivileged_bpf_disabled=2) and 6.12 read maps with no
 * capabilities, as this 6.18 host does. nvmxd_privdrop_probe() tells, by trying, whether this
 * kernel needs CAP_BPF to read a map; nvmxd_privdrop() can then keep CAP_BPF alone. No logging:
 * errors come back as a negative errno and a message in err.
 */
#ifndef NVMXD_PRIVDROP_H
#define NVMXD_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * "USER", "UID" or "UID:GID" (numbers need no /etc/passwd, e.g. in the lab's initramfs). A name
 * takes its primary group from the password database. Returns 0, -ENOENT (no such user) or
 * -EINVAL.
 */
int nvmxd_privdrop_parse_user(const char *spec, uid_t *uid, gid_t *gid);

/*
 * Whether a process with uid/gid and no capabilities can still look up key (key_size bytes) in
 * the map map_fd: a child drops and tries. Returns 1 (it can), 0 (the kernel refuses: EPERM) or a
 * negative errno when the probe itself failed.
 */
int nvmxd_privdrop_probe(int map_fd, const void *key, size_t value_size, uid_t uid, gid_t gid);

/*
 * Drops this (single-threaded) process to uid/gid. keep_bpf: CAP_BPF stays in the permitted,
 * effective and bounding sets, and nothing else. Call before any thread is started: capabilities
 * are per thread. Returns 0 or a negative errno with err saying which step failed.
 */
int nvmxd_privdrop(uid_t uid, gid_t gid, bool keep_bpf, char *err, size_t errlen);

/*
 * Reads /proc/self/status: every Uid/Gid field must be uid/gid, Groups empty, NoNewPrivs 1 and
 * CapInh, CapPrm, CapEff, CapBnd, CapAmb equal to allowed (a capability mask: 0, or 1 << CAP_BPF).
 * Returns 0, or -EPERM with the first line that differs in err.
 */
int nvmxd_privdrop_verify(uid_t uid, gid_t gid, unsigned long long allowed, char *err,
			  size_t errlen);

#endif /* NVMXD_PRIVDROP_H */
