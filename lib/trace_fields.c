// SPDX-License-Identifier: GPL-2.0
/*
 * A kvm event from its fields by name (trace_parse.h): the kernel's own values, whatever its
 * print format prints. Two sources: a trace.dat's records through libtraceevent (trace_dat.c),
 * and the "[FAILED TO PARSE] name=value ..." body that perf script prints for an event whose
 * print format its libtraceevent cannot parse (perf 6.1 and 6.12's kvm_inj_exception).
 */
#include <stdbool.h>
#include <string.h>

#include "trace_parse.h"

static bool field(const struct nvmx_fields *f, const char *name, uint64_t *v)
{
	*v = 0;
	return f->get(f->ctx, name, v);
}

/* The first of two names that the event has (fields were renamed across kernels). */
static bool field2(const struct nvmx_fields *f, const char *name, const char *old_name,
		   uint64_t *v)
{
	return field(f, name, v) || field(f, old_name, v);
}

static void missing(struct nvmx_line *out, const char *event, const char *name)
{
	out->type = NVMX_LINE_MALFORMED;
	snprintf(out->expected, sizeof(out->expected), "a %s record with a field '%s'", event,
		 name);
}

/* kvm_exit, kvm_nested_vmexit (6.x: the same fields; older kernels: exit_code, rip...) and
 * kvm_nested_vmexit_inject (exit_code, exit_info1...) */
static void fill_exit(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
{
	struct nvmx_event *ev = &out->ev;
	uint64_t v;

	if (!field2(f, "exit_reason", "exit_code", &v))
		return missing(out, event, "exit_reason");
	ev->reason = (uint32_t)v;
	if (field(f, "isa", &v))
		ev->isa = (uint32_t)v;
	if (field(f, "vcpu_id", &v))
		ev->vcpu_id = (uint32_t)v;
	if (field2(f, "guest_rip", "rip", &v))
		ev->value = v;
	field2(f, "info1", "exit_info1", &v);
	ev->info1 = v;
	field2(f, "info2", "exit_info2", &v);
	ev->info2 = v;
	field2(f, "intr_info", "exit_int_info", &v);
	ev->intr_info = (uint32_t)v;
	field2(f, "error_code", "exit_int_info_err", &v);
	ev->error_code = (uint32_t)v;
}

/* kvm_nested_vmenter: the isa (older kernels had no isa field and were SVM only) */
static void fill_vmenter(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
{
	uint64_t v;

	(void)event;
	out->ev.isa = field(f, "isa", &v) ? (uint32_t)v : NVMX_EV_ISA_SVM;
}

static void fill_entry(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
{
	uint64_t v;

	if (!field(f, "vcpu_id", &v))
		return missing(out, event, "vcpu_id");
	out->ev.vcpu_id = (uint32_t)v;
}

static void fill_msr(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
{
	uint64_t write, ecx, data, exc;

	if (!field(f, "write", &write))
		return missing(out, event, "write");
	if (!field(f, "ecx", &ecx))
		return missing(out, event, "ecx");
	if (!field(f, "data", &data))
		return missing(out, event, "data");
	field(f, "exception", &exc);
	out->ev.msr = (uint32_t)ecx;
	out->ev.value = data;
	if (write)
		out->ev.flags |= NVMX_EV_F_MSR_WRITE;
	if (exc)
		out->ev.flags |= NVMX_EV_F_MSR_GP;
}

static void fill_inj_virq(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
{
	uint64_t v;

	/* "vector" since 5.19, "irq" before */
	if (!field2(f, "vector", "irq", &v))
		return missing(out, event, "vector");
	out->ev.reason = (uint32_t)v & 0xff;
	if (field(f, "soft", &v) && v)
		out->ev.flags |= NVMX_EV_F_SOFT;
	if (field(f, "reinjected", &v) && v)
		out->ev.flags |= NVMX_EV_F_REINJECTED;
}

static void fill_inj_exception(const struct nvmx_fields *f, const char *event,
			       struct nvmx_line *out)
{
	uint64_t v;

	if (!field(f, "exception", &v))
		return missing(out, event, "exception");
	out->ev.reason = (uint32_t)v & 0xff;
	if (field(f, "has_error", &v) && v) {
		field(f, "error_code", &v);
		out->ev.error_code = (uint32_t)v;
		out->ev.flags |= NVMX_EV_F_HAS_ERROR;
	}
	if (field(f, "reinjected", &v) && v)
		out->ev.flags |= NVMX_EV_F_REINJECTED;
}

/* The kvm events the model uses (the text parser's table, trace_parse.c): NULL, none needed. */
static const struct {
	const char *name;
	uint32_t kind;
	void (*fill)(const struct nvmx_fields *f, const char *event, struct nvmx_line *out);
} events[] = {
	{ "kvm_exit", NVMX_EV_EXIT, fill_exit },
	{ "kvm_nested_vmexit", NVMX_EV_NESTED_VMEXIT, fill_exit },
	{ "kvm_nested_vmexit_inject", NVMX_EV_NESTED_VMEXIT_INJECT, fill_exit },
	{ "kvm_nested_vmenter", NVMX_EV_NESTED_VMENTER, fill_vmenter },
	{ "kvm_nested_vmenter_failed", NVMX_EV_NESTED_VMENTER_FAILED, NULL },
	{ "kvm_nested_intr_vmexit", NVMX_EV_NESTED_INTR_VMEXIT, NULL },
	{ "kvm_entry", NVMX_EV_ENTRY, fill_entry },
	{ "kvm_userspace_exit", NVMX_EV_USERSPACE_EXIT, NULL },
	{ "kvm_msr", NVMX_EV_MSR, fill_msr },
	{ "kvm_inj_virq", NVMX_EV_INJ_VIRQ, fill_inj_virq },
	{ "kvm_inj_exception", NVMX_EV_INJ_EXCEPTION, fill_inj_exception },
};

void nvmx_event_from_fields(const char *name, size_t name_len, const struct nvmx_fields *f,
			    struct nvmx_line *out)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (strlen(events[i].name) != name_len || memcmp(events[i].name, name, name_len))
			continue;
		out->type = NVMX_LINE_EVENT;
		out->ev.kind = events[i].kind;
		out->ev.vcpu_id = NVMX_EV_VCPU_ID_NONE;
		if (events[i].fill)
			events[i].fill(f, events[i].name, out);
		return;
	}
	/* an event the model does not use: skipped */
}
