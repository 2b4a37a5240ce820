// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx-lab-workload-arm64: the arm64 lab's workload generator (docs/lab.md), a static arm64
 * program run in L0. It is the VMM of one vCPU with virtual EL2 (KVM_ARM_VCPU_HAS_EL2, FEAT_NV2
 * under kvm-arm.mode=nested) and an in-kernel vGICv3; the guest is nvmx's own minimal vEL2
 * hypervisor (L1) and its L2 (guest.S). It writes the exact counts the run makes certain
 * (truth.json, the schema of nvmx's summaries) with the kernel's exception class names, as the
 * kvm_exit event's print fmt has them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "guest.h"

/*
 * Newer than Debian 12's arm64 uapi headers (6.1): the vCPU feature of "KVM: arm64: nv:
 * Introduce nested virtualization VCPU feature" (Linux 6.8 uapi) and the capability of "KVM:
 * arm64: Allow userspace to request KVM_ARM_VCPU_EL2*" (Linux 6.16 uapi, value 240).
 */
#ifndef KVM_ARM_VCPU_HAS_EL2
#define KVM_ARM_VCPU_HAS_EL2 7
#endif
#ifndef KVM_CAP_ARM_EL2
#define KVM_CAP_ARM_EL2 240
#endif

#define PROG "nvmx-lab-workload-arm64"

/* ESR_EL2.EC values (Arm ARM D24.2.41) and the kernel's names for them (kvm_arm_exception_class) */
#define EC_WFX	    0x01
#define EC_SMC64    0x17
#define EC_HVC64    0x16
#define EC_SYS64    0x18
#define EC_ERET	    0x1a
#define EC_DABT_LOW 0x24

/* HCR_EL2 bits L1 sets (Arm ARM D24.2.48) */
#define HCR_RW	 (1ull << 31)
#define HCR_TID3 (1ull << 18)
#define HCR_TSC	 (1ull << 19)
#define HCR_TWI	 (1ull << 13)
#define HCR_TVM	 (1ull << 26)
#define HCR_IMO	 (1ull << 4)

static const char *const element_names[WL64_NR_ELEMENTS] = WL64_ELEMENT_NAMES;

/* What each element does, by bit. */
static const char *const element_what[WL64_NR_ELEMENTS] = {
	[WL64_HVC] = "hvc #0 in L2: forwarded to L1 (HVC64)",
	[WL64_SYSREG] =
		"mrs ID_AA64PFR0_EL1 in L2, trapped by HCR_EL2.TID3: forwarded to L1 (SYS64)",
	[WL64_SMC] = "smc #0 in L2, trapped by HCR_EL2.TSC: forwarded to L1 (SMC64)",
	[WL64_MMIO] = "a store to an IPA no memory slot maps: L1 has no stage 2 (HCR_EL2.VM=0), so "
		      "L0 handles the data abort and exits to this VMM (DABT_LOW)",
	[WL64_WFI] = "wfi in L2, trapped by HCR_EL2.TWI: forwarded to L1 (WFx)",
	[WL64_VIRQ] = "a store to another unmapped IPA: L0 exits to this VMM (DABT_LOW), which "
		      "raises an edge SPI; L0 injects it into L1 (IRQ, HCR_EL2.IMO), which "
		      "acknowledges and ends it in its GICv3 CPU interface",
	[WL64_SYSREG_WRITE] =
		"msr CONTEXTIDR_EL1 in L2, trapped by HCR_EL2.TVM: forwarded to L1 (SYS64)",
};

#define N_ELEMENTS WL64_NR_ELEMENTS

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--isa arm64] [--vcpus 1] --workload ELEMENTS --iterations N "
		   "--truth FILE\n"
		   "Runs nvmx's minimal vEL2 hypervisor (L1) under KVM with nested virtualization\n"
		   "(kvm-arm.mode=nested) and its L2, which runs ELEMENTS (comma-separated) N "
		   "times, then\n"
		   "writes the exact counts that makes certain to FILE (JSON).\n"
		   "Elements:\n");
	for (size_t i = 0; i < N_ELEMENTS; i++)
		fprintf(f, "  %-7s %s\n", element_names[i], element_what[i]);
	fprintf(f, "Exit status: 0 done, 1 the run went wrong (said on stderr), 2 usage.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\ntry '" PROG " --help'\n");
	return 2;
}

static int parse_elements(const char *spec, uint64_t *mask)
{
	char *copy = strdup(spec), *save = NULL;

	*mask = 0;
	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < N_ELEMENTS && strcmp(w, element_names[i]); i++)
			;
		if (i == N_ELEMENTS) {
			usage_error("--workload: unknown element '%s'", w);
			free(copy);
			return -EINVAL;
		}
		*mask |= 1ull << i;
	}
	free(copy);
	if (!*mask) {
		usage_error("--workload '%s': no element", spec);
		return -EINVAL;
	}
	return 0;
}

static int fail(const char *what)
{
	fprintf(stderr, PROG ": %s: %s\n", what, strerror(errno));
	return 1;
}

static int set_reg(int vcpu, uint64_t id, uint64_t value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };

	return ioctl(vcpu, KVM_SET_ONE_REG, &reg);
}

#define CORE_REG(field)                                        \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
	 (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

static int vgic_attr(int dev, uint32_t group, uint64_t attr, uint64_t *value)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uint64_t)(uintptr_t)value,
	};

	return ioctl(dev, KVM_SET_DEVICE_ATTR, &a);
}

struct run_result {
	uint64_t mmio_l2;  /* MMIO exits at WL64_MMIO_L2 */
	uint64_t irqs;	   /* interrupts raised at WL64_MMIO_IRQ */
	uint64_t end;	   /* what L1 wrote to WL64_MMIO_DONE */
	uint64_t kvm_runs; /* KVM_RUN calls */
	double seconds;	   /* from the first KVM_RUN to the end */
};

static uint64_t word(const unsigned char *mem, unsigned int off)
{
	uint64_t v;

	memcpy(&v, mem + WL64_DATA_OFF + off, sizeof(v));
	return v;
}

static void set_word(unsigned char *mem, unsigned int off, uint64_t v)
{
	memcpy(mem + WL64_DATA_OFF + off, &v, sizeof(v));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_vm(uint64_t mask, uint64_t iterations, unsigned char **mem_out,
		  struct run_result *res)
{
	struct kvm_userspace_memory_region region;
	struct kvm_create_device gic = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	struct kvm_vcpu_init init;
	struct kvm_run *run;
	uint64_t addr;
	unsigned char *mem = NULL;
	int kvm, vm, vcpu, run_size;
	double start;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("/dev/kvm");
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_EL2) <= 0) {
		fprintf(stderr, PROG ": KVM has no KVM_CAP_ARM_EL2: boot L0 with "
				     "kvm-arm.mode=nested on a CPU with FEAT_NV2\n");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, WL64_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	memcpy(mem, wl64_guest_start, (size_t)(wl64_guest_end - wl64_guest_start));
	set_word(mem, WL64_D_ITERATIONS, iterations);
	set_word(mem, WL64_D_MASK, mask);
	set_word(mem, WL64_D_MMIO, WL64_MMIO_L2);
	set_word(mem, WL64_D_DONE, WL64_MMIO_DONE);
	set_word(mem, WL64_D_MMIO_IRQ, WL64_MMIO_IRQ);
	set_word(mem, WL64_D_HCR_SET,
		 HCR_RW | HCR_TID3 | HCR_TSC | HCR_TWI | HCR_TVM |
			 (mask >> WL64_VIRQ & 1 ? HCR_IMO : 0));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = WL64_MEM_BASE,
		.memory_size = WL64_MEM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	if (ioctl(vm, KVM_CREATE_DEVICE, &gic))
		return fail("KVM_CREATE_DEVICE (vGICv3)");
	addr = WL64_GICD_BASE;
	if (vgic_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr))
		return fail("vGICv3 distributor address");
	addr = WL64_GICR_BASE;
	if (vgic_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &addr))
		return fail("vGICv3 redistributor address");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init))
		return fail("KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1u << KVM_ARM_VCPU_HAS_EL2;
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init))
		return fail("KVM_ARM_VCPU_INIT with KVM_ARM_VCPU_HAS_EL2");
	if (vgic_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL))
		return fail("vGICv3 init");
	/* The vCPU resets to EL2h with DAIF masked: only the PC and x0 are set. */
	if (set_reg(vcpu, CORE_REG(regs.pc), WL64_MEM_BASE) ||
	    set_reg(vcpu, CORE_REG(regs.regs[0]), WL64_MEM_BASE + WL64_DATA_OFF))
		return fail("KVM_SET_ONE_REG");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < 0)
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	*res = (struct run_result){ 0 };
	start = now_s();
	for (;;) {
		res->kvm_runs++;
		if (ioctl(vcpu, KVM_RUN, 0) && errno != EINTR)
			return fail("KVM_RUN");
		if (run->exit_reason != KVM_EXIT_MMIO) {
			fprintf(stderr, PROG ": unexpected exit %u from KVM_RUN\n",
				run->exit_reason);
			return 1;
		}
		if (run->mmio.phys_addr == WL64_MMIO_L2 && run->mmio.is_write) {
			res->mmio_l2++;
			continue;
		}
		if (run->mmio.phys_addr == WL64_MMIO_IRQ && run->mmio.is_write) {
			/* an edge: the line up and down; the vGIC keeps it pending for L1 */
			struct kvm_irq_level irq = {
				.irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT |
				       WL64_VIRQ_INTID,
				.level = 1,
			};

			if (ioctl(vm, KVM_IRQ_LINE, &irq))
				return fail("KVM_IRQ_LINE");
			irq.level = 0;
			if (ioctl(vm, KVM_IRQ_LINE, &irq))
				return fail("KVM_IRQ_LINE");
			res->irqs++;
			continue;
		}
		if (run->mmio.phys_addr == WL64_MMIO_DONE && run->mmio.is_write) {
			uint32_t v;

			memcpy(&v, run->mmio.data, sizeof(v));
			res->end = v;
			break;
		}
		fprintf(stderr, PROG ": unexpected MMIO %s at 0x%llx\n",
			run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr);
		return 1;
	}
	res->seconds = now_s() - start;
	*mem_out = mem;
	return 0;
}

/* One entry of an exit list of the truth: the schema of nvmx's summaries (docs/model.md). */
static void entry(FILE *f, bool *first, const char *reason, const char *handled_by, uint64_t count)
{
	fprintf(f, "%s\n    {\n      \"certain\": true,\n      \"count\": %llu,\n",
		*first ? "" : ",", (unsigned long long)count);
	if (handled_by)
		fprintf(f, "      \"handled_by\": \"%s\",\n", handled_by);
	fprintf(f, "      \"isa\": \"arm64\",\n      \"reason\": \"%s\"\n    }", reason);
	*first = false;
}

static int write_truth(const char *path, uint64_t mask, uint64_t n)
{
	const uint64_t hvc = mask >> WL64_HVC & 1, sysreg = mask >> WL64_SYSREG & 1;
	const uint64_t smc = mask >> WL64_SMC & 1, mmio = mask >> WL64_MMIO & 1;
	const uint64_t wfi = mask >> WL64_WFI & 1, sysreg_write = mask >> WL64_SYSREG_WRITE & 1;
	const uint64_t virq = mask >> WL64_VIRQ & 1;
	/*
	 * every forwarded exit but the final HVC returns to L2 by an ERET, as does L1's start and
	 * every interrupt L1 takes
	 */
	const uint64_t erets = 1 + n * (hvc + sysreg + smc + wfi + sysreg_write + virq);
	FILE *f = fopen(path, "we");
	bool first = true;

	if (!f)
		return fail(path);
	fprintf(f, "{\n  \"breakdown\": [\n  ],\n  \"l0_handled\": [\n  ],\n  \"l1_exits\": [");
	/*
	 * L1's ERETs, each emulated by L0 (a kvm_exit with EC ERET, then kvm_nested_eret). Its
	 * data aborts are not certain: the end code's MMIO, but also L0's stage-2 faults on
	 * first touch, as its instruction aborts and its trapped VBAR_EL2 write are L0's business.
	 */
	entry(f, &first, "ERET", NULL, erets);
	fprintf(f, "\n  ],\n  \"l2_exits\": [");
	first = true;
	/* the HVC that ends L2's run comes with every workload */
	entry(f, &first, "HVC64", "L1", n * hvc + 1);
	if (sysreg || sysreg_write)
		entry(f, &first, "SYS64", "L1", n * (sysreg + sysreg_write));
	if (wfi)
		entry(f, &first, "WFx", "L1", n);
	if (smc)
		entry(f, &first, "SMC64", "L1", n);
	if (mmio || virq)
		entry(f, &first, "DABT_LOW", "L0", n * (mmio + virq));
	fprintf(f,
		"\n  ],\n  \"lost_events\": 0,\n  \"msrs\": [\n  ],\n"
		"  \"nested_entries\": %llu,\n  \"nested_entries_failed\": 0,\n"
		"  \"ports\": [\n  ],\n  \"schema\": 1,\n  \"synthesized_to_l1\": [",
		(unsigned long long)erets);
	first = true;
	/* virq: the interrupt L0 injects into L1 (kvm_inject_nested_exception IRQ) */
	if (virq)
		entry(f, &first, "IRQ", NULL, n);
	fprintf(f, "\n  ],\n  \"unattributed\": 0,\n  \"vectoring\": [\n  ]\n}\n");
	if (fclose(f))
		return fail(path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "truth", required_argument, NULL, 't' },
		{ "isa", required_argument, NULL, 'i' },
		{ "vcpus", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = NULL, *truth = NULL;
	unsigned long long n = 0;
	struct run_result res;
	unsigned char *mem = NULL;
	uint64_t mask;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'w':
			spec = optarg;
			break;
		case 'n':
			errno = 0;
			n = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || n < 1 || n > 100000000)
				return usage_error("--iterations: '%s' is not 1 to 100000000",
						   optarg);
			break;
		case 't':
			truth = optarg;
			break;
		case 'i': /* the lab's command line names the ISA and vCPUs, as for x86 */
			if (strcmp(optarg, "arm64"))
				return usage_error("--isa %s: this generator runs arm64 only",
						   optarg);
			break;
		case 'v':
			if (strcmp(optarg, "1"))
				return usage_error("--vcpus %s: this generator runs one vCPU",
						   optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "try '" PROG " --help'\n");
			return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!spec || !n || !truth)
		return usage_error("%s", "--workload, --iterations and --truth are required");
	r = parse_elements(spec, &mask);
	if (r == -EINVAL)
		return 2;
	if (r)
		return fail("--workload");
	r = run_vm(mask, n, &mem, &res);
	if (r)
		return r;
	if (res.end != WL64_END_OK) {
		fprintf(stderr,
			PROG ": L1 ended with code %llu: unexpected exception at vector 0x%llx, "
			     "ESR_EL2 0x%llx, ELR_EL2 0x%llx\n",
			(unsigned long long)res.end,
			(unsigned long long)word(mem, WL64_D_BAD_VECTOR),
			(unsigned long long)word(mem, WL64_D_BAD_ESR),
			(unsigned long long)word(mem, WL64_D_BAD_ELR));
		return 1;
	}
	/* What L1 and L2 counted must be the plan: else no truth is written. */
	{
		const uint64_t want[][2] = {
			{ EC_HVC64, n * (mask >> WL64_HVC & 1) + 1 },
			{ EC_SYS64,
			  n * ((mask >> WL64_SYSREG & 1) + (mask >> WL64_SYSREG_WRITE & 1)) },
			{ EC_SMC64, n * (mask >> WL64_SMC & 1) },
			{ EC_WFX, n * (mask >> WL64_WFI & 1) },
		};
		uint64_t total = 0;

		for (unsigned int ec = 0; ec < 64; ec++)
			total += word(mem, WL64_D_EC + 8 * ec);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			uint64_t got = word(mem, WL64_D_EC + 8 * (unsigned int)want[i][0]);

			total -= got;
			if (got != want[i][1]) {
				fprintf(stderr,
					PROG ": L1 took %llu exceptions of EC 0x%llx, not %llu\n",
					(unsigned long long)got, (unsigned long long)want[i][0],
					(unsigned long long)want[i][1]);
				return 1;
			}
		}
		if (total) {
			fprintf(stderr, PROG ": L1 took %llu exceptions of other ECs\n",
				(unsigned long long)total);
			return 1;
		}
		if (word(mem, WL64_D_IRQS) != n * (mask >> WL64_VIRQ & 1) ||
		    res.irqs != word(mem, WL64_D_IRQS) ||
		    (res.irqs && word(mem, WL64_D_INTID) != WL64_VIRQ_INTID)) {
			fprintf(stderr,
				PROG
				": the VMM raised %llu interrupts, L1 took %llu (the last INTID "
				"%llu), not %llu of INTID %d\n",
				(unsigned long long)res.irqs,
				(unsigned long long)word(mem, WL64_D_IRQS),
				(unsigned long long)word(mem, WL64_D_INTID),
				n * (mask >> WL64_VIRQ & 1), WL64_VIRQ_INTID);
			return 1;
		}
		if (word(mem, WL64_D_L2_DONE) != n || res.mmio_l2 != n * (mask >> WL64_MMIO & 1)) {
			fprintf(stderr,
				PROG ": L2 did %llu iterations and %llu MMIO stores, not %llu\n",
				(unsigned long long)word(mem, WL64_D_L2_DONE),
				(unsigned long long)res.mmio_l2, n);
			return 1;
		}
	}
	printf("iterations %llu\nl1_erets %llu\nl1_hvc64 %llu\nl1_sys64 %llu\nl1_smc64 %llu\n"
	       "l1_wfx %llu\nl1_irqs %llu\nvmm_mmio %llu\nkvm_runs %llu\nseconds "
	       "%.6f\nus_per_iteration %.1f\n",
	       n, (unsigned long long)word(mem, WL64_D_ERETS),
	       (unsigned long long)word(mem, WL64_D_EC + 8 * EC_HVC64),
	       (unsigned long long)word(mem, WL64_D_EC + 8 * EC_SYS64),
	       (unsigned long long)word(mem, WL64_D_EC + 8 * EC_SMC64),
	       (unsigned long long)word(mem, WL64_D_EC + 8 * EC_WFX),
	       (unsigned long long)word(mem, WL64_D_IRQS), (unsigned long long)res.mmio_l2,
	       (unsigned long long)res.kvm_runs, res.seconds, res.seconds * 1e6 / (double)n);
	return write_truth(truth, mask, n);
}
