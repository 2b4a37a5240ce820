/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading nvmx's BPF object (bpf/nvmx.bpf.c) on the KVM tracepoints: the one way nvmxd and
 * nvmxtop --standalone both use, so they attach the same programs and read the same maps.
 * An object-style module (retsnoop) over libbpf-bootstrap's lifecycle:
 *
 *	nvmx_loader__new(&opts)	 nothing touched yet
 *	nvmx_loader__probe(l)	 tracefs (mounted if needed), the KVM tracepoints and the
 *				 kernel's BTF; opens the object and keeps one program per event,
 *				 tp_btf where the kernel allows it, else the classic one
 *	nvmx_loader__load(l)	 sets the knobs of opts, loads the kept programs; if the kernel
 *				 refuses a tp_btf program, loads again with classic ones only
 *	nvmx_loader__attach(l)	 attaches each; a program that cannot be attached is reported,
 *				 fatal only when none is
 *	nvmx_loader__detach(l)	 no program runs after it; maps and programs stay readable
 *	nvmx_loader__destroy(l)	 NULL and half-built loaders too
 *
 * Library code: it prints nothing. Each step returns 0 or a negative errno with a sentence in
 * nvmx_loader__error(); what a caller may want to say on the way (a tracepoint missing and why,
 * each program attached) goes to opts.log, one line each.
 */
#ifndef NVMX_LOADER_H
#define NVMX_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#include "collect.h"

struct nvmx_loader;

/* At most this many programs in the table (nvmx_loader__prog_count()), baselines included. */
#define NVMX_LOADER_MAX_PROGS 32

enum nvmx_loader_log_level {
	NVMX_LOADER_LOG_INFO,  /* worth saying always: what is attached, missing, degraded */
	NVMX_LOADER_LOG_DEBUG, /* details, for a verbose mode */
};

/* One line, no newline. */
typedef void (*nvmx_loader_log_fn)(void *ctx, enum nvmx_loader_log_level level, const char *line);

struct nvmx_loader_opts {
	const char *who;	/* the program, in messages ("nvmxd needs root"); NULL: "nvmx" */
	bool baseline;		/* also the empty and the single-counter program on kvm_exit */
	bool classic_only;	/* no tp_btf program: every event from a classic tracepoint */
	bool record;		/* every event to the nvmx_events ring buffer (targ_record) */
	__u32 ringbuf_mib;	/* the ring buffer's size with record; without, one page */
	__u32 tgid;		/* count only this VMM process (targ_tgid); 0: every process */
	__u32 cycles_cpus;	/* nvmx_cycles entries (targ_cycles); 0: no cycle counts */
	nvmx_loader_log_fn log; /* NULL: nothing is said */
	void *log_ctx;
};

/* A program the loader keeps (one per event, plus the RCX and baseline programs). */
struct nvmx_loader_prog {
	const char *tracepoint; /* under events/kvm/ */
	const char *name;	/* the BPF program's name */
	const char *baseline;	/* NULL, or what this --baseline program is ("empty program") */
	bool tp_btf;		/* a tp_btf program; else a classic tracepoint program */
	bool attached;		/* attached by __attach (still true after __detach) */
	const char *missing;	/* why not, when !attached after __attach */
	int fd;			/* the loaded program, or -1 */
};

/* The file descriptors of the loaded object's maps, -1 before __load. */
struct nvmx_loader_maps {
	struct nvmxd_maps counts; /* what nvmxd_counts_read() reads */
	int events;		  /* ring buffer: every event (opts.record) */
	int anomalies;		  /* ring buffer: lost interrupted events */
	int cycles;		  /* perf-event array: cycle counters (opts.cycles_cpus) */
	/*
	 * BPF_F_MMAPABLE array: record drops per possible CPU (the same count as
	 * NVMX_SELF_RINGBUF_DROPPED, per CPU), for reading through mmap without a syscall
	 */
	int drops;
};

/* Copies opts. NULL with errno ENOMEM. */
struct nvmx_loader *nvmx_loader__new(const struct nvmx_loader_opts *opts);
int nvmx_loader__probe(struct nvmx_loader *l);
int nvmx_loader__load(struct nvmx_loader *l);
int nvmx_loader__attach(struct nvmx_loader *l);
void nvmx_loader__detach(struct nvmx_loader *l);
void nvmx_loader__destroy(struct nvmx_loader *l);

/* The sentence of the last failed step ("" if none). */
const char *nvmx_loader__error(const struct nvmx_loader *l);

/* The programs kept by __probe, in the table's order (baseline ones last). */
size_t nvmx_loader__prog_count(const struct nvmx_loader *l);
const struct nvmx_loader_prog *nvmx_loader__prog(const struct nvmx_loader *l, size_t i);

/* How many of the kept programs, baselines not counted, are attached; *missing the others. */
size_t nvmx_loader__attached(const struct nvmx_loader *l, size_t *missing);

struct nvmx_loader_maps nvmx_loader__maps(const struct nvmx_loader *l);

/* Where tracefs is, and whether __probe mounted it. */
const char *nvmx_loader__tracefs(const struct nvmx_loader *l, bool *mounted);

/* Where the CO-RE types were found ("vmlinux", "vmlinux + kvm module"); "" before __probe. */
const char *nvmx_loader__btf(const struct nvmx_loader *l);

#endif /* NVMX_LOADER_H */
