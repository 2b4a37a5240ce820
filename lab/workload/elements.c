// SPDX-License-Identifier: GPL-2.0
/*
 * The workload elements, SPEC parsing, and the counts a run makes certain (truth.json).
 *
 * The truth is computed from the workload and from L0's configuration, never observed: it is
 * what the L1 and L2 code of this program do, exit by exit. The run then checks that L1 and the
 * VMM saw exactly that (main.c), so a truth.json exists only for a run that kept its promise.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/svm.h>
#include <asm/vmx.h>

#include "nvmx/summary.h"
#include "nvmx/breakdown.h"
#include "vmcs.h"
#include "workload.h"

const struct wl_element_info wl_elements[WL_NR_ELEMENTS] = {
	[WL_CPUID] = { "cpuid", "L2 executes CPUID; L1 intercepts it",
		       "l2_exits cpuid handled_by L1 +1" },
	[WL_VMMCALL] = { "vmmcall", "L2 executes VMMCALL; L1 intercepts it",
			 "l2_exits hypercall handled_by L1 +1" },
	[WL_HLT] = { "hlt", "L2 executes HLT; L1 intercepts it", "l2_exits hlt handled_by L1 +1" },
	[WL_IO_IN_L1] = { "io-in-l1", "L2 reads port 0x80, which L1's IOPM intercepts",
			  "l2_exits io handled_by L1 +1; ports 0x80 in L1 +1" },
	[WL_IO_OUT_L1] = { "io-out-l1", "L2 writes port 0x80, which L1's IOPM intercepts",
			   "l2_exits io handled_by L1 +1; ports 0x80 out L1 +1" },
	[WL_IO_IN_L0] = { "io-in-l0",
			  "L2 reads port 0x81, outside L1's IOPM: L0 handles it, exiting to the "
			  "VMM",
			  "l2_exits io handled_by L0 +1; ports 0x81 in L0 +1" },
	[WL_IO_OUT_L0] = { "io-out-l0",
			   "L2 writes port 0x81, outside L1's IOPM: L0 handles it, exiting to the "
			   "VMM",
			   "l2_exits io handled_by L0 +1; ports 0x81 out L0 +1" },
	[WL_RDMSR_L1] = { "rdmsr-l1", "L2 reads MSR 0x174, which L1's MSRPM intercepts",
			  "l2_exits msr handled_by L1 +1; msrs 0x174 read L1 +1" },
	[WL_WRMSR_L1] = { "wrmsr-l1", "L2 writes MSR 0x174, which L1's MSRPM intercepts",
			  "l2_exits msr handled_by L1 +1; msrs 0x174 write L1 +1" },
	[WL_RDMSR_L0] = { "rdmsr-l0",
			  "L2 reads MSR 0x1b (APIC base): L0 intercepts it, L1 does not",
			  "l2_exits msr handled_by L0 +1; msrs 0x1b read L0 +1" },
	[WL_WRMSR_L0] = { "wrmsr-l0",
			  "L2 writes MSR 0x79 (microcode update trigger, ignored by KVM): L0 "
			  "intercepts it, L1 does not",
			  "l2_exits msr handled_by L0 +1; msrs 0x79 write L0 +1" },
	[WL_INTR] = { "intr",
		      "L2 writes port 0x82 (L0 exits to the VMM), the VMM sends an MSI to L1, and "
		      "L0 synthesises an interrupt exit to L1, which takes it (STGI, EOI, CLGI)",
		      "l2_exits io handled_by L0 +1; ports 0x82 out L0 +1; synthesized_to_l1 "
		      "interrupt +1; l1_exits msr +1 (EOI), stgi +1 and clgi +1 (without vGIF)" },
	[WL_VECTORING] = { "vectoring",
			   "L2 executes INT 0x21 beyond its IDT's limit (empty, or #DE only with "
			   "reinject): the #GP raised during its delivery exits to L1 (which "
			   "intercepts #GP) with EXITINTINFO valid",
			   "l2_exits \"GP excp\" handled_by L1 +1" },
	[WL_REINJECT] = { "reinject",
			  "L2 divides by zero with RSP at the top of a page nothing has touched: "
			  "the #DE's first push faults in L0's nested page tables (NPF, handled "
			  "by L0, EXITINTINFO #DE) and L0 reinjects the #DE into L2 (SVM only)",
			  "vectoring hw_exception 0x0 reinjected_l2 +1 (the NPF exits are L0's, "
			  "not certain)" },
};

static const char mult_name[] = "mult";
static const char l1_ept_name[] = "l1-ept";

int wl_spec_parse(const char *text, struct wl_spec *spec, char *err, size_t errlen)
{
	char *copy, *save = NULL, *tok;
	int r = 0;

	memset(spec, 0, sizeof(*spec));
	if (!text || !*text) {
		snprintf(err, errlen, "empty workload: name at least one element (see --list)");
		return -EINVAL;
	}
	copy = strdup(text);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *eq = strchr(tok, '=');
		int found = -1;

		if (eq && (size_t)(eq - tok) == strlen(mult_name) &&
		    !strncmp(tok, mult_name, strlen(mult_name))) {
			char *end;
			unsigned long k = strtoul(eq + 1, &end, 10);

			if (!eq[1] || *end || k > 1000) {
				snprintf(err, errlen,
					 "'%s': mult takes a whole number of L1 operations per "
					 "reflected exit, 0 to 1000",
					 tok);
				r = -EINVAL;
				break;
			}
			if (spec->has_mult) {
				snprintf(err, errlen, "'%s': mult is given twice", tok);
				r = -EINVAL;
				break;
			}
			spec->mult = (uint32_t)k;
			spec->has_mult = true;
			continue;
		}
		if (!strcmp(tok, l1_ept_name)) {
			if (spec->l1_ept) {
				snprintf(err, errlen, "'%s' is given twice", tok);
				r = -EINVAL;
				break;
			}
			spec->l1_ept = true;
			continue;
		}
		for (int e = 0; e < WL_NR_ELEMENTS; e++)
			if (!strcmp(tok, wl_elements[e].name))
				found = e;
		if (found < 0) {
			snprintf(err, errlen,
				 "unknown workload element '%s' (the elements: nvmx lab "
				 "workloads)",
				 tok);
			r = -EINVAL;
			break;
		}
		if (spec->elements & WL_BIT(found)) {
			snprintf(err, errlen, "workload element '%s' is given twice", tok);
			r = -EINVAL;
			break;
		}
		spec->elements |= WL_BIT(found);
	}
	free(copy);
	if (!r && !spec->elements) {
		snprintf(err, errlen, "workload '%s' has no L2 element: mult alone does nothing",
			 text);
		r = -EINVAL;
	}
	return r;
}

static uint64_t has(const struct wl_spec *spec, enum wl_element e)
{
	return (spec->elements & WL_BIT(e)) ? 1 : 0;
}

/*
 * The ports and MSRs of L2's exits, the same on both ISAs: every element's port or MSR, n times
 * (iterations x vCPUs). Returns 0 or -ENOMEM.
 */
static int truth_ports_msrs(const struct wl_spec *spec, uint32_t isa, uint64_t n,
			    struct nvmx_summary *t)
{
	const struct {
		enum wl_element e;
		uint16_t port;
		bool in;
		enum nvmx_handler by;
	} ports[] = {
		{ WL_IO_IN_L1, WL_PORT_L1, true, NVMX_HANDLED_BY_L1 },
		{ WL_IO_OUT_L1, WL_PORT_L1, false, NVMX_HANDLED_BY_L1 },
		{ WL_IO_IN_L0, WL_PORT_L0, true, NVMX_HANDLED_BY_L0 },
		{ WL_IO_OUT_L0, WL_PORT_L0, false, NVMX_HANDLED_BY_L0 },
		{ WL_INTR, WL_PORT_KICK, false, NVMX_HANDLED_BY_L0 },
	};
	const struct {
		enum wl_element e;
		uint32_t msr;
		bool write;
		enum nvmx_handler by;
	} msrs[] = {
		{ WL_RDMSR_L1, WL_MSR_L1, false, NVMX_HANDLED_BY_L1 },
		{ WL_WRMSR_L1, WL_MSR_L1, true, NVMX_HANDLED_BY_L1 },
		{ WL_RDMSR_L0, WL_MSR_L0_READ, false, NVMX_HANDLED_BY_L0 },
		{ WL_WRMSR_L0, WL_MSR_L0_WRITE, true, NVMX_HANDLED_BY_L0 },
	};
	int r = 0;

	for (size_t i = 0; !r && i < sizeof(ports) / sizeof(ports[0]); i++)
		r = nvmx_summary_add_port(t, isa, ports[i].port, ports[i].in, 1, ports[i].by,
					  n * has(spec, ports[i].e));
	for (size_t i = 0; !r && i < sizeof(msrs) / sizeof(msrs[0]); i++)
		r = nvmx_summary_add_msr(t, isa, msrs[i].msr, msrs[i].write, msrs[i].by,
					 n * has(spec, msrs[i].e));
	return r;
}

/*
 * L1's own MSR and port exits (the bitmap advisor's "L1 exit" rows): the end of the run on
 * WL_PORT_L1_DONE per vCPU, SVM's VM_HSAVE_PA per vCPU, and with intr the x2APIC set-up (APIC
 * base read and write, SVR) per vCPU and one EOI per interrupt (n). Returns 0 or -ENOMEM.
 */
static int truth_l1_own(const struct wl_spec *spec, uint32_t isa, uint64_t n, uint32_t vcpus,
			struct nvmx_summary *t)
{
	const uint64_t intr = has(spec, WL_INTR);
	const struct {
		uint32_t msr;
		bool write;
		uint64_t count;
	} msrs[] = {
		{ WL_MSR_VM_HSAVE_PA, true, isa == NVMX_ISA_SVM ? vcpus : 0 },
		{ 0x1b, false, vcpus * intr },
		{ 0x1b, true, vcpus * intr },
		{ WL_MSR_X2APIC_SVR, true, vcpus * intr },
		{ WL_MSR_X2APIC_EOI, true, n * intr },
	};
	int r = nvmx_summary_add_port(t, isa, WL_PORT_L1_DONE, false, 1, NVMX_HANDLED_BY_NONE,
				      vcpus);

	for (size_t i = 0; !r && i < sizeof(msrs) / sizeof(msrs[0]); i++)
		r = nvmx_summary_add_msr(t, isa, msrs[i].msr, msrs[i].write, NVMX_HANDLED_BY_NONE,
					 msrs[i].count);
	return r;
}

int wl_truth_svm(const struct wl_spec *spec, uint64_t iterations, uint32_t vcpus,
		 const struct wl_l0_config *l0, struct nvmx_summary *t)
{
	const uint32_t isa = NVMX_ISA_SVM;
	const uint64_t n = iterations * vcpus;
	const uint64_t reflected = (uint64_t)__builtin_popcount(spec->elements & WL_REFLECTED_MASK);
	const uint64_t intr = has(spec, WL_INTR);
	/* L1 enters L2 once, then again after every exit it handles but the final VMMCALL. */
	const uint64_t vmruns = vcpus + n * (reflected + intr);
	int r = 0;

#define L2(reason, by, count) \
	r = r ? r : nvmx_summary_add_exit(t, NVMX_KIND_L2_EXIT, isa, reason, by, count)
#define L1X(reason, count)                                                                     \
	r = r ? r                                                                              \
	      : nvmx_summary_add_exit(t, NVMX_KIND_L1_EXIT, isa, reason, NVMX_HANDLED_BY_NONE, \
				      count)

	L2(SVM_EXIT_CPUID, NVMX_HANDLED_BY_L1, n * has(spec, WL_CPUID));
	/* + the VMMCALL that ends each vCPU's run */
	L2(SVM_EXIT_VMMCALL, NVMX_HANDLED_BY_L1, n * has(spec, WL_VMMCALL) + vcpus);
	L2(SVM_EXIT_HLT, NVMX_HANDLED_BY_L1, n * has(spec, WL_HLT));
	L2(SVM_EXIT_IOIO, NVMX_HANDLED_BY_L1,
	   n * (has(spec, WL_IO_IN_L1) + has(spec, WL_IO_OUT_L1)));
	L2(SVM_EXIT_IOIO, NVMX_HANDLED_BY_L0,
	   n * (has(spec, WL_IO_IN_L0) + has(spec, WL_IO_OUT_L0) + intr));
	L2(SVM_EXIT_MSR, NVMX_HANDLED_BY_L1, n * (has(spec, WL_RDMSR_L1) + has(spec, WL_WRMSR_L1)));
	L2(SVM_EXIT_MSR, NVMX_HANDLED_BY_L0, n * (has(spec, WL_RDMSR_L0) + has(spec, WL_WRMSR_L0)));
	L2(SVM_EXIT_EXCP_BASE + 13, NVMX_HANDLED_BY_L1, n * has(spec, WL_VECTORING));
	/* that #GP interrupted the INT's delivery: EXITINTINFO goes to L1 in vmcb12 */
	if (!r)
		r = nvmx_summary_add_vectoring(t, isa, NVMX_VEC_SW_INTERRUPT, WL_SOFTINT_VECTOR,
					       NVMX_VEC_HANDED_TO_L1, n * has(spec, WL_VECTORING));
	/*
	 * reinject: the #DE's delivery faults on a fresh page; the NPF is L0's
	 * (nested_svm_exit_special) and svm_complete_interrupts queues the #DE again, which
	 * kvm_inject_exception traces with [reinjected] before L0 enters L2.
	 */
	if (!r)
		r = nvmx_summary_add_vectoring(t, isa, NVMX_VEC_HW_EXCEPTION, WL_REINJECT_VECTOR,
					       NVMX_VEC_REINJECTED_L2, n * has(spec, WL_REINJECT));
	if (!r && intr)
		r = nvmx_summary_add_exit(t, NVMX_KIND_SYNTHESIZED_TO_L1, isa, SVM_EXIT_INTR,
					  NVMX_HANDLED_BY_NONE, n);

	L1X(SVM_EXIT_VMRUN, vmruns);
	L1X(SVM_EXIT_CPUID, n * reflected * spec->mult);
	/* VM_HSAVE_PA; with intr also APIC base read and write, SVR, and one EOI per interrupt */
	L1X(SVM_EXIT_MSR, vcpus * (1 + 3 * intr) + n * intr);
	if (!l0->vgif) {
		L1X(SVM_EXIT_STGI, n * intr);
		L1X(SVM_EXIT_CLGI, n * intr);
	}
	L1X(SVM_EXIT_IOIO, vcpus); /* L1 reports the end on WL_PORT_L1_DONE */

	r = r ? r : truth_ports_msrs(spec, isa, n, t);
	r = r ? r : truth_l1_own(spec, isa, n, vcpus, t);
#undef L2
#undef L1X
	if (!r)
		nvmx_summary_add_nested_entries(t, vmruns);
	return r;
}

void wl_vmx_plan(bool l1_ept, bool shadow_vmcs, struct wl_vmx_plan *p)
{
	static const uint32_t setup[] = { WL_VMX_SETUP_FIELDS };
	static const uint32_t ept[] = { WL_VMX_EPT_FIELDS };
	static const uint32_t reads[] = { WL_VMX_EXIT_READS };
	static const uint32_t writes[] = { WL_VMX_REFLECTED_WRITES };

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
		p->setup_vmwrites++;
		p->setup_vmwrite_exits += wl_vmwrite_exits(setup[i], shadow_vmcs);
	}
	for (size_t i = 0; l1_ept && i < sizeof(ept) / sizeof(ept[0]); i++) {
		p->setup_vmwrites++;
		p->setup_vmwrite_exits += wl_vmwrite_exits(ept[i], shadow_vmcs);
	}
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		p->exit_vmreads++;
		p->exit_vmread_exits += wl_vmread_exits(reads[i], shadow_vmcs);
	}
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		p->reflected_vmwrites++;
		p->reflected_vmwrite_exits += wl_vmwrite_exits(writes[i], shadow_vmcs);
	}
}

int wl_truth_vmx(const struct wl_spec *spec, uint64_t iterations, uint32_t vcpus,
		 const struct wl_l0_config *l0, struct nvmx_summary *t)
{
	const uint32_t isa = NVMX_ISA_VMX;
	const uint64_t n = iterations * vcpus;
	const uint64_t reflected = (uint64_t)__builtin_popcount(spec->elements & WL_REFLECTED_MASK);
	const uint64_t intr = has(spec, WL_INTR);
	/* Exits L1 handles: every reflected one, every interrupt, and the final VMCALL. */
	const uint64_t handled = vcpus + n * (reflected + intr);
	struct wl_vmx_plan plan;
	int r = 0;

	wl_vmx_plan(spec->l1_ept, l0->shadow_vmcs, &plan);
#define L2(reason, by, count) \
	r = r ? r : nvmx_summary_add_exit(t, NVMX_KIND_L2_EXIT, isa, reason, by, count)
#define L1X(reason, count)                                                                     \
	r = r ? r                                                                              \
	      : nvmx_summary_add_exit(t, NVMX_KIND_L1_EXIT, isa, reason, NVMX_HANDLED_BY_NONE, \
				      count)

	L2(EXIT_REASON_CPUID, NVMX_HANDLED_BY_L1, n * has(spec, WL_CPUID));
	/* + the VMCALL that ends each vCPU's run */
	L2(EXIT_REASON_VMCALL, NVMX_HANDLED_BY_L1, n * has(spec, WL_VMMCALL) + vcpus);
	L2(EXIT_REASON_HLT, NVMX_HANDLED_BY_L1, n * has(spec, WL_HLT));
	L2(EXIT_REASON_IO_INSTRUCTION, NVMX_HANDLED_BY_L1,
	   n * (has(spec, WL_IO_IN_L1) + has(spec, WL_IO_OUT_L1)));
	/* KVM runs L2 with unconditional I/O exiting: L0 reads L1's bitmaps for every port. */
	L2(EXIT_REASON_IO_INSTRUCTION, NVMX_HANDLED_BY_L0,
	   n * (has(spec, WL_IO_IN_L0) + has(spec, WL_IO_OUT_L0) + intr));
	L2(EXIT_REASON_MSR_READ, NVMX_HANDLED_BY_L1, n * has(spec, WL_RDMSR_L1));
	L2(EXIT_REASON_MSR_WRITE, NVMX_HANDLED_BY_L1, n * has(spec, WL_WRMSR_L1));
	L2(EXIT_REASON_MSR_READ, NVMX_HANDLED_BY_L0, n * has(spec, WL_RDMSR_L0));
	L2(EXIT_REASON_MSR_WRITE, NVMX_HANDLED_BY_L0, n * has(spec, WL_WRMSR_L0));
	/* All exceptions share EXCEPTION_NMI, so nvmx counts it as not certain; listed anyway. */
	L2(EXIT_REASON_EXCEPTION_NMI, NVMX_HANDLED_BY_L1, n * has(spec, WL_VECTORING));
	/* that #GP interrupted the INT's delivery: IDT-vectoring info goes to L1 in vmcs12 */
	if (!r)
		r = nvmx_summary_add_vectoring(t, isa, NVMX_VEC_SW_INTERRUPT, WL_SOFTINT_VECTOR,
					       NVMX_VEC_HANDED_TO_L1, n * has(spec, WL_VECTORING));
	/* On VMX this shows only as an inject (kvm_nested_intr_vmexit is SVM's). */
	if (!r && intr)
		r = nvmx_summary_add_exit(t, NVMX_KIND_SYNTHESIZED_TO_L1, isa,
					  EXIT_REASON_EXTERNAL_INTERRUPT, NVMX_HANDLED_BY_NONE, n);

	L1X(EXIT_REASON_VMON, vcpus);
	L1X(EXIT_REASON_VMCLEAR, vcpus);
	L1X(EXIT_REASON_VMPTRLD, vcpus);
	L1X(EXIT_REASON_VMLAUNCH, vcpus);
	L1X(EXIT_REASON_VMRESUME, handled - vcpus);
	/* Exit multiplication: the VMREAD/VMWRITEs the shadow VMCS does not cover. */
	L1X(EXIT_REASON_VMWRITE,
	    vcpus * plan.setup_vmwrite_exits + n * reflected * plan.reflected_vmwrite_exits);
	L1X(EXIT_REASON_VMREAD, handled * plan.exit_vmread_exits);
	L1X(EXIT_REASON_CPUID, n * reflected * spec->mult);
	/* with intr: APIC base read, APIC base and SVR writes, one EOI per interrupt */
	L1X(EXIT_REASON_MSR_READ, vcpus * intr);
	L1X(EXIT_REASON_MSR_WRITE, vcpus * 2 * intr + n * intr);
	L1X(EXIT_REASON_IO_INSTRUCTION, vcpus); /* L1 reports the end on WL_PORT_L1_DONE */

	r = r ? r : truth_ports_msrs(spec, isa, n, t);
	r = r ? r : truth_l1_own(spec, isa, n, vcpus, t);
#undef L2
#undef L1X
	if (!r)
		nvmx_summary_add_nested_entries(t, handled);
	return r;
}
