// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx-lab-runner: the L2 of the lab's --l1 kvm (docs/lab-workload.md, "Real KVM as L1"). A
 * small VMM that runs inside L1 (a stock Debian kernel with kvm_amd or kvm_intel, under QEMU in
 * the lab's L0) and runs a real-mode L2 on L1's KVM: a loop of the chosen elements, N times. It writes the
 * counts of L2 exits that KVM's code fixes (truth.json, schema 1, "l1_certain": false: what the
 * real L1 does itself is not the workload's to say).
 *
 * Every element is an instruction KVM as L1 intercepts (reflected: L0 hands the exit to L1) or
 * one both levels pass through (no exit anywhere). The port elements and HLT come back to this
 * program (KVM_EXIT_IO, KVM_EXIT_HLT: no in-kernel irqchip), which counts them as its self-check.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <asm/svm.h>
#include <asm/vmx.h>
#include <linux/kvm.h>

#include "nvmx/cmdline.h"
#include "nvmx/summary.h"

enum { EXIT_OK = 0, EXIT_CANNOT_RUN = 2, EXIT_BROKEN = 3 };

#define MEM_SIZE     0x10000
#define CODE_GPA     0x1000
#define PORT_DATA    0x80 /* the io-in and io-out elements */
#define PORT_END     0x84 /* L2's last OUT: the run is over */
#define PORT_INTR    0x85 /* the intr element: the runner injects an interrupt at this OUT */
#define PORT_MIGRATE 0x86 /* the migrate element: L1 is saved and restored once, in L2's wait */
#define MIGRATE_WAIT 10	  /* seconds of TSC L2 waits at the save point */
#define INTR_VECTOR  0x20
#define UD_HANDLER   0x0800 /* L2's real-mode handlers (IVT at 0) */
#define INTR_HANDLER 0x0810
#define UD_COUNT     0x0500 /* what L2's handlers count, read back by the self-check */
#define INTR_COUNT   0x0504
#define STACK_TOP    0xf000
/*
 * The MSRs of the msr elements differ by ISA (the code below patches the MOV ECX immediates):
 * SVM: IA32_TSC, which kvm_amd intercepts (not in svm.c's direct_access_msrs), and
 * IA32_SYSENTER_CS, which kvm_amd passes through at both levels with the AMD vendor. VMX:
 * kvm_intel passes reads of IA32_TSC and all of SYSENTER_CS through for its guest
 * (vmx_vcpu_create), but L0 merges only a short list into vmcs02's bitmap
 * (nested_vmx_prepare_msr_bitmap): SYSENTER_CS would be an L0-handled exit. So VMX uses
 * IA32_BIOS_SIGN_ID (microcode revision: intercepted both ways, a guest write is ignored) and
 * IA32_KERNEL_GS_BASE, which L1 passes through and L0 merges (no exit anywhere).
 */
#define MSR_L1_SVM   0x10	/* IA32_TSC */
#define MSR_NONE_SVM 0x174	/* IA32_SYSENTER_CS */
#define MSR_L1_VMX   0x8b	/* IA32_BIOS_SIGN_ID */
#define MSR_NONE_VMX 0xc0000102 /* IA32_KERNEL_GS_BASE */
#define MSR_L1	     MSR_L1_SVM /* the code's immediates: patched for VMX */
#define MSR_NONE     MSR_NONE_SVM
#define MAX_ELEMS    16

enum element {
	E_CPUID,
	E_HLT,
	E_IO_IN,
	E_IO_OUT,
	E_RDMSR_L1,
	E_WRMSR_L1,
	E_RDMSR_NONE,
	E_WRMSR_NONE,
	E_UD,
	E_INTR,
	E_MIGRATE,
	E_NR,
};

/* 16-bit code: the operand-size prefix 0x66 makes the register operands 32-bit. */
#define MOV_ECX(msr) 0x66, 0xb9, (msr)&0xff, ((msr) >> 8) & 0xff, 0, 0
#define MOV_ECX_LEN  6
#define XOR_EAX_EDX  0x66, 0x31, 0xc0, 0x66, 0x31, 0xd2

static const struct {
	const char *name;
	const char *meaning;
	const char *certain;
	unsigned char code[40];
	size_t len;
} elements[E_NR] = {
	[E_CPUID] = { "cpuid",
		      "CPUID leaf 0: KVM intercepts CPUID (nested_svm_intercept)",
		      "l2_exits cpuid handled_by L1 +1",
		      { 0x66, 0x31, 0xc0, 0x66, 0x31, 0xc9, 0x0f, 0xa2 },
		      8 },
	[E_HLT] = { "hlt",
		    "HLT: KVM intercepts it and exits to this program (KVM_EXIT_HLT)",
		    "l2_exits hlt handled_by L1 +1",
		    { 0xf4 },
		    1 },
	[E_IO_IN] = { "io-in",
		      "IN from port 0x80: L1's IOPM intercepts every port "
		      "(nested_svm_intercept_ioio); KVM_EXIT_IO in this program",
		      "l2_exits io handled_by L1 +1; ports 0x80 in L1 +1",
		      { 0xba, PORT_DATA, 0x00, 0xec },
		      4 },
	[E_IO_OUT] = { "io-out",
		       "OUT to port 0x80, as io-in",
		       "l2_exits io handled_by L1 +1; ports 0x80 out L1 +1",
		       { 0xba, PORT_DATA, 0x00, 0xee },
		       4 },
	[E_RDMSR_L1] = { "rdmsr-l1",
			 "RDMSR 0x10 (TSC): in L1's MSRPM (nested_svm_exit_handled_msr); VMX: "
			 "0x8b (BIOS_SIGN_ID) in L1's MSR bitmap (nested_vmx_exit_handled_msr)",
			 "l2_exits msr handled_by L1 +1; msrs 0x10 read L1 +1",
			 { MOV_ECX(MSR_L1), 0x0f, 0x32 },
			 8 },
	[E_WRMSR_L1] = { "wrmsr-l1",
			 "WRMSR 0x10 (TSC) = 0: as rdmsr-l1",
			 "l2_exits msr handled_by L1 +1; msrs 0x10 write L1 +1",
			 { MOV_ECX(MSR_L1), XOR_EAX_EDX, 0x0f, 0x30 },
			 14 },
	[E_RDMSR_NONE] = { "rdmsr-none",
			   "RDMSR 0x174 (SYSENTER_CS): passed through by L1's MSRPM and by L0's "
			   "merged one (nested_svm_merge_msrpm): no exit anywhere; VMX: 0xc0000102 "
			   "(KERNEL_GS_BASE), merged by nested_vmx_prepare_msr_bitmap",
			   "none",
			   { MOV_ECX(MSR_NONE), 0x0f, 0x32 },
			   8 },
	[E_WRMSR_NONE] = { "wrmsr-none",
			   "WRMSR 0x174 = 0: as rdmsr-none",
			   "none",
			   { MOV_ECX(MSR_NONE), XOR_EAX_EDX, 0x0f, 0x30 },
			   14 },
	[E_UD] = { "ud",
		   "UD2: KVM intercepts #UD (nested_svm_intercept; VMX: L1's exception bitmap), "
		   "fails to emulate UD2 and injects #UD into L2, whose handler skips it (no "
		   "exit; VMX: EXCEPTION_NMI, not certain)",
		   "l2_exits \"UD excp\" handled_by L1 +1",
		   { 0x0f, 0x0b },
		   2 },
	[E_INTR] = { "intr",
		     "OUT to port 0x85: this program injects interrupt 0x20 (KVM_INTERRUPT), "
		     "which L1's KVM delivers with VMRUN's (VMX: VM entry's) event injection "
		     "(no exit)",
		     "l2_exits io handled_by L1 +1; ports 0x85 out L1 +1",
		     { 0xba, PORT_INTR, 0x00, 0xee },
		     4 },
	/*
	 * OUT to PORT_MIGRATE, then L2 spins on RDTSC (no exit) until EDI units of 2^20 TSC ticks
	 * have passed. EDI is 0 except at the save point (the middle iteration), where this
	 * program sets it to MIGRATE_WAIT seconds and prints "nvmx-l1: save-point" on the
	 * console: L0 (lab/l1-kvm.sh) then saves L1, with L2 running, and restores it.
	 */
	[E_MIGRATE] = { "migrate",
			"OUT to port 0x86, then L2 spins on RDTSC; in the middle iteration L1 is "
			"saved and restored by L0 while L2 spins (KVM_GET/SET_NESTED_STATE)",
			"l2_exits io handled_by L1 +1; ports 0x86 out L1 +1",
			{ 0xba, PORT_MIGRATE, 0x00, 0xee,	/* mov dx, 0x86; out dx, al */
			  0x0f, 0x31,				/* rdtsc */
			  0x66, 0x89,	      0xd3,		/* mov ebx, edx */
			  0x66, 0x89,	      0xc5,		/* mov ebp, eax */
			  0x0f, 0x31,				/* 1: rdtsc */
			  0x66, 0x29,	      0xe8,		/* sub eax, ebp */
			  0x66, 0x19,	      0xda,		/* sbb edx, ebx */
			  0x66, 0x0f,	      0xac, 0xd0, 0x14, /* shrd eax, edx, 20 */
			  0x66, 0x39,	      0xf8,		/* cmp eax, edi */
			  0x72, 0xee,				/* jb 1b */
			  0x66, 0x31,	      0xff },		/* xor edi, edi */
			33 },
};

struct run {
	enum element elems[MAX_ELEMS];
	size_t n_elems;
	unsigned long iterations;
	bool vmx;		      /* --isa vmx: L1 is kvm_intel */
	uint32_t msr_l1, msr_none;    /* the msr elements' MSRs for this ISA */
	unsigned long per_iter[E_NR]; /* how many times each element is in the loop */
	unsigned long io_in, io_out, hlt, end, intr; /* what came back to this program */
	unsigned long migrate;			     /* OUTs to PORT_MIGRATE */
	uint32_t ud_taken, intr_taken;		     /* what L2's handlers counted */
};

static void die(int code, const char *what)
{
	fprintf(stderr, "nvmx-lab-runner: %s: %s\n", what, strerror(errno));
	exit(code);
}

static int parse_spec(const char *spec, struct run *r)
{
	char *copy = strdup(spec), *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int e;

		for (e = 0; e < E_NR && strcmp(elements[e].name, t); e++)
			;
		if (e == E_NR || r->n_elems == MAX_ELEMS) {
			fprintf(stderr, "nvmx-lab-runner: %s: %s\n",
				e == E_NR ? "no such element (--list)" : "too many elements", t);
			free(copy);
			return -EINVAL;
		}
		r->elems[r->n_elems++] = e;
		r->per_iter[e]++;
	}
	free(copy);
	if (!r->n_elems) {
		fprintf(stderr, "nvmx-lab-runner: empty --workload\n");
		return -EINVAL;
	}
	return 0;
}

/* L2: ESI = N; loop: the elements; dec esi; jnz loop; then OUT to PORT_END and HLT. */
static size_t assemble(const struct run *r, unsigned char *code)
{
	static const unsigned char end[] = { 0xba, PORT_END, 0x00, 0xee, 0xf4 };
	size_t n = 0;
	int rel;

	for (size_t i = 0; i < r->n_elems; i++) {
		enum element e = r->elems[i];
		uint32_t msr = e == E_RDMSR_L1 || e == E_WRMSR_L1	? r->msr_l1
			       : e == E_RDMSR_NONE || e == E_WRMSR_NONE ? r->msr_none
									: 0;

		memcpy(code + n, elements[e].code, elements[e].len);
		if (msr) /* MOV ECX, imm32 leads the msr elements */
			memcpy(code + n + MOV_ECX_LEN - sizeof(msr), &msr, sizeof(msr));
		n += elements[e].len;
	}
	code[n++] = 0x66; /* dec esi */
	code[n++] = 0x4e;
	rel = -(int)(n + 4); /* jnz rel16 to 0, from the end of this instruction */
	code[n++] = 0x0f;
	code[n++] = 0x85;
	code[n++] = rel & 0xff;
	code[n++] = (rel >> 8) & 0xff;
	memcpy(code + n, end, sizeof(end));
	return n + sizeof(end);
}

/*
 * L2's real-mode IVT and handlers: #UD (a fault: the saved IP is the UD2's) counts and returns
 * past the 2-byte UD2; the interrupt counts and returns.
 */
static void install_handlers(unsigned char *mem)
{
	static const unsigned char ud[] = {
		0x66,	       0xff, 0x06, UD_COUNT & 0xff,
		UD_COUNT >> 8,			 /* inc dword [UD_COUNT] */
		0x55,				 /* push bp */
		0x89,	       0xe5,		 /* mov bp, sp */
		0x83,	       0x46, 0x02, 0x02, /* add word [bp+2], 2 */
		0x5d,				 /* pop bp */
		0xcf,				 /* iret */
	};
	static const unsigned char intr[] = {
		0x66, 0xff, 0x06, INTR_COUNT & 0xff, INTR_COUNT >> 8, /* inc dword [INTR_COUNT] */
		0xcf,						      /* iret */
	};
	uint16_t ivt_ud[2] = { UD_HANDLER, 0 }, ivt_intr[2] = { INTR_HANDLER, 0 };

	memcpy(mem + UD_HANDLER, ud, sizeof(ud));
	memcpy(mem + INTR_HANDLER, intr, sizeof(intr));
	memcpy(mem + 6 * 4, ivt_ud, sizeof(ivt_ud));
	memcpy(mem + INTR_VECTOR * 4, ivt_intr, sizeof(ivt_intr));
}

/*
 * L1's CPUID as KVM offers it; on SVM with the AMD vendor: SYSENTER MSRs pass through only then.
 * VMX keeps KVM's (Intel) vendor.
 */
static void set_cpuid(int kvm, int vcpu, bool vmx)
{
	int n = 100;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	if (!c)
		die(EXIT_BROKEN, "calloc");
	c->nent = n;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c))
		die(EXIT_CANNOT_RUN, "KVM_GET_SUPPORTED_CPUID");
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0 && !vmx) {
			c->entries[i].ebx = 0x68747541; /* "AuthenticAMD" */
			c->entries[i].edx = 0x69746e65;
			c->entries[i].ecx = 0x444d4163;
		}
	if (ioctl(vcpu, KVM_SET_CPUID2, c))
		die(EXIT_BROKEN, "KVM_SET_CPUID2");
	free(c);
}

/* TSC ticks per second, measured over 200 ms of CLOCK_MONOTONIC. */
static uint64_t tsc_hz(void)
{
	struct timespec a, b;
	uint32_t lo, hi;
	uint64_t t0, t1;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &a);
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	t0 = (uint64_t)hi << 32 | lo;
	usleep(200000);
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	t1 = (uint64_t)hi << 32 | lo;
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	return s > 0 ? (uint64_t)((double)(t1 - t0) / s) : 0;
}

/*
 * The migrate element: at the middle OUT to PORT_MIGRATE, L2 is told to wait MIGRATE_WAIT
 * seconds (EDI) and L0 is told, on the console, that now is the time to save L1.
 */
static void migrate_point(int vcpu, struct run *r)
{
	static const char marker[] = "nvmx-l1: save-point\n";
	unsigned long total = r->iterations * r->per_iter[E_MIGRATE];
	struct kvm_regs regs;
	uint64_t hz;

	if (++r->migrate != total / 2 + 1)
		return;
	hz = tsc_hz();
	if (!hz) {
		fprintf(stderr, "nvmx-lab-runner: cannot measure the TSC's rate\n");
		exit(EXIT_BROKEN);
	}
	if (ioctl(vcpu, KVM_GET_REGS, &regs))
		die(EXIT_BROKEN, "KVM_GET_REGS");
	regs.rdi = MIGRATE_WAIT * hz >> 20;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die(EXIT_BROKEN, "KVM_SET_REGS");
	if (write(STDOUT_FILENO, marker, sizeof(marker) - 1) != (ssize_t)sizeof(marker) - 1)
		die(EXIT_BROKEN, "writing the save point to the console");
}

/* The intr element: IF is set and nothing is pending, so L1's KVM can inject at once. */
static void inject(int vcpu, const struct kvm_run *run, struct run *r)
{
	struct kvm_interrupt irq = { .irq = INTR_VECTOR };

	if (!run->ready_for_interrupt_injection) {
		fprintf(stderr, "nvmx-lab-runner: L2 not ready for an interrupt at port 0x%x\n",
			PORT_INTR);
		exit(EXIT_BROKEN);
	}
	if (ioctl(vcpu, KVM_INTERRUPT, &irq))
		die(EXIT_BROKEN, "KVM_INTERRUPT");
	r->intr++;
}

static void run_l2(struct run *r)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, vcpu;
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	unsigned char *mem;
	long run_size;

	if (kvm < 0)
		die(EXIT_CANNOT_RUN, "/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die(EXIT_CANNOT_RUN, "KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die(EXIT_BROKEN, "mmap");
	assemble(r, mem + CODE_GPA);
	install_handlers(mem);
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		die(EXIT_BROKEN, "KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die(EXIT_BROKEN, "KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		die(EXIT_BROKEN, "KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die(EXIT_BROKEN, "mmap of kvm_run");
	set_cpuid(kvm, vcpu, r->vmx);
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die(EXIT_BROKEN, "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.idt.base = 0;
	sregs.idt.limit = 0x3ff;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die(EXIT_BROKEN, "KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x202; /* IF: the only interrupts are those the runner injects */
	regs.rsi = r->iterations;
	regs.rsp = STACK_TOP;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die(EXIT_BROKEN, "KVM_SET_REGS");

	while (!r->end) {
		if (ioctl(vcpu, KVM_RUN, 0) && errno != EINTR)
			die(EXIT_BROKEN, "KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			r->hlt++;
			break;
		case KVM_EXIT_IO:
			if (run->io.port == PORT_END && run->io.direction == KVM_EXIT_IO_OUT)
				r->end++;
			else if (run->io.port == PORT_INTR && run->io.direction == KVM_EXIT_IO_OUT)
				inject(vcpu, run, r);
			else if (run->io.port == PORT_MIGRATE &&
				 run->io.direction == KVM_EXIT_IO_OUT)
				migrate_point(vcpu, r);
			else if (run->io.port != PORT_DATA || run->io.size != 1 ||
				 run->io.count != 1)
				goto unexpected;
			else if (run->io.direction == KVM_EXIT_IO_IN)
				r->io_in++, *((unsigned char *)run + run->io.data_offset) = 0;
			else
				r->io_out++;
			break;
		case KVM_EXIT_INTR:
			break;
		default:
			goto unexpected;
		}
	}
	if (ioctl(vcpu, KVM_GET_REGS, &regs))
		die(EXIT_BROKEN, "KVM_GET_REGS");
	memcpy(&r->ud_taken, mem + UD_COUNT, sizeof(r->ud_taken));
	memcpy(&r->intr_taken, mem + INTR_COUNT, sizeof(r->intr_taken));
	if ((uint32_t)regs.rsi != 0) {
		fprintf(stderr, "nvmx-lab-runner: L2 ended with ESI %llu, not 0\n", regs.rsi);
		exit(EXIT_BROKEN);
	}
	close(vcpu);
	close(vm);
	close(kvm);
	return;
unexpected:
	fprintf(stderr,
		"nvmx-lab-runner: unexpected exit %u (port 0x%x size %u count %u dir %u) at RIP "
		"0x%llx\n",
		run->exit_reason, run->io.port, run->io.size, run->io.count, run->io.direction,
		ioctl(vcpu, KVM_GET_REGS, &regs) ? 0ULL : regs.rip);
	exit(EXIT_BROKEN);
}

/* The run kept its promise: what came back to this program is what the plan says. */
static int self_check(const struct run *r)
{
	const unsigned long n = r->iterations;
	int bad = 0;

	bad |= r->io_in != n * r->per_iter[E_IO_IN];
	bad |= r->io_out != n * r->per_iter[E_IO_OUT];
	bad |= r->hlt != n * r->per_iter[E_HLT];
	bad |= r->migrate != n * r->per_iter[E_MIGRATE];
	bad |= r->end != 1;
	bad |= r->intr != n * r->per_iter[E_INTR] || r->intr_taken != r->intr;
	bad |= r->ud_taken != n * r->per_iter[E_UD];
	if (bad)
		fprintf(stderr,
			"nvmx-lab-runner: self-check failed: io-in %lu, io-out %lu, hlt %lu, end "
			"%lu, interrupts injected %lu and taken %u, #UD taken %u, migrate %lu for "
			"N = %lu\n",
			r->io_in, r->io_out, r->hlt, r->end, r->intr, r->intr_taken, r->ud_taken,
			r->migrate, n);
	return bad ? -1 : 0;
}

/* The reasons of the elements' L2 exits, per ISA. */
struct reasons {
	uint32_t cpuid, hlt, io, ud, msr_read, msr_write;
};

static const struct reasons svm_reasons = {
	SVM_EXIT_CPUID,		SVM_EXIT_HLT, SVM_EXIT_IOIO,
	SVM_EXIT_EXCP_BASE + 6, SVM_EXIT_MSR, SVM_EXIT_MSR,
};

/* VMX: every exception is EXCEPTION_NMI, which nvmx counts as not certain: listed anyway. */
static const struct reasons vmx_reasons = {
	EXIT_REASON_CPUID,	   EXIT_REASON_HLT,	 EXIT_REASON_IO_INSTRUCTION,
	EXIT_REASON_EXCEPTION_NMI, EXIT_REASON_MSR_READ, EXIT_REASON_MSR_WRITE,
};

static int write_truth(const struct run *r, const char *path)
{
	const unsigned long n = r->iterations;
	const uint32_t isa = r->vmx ? NVMX_ISA_VMX : NVMX_ISA_SVM;
	const struct reasons *x = r->vmx ? &vmx_reasons : &svm_reasons;
	struct nvmx_summary *s = nvmx_summary_new();
	const enum nvmx_handler l1 = NVMX_HANDLED_BY_L1;
	const unsigned long rd = n * r->per_iter[E_RDMSR_L1], wr = n * r->per_iter[E_WRMSR_L1];
	FILE *f;
	int e = 0;

	if (!s)
		return -ENOMEM;
	nvmx_summary_set_l1_uncertain(s);
	e |= nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, isa, x->cpuid, l1,
				   n * r->per_iter[E_CPUID]);
	e |= nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, isa, x->hlt, l1, n * r->per_iter[E_HLT]);
	e |= nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, isa, x->io, l1,
				   n * (r->per_iter[E_IO_IN] + r->per_iter[E_IO_OUT] +
					r->per_iter[E_INTR] + r->per_iter[E_MIGRATE]) +
					   1);
	e |= nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, isa, x->ud, l1, n * r->per_iter[E_UD]);
	e |= nvmx_summary_add_port(s, isa, PORT_INTR, false, 1, l1, n * r->per_iter[E_INTR]);
	if (x->msr_read == x->msr_write) {
		e |= nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, isa, x->msr_read, l1, rd + wr);
	} else {
		e |= nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, isa, x->msr_read, l1, rd);
		e |= nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, isa, x->msr_write, l1, wr);
	}
	e |= nvmx_summary_add_port(s, isa, PORT_DATA, true, 1, l1, n * r->per_iter[E_IO_IN]);
	e |= nvmx_summary_add_port(s, isa, PORT_DATA, false, 1, l1, n * r->per_iter[E_IO_OUT]);
	e |= nvmx_summary_add_port(s, isa, PORT_END, false, 1, l1, 1);
	e |= nvmx_summary_add_port(s, isa, PORT_MIGRATE, false, 1, l1, n * r->per_iter[E_MIGRATE]);
	e |= nvmx_summary_add_msr(s, isa, r->msr_l1, false, l1, rd);
	e |= nvmx_summary_add_msr(s, isa, r->msr_l1, true, l1, wr);
	f = e ? NULL : fopen(path, "we");
	if (f && nvmx_summary_write_json(s, f))
		e = -EIO;
	if (f && fclose(f))
		e = -errno;
	nvmx_summary_free(s);
	return f ? e : -errno;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx-lab-runner --workload SPEC --iterations N --truth FILE\n"
		"       nvmx-lab-runner --list\n"
		"       nvmx-lab-runner [--isa svm|vmx] --check SPEC\n"
		"\n"
		"Runs a real-mode L2 on this machine's KVM (kvm_amd, or kvm_intel with --isa vmx)\n"
		"that executes SPEC N\n"
		"times, then writes to FILE the L2 exits KVM's code makes certain when this "
		"machine\n"
		"is itself an L1 guest: each element's exit is reflected to L1 (this kernel).\n"
		"Exit status: 0 FILE written; 2 cannot run (no /dev/kvm, bad arguments); 3 the "
		"run\n"
		"failed or its self-check did (details on stderr).\n");
	fputs("\n--help: this text; --version: the version of nvmx it comes with.\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "truth", required_argument, NULL, 't' },
		{ "list", no_argument, NULL, 'l' },
		{ "check", required_argument, NULL, 'c' },
		{ "isa", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { .msr_l1 = MSR_L1_SVM, .msr_none = MSR_NONE_SVM };
	const char *spec = NULL, *truth = NULL;
	char *end;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			spec = optarg;
			break;
		case 'n':
			errno = 0;
			r.iterations = strtoul(optarg, &end, 10);
			if (errno || *end || !r.iterations || r.iterations > 0x7fffffffUL) {
				return nvmx_usage_error("nvmx-lab-runner",
							"--iterations: 1 to 2^31-1");
			}
			break;
		case 't':
			truth = optarg;
			break;
		case 'l':
			for (int e = 0; e < E_NR; e++)
				printf("%s\t%s\t%s\n", elements[e].name, elements[e].meaning,
				       elements[e].certain);
			return EXIT_OK;
		case 'c':
			return parse_spec(optarg, &r) ? EXIT_CANNOT_RUN : EXIT_OK;
		case 'i':
			if (!strcmp(optarg, "vmx")) {
				r.vmx = true;
				r.msr_l1 = MSR_L1_VMX;
				r.msr_none = MSR_NONE_VMX;
			} else if (strcmp(optarg, "svm")) {
				return nvmx_usage_error("nvmx-lab-runner",
							"--isa %s: expected svm or vmx", optarg);
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			return nvmx_print_version("nvmx-lab-runner");
		default:
			return nvmx_getopt_error("nvmx-lab-runner", c, argv);
		}
	}
	if (optind != argc)
		return nvmx_usage_error("nvmx-lab-runner", "unexpected argument '%s'",
					argv[optind]);
	if (!spec || !truth || !r.iterations)
		return nvmx_usage_error("nvmx-lab-runner",
					"--workload, --iterations and --truth are required");
	if (parse_spec(spec, &r))
		return EXIT_CANNOT_RUN;
	run_l2(&r);
	if (self_check(&r))
		return EXIT_BROKEN;
	c = write_truth(&r, truth);
	if (c) {
		errno = -c;
		die(EXIT_BROKEN, truth);
	}
	return EXIT_OK;
}
