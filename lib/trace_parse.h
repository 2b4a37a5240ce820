/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to libnvmx (and its unit tests): reading a capture record by record: text line by
 * line, plain or xz (tracefs `trace`, `trace-cmd report` or `perf script` output), each line turned
 * into a struct nvmx_event; or trace-cmd's binary trace.dat through libtracecmd (trace_dat.c).
 */
#ifndef NVMX_TRACE_PARSE_H
#define NVMX_TRACE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>

#include "nvmx/events.h"

enum nvmx_line_type {
	NVMX_LINE_SKIP,	 /* comment, header, blank, or an event the model does not use */
	NVMX_LINE_EVENT, /* ev is filled */
	NVMX_LINE_LOST,	 /* "CPU:n [LOST k EVENTS]" / "[k EVENTS DROPPED]"; lost = k (0: unknown) */
	NVMX_LINE_ENTRIES,   /* "# entries-in-buffer/entries-written: A/B"; lost = B - A */
	NVMX_LINE_MALFORMED, /* expected says what was expected */
};

/* The task name of a line as tracefs prints it (TASK_COMM_LEN - 1 bytes), NUL-terminated. */
#define NVMX_LINE_TASK_LEN 16

struct nvmx_line {
	enum nvmx_line_type type;
	struct nvmx_event ev;
	/* an event's TASK (the thread's comm, "<...>" when tracefs had none) and its TGID (0: the
	 * line has no "(TGID)" column, or "(-------)": tracefs did not know it) */
	char task[NVMX_LINE_TASK_LEN + 1];
	uint32_t tgid;
	uint64_t lost;
	char expected[160];
};

/* The grammar of a text capture's lines: one per file, told by its first event line. */
enum nvmx_text_format {
	NVMX_TEXT_UNKNOWN, /* no event line yet */
	NVMX_TEXT_FTRACE, /* tracefs `trace` and `trace-cmd report`: "TASK-PID [CPU] ... TS: EVENT:" */
	NVMX_TEXT_PERF, /* `perf script`: "COMM TID [CPU] TS: kvm:EVENT:" */
};

/* Parses one line (no newline needed, need not be NUL-terminated) of tracefs/trace-cmd text. */
void nvmx_parse_line(const char *line, size_t len, struct nvmx_line *out);

/*
 * The same in the grammar *fmt; NVMX_TEXT_UNKNOWN takes either, and the first event line (or
 * lost-event marker) sets *fmt: a later line of the other grammar is malformed.
 */
void nvmx_parse_line_as(const char *line, size_t len, enum nvmx_text_format *fmt,
			struct nvmx_line *out);

/* A capture opened for reading lines; xz is detected by its magic, not by the name. */
struct nvmx_reader;
struct nvmx_input;

/* The longest line read: a tracefs line is < 1 KiB; a longer one is not a trace (-EOVERFLOW). */
#define NVMX_LINE_MAX 65536

int nvmx_reader_open(const char *path, struct nvmx_reader **out);
/* The same on an input already open (pipes too); the reader owns in, even on failure. */
int nvmx_reader_open_input(struct nvmx_input *in, struct nvmx_reader **out);
/*
 * Returns the length of the next line (without '\n') in *line, -1 at the end, or -errno:
 * -EOVERFLOW a line longer than NVMX_LINE_MAX, -EPROTO a truncated .xz, -EBADMSG a corrupt one,
 * -ENOMEM, -EIO...
 */
long nvmx_reader_next(struct nvmx_reader *r, const char **line);

/*
 * The next record, parsed: a text line (nvmx_parse_line_as, the file's grammar told once) or a
 * trace.dat record (a lost-event marker, then the event, when its CPU's buffer dropped events).
 * Returns 0, -1 at the end, or -errno: those of nvmx_reader_next, and for a trace.dat -ESPIPE
 * (a pipe: libtracecmd needs a file it can seek), -ENOEXEC (libtracecmd cannot read it),
 * -ENOTUNIQ (events in more than one of its buffers).
 */
int nvmx_reader_next_record(struct nvmx_reader *r, struct nvmx_line *out);

void nvmx_reader_close(struct nvmx_reader *r);

/* trace_fields.c: a kvm event from its fields by name; get returns false for a missing field. */
struct nvmx_fields {
	bool (*get)(void *ctx, const char *name, uint64_t *v);
	void *ctx;
};

/*
 * Fills out (zeroed by the caller, type NVMX_LINE_SKIP) from the fields of the event NAME when
 * the model uses it: type EVENT, or MALFORMED when a field it needs is missing. Not tid, ts_ns.
 */
void nvmx_event_from_fields(const char *name, size_t name_len, const struct nvmx_fields *f,
			    struct nvmx_line *out);

/* The fillers, per event (trace_fields.c); event names the event in a MALFORMED's expected. */
typedef void nvmx_fields_fn(const struct nvmx_fields *f, const char *event, struct nvmx_line *out);
nvmx_fields_fn nvmx_fields_exit, nvmx_fields_vmenter, nvmx_fields_entry, nvmx_fields_msr,
	nvmx_fields_inj_virq, nvmx_fields_inj_exception, nvmx_fields_nested_eret,
	nvmx_fields_inject_nested, nvmx_fields_forward_sysreg;

/* trace_dat.c: trace-cmd's trace.dat ("\x17\x08\x44tracing" first), read through libtracecmd. */
#define NVMX_TRACE_DAT_MAGIC	 "\x17\x08\x44tracing"
#define NVMX_TRACE_DAT_MAGIC_LEN 10
struct nvmx_trace_dat;
/* fd: a regular file, at any offset (it is read from its start); dup'ed, not taken. */
int nvmx_trace_dat_open(int fd, struct nvmx_trace_dat **out);
/* As nvmx_reader_next_record. */
int nvmx_trace_dat_next(struct nvmx_trace_dat *d, struct nvmx_line *out);
void nvmx_trace_dat_close(struct nvmx_trace_dat *d);

#endif /* NVMX_TRACE_PARSE_H */
