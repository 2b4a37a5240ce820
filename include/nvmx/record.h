/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recording: events written as lines of the tracefs `trace` file, so that a recording made by
 * nvmxd --record is a capture lib's parser (and `nvmx replay`) reads like any other. User space
 * only; include <linux/types.h> first (struct nvmx_event uses __u32/__u64).
 *
 * The line is "COMM-TID [CPU] SECS.NNNNNNNNN: EVENT: BODY" with a nanosecond timestamp and the
 * body in the TP_printk format of arch/x86/kvm/trace.h. What the BPF side does not capture is
 * written as 0 and is never read back by lib's parser: kvm_nested_vmenter's rip, vmcs/vmcb, nested_rip, int_ctl, event_inj and guest page table,
 * kvm_entry's rip, kvm_nested_intr_vmexit's rip. kvm_nested_vmenter_failed's message is not
 * captured either: its body says so. kvm_userspace_exit is written "reason N (ERRNO)" with the
 * numeric KVM_EXIT_* reason (the kernel prints its name). kvm_exit/kvm_nested_vmexit carry the
 * guest rip (event value). kvm_inj_exception is written with the vector as 0xN, which the parser
 * reads as it reads the kernel's #NAME. NVMX_EV_GUEST_RCX, which is no tracepoint, is written as the
 * event "nvmx_guest_rcx" with the body "rcx 0xVALUE"; lib's parser reads it back.
 */
#ifndef NVMX_RECORD_H
#define NVMX_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "events.h"
#include "summary.h"

/*
 * Formats one event (NVMX_EV_EXIT .. NVMX_EV_MSR, NVMX_EV_INJ_VIRQ, NVMX_EV_INJ_EXCEPTION,
 * NVMX_EV_GUEST_RCX) of thread e->tid, named comm (NULL or empty:
 * "<...>", as tracefs does), seen on cpu, into buf without a newline. Returns the length the line
 * has (as snprintf: >= len means truncated), or -EINVAL for a kind that is no tracepoint.
 */
int nvmx_record_format(const struct nvmx_event *e, const char *comm, uint32_t cpu, char *buf,
		       size_t len);

/*
 * The same with the VMM process tgid (0: not known, no column) in tracefs' "(TGID)" column, as
 * tracefs writes it with options/record-tgid: what `nvmx replay --vm PID` matches.
 */
int nvmx_record_format_task(const struct nvmx_event *e, const char *comm, uint32_t tgid,
			    uint32_t cpu, char *buf, size_t len);

/* "CPU:N [LOST K EVENTS]", as tracefs marks lost events; lib's parser reads it back. */
int nvmx_record_format_lost(uint32_t cpu, uint64_t lost, char *buf, size_t len);

/* The comment header of a recording: says who wrote it and what is not captured. 0 or -EIO. */
int nvmx_record_write_header(FILE *out, const char *writer);

/*
 * Writes s as nvmx_summary_write_json() does, plus n extra top-level keys (keys[i] with the JSON
 * text values[i]), all keys sorted as in schema 1. For nvmxd's "vms" and "nvmxd" keys, which
 * nvmx_summary_read_json() ignores. Returns 0, -EINVAL (a value is not JSON, a key exists), -ENOMEM
 * or -EIO.
 */
int nvmx_summary_write_json_extra(const struct nvmx_summary *s, const char *const *keys,
				  const char *const *values, size_t n, FILE *out);

#endif /* NVMX_RECORD_H */
