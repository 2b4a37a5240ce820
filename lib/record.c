// SPDX-License-Identifier: GPL-2.0
/* Recording events as tracefs `trace` lines (include/nvmx/record.h), and JSON with extra keys. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/types.h>

#include "nvmx/exit_reasons.h"
#include "nvmx/record.h"
#include "nvmx/model.h" /* exit_decode.h: arm64's reasons */

/*
 * The reason as kvm_print_exit_reason() in arch/x86/kvm/trace.h prints it: VMX the basic reason's
 * name then __print_flags() of the flag bits (known flags by name, the rest as 0x%x); any other
 * isa the SVM name. Unknown reasons as 0x%x, like __print_symbolic.
 */
static void reason_text(uint32_t isa, uint32_t reason, char *buf, size_t len)
{
	char tmp[32];
	const char *name;
	uint32_t flags;

	if (isa != NVMX_ISA_VMX) {
		name = nvmx_reason_name(NVMX_ISA_SVM, reason, tmp, sizeof(tmp));
		snprintf(buf, len, "%s", name);
		return;
	}
	name = nvmx_reason_name(NVMX_ISA_VMX, reason & NVMX_VMX_BASIC_REASON_MASK, tmp,
				sizeof(tmp));
	flags = reason & ~NVMX_VMX_BASIC_REASON_MASK;
	if (!flags) {
		snprintf(buf, len, "%s", name);
		return;
	}
	if (flags == NVMX_VMX_FAILED_VMENTRY)
		snprintf(buf, len, "%s FAILED_VMENTRY", name);
	else if (flags & NVMX_VMX_FAILED_VMENTRY)
		snprintf(buf, len, "%s FAILED_VMENTRY 0x%x", name,
			 flags & ~NVMX_VMX_FAILED_VMENTRY);
	else
		snprintf(buf, len, "%s 0x%x", name, flags);
}

/* The name __print_symbolic gives a PSTATE mode (kvm_nested_eret's and the inject's "M: "). */
static const char *arm64_mode_name(uint64_t mode, char *tmp, size_t len)
{
	static const struct {
		uint32_t mode;
		const char *name;
	} modes[] = {
		{ 0x0, "EL0t" }, { 0x4, "EL1t" }, { 0x5, "EL1h" }, { 0x8, "EL2t" }, { 0x9, "EL2h" }
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i].mode == (mode & 0x1f))
			return modes[i].name;
	snprintf(tmp, len, "0x%x", (unsigned int)(mode & 0x1f));
	return tmp;
}

/*
 * arm64's events in their kernel print formats (tests/data/arm64-7.3/formats), which
 * lib/trace_parse.c reads back. Not captured: kvm_entry's PC, the inject's elr_el2, and of its
 * spsr_el2 all but the mode (source_mode): written as 0.
 */
static int arm64_body(const struct nvmx_event *e, const char *head, char *buf, size_t len)
{
	static const char *const types[] = { "IRQ", "SERROR", "TRAP", "ILLEGAL" };
	char name[32], tmp[16];
	const char *type = "HYP_GONE", *ec_name = "UNKNOWN";
	uint32_t ec = 0;

	switch (e->kind) {
	case NVMX_EV_EXIT:
		/* NVMX_ARM64_EXIT_TYPE + ret, or the EC of a trap (exit_decode.h) */
		if (e->reason < NVMX_ARM64_EXIT_TYPE) {
			type = "TRAP";
			ec = e->reason;
			ec_name = nvmx_reason_name(NVMX_ISA_ARM64, ec, name, sizeof(name));
		} else if (e->reason - NVMX_ARM64_EXIT_TYPE < sizeof(types) / sizeof(types[0])) {
			type = types[e->reason - NVMX_ARM64_EXIT_TYPE];
		}
		return snprintf(buf, len, "%s%s: HSR_EC: 0x%04" PRIx32 " (%s), PC: 0x%016" PRIx64,
				head, type, ec, ec_name, (uint64_t)e->value);
	case NVMX_EV_ENTRY:
		return snprintf(buf, len, "%sPC: 0x%016x", head, 0);
	case NVMX_EV_NESTED_ERET:
		return snprintf(buf, len,
				"%selr_el2: 0x%" PRIx64 " spsr_el2: 0x%08" PRIx64
				" (M: %s) hcr_el2: %" PRIx64,
				head, (uint64_t)e->value, (uint64_t)e->info1,
				arm64_mode_name(e->info1, tmp, sizeof(tmp)), (uint64_t)e->info2);
	case NVMX_EV_INJECT_NESTED_EXC:
		type = e->reason == NVMX_ARM64_INJ_SYNC	 ? "SYNC"
		       : e->reason == NVMX_ARM64_INJ_IRQ ? "IRQ"
		       : e->reason == NVMX_ARM64_INJ_FIQ ? "FIQ"
							 : "SERROR";
		return snprintf(buf, len,
				"%s%s: esr_el2 0x%" PRIx64 " elr_el2: 0x0 spsr_el2: 0x%08" PRIx32
				" (M: %s) hcr_el2: %" PRIx64,
				head, type, (uint64_t)e->info1, (uint32_t)e->intr_info,
				arm64_mode_name(e->intr_info, tmp, sizeof(tmp)),
				(uint64_t)e->info2);
	default: /* NVMX_EV_FORWARD_SYSREG_TRAP: sys_reg(op0, op1, crn, crm, op2) */
		return snprintf(buf, len, "%s%" PRIx64 " %c (%u,%u,%u,%u,%u)", head,
				(uint64_t)e->value, (e->flags & NVMX_EV_F_MSR_WRITE) ? 'W' : 'R',
				(e->msr >> 19) & 0x3, (e->msr >> 16) & 0x7, (e->msr >> 12) & 0xf,
				(e->msr >> 8) & 0xf, (e->msr >> 5) & 0x7);
	}
}

int nvmx_record_format(const struct nvmx_event *e, const char *comm, uint32_t cpu, char *buf,
		       size_t len)
{
	return nvmx_record_format_task(e, comm, 0, cpu, buf, len);
}

int nvmx_record_format_task(const struct nvmx_event *e, const char *comm, uint32_t tgid,
			    uint32_t cpu, char *buf, size_t len)
{
	char reason[64], head[112], proc[16] = "";
	const char *name;
	int n;

	if (!comm || !comm[0])
		comm = "<...>";
	switch (e->kind) {
	case NVMX_EV_EXIT:
		name = "kvm_exit";
		break;
	case NVMX_EV_NESTED_VMEXIT:
		name = "kvm_nested_vmexit";
		break;
	case NVMX_EV_NESTED_VMEXIT_INJECT:
		name = "kvm_nested_vmexit_inject";
		break;
	case NVMX_EV_NESTED_VMENTER:
		name = "kvm_nested_vmenter";
		break;
	case NVMX_EV_NESTED_VMENTER_FAILED:
		name = "kvm_nested_vmenter_failed";
		break;
	case NVMX_EV_NESTED_INTR_VMEXIT:
		name = "kvm_nested_intr_vmexit";
		break;
	case NVMX_EV_ENTRY:
		name = "kvm_entry";
		break;
	case NVMX_EV_USERSPACE_EXIT:
		name = "kvm_userspace_exit";
		break;
	case NVMX_EV_MSR:
		name = "kvm_msr";
		break;
	case NVMX_EV_INJ_VIRQ:
		name = "kvm_inj_virq";
		break;
	case NVMX_EV_INJ_EXCEPTION:
		name = "kvm_inj_exception";
		break;
	case NVMX_EV_GUEST_RCX:
		name = "nvmx_guest_rcx";
		break;
	case NVMX_EV_NESTED_ERET:
		name = "kvm_nested_eret";
		break;
	case NVMX_EV_INJECT_NESTED_EXC:
		name = "kvm_inject_nested_exception";
		break;
	case NVMX_EV_FORWARD_SYSREG_TRAP:
		name = "kvm_forward_sysreg_trap";
		break;
	default:
		return -EINVAL;
	}
	/*
	 * tracefs: "%16s-%-7d [%03d] %5lu.%06lu: " (kernel/trace/trace_output.c), ns here; with
	 * options/record-tgid "(%7d) " before the CPU, as here when tgid is known
	 */
	if (tgid)
		snprintf(proc, sizeof(proc), "(%7" PRIu32 ") ", tgid);
	snprintf(head, sizeof(head),
		 "%16.16s-%-7" PRIu32 " %s[%03" PRIu32 "] %5" PRIu64 ".%09" PRIu64 ": %s: ", comm,
		 (uint32_t)e->tid, proc, cpu, (uint64_t)e->ts_ns / 1000000000u,
		 (uint64_t)e->ts_ns % 1000000000u, name);

	if (e->isa == NVMX_ISA_ARM64 &&
	    (e->kind == NVMX_EV_EXIT || e->kind == NVMX_EV_ENTRY ||
	     e->kind == NVMX_EV_NESTED_ERET || e->kind == NVMX_EV_INJECT_NESTED_EXC ||
	     e->kind == NVMX_EV_FORWARD_SYSREG_TRAP)) {
		n = arm64_body(e, head, buf, len);
		return n < 0 ? -EINVAL : n;
	}
	switch (e->kind) {
	case NVMX_EV_EXIT:
	case NVMX_EV_NESTED_VMEXIT:
		reason_text(e->isa, e->reason, reason, sizeof(reason));
		n = snprintf(
			buf, len,
			"%svcpu %" PRIu32 " reason %s rip 0x%" PRIx64 " info1 0x%016" PRIx64
			" info2 0x%016" PRIx64 " intr_info 0x%08" PRIx32 " error_code 0x%08" PRIx32,
			head, (uint32_t)e->vcpu_id, reason, (uint64_t)e->value, (uint64_t)e->info1,
			(uint64_t)e->info2, (uint32_t)e->intr_info, (uint32_t)e->error_code);
		break;
	case NVMX_EV_NESTED_VMEXIT_INJECT:
		reason_text(e->isa, e->reason, reason, sizeof(reason));
		n = snprintf(buf, len,
			     "%sreason: %s ext_inf1: 0x%016" PRIx64 " ext_inf2: 0x%016" PRIx64
			     " ext_int: 0x%08" PRIx32 " ext_int_err: 0x%08" PRIx32,
			     head, reason, (uint64_t)e->info1, (uint64_t)e->info2,
			     (uint32_t)e->intr_info, (uint32_t)e->error_code);
		break;
	case NVMX_EV_NESTED_VMENTER:
		/* the kernel prints vmcs for isa 1 and vmcb otherwise */
		n = snprintf(buf, len,
			     "%srip: 0x%016x %s: 0x%016x nested_rip: 0x%016x int_ctl: 0x%08x "
			     "event_inj: 0x%08x nested_%s=n guest_cr3: 0x%016x",
			     head, 0, e->isa == NVMX_ISA_VMX ? "vmcs" : "vmcb", 0, 0, 0, 0,
			     e->isa == NVMX_ISA_VMX ? "ept" : "npt", 0);
		break;
	case NVMX_EV_NESTED_VMENTER_FAILED:
		n = snprintf(buf, len, "%s(message not captured)", head);
		break;
	case NVMX_EV_NESTED_INTR_VMEXIT:
		n = snprintf(buf, len, "%srip: 0x%016x", head, 0);
		break;
	case NVMX_EV_ENTRY:
		n = snprintf(buf, len, "%svcpu %" PRIu32 ", rip 0x0", head, (uint32_t)e->vcpu_id);
		break;
	case NVMX_EV_USERSPACE_EXIT:
		/* errno < 0: the kernel prints "restart" (-EINTR) or "error" and -errno */
		if ((int64_t)e->value < 0)
			n = snprintf(buf, len, "%sreason %s (%" PRId64 ")", head,
				     (int64_t)e->value == -EINTR ? "restart" : "error",
				     -(int64_t)e->value);
		else
			n = snprintf(buf, len, "%sreason %" PRIu32 " (%" PRIu32 ")", head,
				     (uint32_t)e->reason, (uint32_t)e->reason);
		break;
	case NVMX_EV_INJ_VIRQ:
		n = snprintf(buf, len, "%s%s 0x%" PRIx32 "%s", head,
			     (e->flags & NVMX_EV_F_SOFT) ? "Soft/INTn" : "IRQ", (uint32_t)e->reason,
			     (e->flags & NVMX_EV_F_REINJECTED) ? " [reinjected]" : "");
		break;
	case NVMX_EV_INJ_EXCEPTION:
		/* the vector as a number: the parser reads both that and the kernel's #NAME */
		if (e->flags & NVMX_EV_F_HAS_ERROR)
			n = snprintf(buf, len, "%s0x%" PRIx32 " (0x%" PRIx32 ")%s", head,
				     (uint32_t)e->reason, (uint32_t)e->error_code,
				     (e->flags & NVMX_EV_F_REINJECTED) ? " [reinjected]" : "");
		else
			n = snprintf(buf, len, "%s0x%" PRIx32 "%s", head, (uint32_t)e->reason,
				     (e->flags & NVMX_EV_F_REINJECTED) ? " [reinjected]" : "");
		break;
	case NVMX_EV_GUEST_RCX:
		n = snprintf(buf, len, "%srcx 0x%" PRIx64, head, (uint64_t)e->value);
		break;
	default: /* NVMX_EV_MSR */
		n = snprintf(buf, len, "%smsr_%s %" PRIx32 " = 0x%" PRIx64 "%s", head,
			     (e->flags & NVMX_EV_F_MSR_WRITE) ? "write" : "read", (uint32_t)e->msr,
			     (uint64_t)e->value, (e->flags & NVMX_EV_F_MSR_GP) ? " (#GP)" : "");
		break;
	}
	return n < 0 ? -EINVAL : n;
}

int nvmx_record_format_lost(uint32_t cpu, uint64_t lost, char *buf, size_t len)
{
	int n = snprintf(buf, len, "CPU:%" PRIu32 " [LOST %" PRIu64 " EVENTS]", cpu, lost);

	return n < 0 ? -EINVAL : n;
}

int nvmx_record_write_header(FILE *out, const char *writer)
{
	if (fprintf(out,
		    "# tracer: nop\n"
		    "#\n"
		    "# written by %s: KVM tracepoint events as the tracefs trace file prints "
		    "them,\n"
		    "# timestamps in ns of CLOCK_MONOTONIC (bpf_ktime_get_ns); vmcb, nested_rip, "
		    "the\n"
		    "# rip of other events than kvm_exit/kvm_nested_vmexit and the vmenter_failed\n"
		    "# message are not captured (written as 0 / a note)\n"
		    "#\n"
		    "#           TASK-PID       TGID    CPU#     TIMESTAMP  FUNCTION\n"
		    "#              | |           |       |         |         |\n",
		    writer) < 0)
		return errno ? -errno : -EIO; /* write(2)'s: ENOSPC stays itself */
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int nvmx_summary_write_json_extra(const struct nvmx_summary *s, const char *const *keys,
				  const char *const *values, size_t n, FILE *out)
{
	struct json_object *base = NULL, *sorted = NULL;
	const char **names = NULL;
	char *text = NULL;
	size_t text_len = 0, n_names = 0;
	const char *res;
	FILE *mem;
	int err;

	/* the summary's own writer stays the one source of its keys */
	mem = open_memstream(&text, &text_len);
	if (!mem)
		return -ENOMEM;
	err = nvmx_summary_write_json(s, mem);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (err)
		goto out;
	base = json_tokener_parse(text);
	err = -EINVAL;
	if (!base || !json_object_is_type(base, json_type_object))
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_tokener_parse(values[i]);

		if (!v || json_object_object_get_ex(base, keys[i], NULL)) {
			json_object_put(v);
			goto out;
		}
		json_object_object_add(base, keys[i], v);
	}
	err = -ENOMEM;
	names = calloc((size_t)json_object_object_length(base) + 1, sizeof(*names));
	sorted = json_object_new_object();
	if (!names || !sorted)
		goto out;
	json_object_object_foreach(base, k, v)
	{
		(void)v;
		names[n_names++] = k;
	}
	qsort(names, n_names, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n_names; i++) {
		struct json_object *val = NULL;

		json_object_object_get_ex(base, names[i], &val);
		if (json_object_object_add(sorted, names[i], json_object_get(val)))
			goto out;
	}
	res = json_object_to_json_string_ext(sorted, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_SPACED |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!res)
		goto out;
	err = 0;
	errno = 0;
	/* stdio keeps write(2)'s errno: a full disk is ENOSPC, not a bare I/O error */
	if (fputs(res, out) == EOF || fputc('\n', out) == EOF || fflush(out) == EOF)
		err = errno ? -errno : -EIO;
out:
	json_object_put(sorted);
	json_object_put(base);
	free(names);
	free(text);
	return err;
}
