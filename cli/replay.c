// SPDX-License-Identifier: GPL-2.0
/* nvmx replay: attribute the exits of a captured trace (tracefs, trace-cmd, perf script). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "load.h"
#include "nvmx/exit_reasons.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"
#include "table.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx replay FILE [--json] [--vm NAME|PID] [--vcpu N]\n"
		"\n"
		"Replays a captured KVM trace through nvmx's attribution model and says, for "
		"every\n"
		"exit of a nested (L2) guest, whether L0 (the host KVM) or L1 (the guest "
		"hypervisor)\n"
		"handled it.\n"
		"\n"
		"FILE is a capture of the kvm events, told by its content, once per file: the\n"
		"text of the kernel's trace buffer (the tracefs 'trace' file, 'trace-cmd report'\n"
		"output, also with -t/nanosecond timestamps), 'perf script' output of 'perf "
		"record\n"
		"-e kvm:*' (microseconds or --ns), each plain or xz-compressed; trace-cmd's "
		"binary\n"
		"trace.dat (its fields read by name through libtracecmd: a file, not a pipe); or "
		"an\n"
		"attribution already made (nvmxd --json, nvmx replay --json): then its table, as\n"
		"nvmx up shows nvmxd's. Capture one on the host running L0 with nvmx record\n"
		"(exactly these events, the kernel, ISA and KVM module parameters in its header;\n"
		"'nvmx record --help'):\n"
		"\n"
		"  nvmx record --output capture.txt -- <run the nested workload>\n"
		"\n"
		"or by hand:\n"
		"\n"
		"  cd /sys/kernel/tracing\n"
		"  for e in kvm_exit kvm_entry kvm_nested_vmexit kvm_nested_vmexit_inject \\\n"
		"           kvm_nested_vmenter kvm_nested_vmenter_failed kvm_nested_intr_vmexit "
		"\\\n"
		"           kvm_msr kvm_userspace_exit kvm_inj_virq kvm_inj_exception; do\n"
		"      echo 1 > events/kvm/$e/enable; done\n"
		"  echo > trace; <run the nested workload>; cat trace | xz > capture.txt.xz\n"
		"\n"
		"or: trace-cmd record -e kvm:kvm_exit -e kvm:kvm_entry -e 'kvm:kvm_nested_*' \\\n"
		"      -e kvm:kvm_msr -e kvm:kvm_userspace_exit -e kvm:kvm_inj_virq \\\n"
		"      -e kvm:kvm_inj_exception <workload>\n"
		"    (replay its trace.dat, or: trace-cmd report -N -t > capture.txt)\n"
		"or: perf record -e 'kvm:*' -a <workload>\n"
		"    perf script --show-lost-events > capture.txt  (lost events: counted)\n"
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
		"arm64 (FEAT_NV2; enable also kvm_nested_eret, kvm_inject_nested_exception and\n"
		"kvm_forward_sysreg_trap): kvm_exit does not say the level, so it is tracked: "
		"L1's\n"
		"ERET into L2 (TGE clear) enters L2, a SYNC injected from L2 with the exit's EC "
		"is\n"
		"its reflection; exceptions injected into L1 itself are counted apart\n"
		"(injected_to_l1). Exit names (HVC64, SYS64, ERET...) are the capture's own.\n"
		"\n"
		"Output: a table per exit reason: L2 exits handled by L0 and by L1, the reflected\n"
		"share, L1's own exits, exits synthesised to L1; then L2 MSR and port accesses, "
		"nested\n"
		"entries (emulated VMLAUNCH/VMRESUME/VMRUN), and unattributed, lost and malformed\n"
		"counts. A reflected RDMSR/WRMSR shows msr 'unknown': its index is in guest RCX.\n"
		"The JSON also has the Turtles breakdown of every complete round trip of a\n"
		"reflected exit, L0-handled exits' handling time, and interrupted event "
		"deliveries\n"
		"by outcome (docs/model.md); nvmx report shows them as a table.\n"
		"\n"
		"Options:\n"
		"  --json         print the summary as JSON (schema 1, the format nvmx's other\n"
		"                 tools share)\n" NVMX_USAGE_FILTER "\n"
		"FILE may be a pipe (nvmx replay <(ssh host cat trace)).\n"
		"\n"
		"Malformed lines: a line that is not what tracefs or trace-cmd write is counted, "
		"not\n"
		"used; the first 10 are named on stderr (FILE:LINE: expected ...), then how many\n"
		"more. A capture is unusable, exit 2 with one line on stderr saying why, when it "
		"has\n"
		"no KVM event at all (an empty file, a text that is not a trace) or more "
		"malformed\n"
		"lines than events. Lines are at most 64 KiB (a tracefs line is < 1 KiB).\n"
		"\n"
		"Exit status: 0 on success; 2 on a usage error, or when FILE cannot be used: it\n"
		"cannot be read (I/O error, out of memory, a truncated or corrupt .xz, a line "
		"over\n"
		"64 KiB), is not a usable capture (above), or is a JSON that is not nvmx's schema "
		"1\n"
		"(a count not an integer 0..2^63-1...), or --vm/--vcpu match no thread of it (or\n"
		"it is a JSON); one line on stderr: 'nvmx replay: FILE[:LINE]: what is wrong'.\n"
		"1: writing the output failed.\n"
		"\n"
		"Example: nvmx replay capture.txt.xz --vm 'nvmx-wl-*' --vcpu 1 --json\n");
	fputs(NVMX_USAGE_COMMON, f);
}

static void print_replay_stats(const struct nvmx_replay_stats *st)
{
	/* the number lost is the table's "lost events" line */
	printf("places events lost:    %" PRIu64 "\n", st->lost_markers);
	printf("malformed lines:       %" PRIu64 " of %" PRIu64 "\n", st->malformed, st->lines);
	printf("vCPU threads:          %" PRIu64 ", events: %" PRIu64 "\n", st->threads,
	       st->events);
	if (st->matched_threads)
		printf("kept by the filter:    %" PRIu64 " threads, %" PRIu64 " events\n",
		       st->matched_threads, st->matched_events);
}

int nvmx_cmd_replay(int argc, char **argv)
{
	struct nvmx_replay_stats stats;
	struct nvmx_summary *sum = NULL;
	struct nvmx_loaded in;
	struct nvmx_replay_filter filter = { NULL, -1 };
	const char *path = NULL;
	bool json = false;
	int err = 0, ret;

	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		NVMX_FILTER_LONGOPTS,
		NVMX_COMMON_LONGOPTS,
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'M':
		case 'U':
			if (nvmx_filter_opt("nvmx replay", c, optarg, &filter))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmx");
		default:
			return nvmx_getopt_error("nvmx replay", c, argv);
		}
	}
	if (optind == argc)
		return nvmx_usage_error("nvmx replay", "give a FILE (a capture or a JSON)");
	if (argc - optind > 1)
		return nvmx_usage_error("nvmx replay", "one FILE only ('%s', '%s')", argv[optind],
					argv[optind + 1]);
	path = argv[optind];
	ret = nvmx_load_filtered("nvmx replay", path, false, &filter, &in);
	if (ret)
		return ret;
	sum = in.sum;
	if (in.json) {
		/* an attribution already made (nvmxd --json...): its table, as nvmx up shows it */
		if (json)
			err = nvmx_summary_write_json(sum, stdout);
		else
			nvmx_print_table(stdout, sum);
		if (err)
			fprintf(stderr, "nvmx replay: writing JSON: %s\n", strerror(-err));
		nvmx_loaded_free(&in);
		return err ? 1 : 0;
	}
	stats = in.stats;
	if (json) {
		err = nvmx_summary_write_json(sum, stdout);
		if (err)
			fprintf(stderr, "nvmx replay: writing JSON: %s\n", strerror(-err));
	} else {
		nvmx_print_table(stdout, sum);
		print_replay_stats(&stats);
	}
	nvmx_loaded_free(&in);
	return err ? 1 : 0;
}
