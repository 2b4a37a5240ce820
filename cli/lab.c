// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx lab: the command line of the nested lab (lab/host/lab.h). `run` reads its options into
 * struct lab_options and calls lab_run(); `workloads` lists the workload generator's elements.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lab.h"

static void usage_run(FILE *f)
{
	char *cache = NULL;

	if (lab_cache_dir(&cache))
		cache = NULL;
	fprintf(f,
		"usage: nvmx lab run [--isa svm|vmx|arm64] [--l1 minimal|kvm] --kernel SERIES "
		"--workload SPEC --iterations N\n"
		"                    [--vcpus V] [--param MODULE.NAME=VAL]... [--exec CMD]\n"
		"                    [--ship PATH]... [--ready-timeout S] [--icount SHIFT]\n"
		"                    [--forward HOSTPORT:GUESTPORT] [--timeout S] [--buffer-kb "
		"KB]\n"
		"                    [--mem MB] [--keep] --out DIR\n"
		"       nvmx lab run --isa vmx --kernel 6.12 --config 'SPEC[;M.N=V]...' "
		"[--config ...]\n"
		"                    --iterations N ... --out DIR\n"
		"       nvmx lab run --l1 kvm --l2 linux --kernel 6.1|6.12 [--exec CMD] ... --out "
		"DIR\n"
		"       nvmx lab run --isa arm64 --kernel 7.3 --workload "
		"hvc,sysreg,smc,mmio,wfi,sysreg-write,virq\n"
		"                    --iterations N --out DIR\n"
		"       nvmx lab workloads [--l1 minimal|kvm]\n"
		"       nvmx lab sysroot --out DIR PACKAGE...  (bookworm arm64 packages, see its "
		"--help)\n"
		"\n"
		"The nested lab runs real nested virtualization where the hardware has none: an\n"
		"emulator (QEMU TCG, which emulates AMD SVM with NPT; Bochs for Intel VMX) boots "
		"a\n"
		"stock Debian kernel as L0 with kvm_amd (kvm_intel) nested=1; in it the workload\n"
		"generator is a small L1 hypervisor whose L2\n"
		"executes a chosen mix of exits. The workload writes what it did (truth.json); "
		"nvmx\n"
		"replays L0's kvm tracepoints into observed.json and compares the certain counts.\n"
		"\n"
		"Example:\n"
		"  nvmx lab run --kernel 6.12 --workload cpuid,vmmcall,hlt --iterations 200 --out "
		"/tmp/r\n"
		"\n"
		"Options:\n"
		"  --isa svm|vmx      the emulated ISA: svm (default) under QEMU TCG, vmx under "
		"Bochs\n"
		"                     (corei7_skylake_x with VMX, EPT and VMCS shadowing; "
		"minutes per boot)\n"
		"  --isa arm64        KVM/arm64's nested virtualization (FEAT_NV2, "
		"kvm-arm.mode=nested)\n"
		"                     under QEMU 10's TCG (bookworm-backports, fetched into the "
		"cache),\n"
		"                     kernel 7.3 only; L1 is nvmx's minimal vEL2 hypervisor, L2 "
		"runs\n"
		"                     hvc, sysreg, smc, mmio, wfi, sysreg-write, virq "
		"(docs/lab.md).\n"
		"                     One vCPU, one --workload; DIR also gets formats/, each "
		"traced event's\n"
		"                     tracefs format\n"
		"  --l1 minimal|kvm   L1: the workload generator's own minimal hypervisor "
		"(default), or\n"
		"                     Linux KVM (the same Debian kernel under QEMU in L0) whose "
		"L2 is\n"
		"                     nvmx-lab-runner (its elements: 'nvmx lab workloads --l1 "
		"kvm'); with\n"
		"                     --isa vmx slow: one boot of N = 20 took 16 min on a "
		"loaded 2-core\n"
		"                     host (docs/lab.md); --timeout's default has 1200 s more for "
		"it\n"
		"  --l2 runner|linux  with --l1 kvm, L2: nvmx-lab-runner (default), or the same "
		"Debian\n"
		"                     kernel under QEMU in L1, booting to power-off (no "
		"--workload, no\n"
		"                     --iterations; no truth: L0 counts the nested exits per "
		"reason with\n"
		"                     tracefs hist triggers, kvm_nested_vmexit*.hist in DIR; "
		"--mem 2048\n"
		"                     by default)\n"
		"  --kernel SERIES    the L0 kernel, the newest Debian package of: 6.1, 6.12 "
		"(from\n"
		"                     the host's Debian 12 sources), 7.3 (trixie-backports) or\n"
		"                     newest (trixie-backports and sid): these two through the\n"
		"                     lab's own apt configuration in the cache directory, never\n"
		"                     the host's sources\n"
		"  --workload SPEC    comma-separated workload elements: 'nvmx lab workloads' "
		"lists them\n"
		"  --iterations N     how many times L2 runs the mix\n"
		"  --vcpus V          vCPUs of L0 (emulated CPUs) and of L1 (default 1)\n"
		"  --param M.N=V      a parameter of kvm_amd/kvm_intel or kvm at insmod (e.g. "
		"kvm_amd.npt=0,\n"
		"                     kvm_intel.enable_shadow_vmcs=0), for every configuration\n"
		"  --config 'SPEC;M.N=V;...'\n"
		"                     one configuration of a boot, repeatable (instead of "
		"--workload):\n"
		"                     the workload SPEC with the KVM vendor module reloaded with "
		"these\n"
		"                     parameters (over --param's); e.g. --config "
		"'cpuid,intr' --config\n"
		"                     'cpuid,intr;kvm_intel.enable_shadow_vmcs=0'. Each one's "
		"results go\n"
		"                     to DIR/config-N/, DIR/configs.txt lists them with their "
		"exit status;\n"
		"                     the run's exit status is the worst of them\n"
		"  --exec CMD         a shell command started in L0 before the workload, with\n"
		"                     NVMX_LAB_OUT=/out/exec and NVMX_LAB_WORKLOAD (the shell "
		"command\n"
		"                     line /init runs as the first configuration's workload: CMD "
		"may run\n"
		"                     it itself, e.g. sh -c \"$NVMX_LAB_WORKLOAD\"); the workload "
		"waits\n"
		"                     for $NVMX_LAB_OUT/ready; CMD gets SIGINT when it ends. Its "
		"first\n"
		"                     word is a host program (copied with its libraries); the rest "
		"is\n"
		"                     busybox.\n"
		"  --ship PATH        copy the host file PATH (absolute) to the same path in L0, "
		"an ELF\n"
		"                     executable with its shared libraries; repeatable. L0 holds "
		"the\n"
		"                     initramfs in memory: --mem must be 3 times its size + 128 "
		"MiB\n"
		"                     (checked; perf and bpftrace, 234 MiB: --mem 1024 works)\n"
		"                     With --isa arm64 an arm64 ELF is refused (the host's\n"
		"                     ldd cannot read it): ship it inside another file, give\n"
		"                     --exec a script; tests/lab-arm64 ships nvmxd for arm64\n"
		"                     with its libraries as one tarball (lab/arm64/nvmxd.sh)\n"
		"  --ready-timeout S  how long the workload waits for $NVMX_LAB_OUT/ready "
		"(default %d s,\n"
		"                     L0's clock)\n"
		"  --icount SHIFT     QEMU only: -icount shift=SHIFT,sleep=off (0-%d): L0's clock "
		"counts\n"
		"                     instructions (2^SHIFT ns each), so timings in L0 repeat "
		"within ~1%%.\n"
		"                     L0's clock then runs at another speed than wall time (SHIFT "
		"4: ~9x\n"
		"                     faster, so --ready-timeout and the workload's 600 s pass "
		"sooner;\n"
		"                     0: ~4x slower) and the vCPUs take turns on one host thread. "
		"--timeout\n"
		"                     stays wall time\n"
		"  --forward H:G      forward 127.0.0.1:H on the host to port G of L0 (10.0.2.15;\n"
		"                     QEMU only)\n"
		"  --timeout S        hard limit for the boot-to-poweroff run, wall time (default "
		"180 +\n"
		"                     N/4 per configuration; Bochs: 420 + N/20 per configuration; "
		"plus\n"
		"                     --ready-timeout when given)\n"
		"  --buffer-kb KB     tracefs buffer per CPU (default scaled with N)\n"
		"  --mem MB           L0 memory (default 1024)\n"
		"  --keep             keep the initramfs and the raw guest directory in DIR\n"
		"  --out DIR          receives truth.json, observed.json, trace.txt.xz, "
		"console.log,\n"
		"                     exec/ (what CMD wrote, with its stdout and stderr)\n"
		"\n"
		"Exit status: 0 every certain count of observed equals truth; 1 one differs "
		"(listed on\n"
		"stderr) or the workload failed; 2 the lab cannot run (the reason on stderr).\n"
		"\n"
		"Kernels are cached (reused between runs) in %s\n"
		"(override with NVMX_CACHE). The workload generator is found next to nvmx "
		"(override\n"
		"with NVMX_LAB_WORKLOAD on the host). See docs/lab.md.\n",
		LAB_READY_TIMEOUT_S, LAB_ICOUNT_SHIFT_MAX,
		cache ? cache : "(no cache directory: set NVMX_CACHE)");
	free(cache);
	fputs(NVMX_USAGE_COMMON, f);
}

/* A list of the strings of a repeatable option; argv owns them. */
struct arg_list {
	const char **v;
	size_t n;
};

static int parse_forward(struct lab_options *o, const char *arg, char *err, size_t err_len)
{
	const char *colon = strchr(arg, ':');
	unsigned long host = 0, guest = 0;
	char buf[16];
	int r;

	if (!colon || (size_t)(colon - arg) >= sizeof(buf)) {
		snprintf(err, err_len, "--forward %s: expected HOSTPORT:GUESTPORT", arg);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)(colon - arg), arg);
	r = lab_parse_number("--forward", buf, 1, 65535, &host, err, err_len);
	if (!r)
		r = lab_parse_number("--forward", colon + 1, 1, 65535, &guest, err, err_len);
	o->forward_host_port = (unsigned int)host;
	o->forward_guest_port = (unsigned int)guest;
	return r;
}

/*
 * The arguments after "run" into o, whose lists point into lists (three of argc entries each:
 * --param, --config, --ship). Returns 0, 1 for --help, or -EINVAL with the message in err. The
 * settings themselves are checked by lab_run().
 */
static int parse_run_options(int argc, char **argv, struct lab_options *o, struct arg_list lists[3],
			     char *err, size_t err_len)
{
	enum {
		OPT_ISA = 256,
		OPT_KERNEL,
		OPT_WORKLOAD,
		OPT_ITER,
		OPT_VCPUS,
		OPT_PARAM,
		OPT_EXEC,
		OPT_FORWARD,
		OPT_OUT,
		OPT_TIMEOUT,
		OPT_BUFFER,
		OPT_MEM,
		OPT_KEEP,
		OPT_CONFIG,
		OPT_SHIP,
		OPT_READY_TIMEOUT,
		OPT_ICOUNT,
		OPT_L1,
		OPT_L2,
	};
	static const struct option longopts[] = {
		{ "isa", required_argument, NULL, OPT_ISA },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "workload", required_argument, NULL, OPT_WORKLOAD },
		{ "iterations", required_argument, NULL, OPT_ITER },
		{ "vcpus", required_argument, NULL, OPT_VCPUS },
		{ "param", required_argument, NULL, OPT_PARAM },
		{ "exec", required_argument, NULL, OPT_EXEC },
		{ "forward", required_argument, NULL, OPT_FORWARD },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "buffer-kb", required_argument, NULL, OPT_BUFFER },
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "ship", required_argument, NULL, OPT_SHIP },
		{ "ready-timeout", required_argument, NULL, OPT_READY_TIMEOUT },
		{ "icount", required_argument, NULL, OPT_ICOUNT },
		{ "l1", required_argument, NULL, OPT_L1 },
		{ "l2", required_argument, NULL, OPT_L2 },
		NVMX_COMMON_LONGOPTS,
	};
	struct arg_list *params = &lists[0], *configs = &lists[1], *ships = &lists[2];
	unsigned long v;
	int c, r = 0;

	lab_options_init(o);
	optind = 1;
	opterr = 0;
	while (!r && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ISA:
			if (!strcmp(optarg, "svm")) {
				o->isa = NVMX_ISA_SVM;
			} else if (!strcmp(optarg, "vmx")) {
				o->isa = NVMX_ISA_VMX;
			} else if (!strcmp(optarg, "arm64")) {
				o->isa = NVMX_ISA_ARM64;
			} else {
				snprintf(err, err_len, "--isa %s: expected svm, vmx or arm64",
					 optarg);
				r = -EINVAL;
			}
			break;
		case OPT_L1:
			if (!strcmp(optarg, "minimal")) {
				o->l1 = LAB_L1_MINIMAL;
			} else if (!strcmp(optarg, "kvm")) {
				o->l1 = LAB_L1_KVM;
			} else {
				snprintf(err, err_len, "--l1 %s: expected minimal or kvm", optarg);
				r = -EINVAL;
			}
			break;
		case OPT_L2:
			if (!strcmp(optarg, "runner")) {
				o->l2 = LAB_L2_RUNNER;
			} else if (!strcmp(optarg, "linux")) {
				o->l2 = LAB_L2_LINUX;
			} else {
				snprintf(err, err_len, "--l2 %s: expected runner or linux", optarg);
				r = -EINVAL;
			}
			break;
		case OPT_KERNEL:
			o->kernel = optarg;
			break;
		case OPT_WORKLOAD:
			o->workload = optarg;
			break;
		case OPT_ITER:
			r = lab_parse_number("--iterations", optarg, 1, LAB_ITERATIONS_MAX,
					     &o->iterations, err, err_len);
			break;
		case OPT_VCPUS:
			r = lab_parse_number("--vcpus", optarg, 1, LAB_VCPUS_MAX, &v, err, err_len);
			o->vcpus = (unsigned int)v;
			break;
		case OPT_PARAM:
			params->v[params->n++] = optarg;
			break;
		case OPT_CONFIG:
			configs->v[configs->n++] = optarg;
			break;
		case OPT_EXEC:
			o->exec = optarg;
			break;
		case OPT_SHIP:
			ships->v[ships->n++] = optarg;
			break;
		case OPT_READY_TIMEOUT:
			r = lab_parse_number("--ready-timeout", optarg, 1, LAB_TIMEOUT_S_MAX, &v,
					     err, err_len);
			o->ready_timeout_s = (unsigned int)v;
			break;
		case OPT_ICOUNT:
			r = lab_parse_number("--icount", optarg, 0, LAB_ICOUNT_SHIFT_MAX, &v, err,
					     err_len);
			o->icount_shift = (int)v;
			break;
		case OPT_FORWARD:
			r = parse_forward(o, optarg, err, err_len);
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_TIMEOUT:
			r = lab_parse_number("--timeout", optarg, LAB_TIMEOUT_S_MIN,
					     LAB_TIMEOUT_S_MAX, &v, err, err_len);
			o->timeout_s = (double)v;
			break;
		case OPT_BUFFER:
			r = lab_parse_number("--buffer-kb", optarg, LAB_BUFFER_KB_MIN,
					     LAB_BUFFER_KB_MAX, &o->buffer_kb, err, err_len);
			break;
		case OPT_MEM:
			r = lab_parse_number("--mem", optarg, LAB_MEM_MB_MIN, LAB_MEM_MB_MAX, &v,
					     err, err_len);
			o->mem_mb = (unsigned int)v;
			break;
		case OPT_KEEP:
			o->keep = true;
			break;
		case 'h':
			return 1;
		case 'V':
			return 3;
		default:
			nvmx_getopt_problem(c, argv, err, err_len);
			r = -EINVAL;
		}
	}
	if (!r && optind < argc) {
		snprintf(err, err_len, "unexpected argument '%s'", argv[optind]);
		r = -EINVAL;
	}
	o->params = params->v;
	o->n_params = params->n;
	o->configs = configs->v;
	o->n_configs = configs->n;
	o->ships = ships->v;
	o->n_ships = ships->n;
	return r;
}

static int cmd_run(int argc, char **argv)
{
	struct arg_list lists[3] = { 0 };
	struct lab_options o;
	char err[1024];
	int r;

	for (size_t i = 0; i < 3; i++) {
		lists[i].v = calloc((size_t)argc, sizeof(*lists[i].v));
		if (!lists[i].v) {
			fprintf(stderr, "nvmx lab run: out of memory\n");
			r = LAB_CANNOT_RUN;
			goto out;
		}
	}
	r = parse_run_options(argc, argv, &o, lists, err, sizeof(err));
	if (r == 1) {
		usage_run(stdout);
		r = 0;
	} else if (r == 3) {
		r = nvmx_print_version("nvmx");
	} else if (r) {
		r = nvmx_usage_error("nvmx lab run", "%s", err);
	} else {
		r = lab_run(&o, NULL);
	}
out:
	for (size_t i = 0; i < 3; i++)
		free(lists[i].v);
	return r;
}

static int cmd_workloads(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "l1", required_argument, NULL, 'l' },
		NVMX_COMMON_LONGOPTS,
	};
	const char *p = "nvmx lab workloads";
	enum lab_l1 l1 = LAB_L1_MINIMAL;
	char err[1024];
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (!strcmp(optarg, "kvm"))
				l1 = LAB_L1_KVM;
			else if (!strcmp(optarg, "minimal"))
				l1 = LAB_L1_MINIMAL;
			else
				return nvmx_usage_error(p, "--l1 %s: expected minimal or kvm",
							optarg);
			break;
		case 'h':
			printf("usage: nvmx lab workloads [--l1 minimal|kvm]\n\n"
			       "The workload elements of the lab's minimal L1 (the default) or of\n"
			       "the L2 runner on a real KVM as L1 (--l1 kvm).\n");
			fputs(NVMX_USAGE_COMMON, stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmx");
		default:
			return nvmx_getopt_error(p, c, argv);
		}
	}
	if (optind < argc)
		return nvmx_usage_error(p, "unexpected argument '%s'", argv[optind]);
	if (lab_workloads_list(stdout, l1, err, sizeof(err))) {
		fprintf(stderr, "nvmx lab workloads: %s\n", err);
		return LAB_CANNOT_RUN;
	}
	return 0;
}

static int cmd_sysroot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		NVMX_COMMON_LONGOPTS,
	};
	const char *p = "nvmx lab sysroot", *out = NULL;
	char err[1024];
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			printf("usage: nvmx lab sysroot --out DIR PACKAGE...\n\n"
			       "Fetches bookworm's arm64 PACKAGEs (names without :arm64)\n"
			       "with the lab's own arm64 apt configuration (apt-get\n"
			       "download into the lab's cache; the host's apt is never\n"
			       "read or changed) and unpacks them into DIR, which must\n"
			       "not exist: the sysroot the arm64 nvmxd is cross-built\n"
			       "against and shipped with (lab/arm64/nvmxd.sh). Nothing is\n"
			       "installed. Exit 0, or 2 with what went wrong.\n\n"
			       "  -o, --out DIR   the sysroot to create\n\n"
			       "example: nvmx lab sysroot --out /tmp/sr libjson-c-dev\n");
			fputs(NVMX_USAGE_COMMON, stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmx");
		default:
			return nvmx_getopt_error(p, c, argv);
		}
	}
	if (!out)
		return nvmx_usage_error(p, "give --out DIR");
	if (optind >= argc)
		return nvmx_usage_error(p, "give the packages to unpack");
	if (lab_arm64_sysroot(out, argv + optind, (size_t)(argc - optind), err, sizeof(err))) {
		fprintf(stderr, "nvmx lab sysroot: %s\n", err);
		return LAB_CANNOT_RUN;
	}
	return 0;
}

int nvmx_cmd_lab(int argc, char **argv)
{
	if (argc < 2)
		return nvmx_usage_error("nvmx lab", "give a subcommand: run, workloads or sysroot");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage_run(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return nvmx_print_version("nvmx");
	if (!strcmp(argv[1], "workloads"))
		return cmd_workloads(argc - 1, argv + 1);
	if (!strcmp(argv[1], "sysroot"))
		return cmd_sysroot(argc - 1, argv + 1);
	if (strcmp(argv[1], "run"))
		return nvmx_usage_error(
			"nvmx lab", "unknown subcommand '%s' (run, workloads, sysroot)", argv[1]);
	return cmd_run(argc - 1, argv + 1);
}
