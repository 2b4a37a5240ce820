// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing captures: the tracefs `trace` file and `trace-cmd report` output. The event bodies follow
 * the TP_printk formats of arch/x86/kvm/trace.h (see tests/data/<capture>/../formats in the shared
 * captures); extra fields that newer kernels append (6.18: kvm_exit `requests`) are accepted.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nvmx/exit_reasons.h"
#include "nvmx/summary.h"
#include "trace_parse.h"
#include "nvmx/model.h" /* exit_decode.h: arm64's reasons */

/* ---- a cursor over one line ---- */

struct cur {
	const char *p, *end;
};

static bool at_end(const struct cur *c)
{
	return c->p >= c->end;
}

static void skip_spaces(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* Consumes the literal s if it comes next. */
static bool accept(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* An unsigned number in base 10 or 16 (with or without 0x when base is 16). */
static bool number(struct cur *c, int base, uint64_t *v)
{
	const char *start;
	uint64_t x = 0;

	if (base == 16 && c->end - c->p > 2 && c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X'))
		c->p += 2;
	start = c->p;
	while (c->p < c->end) {
		int d = hexval(*c->p);

		if (d < 0 || d >= base)
			break;
		if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		x = x * (uint64_t)base + (uint64_t)d;
		c->p++;
	}
	*v = x;
	return c->p > start;
}

/* A space-separated token. */
static size_t token(struct cur *c, const char **tok)
{
	*tok = c->p;
	while (c->p < c->end && *c->p != ' ')
		c->p++;
	return (size_t)(c->p - *tok);
}

/* Finds needle in [p, end); NULL if absent. */
static const char *find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; end - p >= (ptrdiff_t)n; p++)
		if (!memcmp(p, needle, n))
			return p;
	return NULL;
}

static void malformed(struct nvmx_line *out, const char *expected)
{
	out->type = NVMX_LINE_MALFORMED;
	snprintf(out->expected, sizeof(out->expected), "%s", expected);
}

/*
 * An exit-reason name as printed, possibly followed by VMX flag names ("INVALID_STATE
 * FAILED_VMENTRY"): __print_flags prints known flags by name and the rest as 0x%lx.
 */
static bool reason_name(const char *name, size_t len, uint32_t *isa, uint32_t *reason)
{
	uint32_t flags = 0;

	*isa = NVMX_ISA_UNKNOWN;
	while (len) {
		const char *sp;

		if (!nvmx_reason_from_name(name, len, isa, reason)) {
			if (flags && *isa == NVMX_ISA_UNKNOWN)
				*isa = NVMX_ISA_VMX; /* only VMX prints flags */
			*reason |= flags;
			return true;
		}
		/* strip one trailing flag token and retry */
		sp = name + len;
		while (sp > name && sp[-1] != ' ')
			sp--;
		if (sp == name)
			return false;
		if ((size_t)(name + len - sp) == strlen("FAILED_VMENTRY") &&
		    !memcmp(sp, "FAILED_VMENTRY", strlen("FAILED_VMENTRY"))) {
			flags |= NVMX_VMX_FAILED_VMENTRY;
		} else {
			struct cur c = { sp, name + len };
			uint64_t v;

			if (!accept(&c, "0x") || !number(&c, 16, &v) || !at_end(&c) ||
			    v > 0xffffffffull)
				return false;
			flags |= (uint32_t)v & ~NVMX_VMX_BASIC_REASON_MASK;
		}
		len = (size_t)(sp - 1 - name);
	}
	return false;
}

/*
 * "key value" pairs after the reason: the kernel's (info1, info2, intr_info, error_code, rip, and
 * what newer kernels add, e.g. 6.18's requests) and those of trace-cmd's kvm plugin
 * (libtraceevent plugin_kvm.c: "info %llx %llx", "int_info", "int_info_err"). Unknown keys are
 * skipped.
 */
static bool exit_fields(struct cur *c, struct nvmx_event *ev)
{
	while (skip_spaces(c), !at_end(c)) {
		const char *k;
		size_t kl = token(c, &k);
		uint64_t v, v2;

		skip_spaces(c);
#define KEY(s) (kl == strlen(s) && !memcmp(k, s, kl))
		if (KEY("info")) {
			if (!number(c, 16, &v))
				return false;
			skip_spaces(c);
			if (!number(c, 16, &v2))
				return false;
			ev->info1 = v;
			ev->info2 = v2;
			continue;
		}
		if (!number(c, 16, &v)) {
			/* a field we do not know, with a value that is not a number: skip it */
			token(c, &k);
			continue;
		}
		if (KEY("rip"))
			ev->value = v; /* the guest rip: the details of a lost event */
		else if (KEY("info1") || KEY("ext_inf1:"))
			ev->info1 = v;
		else if (KEY("info2") || KEY("ext_inf2:"))
			ev->info2 = v;
		else if (KEY("intr_info") || KEY("int_info") || KEY("ext_int:"))
			ev->intr_info = (uint32_t)v;
		else if (KEY("error_code") || KEY("int_info_err") || KEY("ext_int_err:"))
			ev->error_code = (uint32_t)v;
#undef KEY
	}
	return true;
}

/* Where the reason name ends: the first field after it, or the end of the line. */
static const char *name_end(const char *p, const char *end)
{
	static const char *const next[] = { " rip ", " info1 ", " info ", " int_info ",
					    " ext_inf1: " };
	const char *best = end;

	for (size_t i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
		const char *f = find(p, best, next[i]);

		if (f)
			best = f;
	}
	return best;
}

/*
 * "reason NAME ...fields": NAME as the kernel prints it, or trace-cmd's kvm plugin's
 * "UNKNOWN (decimal)". Returns false with out->expected set when NAME is no reason.
 */
static bool reason_and_fields(struct cur *c, struct nvmx_line *out)
{
	struct nvmx_event *ev = &out->ev;
	const char *name = c->p, *nend = name_end(c->p, c->end);
	struct cur u = { name, nend };
	uint64_t v;

	if (accept(&u, "UNKNOWN (") && number(&u, 10, &v) && accept(&u, ")") && at_end(&u) &&
	    v <= 0xffffffffull) {
		ev->isa = NVMX_ISA_UNKNOWN;
		ev->reason = (uint32_t)v;
	} else if (nend == name ||
		   !reason_name(name, (size_t)(nend - name), &ev->isa, &ev->reason)) {
		malformed(out, "an exit reason name of <asm/svm.h>/<asm/vmx.h> or 0x<hex>");
		return false;
	}
	c->p = nend;
	return true;
}

/* The kvm_exit types of arm64 (kvm_arm_exception_type of asm/kvm_asm.h: ARM_EXCEPTION_*). */
static const struct {
	const char *name;
	uint32_t ret;
} arm64_exit_types[] = {
	{ "IRQ", 0 },	  { "SERROR", 1 },	{ "TRAP", NVMX_ARM64_EXC_TRAP },
	{ "ILLEGAL", 3 }, { "HYP_GONE", 0xff },
};

/*
 * arm64's kvm_exit (trace_arm.h): "TYPE: HSR_EC: 0x%04x (EC_NAME), PC: 0x%016lx". esr_ec counts
 * only for a TRAP (the kernel zeroes it otherwise); the EC's name, from the kernel's own table,
 * is learned for this capture's names.
 */
static bool parse_arm64_exit(struct cur *c, struct nvmx_line *out)
{
	const char *colon = c->p, *name, *name_end;
	struct cur t;
	uint64_t ec, pc;
	size_t i, n = sizeof(arm64_exit_types) / sizeof(arm64_exit_types[0]);

	while (colon < c->end && *colon != ':' && *colon != ' ')
		colon++;
	t = (struct cur){ colon, c->end };
	if (!accept(&t, ": HSR_EC: "))
		return false;
	for (i = 0; i < n; i++)
		if (strlen(arm64_exit_types[i].name) == (size_t)(colon - c->p) &&
		    !memcmp(arm64_exit_types[i].name, c->p, (size_t)(colon - c->p)))
			break;
	if (i == n || !number(&t, 16, &ec) || ec > 0x3f || !accept(&t, " ("))
		goto bad;
	name = t.p;
	while (t.p < t.end && *t.p != ')')
		t.p++;
	name_end = t.p;
	if (t.p == name || !accept(&t, "), PC: ") || !number(&t, 16, &pc))
		goto bad;
	/* __print_symbolic prints an EC it has no name for as its number: nothing to learn */
	if (arm64_exit_types[i].ret == NVMX_ARM64_EXC_TRAP && !(name[0] == '0' && name[1] == 'x'))
		(void)nvmx_arm64_learn_name((uint32_t)ec, name, (size_t)(name_end - name));
	out->ev.isa = NVMX_ISA_ARM64;
	out->ev.reason = nvmx_arm64_exit_reason(arm64_exit_types[i].ret, (uint32_t)ec);
	out->ev.value = pc;
	return true;
bad:
	malformed(out, "arm64's 'TYPE: HSR_EC: 0x.. (NAME), PC: 0x..'");
	return true;
}

/*
 * kvm_exit, kvm_nested_vmexit: "vcpu N reason NAME rip 0x.. info1 0x.. info2 0x.. intr_info 0x..
 * error_code 0x..". trace-cmd's kvm plugin prints "[rip X ]reason NAME rip 0x.. info X Y".
 */
static void parse_exit(struct cur *c, struct nvmx_line *out)
{
	struct nvmx_event *ev = &out->ev;
	uint64_t v;

	if (parse_arm64_exit(c, out))
		return;
	if (accept(c, "rip ")) {
		if (!number(c, 16, &v))
			goto bad;
		ev->value = v;
		skip_spaces(c);
	}
	if (accept(c, "vcpu ")) {
		if (!number(c, 10, &v) || v > 0xffffffffull)
			goto bad;
		ev->vcpu_id = (uint32_t)v;
		skip_spaces(c);
	}
	if (!accept(c, "reason "))
		goto bad;
	if (!reason_and_fields(c, out))
		return;
	if (!exit_fields(c, ev))
		goto bad;
	return;
bad:
	malformed(out, "'vcpu N reason NAME rip 0x.. info1 0x.. info2 0x.. intr_info 0x.. "
		       "error_code 0x..'");
}

/*
 * "reason: NAME ext_inf1: 0x.. ext_inf2: 0x.. ext_int: 0x.. ext_int_err: 0x..", or with
 * trace-cmd's kvm plugin "reason NAME info1 X info2 Y int_info Z int_info_err W".
 */
static void parse_inject(struct cur *c, struct nvmx_line *out)
{
	bool kernel_format = accept(c, "reason: ");

	if (!kernel_format && !accept(c, "reason "))
		goto bad;
	if (!reason_and_fields(c, out))
		return;
	if (kernel_format && !find(c->p, c->end, " ext_int_err: "))
		goto bad;
	if (!exit_fields(c, &out->ev))
		goto bad;
	return;
bad:
	malformed(out,
		  "'reason: NAME ext_inf1: 0x.. ext_inf2: 0x.. ext_int: 0x.. ext_int_err: 0x..'");
}

/* "rip: 0x.. vmcs|vmcb: 0x.. nested_rip: ..." : vmcs/vmcb tells the isa */
static void parse_vmenter(struct cur *c, struct nvmx_line *out)
{
	uint64_t v;

	if (!accept(c, "rip: ") || !number(c, 16, &v) || !accept(c, " "))
		goto bad;
	if (accept(c, "vmcs: "))
		out->ev.isa = NVMX_ISA_VMX;
	else if (accept(c, "vmcb: "))
		out->ev.isa = NVMX_ISA_SVM;
	else
		goto bad;
	return;
bad:
	malformed(out, "'rip: 0x.. vmcs|vmcb: 0x.. nested_rip: 0x.. ...'");
}

/* "vcpu N, rip 0x.."; arm64 "PC: 0x%016lx" */
static void parse_entry(struct cur *c, struct nvmx_line *out)
{
	uint64_t v;

	if (accept(c, "PC: ")) {
		if (!number(c, 16, &v))
			malformed(out, "arm64's 'PC: 0x..'");
		out->ev.isa = NVMX_ISA_ARM64;
		return;
	}
	if (!accept(c, "vcpu ") || !number(c, 10, &v) || v > 0xffffffffull || !accept(c, ","))
		malformed(out, "'vcpu N, rip 0x..'");
	else
		out->ev.vcpu_id = (uint32_t)v;
}

/* "msr_read|msr_write IDX = 0xVAL[ (#GP)]" */
static void parse_msr(struct cur *c, struct nvmx_line *out)
{
	uint64_t idx, val;

	if (accept(c, "msr_write "))
		out->ev.flags |= NVMX_EV_F_MSR_WRITE;
	else if (!accept(c, "msr_read "))
		goto bad;
	if (!number(c, 16, &idx) || idx > 0xffffffffull || !accept(c, " = ") ||
	    !number(c, 16, &val))
		goto bad;
	out->ev.msr = (uint32_t)idx;
	out->ev.value = val;
	skip_spaces(c);
	if (accept(c, "(#GP)"))
		out->ev.flags |= NVMX_EV_F_MSR_GP;
	return;
bad:
	malformed(out, "'msr_read|msr_write IDX = 0xVALUE'");
}

/* nvmx_guest_rcx (nvmxd --record only, not a kernel event): "rcx 0xVAL" */
static void parse_guest_rcx(struct cur *c, struct nvmx_line *out)
{
	uint64_t v;

	if (!accept(c, "rcx ") || !number(c, 16, &v))
		malformed(out, "'rcx 0xVALUE'");
	else {
		out->ev.value = v;
		out->ev.msr = (uint32_t)v;
	}
}

/*
 * kvm_inj_virq: "IRQ 0x30", "Soft/INTn 0x21", then " [reinjected]" (5.19+: "%s 0x%x%s"); older
 * kernels printed "irq 48", never reinjected.
 */
static void parse_inj_virq(struct cur *c, struct nvmx_line *out)
{
	uint64_t v;

	if (accept(c, "irq ")) {
		if (!number(c, 10, &v) || v > 0xff)
			goto bad;
		out->ev.reason = (uint32_t)v;
		return;
	}
	if (accept(c, "Soft/INTn "))
		out->ev.flags |= NVMX_EV_F_SOFT;
	else if (!accept(c, "IRQ "))
		goto bad;
	if (!number(c, 16, &v) || v > 0xff)
		goto bad;
	out->ev.reason = (uint32_t)v;
	skip_spaces(c);
	if (accept(c, "[reinjected]"))
		out->ev.flags |= NVMX_EV_F_REINJECTED;
	return;
bad:
	malformed(out, "'IRQ|Soft/INTn 0xVECTOR[ [reinjected]]'");
}

/* The vector names kvm_inj_exception prints (kvm_trace_sym_exc of arch/x86/kvm/trace.h). */
static const char *const exception_names[32] = {
	[0] = "DE",  [1] = "DB",  [3] = "BP",  [4] = "OF",  [5] = "BR",	 [6] = "UD",
	[7] = "NM",  [8] = "DF",  [10] = "TS", [11] = "NP", [12] = "SS", [13] = "GP",
	[14] = "PF", [16] = "MF", [17] = "AC", [18] = "MC", [19] = "XM", [20] = "VE",
	[21] = "CP", [28] = "HV", [29] = "VC", [30] = "SX",
};

/* kvm_inj_exception: "#GP", "#PF (0x2)", "0x2", then " [reinjected]" (5.19+). */
static void parse_inj_exception(struct cur *c, struct nvmx_line *out)
{
	uint64_t v;
	size_t i;

	if (accept(c, "#")) {
		for (i = 0; i < 32; i++)
			if (exception_names[i] && accept(c, exception_names[i]))
				break;
		if (i == 32)
			goto bad;
		out->ev.reason = (uint32_t)i;
	} else if (number(c, 16, &v) && v < 256) {
		out->ev.reason = (uint32_t)v;
	} else {
		goto bad;
	}
	skip_spaces(c);
	if (accept(c, "(")) {
		if (!number(c, 16, &v) || v > 0xffffffffull || !accept(c, ")"))
			goto bad;
		out->ev.error_code = (uint32_t)v;
		out->ev.flags |= NVMX_EV_F_HAS_ERROR;
		skip_spaces(c);
	}
	if (accept(c, "[reinjected]"))
		out->ev.flags |= NVMX_EV_F_REINJECTED;
	return;
bad:
	malformed(out, "'#NAME|0xVECTOR[ (0xERROR)][ [reinjected]]'");
}

/* "... spsr_el2: 0x%08lx (M: MODE) hcr_el2: %lx": the mode bits of spsr_el2 and HCR_EL2 */
static bool spsr_and_hcr(struct cur *c, uint64_t *spsr, uint64_t *hcr)
{
	const char *p = find(c->p, c->end, "spsr_el2: ");
	const char *h;

	if (!p)
		return false;
	c->p = p + strlen("spsr_el2: ");
	if (!number(c, 16, spsr) || !(h = find(c->p, c->end, ") hcr_el2: ")))
		return false;
	c->p = h + strlen(") hcr_el2: ");
	return number(c, 16, hcr);
}

/* kvm_nested_eret: "elr_el2: 0x.. spsr_el2: 0x.. (M: EL1h) hcr_el2: .." */
static void parse_nested_eret(struct cur *c, struct nvmx_line *out)
{
	uint64_t elr, spsr, hcr;

	if (!accept(c, "elr_el2: ") || !number(c, 16, &elr) || !spsr_and_hcr(c, &spsr, &hcr)) {
		malformed(out, "'elr_el2: 0x.. spsr_el2: 0x.. (M: MODE) hcr_el2: ..'");
		return;
	}
	out->ev.isa = NVMX_ISA_ARM64;
	out->ev.info1 = spsr;
	out->ev.info2 = hcr;
	out->ev.value = elr;
}

/* The types kvm_inject_nested_exception prints (kvm_exception_type_names of kvm_emulate.h). */
static const struct {
	const char *name;
	uint32_t type;
} arm64_inject_types[] = {
	{ "SYNC: ", NVMX_ARM64_INJ_SYNC },
	{ "IRQ: ", NVMX_ARM64_INJ_IRQ },
	{ "FIQ: ", NVMX_ARM64_INJ_FIQ },
	{ "SERROR: ", NVMX_ARM64_INJ_SERROR },
};

/*
 * kvm_inject_nested_exception: "TYPE: esr_el2 0x.. elr_el2: 0x.. spsr_el2: 0x.. (M: MODE)
 * hcr_el2: ..", spsr_el2 the vCPU's PSTATE when the exception was taken (source_mode its M bits)
 */
static void parse_inject_nested(struct cur *c, struct nvmx_line *out)
{
	uint64_t esr, spsr, hcr;
	size_t i, n = sizeof(arm64_inject_types) / sizeof(arm64_inject_types[0]);

	for (i = 0; i < n; i++)
		if (accept(c, arm64_inject_types[i].name))
			break;
	if (i == n || !accept(c, "esr_el2 ") || !number(c, 16, &esr) ||
	    !spsr_and_hcr(c, &spsr, &hcr)) {
		malformed(out, "'SYNC|IRQ|FIQ|SERROR: esr_el2 0x.. elr_el2: 0x.. spsr_el2: 0x.. "
			       "(M: MODE) hcr_el2: ..'");
		return;
	}
	out->ev.isa = NVMX_ISA_ARM64;
	out->ev.reason = arm64_inject_types[i].type;
	out->ev.info1 = esr;
	out->ev.info2 = hcr;
	out->ev.intr_info = (uint32_t)(spsr & 0x1f);
}

/* kvm_forward_sysreg_trap (7.3): "PC R|W (Op0,Op1,CRn,CRm,Op2)" */
static void parse_forward_sysreg(struct cur *c, struct nvmx_line *out)
{
	uint64_t pc, f[5];

	if (!number(c, 16, &pc) || !accept(c, " "))
		goto bad;
	if (accept(c, "W"))
		out->ev.flags |= NVMX_EV_F_MSR_WRITE;
	else if (!accept(c, "R"))
		goto bad;
	if (!accept(c, " ("))
		goto bad;
	for (int i = 0; i < 5; i++)
		if (!number(c, 10, &f[i]) || !accept(c, i < 4 ? "," : ")"))
			goto bad;
	out->ev.isa = NVMX_ISA_ARM64;
	out->ev.value = pc;
	/* sys_reg(op0, op1, crn, crm, op2) of asm/sysreg.h: the fields at bits 19, 16, 12, 8, 5 */
	out->ev.msr =
		(uint32_t)((f[0] << 19) | (f[1] << 16) | (f[2] << 12) | (f[3] << 8) | (f[4] << 5));
	return;
bad:
	malformed(out, "'PC R|W (Op0,Op1,CRn,CRm,Op2)'");
}

static void parse_rip(struct cur *c, struct nvmx_line *out)
{
	uint64_t v;

	if (!accept(c, "rip: ") || !number(c, 16, &v))
		malformed(out, "'rip: 0x..'");
}

/* The events the model uses: how a line's body (parse) and a record's fields (fill) give one. */
static const struct {
	const char *name;
	uint32_t kind;
	void (*parse)(struct cur *c, struct nvmx_line *out); /* NULL: body not needed */
	nvmx_fields_fn *fill;				     /* NULL: no field needed */
} events[] = {
	{ "kvm_exit", NVMX_EV_EXIT, parse_exit, nvmx_fields_exit },
	{ "kvm_nested_vmexit", NVMX_EV_NESTED_VMEXIT, parse_exit, nvmx_fields_exit },
	{ "kvm_nested_vmexit_inject", NVMX_EV_NESTED_VMEXIT_INJECT, parse_inject,
	  nvmx_fields_exit },
	{ "kvm_nested_vmenter", NVMX_EV_NESTED_VMENTER, parse_vmenter, nvmx_fields_vmenter },
	{ "kvm_nested_vmenter_failed", NVMX_EV_NESTED_VMENTER_FAILED, NULL, NULL },
	{ "kvm_nested_intr_vmexit", NVMX_EV_NESTED_INTR_VMEXIT, parse_rip, NULL },
	{ "kvm_entry", NVMX_EV_ENTRY, parse_entry, nvmx_fields_entry },
	{ "kvm_userspace_exit", NVMX_EV_USERSPACE_EXIT, NULL, NULL },
	{ "kvm_msr", NVMX_EV_MSR, parse_msr, nvmx_fields_msr },
	{ "kvm_inj_virq", NVMX_EV_INJ_VIRQ, parse_inj_virq, nvmx_fields_inj_virq },
	{ "kvm_inj_exception", NVMX_EV_INJ_EXCEPTION, parse_inj_exception,
	  nvmx_fields_inj_exception },
	/* arm64 (trace_arm.h) */
	{ "kvm_nested_eret", NVMX_EV_NESTED_ERET, parse_nested_eret, nvmx_fields_nested_eret },
	{ "kvm_inject_nested_exception", NVMX_EV_INJECT_NESTED_EXC, parse_inject_nested,
	  nvmx_fields_inject_nested },
	{ "kvm_forward_sysreg_trap", NVMX_EV_FORWARD_SYSREG_TRAP, parse_forward_sysreg,
	  nvmx_fields_forward_sysreg },
	/* L2's RCX at an L2 exit, read by nvmxd's tp_btf program (include/nvmx/events.h) */
	{ "nvmx_guest_rcx", NVMX_EV_GUEST_RCX, parse_guest_rcx, NULL },
};

/* The index of the event NAME in events[], or -1: one the model does not use. */
static int event_index(const char *name, size_t name_len)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (strlen(events[i].name) == name_len && !memcmp(events[i].name, name, name_len))
			return (int)i;
	return -1;
}

void nvmx_event_from_fields(const char *name, size_t name_len, const struct nvmx_fields *f,
			    struct nvmx_line *out)
{
	int i = event_index(name, name_len);

	/* nvmx_guest_rcx is nvmxd's, never a kernel record's */
	if (i < 0 || events[i].kind == NVMX_EV_GUEST_RCX)
		return; /* an event the model does not use: skipped */
	out->type = NVMX_LINE_EVENT;
	out->ev.kind = events[i].kind;
	out->ev.vcpu_id = NVMX_EV_VCPU_ID_NONE;
	if (events[i].fill)
		events[i].fill(f, events[i].name, out);
}

/*
 * Lost-event markers: tracefs prints "CPU:%d [LOST %lu EVENTS]", trace-cmd report
 * "CPU:%d [%lld EVENTS DROPPED]" or "CPU:%d [EVENTS DROPPED]".
 */
static bool lost_marker(const char *line, size_t len, uint64_t *lost)
{
	const char *end = line + len;
	const char *p = find(line, end, "[LOST ");
	struct cur c;

	*lost = 0;
	if (p) {
		c = (struct cur){ p + strlen("[LOST "), end };
		(void)number(&c, 10, lost);
		return true;
	}
	p = find(line, end, "EVENTS DROPPED]");
	if (!p)
		return false;
	c = (struct cur){ line, p };
	p = find(line, p, "[");
	if (p) {
		c.p = p + 1;
		(void)number(&c, 10, lost);
	}
	return true;
}

/* Header lines trace-cmd report prints before the events. */
static bool trace_cmd_header(const char *line, size_t len)
{
	struct cur c = { line, line + len };

	if (accept(&c, "version = ") || accept(&c, "cpus="))
		return true;
	c.p = line;
	return accept(&c, "CPU ") && find(line, line + len, " is empty");
}

/* The " [NNN]" CPU field: the first one after the task name. */
static const char *cpu_field(const char *p, const char *end, const char **after)
{
	for (; p < end; p++) {
		const char *q;

		if (*p != '[' || (p > end - 3))
			continue;
		q = p + 1;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q > p + 1 && q < end && *q == ']') {
			*after = q + 1;
			return p;
		}
	}
	return NULL;
}

/* "(  TGID)" between '(' and ')': the number, or 0 for tracefs' "(-------)" (not known). */
static void tgid_field(const char *p, const char *end, uint32_t *tgid)
{
	struct cur c = { p, end };
	uint64_t v;

	skip_spaces(&c);
	if (number(&c, 10, &v) && at_end(&c) && v <= 0xffffffffull)
		*tgid = (uint32_t)v;
}

/* "SSSS.fffffffff" followed by ':' into ns; up to 9 fraction digits (trace-cmd -t / -N). */
static bool timestamp(struct cur *c, uint64_t *ns)
{
	uint64_t sec, frac = 0;
	int digits = 0;

	if (!number(c, 10, &sec) || !accept(c, "."))
		return false;
	while (!at_end(c) && *c->p >= '0' && *c->p <= '9') {
		if (++digits > 9)
			return false;
		frac = frac * 10 + (uint64_t)(*c->p++ - '0');
	}
	if (!digits || !accept(c, ":"))
		return false;
	for (; digits < 9; digits++)
		frac *= 10;
	if (sec > (UINT64_MAX - frac) / 1000000000ull)
		return false;
	*ns = sec * 1000000000ull + frac;
	return true;
}

/* "name=value ..." of perf script's "[FAILED TO PARSE]" body: values decimal or 0x-hex */
static bool raw_field(void *ctx, const char *name, uint64_t *v)
{
	const struct cur *body = ctx;
	struct cur c = *body;
	size_t n = strlen(name);

	while (skip_spaces(&c), !at_end(&c)) {
		const char *k;
		size_t kl = token(&c, &k);

		if (kl > n && k[n] == '=' && !memcmp(k, name, n)) {
			struct cur val = { k + n + 1, k + kl };
			bool hex = kl - n - 1 > 2 && val.p[0] == '0' && val.p[1] == 'x';

			return number(&val, hex ? 16 : 10, v) && at_end(&val);
		}
	}
	return false;
}

/* An event line's TASK (its first NVMX_LINE_TASK_LEN bytes) and process (0: not said). */
static void set_task(struct nvmx_line *out, const char *task, size_t len, uint32_t tgid)
{
	if (out->type != NVMX_LINE_EVENT)
		return;
	if (len > NVMX_LINE_TASK_LEN)
		len = NVMX_LINE_TASK_LEN;
	memcpy(out->task, task, len);
	out->task[len] = '\0';
	out->tgid = tgid;
}

/* The event NAME (its TP name, without a system) with its BODY at c, from thread pid at ts. */
static void parse_event(const char *name, size_t name_len, struct cur *c, uint64_t pid, uint64_t ts,
			struct nvmx_line *out)
{
	int i;

	skip_spaces(c);
	/*
	 * perf script prints the raw fields of an event whose print format its libtraceevent
	 * cannot parse (perf 6.1 and 6.12's kvm_inj_exception): read them by name
	 */
	if (accept(c, "[FAILED TO PARSE]")) {
		struct nvmx_fields f = { raw_field, c };

		nvmx_event_from_fields(name, name_len, &f, out);
		out->ev.tid = (uint32_t)pid;
		out->ev.ts_ns = ts;
		return;
	}
	i = event_index(name, name_len);
	if (i < 0)
		return; /* an event the model does not use: a valid line, skipped */
	out->type = NVMX_LINE_EVENT;
	out->ev.kind = events[i].kind;
	out->ev.tid = (uint32_t)pid;
	out->ev.ts_ns = ts;
	out->ev.vcpu_id = NVMX_EV_VCPU_ID_NONE;
	if (events[i].parse)
		events[i].parse(c, out);
	if (out->type == NVMX_LINE_MALFORMED) {
		char what[sizeof(out->expected)];

		snprintf(what, sizeof(what), "%s", out->expected);
		snprintf(out->expected, sizeof(out->expected), "%s body %.120s", events[i].name,
			 what);
	}
}

/*
 * `perf script` (linux-perf, default fields of a tracepoint): "COMM TID [CPU] SECS.FRAC:
 * SYS:EVENT: BODY", COMM right-aligned and possibly with spaces ("CPU 0/KVM"), TID "PID/TID"
 * with -F pid,tid, SECS.FRAC in microseconds (--ns: nanoseconds). Returns false, with nothing
 * set, when the line is not of this grammar up to "SYS:EVENT:"; true with out filled otherwise.
 */
static bool parse_perf(const char *line, const char *end, struct nvmx_line *out)
{
	const char *cpu, *after, *t, *s, *sys, *name, *colon;
	struct cur c;
	uint64_t pid, tid, ts;
	bool has_pid;

	cpu = cpu_field(line, end, &after);
	if (!cpu)
		return false;
	t = cpu;
	while (t > line && t[-1] == ' ')
		t--;
	s = t;
	while (s > line && s[-1] != ' ')
		s--;
	c = (struct cur){ s, t };
	if (!number(&c, 10, &pid) || pid > 0xffffffffull)
		return false;
	tid = pid;
	has_pid = accept(&c, "/");
	if (has_pid && (!number(&c, 10, &tid) || tid > 0xffffffffull))
		return false;
	if (!at_end(&c))
		return false;
	c = (struct cur){ after, end };
	skip_spaces(&c);
	if (!timestamp(&c, &ts))
		return false;
	skip_spaces(&c);
	sys = c.p;
	while (c.p < end && *c.p != ' ' && *c.p != ':')
		c.p++;
	if (c.p == sys || !accept(&c, ":"))
		return false;
	name = c.p;
	while (c.p < end && *c.p != ' ' && *c.p != ':')
		c.p++;
	colon = c.p;
	if (colon == name || !accept(&c, ":"))
		return false;
	if ((size_t)(name - 1 - sys) == strlen("kvm") && !memcmp(sys, "kvm", strlen("kvm"))) {
		parse_event(name, (size_t)(colon - name), &c, tid, ts, out);
		/* COMM before the TID, right-aligned; the process only with -F pid,tid */
		while (s > line && s[-1] == ' ')
			s--;
		while (line < s && *line == ' ')
			line++;
		set_task(out, line, (size_t)(s - line), has_pid ? (uint32_t)pid : 0);
	}
	return true;
}

/* perf script --show-lost-events: "... PERF_RECORD_LOST lost N" (and LOST_SAMPLES). */
static bool perf_record_line(const char *line, const char *end, struct nvmx_line *out)
{
	const char *p = find(line, end, "PERF_RECORD_");
	struct cur c;

	if (!p)
		return false;
	p += strlen("PERF_RECORD_");
	if (end - p >= 4 && !memcmp(p, "LOST", 4)) {
		const char *l = find(p, end, " lost ");

		out->type = NVMX_LINE_LOST;
		if (l) {
			c = (struct cur){ l + strlen(" lost "), end };
			(void)number(&c, 10, &out->lost);
		}
	}
	/* other side-band records (COMM, MMAP, ...) are not events */
	return true;
}

void nvmx_parse_line(const char *line, size_t len, struct nvmx_line *out)
{
	enum nvmx_text_format fmt = NVMX_TEXT_FTRACE;

	nvmx_parse_line_as(line, len, &fmt, out);
}

void nvmx_parse_line_as(const char *line, size_t len, enum nvmx_text_format *fmt,
			struct nvmx_line *out)
{
	const char *end, *cpu, *after, *dash, *name, *task = NULL;
	struct cur c;
	uint64_t pid, a, b;
	size_t name_len, task_len = 0;
	uint32_t tgid = 0;

	memset(out, 0, sizeof(*out));
	out->type = NVMX_LINE_SKIP;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	end = line + len;
	c = (struct cur){ line, end };
	skip_spaces(&c);
	if (at_end(&c))
		return;
	if (*c.p == '#') {
		const char *p = find(c.p, end, "entries-in-buffer/entries-written:");

		if (p && *fmt != NVMX_TEXT_PERF) {
			c.p = p + strlen("entries-in-buffer/entries-written:");
			skip_spaces(&c);
			if (!number(&c, 10, &a) || !accept(&c, "/") || !number(&c, 10, &b)) {
				malformed(out, "'# entries-in-buffer/entries-written: A/B'");
				return;
			}
			out->type = NVMX_LINE_ENTRIES;
			out->lost = b > a ? b - a : 0;
		}
		return;
	}
	if (*fmt == NVMX_TEXT_PERF) {
		if (!perf_record_line(c.p, end, out) && !parse_perf(c.p, end, out))
			malformed(out, "a perf script line 'COMM TID [CPU] SECONDS.FRACTION: "
				       "SYSTEM:EVENT: BODY'");
		return;
	}
	if (*fmt == NVMX_TEXT_UNKNOWN) {
		/* the first line of either grammar decides for the whole file */
		if (perf_record_line(c.p, end, out) || parse_perf(c.p, end, out)) {
			*fmt = NVMX_TEXT_PERF;
			return;
		}
	}
	if (lost_marker(c.p, (size_t)(end - c.p), &out->lost)) {
		out->type = NVMX_LINE_LOST;
		*fmt = NVMX_TEXT_FTRACE;
		return;
	}
	if (trace_cmd_header(c.p, (size_t)(end - c.p)))
		return;

	cpu = cpu_field(c.p, end, &after);
	if (!cpu) {
		malformed(out, "a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'");
		return;
	}
	/*
	 * TASK-PID: the task name may contain spaces and dashes; the pid is the digits after the
	 * last '-' before the CPU field (tracefs may put "(TGID)" between them).
	 */
	{
		const char *t = cpu;

		const char *close = NULL;

		while (t > c.p && t[-1] == ' ')
			t--;
		if (t > c.p && t[-1] == ')') {
			close = t - 1;
			while (t > c.p && t[-1] != '(')
				t--;
			tgid_field(t, close, &tgid);
			if (t > c.p)
				t--;
			while (t > c.p && t[-1] == ' ')
				t--;
		}
		dash = t;
		while (dash > c.p && dash[-1] != '-')
			dash--;
		if (dash == c.p) {
			malformed(out, "'TASK-PID' before the [CPU] field");
			return;
		}
		task = c.p;
		task_len = (size_t)(dash - 1 - c.p);
		c = (struct cur){ dash, t };
		if (!number(&c, 10, &pid) || !at_end(&c) || pid > 0xffffffffull) {
			malformed(out, "'TASK-PID' before the [CPU] field");
			return;
		}
	}
	c = (struct cur){ after, end };
	skip_spaces(&c);
	/* an optional flags column ("d..1.") precedes the timestamp */
	{
		struct cur t = c;
		uint64_t ts;

		if (!timestamp(&t, &ts)) {
			const char *tok;

			token(&c, &tok);
			skip_spaces(&c);
			t = c;
			if (!timestamp(&t, &ts)) {
				malformed(out, "a timestamp 'SECONDS.FRACTION:' after [CPU]");
				return;
			}
		}
		out->ev.ts_ns = ts;
		c = t;
	}
	skip_spaces(&c);
	name = c.p;
	while (c.p < end && *c.p != ':' && *c.p != ' ')
		c.p++;
	name_len = (size_t)(c.p - name);
	if (!name_len || !accept(&c, ":")) {
		malformed(out, "'EVENT:' after the timestamp");
		return;
	}
	*fmt = NVMX_TEXT_FTRACE;
	parse_event(name, name_len, &c, pid, out->ev.ts_ns, out);
	set_task(out, task, task_len, tgid);
}
