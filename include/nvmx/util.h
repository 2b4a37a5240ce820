/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The small things every nvmx program needs, written once (user space): the monotonic clock,
 * an error message into a caller's buffer, array growth, and whether this host's KVM runs
 * nested guests.
 */
#ifndef NVMX_UTIL_H
#define NVMX_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(), so times compare with the events'. */
uint64_t nvmx_mono_ns(void);

/*
 * Formats a message into buf (len bytes; buf may be NULL) and returns err: library code says
 * what failed this way and lets its caller log it once (systemd's coding style).
 */
__attribute__((format(printf, 4, 5))) int nvmx_say(int err, char *buf, size_t len, const char *fmt,
						   ...);

/*
 * Makes room for at least need elements of size elem in *arr (capacity *cap), doubling from 16.
 * Returns 0 or -ENOMEM (then *arr and *cap are unchanged).
 */
int nvmx_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* Whether kvm_intel or kvm_amd is loaded here with nested=1 (their module parameter). */
bool nvmx_kvm_nested_enabled(void);

#endif /* NVMX_UTIL_H */
