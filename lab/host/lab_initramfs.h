/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lab's initramfs: a newc cpio archive (the format the kernel unpacks, see the kernel's
 * Documentation/driver-api/early-userspace/buffer-format.rst) written directly, so no cpio tool
 * is needed, plus helpers that copy host programs with their shared libraries into it.
 */
#ifndef NVMX_LAB_HOST_LAB_INITRAMFS_H
#define NVMX_LAB_HOST_LAB_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lab_util.h"

struct lab_cpio;

/* Creates the archive file at path. */
int lab_cpio_new(const char *path, struct lab_cpio **out);
/* Writes the trailer and closes the file. */
int lab_cpio_finish(struct lab_cpio *c);
/* Frees c; an unfinished archive file is removed. */
void lab_cpio_free(struct lab_cpio *c);

/* Every add creates the missing parent directories (0755) first. Paths are absolute. */
int lab_cpio_add_dir(struct lab_cpio *c, const char *path, mode_t perm);
int lab_cpio_add_data(struct lab_cpio *c, const char *path, const void *data, size_t len,
		      mode_t perm);
/* Copies a host file; a name ending in .xz is decompressed. perm 0: the host file's. */
int lab_cpio_add_host_file(struct lab_cpio *c, const char *path, const char *host_path,
			   mode_t perm);
/*
 * Copies a kernel module (.ko or .ko.xz, decompressed); with strip_signature, without the
 * signature appended to it: the kernel then loads it unverified (and tainted), which saves the
 * RSA and SHA-256 work that costs seconds per boot under an interpreting emulator.
 */
int lab_cpio_add_module(struct lab_cpio *c, const char *path, const char *host_path,
			bool strip_signature);
int lab_cpio_add_char_dev(struct lab_cpio *c, const char *path, mode_t perm, unsigned int major,
			  unsigned int minor);

/*
 * Copies the host executable host_path to the same path in the archive, and when it is
 * dynamically linked its ELF interpreter and every shared library ldd finds for it, each at the
 * path the host's loader uses. A "#!" script comes with its interpreter, except /bin/sh, which
 * is busybox's in the guest. The directories of the libraries are added to libdirs (for
 * LD_LIBRARY_PATH in the guest, which has no ld.so.cache).
 */
int lab_cpio_add_program(struct lab_cpio *c, const char *host_path, struct lab_strv *libdirs);

/*
 * Copies the host file host_path to the same path in the archive (nvmx lab run --ship): an ELF
 * file or an executable "#!" script as lab_cpio_add_program() does, with what it needs to run;
 * any other file as it is. A path already in the archive (a library shared with another program)
 * is not added again.
 */
int lab_cpio_add_shipped(struct lab_cpio *c, const char *host_path, struct lab_strv *libdirs);

/* Whether the ELF file (x86-64 or arm64) at path has no PT_INTERP (is statically linked). */
int lab_elf_is_static(const char *path);

#endif /* NVMX_LAB_HOST_LAB_INITRAMFS_H */
