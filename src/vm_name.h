/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The name a VM is shown by, the same in nvmxd and nvmxtop --standalone: QEMU's
 * `-name [guest=]NAME[,...]` from /proc/PID/cmdline, else the program's name (argv[0] without
 * its directory).
 */
#ifndef NVMXD_VM_NAME_H
#define NVMXD_VM_NAME_H

#include <stddef.h>

#include <linux/types.h>

/* Writes the name of VMM process tgid to out; "(exited before it was named)" when it is gone. */
void nvmxd_read_vm_name(__u32 tgid, char *out, size_t len);

#endif /* NVMXD_VM_NAME_H */
