// SPDX-License-Identifier: GPL-2.0
/*
 * trace-cmd's binary capture, trace.dat, read through Debian's libtracecmd (trace_parse.h). Each
 * kvm record's fields are read by name through libtraceevent (nvmx_event_from_fields), never from
 * printed text: the values are the kernel's own (the exit reason with its isa, the MSR index and
 * data...), whatever the kernel's print format or trace-cmd's plugins would print. The records of every CPU are merged
 * in timestamp order, as `trace-cmd report` prints them. A CPU buffer that dropped events before
 * a record gives a lost-event marker before it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "trace_parse.h"

struct nvmx_trace_dat {
	struct tracecmd_input *top;   /* the file */
	struct tracecmd_input **inst; /* its buffer instances (trace-cmd record -B) */
	int n_inst;
	struct tracecmd_input *h; /* the one buffer that holds events */
	struct tep_handle *tep;
	int n_cpus;
	struct tep_record **next; /* per CPU: the next record, NULL when its CPU is done */
	struct tep_record *held;  /* a record whose lost-event marker was returned first */
};

/* A record's fields for nvmx_event_from_fields() */
struct rec_fields {
	struct tep_event *e;
	struct tep_record *rec;
};

static bool rec_field(void *ctx, const char *name, uint64_t *v)
{
	struct rec_fields *rf = ctx;
	struct tep_format_field *f = tep_find_field(rf->e, name);
	unsigned long long x;

	if (!f || tep_read_number_field(f, rf->rec->data, &x))
		return false;
	*v = x;
	return true;
}

static void convert(struct nvmx_trace_dat *d, struct tep_record *rec, struct nvmx_line *out)
{
	struct tep_event *e = tep_find_event_by_record(d->tep, rec);
	struct rec_fields rf = { e, rec };
	struct nvmx_fields f = { rec_field, &rf };

	memset(out, 0, sizeof(*out));
	out->type = NVMX_LINE_SKIP;
	if (!e) {
		out->type = NVMX_LINE_MALFORMED;
		snprintf(out->expected, sizeof(out->expected),
			 "a record of an event whose format the trace.dat holds");
		return;
	}
	if (!e->system || strcmp(e->system, "kvm"))
		return;
	nvmx_event_from_fields(e->name, strlen(e->name), &f, out);
	out->ev.tid = (uint32_t)tep_data_pid(d->tep, rec);
	out->ev.ts_ns = rec->ts;
	if (out->type == NVMX_LINE_EVENT) {
		/* the TASK of --vm NAME: the comm trace-cmd saved for the pid ("<...>" if none) */
		const char *comm = tep_data_comm_from_pid(d->tep, (int)out->ev.tid);
		size_t n = comm ? strnlen(comm, NVMX_LINE_TASK_LEN) : 0;

		if (n)
			memcpy(out->task, comm, n);
		out->task[n] = '\0';
	}
}

/* The first record of each CPU of h into next[] (allocated); how many CPUs have one. */
static int first_records(struct tracecmd_input *h, int n_cpus, struct tep_record ***next)
{
	int with = 0;

	*next = calloc((size_t)(n_cpus > 0 ? n_cpus : 1), sizeof(**next));
	if (!*next)
		return -ENOMEM;
	for (int cpu = 0; cpu < n_cpus; cpu++) {
		(*next)[cpu] = tracecmd_read_cpu_first(h, cpu);
		with += (*next)[cpu] != NULL;
	}
	return with;
}

static void free_records(struct tep_record **next, int n_cpus)
{
	if (!next)
		return;
	for (int cpu = 0; cpu < n_cpus; cpu++)
		if (next[cpu])
			tracecmd_free_record(next[cpu]);
	free(next);
}

int nvmx_trace_dat_open(int fd, struct nvmx_trace_dat **out)
{
	struct nvmx_trace_dat *d;
	int dfd, err, with_events = 0;

	*out = NULL;
	/* libtracecmd seeks back and forth in the file: a pipe cannot be read */
	if (lseek(fd, 0, SEEK_SET) < 0)
		return errno == ESPIPE ? -ESPIPE : -errno;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	/* the library's own messages are not ours to print: its failures are told by our errors */
	tracecmd_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);
	dfd = dup(fd);
	if (dfd < 0) {
		err = -errno;
		goto fail;
	}
	/* fields are read by name: trace-cmd's print plugins are not needed */
	d->top = tracecmd_open_fd(dfd, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!d->top) {
		close(dfd);
		err = -ENOEXEC;
		goto fail;
	}
	d->n_inst = tracecmd_buffer_instances(d->top);
	if (d->n_inst < 0)
		d->n_inst = 0;
	d->inst = calloc((size_t)d->n_inst + 1, sizeof(*d->inst));
	if (!d->inst) {
		err = -ENOMEM;
		goto fail;
	}
	/* the top buffer and each instance: exactly one may hold events (none: an empty capture) */
	for (int i = -1; i < d->n_inst; i++) {
		struct tracecmd_input *h = d->top;
		struct tep_record **next;
		int n_cpus, with;

		if (i >= 0) {
			h = d->inst[i] = tracecmd_buffer_instance_handle(d->top, i);
			if (!h) {
				err = -ENOEXEC;
				goto fail;
			}
		}
		n_cpus = tep_get_cpus(tracecmd_get_tep(h));
		with = first_records(h, n_cpus, &next);
		if (with < 0) {
			err = with;
			goto fail;
		}
		if (!with || with_events++) {
			free_records(next, n_cpus);
			continue;
		}
		d->h = h;
		d->next = next;
		d->n_cpus = n_cpus;
	}
	if (with_events > 1) {
		err = -ENOTUNIQ;
		goto fail;
	}
	d->tep = tracecmd_get_tep(d->h ? d->h : d->top);
	*out = d;
	return 0;
fail:
	nvmx_trace_dat_close(d);
	return err;
}

int nvmx_trace_dat_next(struct nvmx_trace_dat *d, struct nvmx_line *out)
{
	struct tep_record *rec = d->held;
	int best = -1;

	if (!rec) {
		for (int cpu = 0; cpu < d->n_cpus; cpu++)
			if (d->next[cpu] && (best < 0 || d->next[cpu]->ts < d->next[best]->ts))
				best = cpu;
		if (best < 0)
			return -1;
		rec = d->next[best];
		d->next[best] = tracecmd_read_data(d->h, best);
		if (rec->missed_events) {
			/* the CPU's buffer dropped events before this record: say so first */
			memset(out, 0, sizeof(*out));
			out->type = NVMX_LINE_LOST;
			out->lost = rec->missed_events > 0 ? (uint64_t)rec->missed_events : 0;
			d->held = rec;
			return 0;
		}
	}
	d->held = NULL;
	convert(d, rec, out);
	tracecmd_free_record(rec);
	return 0;
}

void nvmx_trace_dat_close(struct nvmx_trace_dat *d)
{
	if (!d)
		return;
	if (d->held)
		tracecmd_free_record(d->held);
	free_records(d->next, d->n_cpus);
	for (int i = 0; d->inst && i < d->n_inst; i++)
		if (d->inst[i])
			tracecmd_close(d->inst[i]);
	free(d->inst);
	if (d->top)
		tracecmd_close(d->top);
	free(d);
}
