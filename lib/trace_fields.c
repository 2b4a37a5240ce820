// SPDX-License-Identifier: GPL-2.0
/*
 * A kvm event from its fields by name (trace_parse.h; trace_parse.c's table of events says which
 * function fills which event): the kernel's own values, whatever its print format prints. Two sources: a trace.dat's records through libtraceevent (trace_dat.c),
 * and the "[FAILED TO PARSE] name=value ..." body that perf script prints for an event whose
 * print format its libtraceevent cannot parse (perf 6.1 and 6.12's kvm_inj_exception).
 */
#include <stdbool.h>
#include <string.h>

#include "trace_parse.h"
#include "nvmx/model.h" /* exit_decode.h: arm64's reasons */

static bool field(const struct nvmx_fields *f, const char *name, uint64_t *v)
{
	*v = 0;
	return f->get(f->ctx, name, v);
}

/* field() into an event's __u64 (unsigned long long, where uint64_t may be unsigned long) */
static bool field_to(const struct nvmx_fields *f, const char *name, __u64 *dst)
{
	uint64_t v;
	bool ok = field(f, name, &v);

	*dst = v;
	return ok;
}

/* The first of two names that the event has (fields were renamed across kernels). */
static bool field2(const struct nvmx_fields *f, const char *name, const char *old_name, uint64_t *v)
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
void nvmx_fields_exit(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
{
	struct nvmx_event *ev = &out->ev;
	uint64_t v, ec;

	/* arm64's kvm_exit (trace_arm.h): ret, esr_ec (0 unless a trap), vcpu_pc */
	if (!strcmp(event, "kvm_exit") && field(f, "esr_ec", &ec) && field(f, "ret", &v)) {
		ev->isa = NVMX_EV_ISA_ARM64;
		ev->reason = nvmx_arm64_exit_reason((uint32_t)v, (uint32_t)ec);
		field_to(f, "vcpu_pc", &ev->value);
		return;
	}
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
void nvmx_fields_vmenter(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
{
	uint64_t v;

	(void)event;
	out->ev.isa = field(f, "isa", &v) ? (uint32_t)v : NVMX_EV_ISA_SVM;
}

void nvmx_fields_entry(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
{
	uint64_t v;

	/* arm64's kvm_entry has only vcpu_pc */
	if (!field(f, "vcpu_id", &v) && field(f, "vcpu_pc", &v)) {
		out->ev.isa = NVMX_EV_ISA_ARM64;
		return;
	}
	if (!field(f, "vcpu_id", &v))
		return missing(out, event, "vcpu_id");
	out->ev.vcpu_id = (uint32_t)v;
}

void nvmx_fields_msr(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
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

void nvmx_fields_inj_virq(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
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

void nvmx_fields_inj_exception(const struct nvmx_fields *f, const char *event,
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

/* arm64's kvm_nested_eret: the mode it returns to (spsr_el2) and L1's HCR_EL2 decide the level */
void nvmx_fields_nested_eret(const struct nvmx_fields *f, const char *event, struct nvmx_line *out)
{
	struct nvmx_event *ev = &out->ev;

	if (!field_to(f, "spsr_el2", &ev->info1))
		return missing(out, event, "spsr_el2");
	if (!field_to(f, "hcr_el2", &ev->info2))
		return missing(out, event, "hcr_el2");
	field_to(f, "elr_el2", &ev->value);
	ev->isa = NVMX_EV_ISA_ARM64;
}

/* arm64's kvm_inject_nested_exception: type, esr_el2, the mode it came from and HCR_EL2 */
void nvmx_fields_inject_nested(const struct nvmx_fields *f, const char *event,
			       struct nvmx_line *out)
{
	struct nvmx_event *ev = &out->ev;
	uint64_t v;

	if (!field(f, "type", &v))
		return missing(out, event, "type");
	ev->reason = (uint32_t)v;
	if (!field_to(f, "esr_el2", &ev->info1))
		return missing(out, event, "esr_el2");
	if (!field_to(f, "hcr_el2", &ev->info2))
		return missing(out, event, "hcr_el2");
	if (!field(f, "source_mode", &v))
		return missing(out, event, "source_mode");
	ev->intr_info = (uint32_t)v;
	ev->isa = NVMX_EV_ISA_ARM64;
}

/* arm64's kvm_forward_sysreg_trap: the sysreg's encoding and the direction */
void nvmx_fields_forward_sysreg(const struct nvmx_fields *f, const char *event,
				struct nvmx_line *out)
{
	uint64_t v;

	if (!field(f, "sysreg", &v))
		return missing(out, event, "sysreg");
	out->ev.msr = (uint32_t)v;
	if (field(f, "is_read", &v) && !v)
		out->ev.flags |= NVMX_EV_F_MSR_WRITE;
	field_to(f, "pc", &out->ev.value);
	out->ev.isa = NVMX_EV_ISA_ARM64;
}
