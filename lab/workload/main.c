// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx-lab-workload: runs a nested workload (L1 hypervisor + L2 loop) on this machine's KVM and
 * writes the exact counts it makes certain. Runs in the lab's emulated L0, or on any AMD host
 * with kvm_amd nested=1 (--isa svm) or Intel host with kvm_intel nested=1 (--isa vmx).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvmx/cmdline.h"
#include "nvmx/summary.h"
#include "layout.h"
#include "vmm.h"
#include "workload.h"

enum { EXIT_OK = 0, EXIT_CANNOT_RUN = 2, EXIT_BROKEN = 3 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx-lab-workload [--isa svm|vmx] --workload SPEC --iterations N [--vcpus "
		"V]\n"
		"                         --truth FILE\n"
		"       nvmx-lab-workload --list\n"
		"       nvmx-lab-workload --check SPEC\n"
		"\n"
		"Runs a minimal L1 hypervisor on this machine's KVM (nested SVM: kvm_amd "
		"nested=1,\n"
		"or nested VMX: kvm_intel nested=1) whose L2 runs SPEC N times, then writes to "
		"FILE\n"
		"the exit counts the run\n"
		"makes certain, in nvmx's JSON schema: compare them with what nvmx observed\n"
		"(nvmx replay --json on a tracefs capture of the run).\n"
		"\n"
		"  --workload SPEC   comma-separated elements, e.g. cpuid,io-out-l0,mult=3 "
		"(--list)\n"
		"  --iterations N    how many times L2 runs every element (default 1000)\n"
		"  --vcpus V         vCPUs, each its own L1/L2 pair, 1 to %d (default 1)\n"
		"  --truth FILE      where the certain counts go (JSON)\n"
		"  --isa svm|vmx     the L1 hypervisor: AMD SVM (default) or Intel VMX\n"
		"  --timeout S       give up after S seconds (default 600)\n"
		"  --list            print the elements: name, meaning, certain counts per "
		"iteration\n"
		"  --check SPEC      validate SPEC and exit\n"
		"\n"
		"Exit status: 0 the run kept its promise and FILE was written; 2 this machine "
		"cannot\n"
		"run it (no /dev/kvm, no nested SVM, bad arguments); 3 the run failed or L1 saw\n"
		"something other than planned (a bug of this program or of KVM: details on "
		"stderr).\n",
		WL_MAX_VCPUS);
	fputs("\n--help: this text; --version: the version of nvmx it comes with.\n", f);
}

static void list_elements(void)
{
	for (int e = 0; e < WL_NR_ELEMENTS; e++)
		printf("%s\t%s\t%s\n", wl_elements[e].name, wl_elements[e].meaning,
		       wl_elements[e].certain);
	printf("mult=K\tL1 executes K CPUIDs (each an L1 exit) while handling every reflected "
	       "exit it resumes from: exit multiplication\tl1_exits cpuid +K per reflected exit\n");
	printf("l1-ept\tVMX only: L1 runs L2 with an EPT (1 GiB 1:1); needs kvm_intel ept=1\t"
	       "l1_exits vmwrite +2 per vCPU (SECONDARY_VM_EXEC_CONTROL, EPT_POINTER)\n");
}

/* A boolean parameter of L0's KVM vendor module as L0 has it ("Y"/"N" or "1"/"0"). */
static int read_bool_param(const char *module, const char *name, bool *value)
{
	char path[128], buf[8] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	*value = buf[0] == 'Y' || buf[0] == '1';
	return 0;
}

static int check_spec_isa(const struct wl_run_config *cfg, char *err, size_t errlen)
{
	if (cfg->spec.l1_ept && cfg->isa != NVMX_ISA_VMX) {
		snprintf(err, errlen, "l1-ept is for the VMX L1 (--isa vmx) only");
		return -EINVAL;
	}
	if ((cfg->spec.elements & WL_BIT(WL_REINJECT)) && cfg->isa != NVMX_ISA_SVM) {
		snprintf(err, errlen, "reinject is for the SVM L1 (--isa svm) only");
		return -EINVAL;
	}
	return 0;
}

/* reinject takes one fresh slot per iteration and vCPU, below WL_REINJECT_END. */
static int check_reinject_room(const struct wl_run_config *cfg, char *err, size_t errlen)
{
	const uint64_t slots = (WL_REINJECT_END - WL_REINJECT_BASE) / WL_REINJECT_STRIDE;

	if (!(cfg->spec.elements & WL_BIT(WL_REINJECT)) || cfg->iterations * cfg->vcpus <= slots)
		return 0;
	snprintf(err, errlen,
		 "reinject takes a fresh page per iteration and vCPU: at most %llu iterations x "
		 "vCPUs, not %llu",
		 (unsigned long long)slots, (unsigned long long)(cfg->iterations * cfg->vcpus));
	return -EINVAL;
}

struct expectation {
	const char *what;
	uint64_t seen, planned;
};

/* Did L1 and the VMM see exactly what the plan says? Prints every difference. */
static int check_run(const struct wl_run_config *cfg, const struct wl_run_result *res)
{
	const struct wl_spec *s = &cfg->spec;
	const uint64_t n = cfg->iterations;
	const uint64_t reflected = (uint64_t)__builtin_popcount(s->elements & WL_REFLECTED_MASK);
	const uint64_t handled = 1 + n * reflected + ((s->elements & WL_BIT(WL_INTR)) ? n : 0);
	const bool vmx = cfg->isa == NVMX_ISA_VMX;
	struct wl_vmx_plan plan;
	int bad = 0;

	/* What L1 executes, and what of it a shadow VMCS would cover (vmcs.h). */
	wl_vmx_plan(s->l1_ept, true, &plan);

#define H(e) ((s->elements & WL_BIT(e)) ? n : 0)
	for (uint32_t v = 0; v < cfg->vcpus; v++) {
		const struct wl_l1_counts *l1 = &res->l1[v];
		const struct wl_vmm_counts *vmm = &res->vmm[v];
		const struct expectation ex[] = {
			{ "L1 CPUID exits", l1->cpuid, H(WL_CPUID) },
			{ "L1 VMMCALL exits", l1->vmmcall, H(WL_VMMCALL) },
			{ "L1 HLT exits", l1->hlt, H(WL_HLT) },
			{ "L1 IN exits", l1->io_in, H(WL_IO_IN_L1) },
			{ "L1 OUT exits", l1->io_out, H(WL_IO_OUT_L1) },
			{ "L1 RDMSR exits", l1->rdmsr, H(WL_RDMSR_L1) },
			{ "L1 WRMSR exits", l1->wrmsr, H(WL_WRMSR_L1) },
			{ "L1 #GP-in-delivery exits", l1->vectoring, H(WL_VECTORING) },
			{ "L1 INTR exits", l1->intr, H(WL_INTR) },
			{ "L1 interrupts taken", l1->interrupts_taken, H(WL_INTR) },
			{ "L1 end-of-run VMMCALLs", l1->done, 1 },
			{ "L1 VMRUNs", l1->vmruns, 1 + n * reflected + H(WL_INTR) },
			{ "L1 multiplying operations", l1->mult_ops, n * reflected * s->mult },
			{ "L1 VMREADs", l1->vmreads, vmx ? handled * plan.exit_vmreads : 0 },
			{ "L1 VMREADs of shadowed fields", l1->vmreads_shadowable,
			  vmx ? handled * (plan.exit_vmreads - plan.exit_vmread_exits) : 0 },
			{ "L1 VMWRITEs", l1->vmwrites,
			  vmx ? plan.setup_vmwrites + n * reflected * plan.reflected_vmwrites : 0 },
			{ "L1 VMWRITEs of shadowed fields", l1->vmwrites_shadowable,
			  vmx ? plan.setup_vmwrites - plan.setup_vmwrite_exits +
					  n * reflected *
						  (plan.reflected_vmwrites -
						   plan.reflected_vmwrite_exits)
			      : 0 },
			{ "VMM port 0x81 reads", vmm->io_in_l0, H(WL_IO_IN_L0) },
			{ "VMM port 0x81 writes", vmm->io_out_l0, H(WL_IO_OUT_L0) },
			{ "VMM MSIs sent", vmm->kicks, H(WL_INTR) },
			{ "VMM end-of-run reports", vmm->l1_done, 1 },
			{ "L2 #DEs taken (reinject)", res->reinject[v].l2_de_taken,
			  H(WL_REINJECT) },
			{ "fresh pages resident at their slots (reinject)",
			  res->reinject[v].pages_in_slots, H(WL_REINJECT) },
			{ "fresh-page region's other pages resident (reinject)",
			  res->reinject[v].pages_elsewhere, 0 },
		};

		for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
			if (ex[i].seen == ex[i].planned)
				continue;
			fprintf(stderr, "nvmx-lab-workload: vcpu %u: %s: %llu, planned %llu\n", v,
				ex[i].what, (unsigned long long)ex[i].seen,
				(unsigned long long)ex[i].planned);
			bad++;
		}
	}
#undef H
	return bad;
}

static int write_truth(const char *path, const struct wl_run_config *cfg,
		       const struct wl_l0_config *l0)
{
	struct nvmx_summary *t = nvmx_summary_new();
	char tmp[4096];
	FILE *f;
	int r;

	if (!t)
		return -ENOMEM;
	if (cfg->isa == NVMX_ISA_VMX)
		r = wl_truth_vmx(&cfg->spec, cfg->iterations, cfg->vcpus, l0, t);
	else
		r = wl_truth_svm(&cfg->spec, cfg->iterations, cfg->vcpus, l0, t);
	if (r)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		r = -errno;
		goto out;
	}
	r = nvmx_summary_write_json(t, f);
	if (fclose(f) && !r)
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
out:
	nvmx_summary_free(t);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "vcpus", required_argument, NULL, 'v' },
		{ "truth", required_argument, NULL, 't' },
		{ "isa", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "list", no_argument, NULL, 'l' },
		{ "check", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct wl_run_config cfg = {
		.isa = NVMX_ISA_SVM, .iterations = 1000, .vcpus = 1, .timeout_s = 600
	};
	struct wl_run_result res;
	struct wl_l0_config l0 = { 0 };
	const char *spec_text = NULL, *truth = NULL;
	char err[512];
	bool avic = false;
	int opt, r;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'w':
			spec_text = optarg;
			break;
		case 'n':
			cfg.iterations = strtoull(optarg, &end, 10);
			if (*end || !optarg[0] || cfg.iterations == 0 ||
			    cfg.iterations > 100000000) {
				return nvmx_usage_error(
					"nvmx-lab-workload",
					"--iterations '%s': expected 1 to 100000000", optarg);
			}
			break;
		case 'v':
			cfg.vcpus = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !optarg[0] || cfg.vcpus < 1 || cfg.vcpus > WL_MAX_VCPUS) {
				return nvmx_usage_error("nvmx-lab-workload",
							"--vcpus '%s': expected 1 to %d", optarg,
							WL_MAX_VCPUS);
			}
			break;
		case 't':
			truth = optarg;
			break;
		case 'i':
			if (!strcmp(optarg, "svm")) {
				cfg.isa = NVMX_ISA_SVM;
			} else if (!strcmp(optarg, "vmx")) {
				cfg.isa = NVMX_ISA_VMX;
			} else {
				return nvmx_usage_error("nvmx-lab-workload",
							"--isa %s: expected svm or vmx", optarg);
			}
			break;
		case 'T':
			cfg.timeout_s = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !optarg[0]) {
				return nvmx_usage_error("nvmx-lab-workload",
							"--timeout '%s': expected seconds", optarg);
			}
			break;
		case 'l':
			list_elements();
			return EXIT_OK;
		case 'c':
			if (wl_spec_parse(optarg, &cfg.spec, err, sizeof(err)) ||
			    check_spec_isa(&cfg, err, sizeof(err))) {
				fprintf(stderr, "nvmx-lab-workload: %s\n", err);
				return EXIT_CANNOT_RUN;
			}
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			return nvmx_print_version("nvmx-lab-workload");
		default:
			return nvmx_getopt_error("nvmx-lab-workload", opt, argv);
		}
	}
	if (optind < argc)
		return nvmx_usage_error("nvmx-lab-workload", "unexpected argument '%s'",
					argv[optind]);
	if (!spec_text || !truth)
		return nvmx_usage_error("nvmx-lab-workload", "--workload and --truth are required");
	if (wl_spec_parse(spec_text, &cfg.spec, err, sizeof(err)) ||
	    check_spec_isa(&cfg, err, sizeof(err)) || check_reinject_room(&cfg, err, sizeof(err))) {
		fprintf(stderr, "nvmx-lab-workload: %s\n", err);
		return EXIT_CANNOT_RUN;
	}
	if (cfg.isa == NVMX_ISA_VMX) {
		if (read_bool_param("kvm_intel", "enable_shadow_vmcs", &l0.shadow_vmcs) ||
		    read_bool_param("kvm_intel", "enable_apicv", &avic)) {
			fprintf(stderr,
				"nvmx-lab-workload: kvm_intel is not loaded: no nested VMX here\n");
			return EXIT_CANNOT_RUN;
		}
	} else if (read_bool_param("kvm_amd", "vgif", &l0.vgif) ||
		   read_bool_param("kvm_amd", "avic", &avic)) {
		fprintf(stderr, "nvmx-lab-workload: kvm_amd is not loaded: no nested SVM here\n");
		return EXIT_CANNOT_RUN;
	}
	if (avic && (cfg.spec.elements & WL_BIT(WL_INTR))) {
		/* With AVIC/APICv, L1's x2APIC EOI may not exit: its count would not be certain. */
		fprintf(stderr, "nvmx-lab-workload: element intr needs %s\n",
			cfg.isa == NVMX_ISA_VMX ? "kvm_intel enable_apicv=0" : "kvm_amd avic=0");
		return EXIT_CANNOT_RUN;
	}

	r = wl_run(&cfg, &res, err, sizeof(err));
	if (r == -ENODEV || r == -ENOTSUP) {
		fprintf(stderr, "nvmx-lab-workload: %s\n", err);
		return EXIT_CANNOT_RUN;
	}
	if (r) {
		fprintf(stderr, "nvmx-lab-workload: %s\n", err);
		return EXIT_BROKEN;
	}
	if (check_run(&cfg, &res)) {
		fprintf(stderr, "nvmx-lab-workload: the run did not do what the workload promises; "
				"no truth written\n");
		return EXIT_BROKEN;
	}
	r = write_truth(truth, &cfg, &l0);
	if (r) {
		fprintf(stderr, "nvmx-lab-workload: cannot write %s: %s\n", truth, strerror(-r));
		return EXIT_BROKEN;
	}
	return EXIT_OK;
}
