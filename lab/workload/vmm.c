// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM of the workload: builds one VM whose memory holds this program's own image at its link
 * addresses, mapped 1:1, so every vCPU can run wl_svm_l1_main() in L1; runs one thread per vCPU
 * and answers the L2 exits that L0 sends out to user space.
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "layout.h"
#include "vmcs.h"
#include "vmm.h"

struct vm {
	int kvm_fd, vm_fd;
	uint8_t *mem;
	uint8_t *reinject;	    /* reinject: the fresh pages, memory slot 1, or NULL */
	uint64_t reinject_per_vcpu; /* bytes: iterations x WL_REINJECT_STRIDE */
	struct kvm_cpuid2 *cpuid;
	int run_size;
};

struct vcpu {
	struct vm *vm;
	uint32_t index;
	int fd;
	struct kvm_run *run;
	struct wl_vmm_counts counts;
	uint64_t vmx_msr[VMX_MSR_COUNT];
	int err;
	char msg[256];
};

static uint64_t area_gpa(uint32_t vcpu)
{
	return WL_AREAS_BASE + (uint64_t)vcpu * WL_AREA_SIZE;
}

static int copy_segment(struct dl_phdr_info *info, size_t size, void *data)
{
	struct vm *vm = data;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (start < WL_AREAS_BASE + WL_MAX_VCPUS * WL_AREA_SIZE ||
		    start + ph->p_memsz > WL_GUEST_MEM_SIZE)
			return -ERANGE;
		memcpy(vm->mem + start, (const void *)start, ph->p_memsz);
	}
	/* Only the first object is this program (a static executable has no other). */
	return 1;
}

static void build_page_tables_and_gdt(struct vm *vm)
{
	uint64_t *pml4 = (uint64_t *)(vm->mem + WL_PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(vm->mem + WL_PDPT_GPA);
	uint64_t *pd = (uint64_t *)(vm->mem + WL_PD_GPA);
	uint64_t *gdt = (uint64_t *)(vm->mem + WL_GDT_GPA);

	pml4[0] = WL_PDPT_GPA | 0x3;
	pdpt[0] = WL_PD_GPA | 0x3;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | 0x83; /* 2 MiB, present, writable: the first GiB 1:1 */
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffull; /* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffull; /* 0x10: data */
}

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	for (int nent = 64; nent <= 1024; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = nent;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

static struct kvm_cpuid_entry2 *cpuid_entry(struct kvm_cpuid2 *c, uint32_t function)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == function && c->entries[i].index == 0)
			return &c->entries[i];
	return NULL;
}

static void vm_destroy(struct vm *vm)
{
	if (vm->mem && vm->mem != MAP_FAILED)
		munmap(vm->mem, WL_GUEST_MEM_SIZE);
	if (vm->reinject)
		munmap(vm->reinject, WL_REINJECT_END - WL_REINJECT_BASE);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->cpuid);
}

static int vm_create(struct vm *vm, uint32_t isa, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_cpuid_entry2 *ext, *leaf1;
	int r;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		snprintf(err, errlen, "cannot open /dev/kvm: %s (is %s loaded?)", strerror(errno),
			 isa == 2 ? "kvm_amd" : "kvm_intel");
		return -ENODEV;
	}
	vm->cpuid = supported_cpuid(vm->kvm_fd);
	if (!vm->cpuid) {
		snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -errno;
	}
	ext = cpuid_entry(vm->cpuid, 0x80000001);
	if (isa == 2 && (!ext || !(ext->ecx & (1u << 2)))) {
		snprintf(err, errlen,
			 "KVM does not offer SVM to its guests: load kvm_amd with nested=1");
		return -ENOTSUP;
	}
	leaf1 = cpuid_entry(vm->cpuid, 1);
	if (isa == 1 && (!leaf1 || !(leaf1->ecx & (1u << 5)))) {
		snprintf(err, errlen,
			 "KVM does not offer VMX to its guests: load kvm_intel with nested=1");
		return -ENOTSUP;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -errno;
	}
	/* The in-kernel irqchip gives L1 a local APIC to take the VMM's MSIs. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0)) {
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -errno;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -errno;
	}
	vm->mem = mmap(NULL, WL_GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %llu MiB of guest memory: %s",
			 WL_GUEST_MEM_SIZE >> 20, strerror(errno));
		return -errno;
	}
	region.memory_size = WL_GUEST_MEM_SIZE;
	region.userspace_addr = (uint64_t)vm->mem;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region)) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -errno;
	}
	r = dl_iterate_phdr(copy_segment, vm);
	if (r < 0) {
		snprintf(err, errlen, "this program's image does not fit guest memory above %#llx",
			 WL_AREAS_BASE + WL_MAX_VCPUS * WL_AREA_SIZE);
		return r;
	}
	build_page_tables_and_gdt(vm);
	return 0;
}

/*
 * reinject: the fresh pages in a memory slot of their own, from WL_REINJECT_BASE to
 * WL_REINJECT_END (main.c checks that iterations x vCPUs slots fit). Never touched here, and
 * without transparent huge pages: each L2 access faults in one 4 KiB page, in L0 as in KVM (a
 * huge page would let L0 map its neighbours with it).
 */
static int reinject_region_create(struct vm *vm, const struct wl_run_config *cfg, char *err,
				  size_t errlen)
{
	struct kvm_userspace_memory_region region = { .slot = 1 };
	const uint64_t size = WL_REINJECT_END - WL_REINJECT_BASE;
	void *p;

	vm->reinject_per_vcpu = cfg->iterations * WL_REINJECT_STRIDE;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "reinject: cannot map %llu MiB for the fresh pages: %s",
			 (unsigned long long)(size >> 20), strerror(errno));
		return -errno;
	}
	vm->reinject = p;
	if (madvise(p, size, MADV_NOHUGEPAGE)) {
		snprintf(err, errlen, "reinject: madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
		return -errno;
	}
	region.guest_phys_addr = WL_REINJECT_BASE;
	region.memory_size = size;
	region.userspace_addr = (uint64_t)p;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region)) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION (reinject): %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * reinject: which of vCPU v's pages are resident in this process (mincore): the first page of
 * each slot L2 used, and nothing else, if only the #DEs' deliveries touched the region.
 */
static int reinject_resident(const struct vm *vm, uint32_t v, struct wl_reinject_seen *seen,
			     char *err, size_t errlen)
{
	const uint64_t pages = vm->reinject_per_vcpu / 4096;
	const uint64_t per_slot = WL_REINJECT_STRIDE / 4096;
	unsigned char *vec = malloc(pages);

	if (!vec) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (mincore(vm->reinject + v * vm->reinject_per_vcpu, vm->reinject_per_vcpu, vec)) {
		snprintf(err, errlen, "reinject: mincore: %s", strerror(errno));
		free(vec);
		return -errno;
	}
	for (uint64_t i = 0; i < pages; i++) {
		if (!(vec[i] & 1))
			continue;
		if (i % per_slot == 0)
			seen->pages_in_slots++;
		else
			seen->pages_elsewhere++;
	}
	free(vec);
	return 0;
}

static void segment(struct kvm_segment *s, uint16_t selector, uint8_t type, int code)
{
	memset(s, 0, sizeof(*s));
	s->selector = selector;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

/*
 * VMX for L1: IA32_FEATURE_CONTROL locked with VMXON allowed outside SMX (KVM leaves it to user
 * space), CR4.VMXE, long mode without SVME, and the capability MSRs as KVM reports them to L1,
 * read here so that L1 itself makes no configuration-dependent MSR exits.
 */
static int vmx_setup(struct vcpu *v, const struct wl_run_config *cfg, struct kvm_sregs *sregs,
		     char *err, size_t errlen)
{
	/* kvm_msrs ends in a flexible array: room for its entries, without a GNU extension */
	union {
		struct kvm_msrs hdr;
		unsigned char room[sizeof(struct kvm_msrs) +
				   VMX_MSR_COUNT * sizeof(struct kvm_msr_entry)];
	} msrs;
	uint64_t proc2, ept;

	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 1;
	msrs.hdr.entries[0].index = MSR_IA32_FEATURE_CONTROL;
	msrs.hdr.entries[0].data = 0x5; /* lock, VMXON outside SMX */
	if (ioctl(v->fd, KVM_SET_MSRS, &msrs) != 1) {
		snprintf(err, errlen, "KVM_SET_MSRS IA32_FEATURE_CONTROL: %s",
			 errno ? strerror(errno) : "refused");
		return -ENOTSUP;
	}
	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = VMX_MSR_COUNT;
	for (uint32_t i = 0; i < VMX_MSR_COUNT; i++)
		msrs.hdr.entries[i].index = VMX_MSR_BASE + i;
	/* 0x485 (MISC) and 0x48a (VMCS_ENUM) are read too: KVM answers all of 0x480-0x490. */
	if (ioctl(v->fd, KVM_GET_MSRS, &msrs) != VMX_MSR_COUNT) {
		snprintf(err, errlen, "KVM_GET_MSRS of the VMX capability MSRs: %s",
			 errno ? strerror(errno) : "not all of them");
		return -ENOTSUP;
	}
	for (uint32_t i = 0; i < VMX_MSR_COUNT; i++)
		v->vmx_msr[i] = msrs.hdr.entries[i].data;
	proc2 = v->vmx_msr[VMX_MSR_PROCBASED_CTLS2];
	ept = v->vmx_msr[VMX_MSR_EPT_VPID_CAP];
	if (cfg->spec.l1_ept &&
	    (!(v->vmx_msr[VMX_MSR_PROCBASED_CTLS] >> 32 & VMX_PROC_ACTIVATE_SECONDARY) ||
	     !(proc2 >> 32 & VMX_PROC2_ENABLE_EPT) ||
	     (ept & (VMX_EPT_CAP_WALK_4 | VMX_EPT_CAP_WB | VMX_EPT_CAP_2MB)) !=
		     (VMX_EPT_CAP_WALK_4 | VMX_EPT_CAP_WB | VMX_EPT_CAP_2MB))) {
		snprintf(err, errlen,
			 "l1-ept: KVM offers L1 no EPT with 4-level walks, write-back and 2 MiB "
			 "pages (kvm_intel ept=0?)");
		return -ENOTSUP;
	}
	sregs->cr4 |= X86_CR4_VMXE;
	sregs->efer = 0x500; /* LMA LME */
	return 0;
}

static int vcpu_setup(struct vcpu *v, const struct wl_run_config *cfg, char *err, size_t errlen)
{
	struct vm *vm = v->vm;
	uint64_t area = area_gpa(v->index);
	struct wl_mailbox *mb = (struct wl_mailbox *)(vm->mem + area);
	struct kvm_cpuid_entry2 *leaf1;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, v->index);
	if (v->fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU %u: %s", v->index, strerror(errno));
		return -errno;
	}
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		snprintf(err, errlen, "mmap of kvm_run: %s", strerror(errno));
		return -errno;
	}
	/*
	 * L1 must see SVM in CPUID before EFER.SVME can be set (KVM's kvm_valid_efer()), VMX
	 * before CR4.VMXE.
	 */
	leaf1 = cpuid_entry(vm->cpuid, 1);
	if (leaf1)
		leaf1->ebx = (leaf1->ebx & 0x00ffffff) | (v->index << 24);
	if (ioctl(v->fd, KVM_SET_CPUID2, vm->cpuid)) {
		snprintf(err, errlen, "KVM_SET_CPUID2: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs)) {
		snprintf(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -errno;
	}
	segment(&sregs.cs, 0x08, 11, 1);
	segment(&sregs.ds, 0x10, 3, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.selector = 0x18;
	sregs.tr.limit = 0x67;
	sregs.tr.type = 11;
	sregs.tr.present = 1;
	sregs.gdt.base = WL_GDT_GPA;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.cr0 = 0x80050033; /* PG WP NE ET MP PE */
	sregs.cr3 = WL_PML4_GPA;
	sregs.cr4 = 0x620; /* OSXMMEXCPT OSFXSR PAE */
	if (cfg->isa == 1) {
		int r = vmx_setup(v, cfg, &sregs, err, errlen);

		if (r)
			return r;
	} else {
		sregs.efer = 0x1500; /* SVME LMA LME */
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs)) {
		snprintf(err, errlen, "KVM_SET_SREGS (long mode, EFER.SVME or CR4.VMXE): %s",
			 strerror(errno));
		return -errno;
	}

	memset(mb, 0, sizeof(*mb));
	mb->iterations = cfg->iterations;
	mb->elements = cfg->spec.elements;
	mb->mult = cfg->spec.mult;
	mb->vcpu = v->index;
	mb->l1_takes_interrupts = !!(cfg->spec.elements & WL_BIT(WL_INTR));
	mb->vmcb_gpa = area + WL_AREA_VMCB;
	mb->hsave_gpa = area + WL_AREA_HSAVE;
	mb->msrpm_gpa = area + WL_AREA_MSRPM;
	mb->iopm_gpa = area + WL_AREA_IOPM;
	mb->l2_stack_top = area + WL_AREA_L2_STACK_TOP;
	if (vm->reinject)
		mb->reinject_top = WL_REINJECT_BASE + v->index * vm->reinject_per_vcpu + 4096;
	mb->cr0 = sregs.cr0;
	mb->cr3 = sregs.cr3;
	mb->cr4 = sregs.cr4;
	mb->efer = sregs.efer;
	mb->gdt_base = sregs.gdt.base;
	mb->gdt_limit = sregs.gdt.limit;
	if (cfg->isa == 1) {
		uint32_t revision = (uint32_t)v->vmx_msr[VMX_MSR_BASIC] & 0x7fffffff;

		memcpy(mb->vmx_msr, v->vmx_msr, sizeof(mb->vmx_msr));
		mb->l1_ept = cfg->spec.l1_ept;
		mb->vmcs_gpa = area + WL_AREA_VMCS;
		mb->vmxon_gpa = area + WL_AREA_VMXON;
		mb->io_bitmap_b_gpa = area + WL_AREA_VMX_IO_BMP_B;
		mb->ept_pml4_gpa = area + WL_AREA_EPT_PML4;
		/* Both regions start with the VMCS revision identifier (SDM vol. 3, 25.2). */
		memcpy(vm->mem + mb->vmcs_gpa, &revision, sizeof(revision));
		memcpy(vm->mem + mb->vmxon_gpa, &revision, sizeof(revision));
	}

	/* With the in-kernel irqchip, APs wait for INIT/SIPI: every vCPU here starts at once. */
	if (v->index) {
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

		if (ioctl(v->fd, KVM_SET_MP_STATE, &mp)) {
			snprintf(err, errlen, "KVM_SET_MP_STATE: %s", strerror(errno));
			return -errno;
		}
	}
	regs.rip = cfg->isa == 1 ? (uint64_t)wl_vmx_l1_main : (uint64_t)wl_svm_l1_main;
	regs.rdi = area + WL_AREA_MAILBOX;
	/* As after a call: RSP + 8 is 16-byte aligned at a function's first instruction. */
	regs.rsp = area + WL_AREA_L1_STACK_TOP - 8;
	regs.rflags = 0x2;
	if (ioctl(v->fd, KVM_SET_REGS, &regs)) {
		snprintf(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int vcpu_fail(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int vcpu_fail(struct vcpu *v, const char *fmt, ...)
{
	struct kvm_regs regs;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
	if (!ioctl(v->fd, KVM_GET_REGS, &regs)) {
		size_t n = strlen(v->msg);

		snprintf(v->msg + n, sizeof(v->msg) - n, " (vcpu %u rip %#llx)", v->index,
			 (unsigned long long)regs.rip);
	}
	v->err = -EIO;
	return v->err;
}

/* Handles one exit to user space; returns 1 to go on, 0 when L1 said it is done, < 0 on error. */
static int vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	int in = run->io.direction == KVM_EXIT_IO_IN;

	if (run->io.count != 1 || run->io.size != 1)
		return vcpu_fail(v, "unexpected string or wide I/O on port %#x size %u",
				 (unsigned int)run->io.port, (unsigned int)run->io.size);
	switch (run->io.port) {
	case WL_PORT_L0:
		if (in) {
			*data = 0xa5;
			v->counts.io_in_l0++;
		} else {
			v->counts.io_out_l0++;
		}
		return 1;
	case WL_PORT_KICK: {
		struct kvm_msi msi = {
			/* Fixed, edge, physical destination: this vCPU's APIC ID (SDM vol. 3, 11.11). */
			.address_lo = 0xfee00000u | (v->index << 12),
			.data = WL_INTR_VECTOR,
		};
		int r;

		if (in)
			break;
		r = ioctl(v->vm->vm_fd, KVM_SIGNAL_MSI, &msi);
		if (r <= 0)
			return vcpu_fail(v, "KVM_SIGNAL_MSI returned %d (errno %d)", r,
					 r < 0 ? errno : 0);
		v->counts.kicks++;
		return 1;
	}
	case WL_PORT_L1_DONE:
		if (in)
			break;
		v->counts.l1_done++;
		return 0;
	}
	return vcpu_fail(v, "unexpected %s on port %#x", in ? "IN" : "OUT",
			 (unsigned int)run->io.port);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	char name[16];

	/* The trace's TASK column: one thread per vCPU, named so a reader can tell them apart. */
	snprintf(name, sizeof(name), "nvmx-wl-vcpu%u", v->index);
	prctl(PR_SET_NAME, name);
	for (;;) {
		int r;

		if (ioctl(v->fd, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vcpu_fail(v, "KVM_RUN: errno %d", errno);
			break;
		}
		switch (v->run->exit_reason) {
		case KVM_EXIT_IO:
			r = vcpu_handle_io(v);
			if (r <= 0)
				return NULL;
			break;
		case KVM_EXIT_SHUTDOWN:
			vcpu_fail(v, "L1 shut down (triple fault)");
			return NULL;
		case KVM_EXIT_FAIL_ENTRY:
			vcpu_fail(v, "VM entry failed: hardware reason %#llx",
				  v->run->fail_entry.hardware_entry_failure_reason);
			return NULL;
		case KVM_EXIT_INTERNAL_ERROR:
			vcpu_fail(v, "KVM internal error, suberror %u", v->run->internal.suberror);
			return NULL;
		default:
			vcpu_fail(v, "unexpected exit to user space: reason %u",
				  v->run->exit_reason);
			return NULL;
		}
	}
	return NULL;
}

static void on_timeout(int sig)
{
	static const char msg[] = "nvmx-lab-workload: timed out: L1 did not finish\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

int wl_run(const struct wl_run_config *cfg, struct wl_run_result *res, char *err, size_t errlen)
{
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1 };
	struct vcpu vcpus[WL_MAX_VCPUS] = { 0 };
	pthread_t threads[WL_MAX_VCPUS];
	uint32_t started = 0;
	int r;

	memset(res, 0, sizeof(*res));
	for (uint32_t i = 0; i < WL_MAX_VCPUS; i++)
		vcpus[i].fd = -1;
	r = vm_create(&vm, cfg->isa, err, errlen);
	if (!r && (cfg->spec.elements & WL_BIT(WL_REINJECT)))
		r = reinject_region_create(&vm, cfg, err, errlen);
	if (r)
		goto out;
	for (uint32_t i = 0; i < cfg->vcpus; i++) {
		vcpus[i].vm = &vm;
		vcpus[i].index = i;
		r = vcpu_setup(&vcpus[i], cfg, err, errlen);
		if (r)
			goto out;
	}
	if (cfg->timeout_s) {
		signal(SIGALRM, on_timeout);
		alarm(cfg->timeout_s);
	}
	for (; started < cfg->vcpus; started++) {
		r = -pthread_create(&threads[started], NULL, vcpu_thread, &vcpus[started]);
		if (r) {
			snprintf(err, errlen, "pthread_create: %s", strerror(-r));
			break;
		}
	}
	for (uint32_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	alarm(0);
	for (uint32_t i = 0; i < started && !r; i++) {
		const struct wl_mailbox *mb =
			(const struct wl_mailbox *)(vm.mem + area_gpa(i) + WL_AREA_MAILBOX);

		res->l1[i] = mb->counts;
		res->vmm[i] = vcpus[i].counts;
		if (vm.reinject) {
			memcpy(&res->reinject[i].l2_de_taken,
			       vm.mem + area_gpa(i) + WL_AREA_L2_DE_COUNT, sizeof(uint64_t));
			r = reinject_resident(&vm, i, &res->reinject[i], err, errlen);
			if (r)
				break;
		}
		if (vcpus[i].err) {
			snprintf(err, errlen, "%s", vcpus[i].msg);
			r = vcpus[i].err;
		} else if (mb->status != WL_STATUS_DONE) {
			snprintf(err, errlen,
				 "L1 on vcpu %u stopped on exit code %#x (info %#llx %#llx rip "
				 "%#llx "
				 "%#llx)",
				 i, mb->error_exit_code, (unsigned long long)mb->error_info[0],
				 (unsigned long long)mb->error_info[1],
				 (unsigned long long)mb->error_info[2],
				 (unsigned long long)mb->error_info[3]);
			r = -EPROTO;
		}
	}
out:
	for (uint32_t i = 0; i < cfg->vcpus; i++) {
		if (vcpus[i].run)
			munmap(vcpus[i].run, vm.run_size);
		if (vcpus[i].fd >= 0)
			close(vcpus[i].fd);
	}
	vm_destroy(&vm);
	return r;
}
