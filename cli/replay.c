// SPDX-License-Identifier: GPL-2.0
/* nvmx replay: attribute the exits of a captured trace (tracefs `trace` or trace-cmd report). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx replay FILE [--json]\n"
		"\n"
		"Replays a captured KVM trace through nvmx's attribution model and says, for "
		"every\n"
		"exit of a nested (L2) guest, whether L0 (the host KVM) or L1 (the guest "
		"hypervisor)\n"
		"handled it.\n"
		"\n"
		"FILE is the text of the kernel's trace buffer, plain or xz-compressed (detected "
		"by\n"
		"content), either the tracefs 'trace' file or 'trace-cmd report' output (also "
		"with\n"
		"-t/nanosecond timestamps). Capture one on the host running L0:\n"
		"\n"
		"  cd /sys/kernel/tracing\n"
		"  for e in kvm_exit kvm_entry kvm_nested_vmexit kvm_nested_vmexit_inject \\\n"
		"           kvm_nested_vmenter kvm_nested_vmenter_failed kvm_nested_intr_vmexit "
		"\\\n"
		"           kvm_msr kvm_userspace_exit; do echo 1 > events/kvm/$e/enable; done\n"
		"  echo > trace; <run the nested workload>; cat trace | xz > capture.txt.xz\n"
		"\n"
		"or: trace-cmd record -e kvm:kvm_exit -e kvm:kvm_entry -e 'kvm:kvm_nested_*' \\\n"
		"      -e kvm:kvm_msr -e kvm:kvm_userspace_exit <workload>\n"
		"    trace-cmd report -N -t > capture.txt  (-N: the kernel's formats, -t: ns)\n"
		"\n"
		"The rule, per vCPU thread: a kvm_exit is an L2 exit iff kvm_nested_vmexit "
		"follows\n"
		"before the next kvm_entry; an L2 exit is reflected (handled by L1) iff the first\n"
		"kvm_nested_vmexit_inject after it has its reason, else L0 handled it; other "
		"injects\n"
		"are exits L0 synthesised to L1 (interrupts...). Where the capture lost events, "
		"or\n"
		"began mid-way, what cannot be known is counted as unattributed, never guessed.\n"
		"\n"
		"Output: a table per exit reason: L2 exits handled by L0 and by L1, the reflected\n"
		"share, L1's own exits, exits synthesised to L1; then L2 MSR and port accesses, "
		"nested\n"
		"entries (emulated VMLAUNCH/VMRESUME/VMRUN), and unattributed, lost and malformed\n"
		"counts. A reflected RDMSR/WRMSR shows msr 'unknown': its index is in guest RCX.\n"
		"\n"
		"Options:\n"
		"  --json   print the summary as JSON (schema 1, the format nvmx's other tools "
		"share)\n"
		"  --help   this text\n"
		"\n"
		"Exit status: 0 on success (malformed lines are reported on stderr), 2 if FILE "
		"cannot\n"
		"be read or the arguments are wrong.\n");
}

/* One row per (isa, reason) of all exit kinds. */
struct row {
	uint32_t isa, reason;
	uint64_t l0, l1, l1_exits, synth;
};

static struct row *row_of(struct row *rows, size_t *n, size_t cap, uint32_t isa, uint32_t reason)
{
	for (size_t i = 0; i < *n; i++)
		if (rows[i].isa == isa && rows[i].reason == reason)
			return &rows[i];
	if (*n == cap)
		return NULL;
	rows[*n] = (struct row){ .isa = isa, .reason = reason };
	return &rows[(*n)++];
}

static void print_table(const struct nvmx_summary *s, const struct nvmx_replay_stats *st)
{
	const struct nvmx_summary_exit *ex;
	const struct nvmx_summary_msr *ms;
	const struct nvmx_summary_port *po;
	size_t n_ex = nvmx_summary_exits(s, &ex);
	size_t n_ms = nvmx_summary_msrs(s, &ms);
	size_t n_po = nvmx_summary_ports(s, &po);
	struct row rows[512];
	size_t n_rows = 0, dropped = 0;
	uint64_t tot_l0 = 0, tot_l1 = 0, tot_l1x = 0, tot_syn = 0;
	char buf[24];

	for (size_t i = 0; i < n_ex; i++) {
		struct row *r = row_of(rows, &n_rows, sizeof(rows) / sizeof(rows[0]), ex[i].isa,
				       ex[i].reason);

		if (!r) {
			dropped++;
			continue;
		}
		if (ex[i].kind == NVMX_KIND_L2_EXIT && ex[i].handled_by == NVMX_HANDLED_BY_L1)
			r->l1 += ex[i].count;
		else if (ex[i].kind == NVMX_KIND_L2_EXIT)
			r->l0 += ex[i].count;
		else if (ex[i].kind == NVMX_KIND_L1_EXIT)
			r->l1_exits += ex[i].count;
		else
			r->synth += ex[i].count;
	}
	printf("%-4s %-22s %10s %10s %10s %10s %10s\n", "isa", "reason", "L2->L0", "L2->L1",
	       "reflected", "L1 exits", "synth->L1");
	for (size_t i = 0; i < n_rows; i++) {
		const struct row *r = &rows[i];
		char share[16] = "-";

		if (r->l0 + r->l1)
			snprintf(share, sizeof(share), "%.1f%%",
				 100.0 * (double)r->l1 / (double)(r->l0 + r->l1));
		printf("%-4s %-22s %10" PRIu64 " %10" PRIu64 " %10s %10" PRIu64 " %10" PRIu64
		       "%s\n",
		       nvmx_isa_name(r->isa), nvmx_reason_name(r->isa, r->reason, buf, sizeof(buf)),
		       r->l0, r->l1, share, r->l1_exits, r->synth,
		       nvmx_reason_certain(r->isa, r->reason) || !(r->l0 + r->l1 + r->l1_exits)
			       ? ""
			       : "  (not fixed by the workload)");
		tot_l0 += r->l0;
		tot_l1 += r->l1;
		tot_l1x += r->l1_exits;
		tot_syn += r->synth;
	}
	if (dropped)
		printf("(%zu entries not shown: too many reasons)\n", dropped);
	printf("%-4s %-22s %10" PRIu64 " %10" PRIu64 " %10s %10" PRIu64 " %10" PRIu64 "\n", "",
	       "total", tot_l0, tot_l1, "", tot_l1x, tot_syn);
	if (tot_l1)
		printf("\nL1 exits per reflected L2 exit: %.2f\n",
		       (double)tot_l1x / (double)tot_l1);

	if (n_ms) {
		printf("\nL2 MSR accesses:\n%-4s %-10s %-6s %-10s %10s\n", "isa", "msr", "access",
		       "handled_by", "count");
		for (size_t i = 0; i < n_ms; i++) {
			if (ms[i].msr == NVMX_MSR_UNKNOWN)
				snprintf(buf, sizeof(buf), "unknown");
			else
				snprintf(buf, sizeof(buf), "0x%x", ms[i].msr);
			printf("%-4s %-10s %-6s %-10s %10" PRIu64 "\n", nvmx_isa_name(ms[i].isa),
			       buf, ms[i].write ? "write" : "read",
			       ms[i].handled_by == NVMX_HANDLED_BY_L1 ? "L1" : "L0", ms[i].count);
		}
	}
	if (n_po) {
		printf("\nL2 port I/O:\n%-4s %-8s %-4s %4s %-10s %10s\n", "isa", "port", "dir",
		       "size", "handled_by", "count");
		for (size_t i = 0; i < n_po; i++)
			printf("%-4s 0x%-6x %-4s %4u %-10s %10" PRIu64 "\n",
			       nvmx_isa_name(po[i].isa), po[i].port, po[i].in ? "in" : "out",
			       po[i].size, po[i].handled_by == NVMX_HANDLED_BY_L1 ? "L1" : "L0",
			       po[i].count);
	}
	printf("\nnested entries:        %" PRIu64 "\n", nvmx_summary_nested_entries(s));
	if (nvmx_summary_failed_entries(s))
		printf("failed nested entries: %" PRIu64 "\n", nvmx_summary_failed_entries(s));
	printf("unattributed:          %" PRIu64 "\n", nvmx_summary_unattributed(s));
	printf("lost events:           %" PRIu64 " (at %" PRIu64 " places)\n", st->lost_events,
	       st->lost_markers);
	printf("malformed lines:       %" PRIu64 " of %" PRIu64 "\n", st->malformed, st->lines);
	printf("vCPU threads:          %" PRIu64 ", events: %" PRIu64 "\n", st->threads,
	       st->events);
}

int nvmx_cmd_replay(int argc, char **argv)
{
	struct nvmx_replay_stats stats;
	struct nvmx_summary *sum = NULL;
	const char *path = NULL;
	bool json = false;
	int err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "nvmx replay: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		} else if (path) {
			fprintf(stderr, "nvmx replay: one FILE only ('%s', '%s')\n", path, argv[i]);
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		usage(stderr);
		return 2;
	}
	err = nvmx_replay_path(path, &sum, &stats, stderr);
	if (err) {
		fprintf(stderr, "nvmx replay: %s: %s\n", path, strerror(-err));
		return 2;
	}
	if (json) {
		err = nvmx_summary_write_json(sum, stdout);
		if (err)
			fprintf(stderr, "nvmx replay: writing JSON: %s\n", strerror(-err));
	} else {
		print_table(sum, &stats);
	}
	nvmx_summary_free(sum);
	return err ? 1 : 0;
}
