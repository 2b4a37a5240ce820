/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attributed counts of one run or capture, and their one JSON form (schema 1).
 *
 * Everything that reports counts (nvmx replay, nvmxd --json, the lab's truth.json and
 * observed.json) builds a struct nvmx_summary and writes it with nvmx_summary_write_json(), so the
 * keys are the same everywhere and two files compare directly. User space only.
 */
#ifndef NVMX_SUMMARY_H
#define NVMX_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Values of the kernel's `isa` tracepoint field (KVM_ISA_VMX, KVM_ISA_SVM in arch/x86/kvm/trace.h);
 * arm64's records have none: NVMX_ISA_ARM64 is nvmx's (events.h, NVMX_EV_ISA_ARM64).
 */
enum nvmx_isa {
	NVMX_ISA_UNKNOWN = 0,
	NVMX_ISA_VMX = 1,
	NVMX_ISA_SVM = 2,
	NVMX_ISA_ARM64 = 3,
};

/* What happened to one exit, as the attribution rule decides it. */
enum nvmx_kind {
	NVMX_KIND_L2_EXIT = 0, /* an L2 exit; handled_by says who handled it */
	NVMX_KIND_L1_EXIT = 1, /* an exit of L1 itself (L1 exits) */
	NVMX_KIND_SYNTHESIZED_TO_L1 =
		2, /* an exit to L1 that L0 made up (no L2 exit of that reason) */
	/*
	 * arm64: an exception L0 injected into L1 itself (from vEL2, or from a VHE L1's own EL0):
	 * no exit of L2, counted apart. JSON "injected_to_l1", absent when there is none.
	 */
	NVMX_KIND_INJECTED_TO_L1 = 3,
};

enum nvmx_handler {
	NVMX_HANDLED_BY_NONE = 0, /* for kinds other than NVMX_KIND_L2_EXIT */
	NVMX_HANDLED_BY_L0 = 1,
	NVMX_HANDLED_BY_L1 = 2,
};

/* "L0", "L1", or "none" (NVMX_HANDLED_BY_NONE): JSON's "handled_by". */
const char *nvmx_handler_name(enum nvmx_handler h);

/*
 * The exit level of an MSR/port entry: "L2" for an L2 exit (with its handler), "L1" for an exit
 * of L1 itself (handled_by NVMX_HANDLED_BY_NONE): JSON's "exit", every text table's column.
 */
const char *nvmx_exit_level_name(enum nvmx_handler h);

/* An MSR index the source could not see (e.g. a reflected RDMSR in a tracefs capture). */
#define NVMX_MSR_UNKNOWN 0xffffffffu

struct nvmx_summary;

struct nvmx_summary *nvmx_summary_new(void);
void nvmx_summary_free(struct nvmx_summary *s);

/* Each returns 0 or a negative errno (-ENOMEM). Adding to an existing key sums. */
int nvmx_summary_add_exit(struct nvmx_summary *s, enum nvmx_kind kind, uint32_t isa,
			  uint32_t reason, enum nvmx_handler handled_by, uint64_t count);
void nvmx_summary_add_nested_entries(struct nvmx_summary *s, uint64_t count);
void nvmx_summary_add_unattributed(struct nvmx_summary *s, uint64_t count);
/*
 * Lost events (docs/model.md's glossary): events the counts miss because the kernel skipped a
 * program, a capture lost them or a count could not be made. JSON "lost_events"; two files
 * compare only when neither lost any (nvmx_summary_compare_lost()).
 */
void nvmx_summary_add_lost(struct nvmx_summary *s, uint64_t count);
/*
 * MSR and port exits. handled_by NVMX_HANDLED_BY_L0/L1: L2 exits by who handled them;
 * NVMX_HANDLED_BY_NONE: exits of L1 itself (JSON "exit": "L1").
 */
int nvmx_summary_add_msr(struct nvmx_summary *s, uint32_t isa, uint32_t msr, bool write,
			 enum nvmx_handler handled_by, uint64_t count);
int nvmx_summary_add_port(struct nvmx_summary *s, uint32_t isa, uint16_t port, bool in,
			  uint8_t size, enum nvmx_handler handled_by, uint64_t count);
/*
 * Their cost: timed exits and the sum of their times (include/nvmx/counts.h, nvmx_verdict_io:
 * L0's handling time of an L0-handled or L1 exit, the whole round trip of a reflected one).
 */
int nvmx_summary_add_msr_cost(struct nvmx_summary *s, uint32_t isa, uint32_t msr, bool write,
			      enum nvmx_handler handled_by, uint64_t timed, uint64_t sum_ns);
int nvmx_summary_add_port_cost(struct nvmx_summary *s, uint32_t isa, uint16_t port, bool in,
			       uint8_t size, enum nvmx_handler handled_by, uint64_t timed,
			       uint64_t sum_ns);

/*
 * Whether counts of this exit reason are certain: fixed by what the workload does, rather than by
 * timer interrupts, page faults of L0's own paging and similar (interrupt, NMI, NPF/EPT...).
 */
bool nvmx_reason_certain(uint32_t isa, uint32_t reason);

/* Writes one JSON object, schema 1, sorted keys, one entry per distinct key, no zero counts. */
int nvmx_summary_write_json(const struct nvmx_summary *s, FILE *out);

/*
 * Reads what nvmx_summary_write_json() wrote (at most NVMX_JSON_MAX_BYTES, pipes too). On error
 * returns NULL and puts "file[:line]: what was wrong" into err: not JSON, another schema, a
 * count that is not an integer 0..INT64_MAX...
 */
struct nvmx_summary *nvmx_summary_read_json(const char *path, char *err, size_t errlen);

/* The same from an input already open (include/nvmx/input.h), named name in the messages. */
struct nvmx_input;
struct nvmx_summary *nvmx_summary_read_json_input(struct nvmx_input *in, const char *name,
						  char *err, size_t errlen);

/*
 * The same from a document already parsed with json-c (root stays the caller's), for a reader
 * that also wants keys of its own from it; errors named after name.
 */
struct json_object;
struct nvmx_summary *nvmx_summary_from_json(struct json_object *root, const char *name, char *err,
					    size_t errlen);

/*
 * Compares the certain counts of observed with truth: every certain entry of either must be in
 * the other with the same count. Prints one line per difference to diffs (may be NULL) and
 * returns how many there were.
 */
int nvmx_summary_compare_certain(const struct nvmx_summary *truth,
				 const struct nvmx_summary *observed, FILE *diffs);

/*
 * Compares two observations of the same events (nvmxd live against a replay of a capture):
 * every entry, certain or not, by its exact key, and nested entries, failed entries and
 * unattributed. Prints one line per difference to diffs (may be NULL), naming the sides a_name
 * and b_name, and returns how many there were.
 */
int nvmx_summary_compare_all(const struct nvmx_summary *a, const struct nvmx_summary *b,
			     const char *a_name, const char *b_name, FILE *diffs);

/*
 * Counts of a side that lost events are short by an unknown amount: one line per such side
 * ("NAME: N events lost: its counts are short"), and how many sides lost events.
 */
int nvmx_summary_compare_lost(const struct nvmx_summary *a, const struct nvmx_summary *b,
			      const char *a_name, const char *b_name, FILE *diffs);

/*
 * Added for readers of a summary (the CLI table, tests) and for what schema 1 carries beyond the
 * counts above. Entries come back in the sorted order the JSON uses.
 */

/*
 * Certainty of one exit entry. L2 and L1 exits follow nvmx_reason_certain(). Synthesised exits to
 * L1 are always certain: in the lab each one is caused by the workload (one MSI per iteration),
 * whatever its reason, while an L2/L1 interrupt exit is caused by L0's own timers and devices.
 */
bool nvmx_exit_certain(enum nvmx_kind kind, uint32_t isa, uint32_t reason);

/*
 * A truth whose L1 is a real hypervisor (the lab's --l1 kvm): what L1 does itself is not fixed by
 * the workload, so only L2 exits and their MSR and port entries are certain. JSON "l1_certain":
 * false; nvmx_summary_compare_certain() with such a truth skips L1 exits, exits synthesised to
 * L1, L1's own MSR and port exits and nested_entries.
 */
void nvmx_summary_set_l1_uncertain(struct nvmx_summary *s);
bool nvmx_summary_l1_certain(const struct nvmx_summary *s);

/*
 * A replay of some vCPU threads only (nvmx replay/report/bitmap --vm, --vcpu; replay.h's
 * struct nvmx_replay_filter): JSON "filter", {"vm", "vcpu", "threads", "events"}, absent for a
 * summary of every thread. The counts are those of the threads kept; lost_events stays the whole
 * capture's (a lost event's thread is not known).
 */
struct nvmx_summary_filter {
	char vm[64];	  /* --vm as given; "": every VM */
	int64_t vcpu;	  /* --vcpu; -1: every vCPU */
	uint64_t threads; /* the vCPU threads kept */
	uint64_t events;  /* their events */
};

void nvmx_summary_set_filter(struct nvmx_summary *s, const struct nvmx_summary_filter *f);
/* NULL: a summary of every thread. */
const struct nvmx_summary_filter *nvmx_summary_get_filter(const struct nvmx_summary *s);
/* Its JSON "filter" object, new (the caller's); NULL without a filter or out of memory. */
struct json_object;
struct json_object *nvmx_summary_filter_json(const struct nvmx_summary *s);

/* kvm_nested_vmenter_failed events: JSON "nested_entries_failed". */
void nvmx_summary_add_failed_entries(struct nvmx_summary *s, uint64_t count);

struct nvmx_summary_exit {
	enum nvmx_kind kind;
	uint32_t isa;
	uint32_t reason;
	enum nvmx_handler handled_by;
	uint64_t count;
};

struct nvmx_summary_msr {
	uint32_t isa;
	uint32_t msr; /* or NVMX_MSR_UNKNOWN */
	bool write;
	enum nvmx_handler handled_by; /* NVMX_HANDLED_BY_NONE: an exit of L1 itself */
	uint64_t count;
	uint64_t timed;	 /* exits (reflected: round trips) with a cost */
	uint64_t sum_ns; /* their cost */
};

struct nvmx_summary_port {
	uint32_t isa;
	uint16_t port;
	bool in;
	uint8_t size;
	enum nvmx_handler handled_by; /* NVMX_HANDLED_BY_NONE: an exit of L1 itself */
	uint64_t count;
	uint64_t timed;
	uint64_t sum_ns;
};

/* The entries, sorted; *entries stays valid until the summary is next changed. */
size_t nvmx_summary_exits(const struct nvmx_summary *s, const struct nvmx_summary_exit **entries);
size_t nvmx_summary_msrs(const struct nvmx_summary *s, const struct nvmx_summary_msr **entries);
size_t nvmx_summary_ports(const struct nvmx_summary *s, const struct nvmx_summary_port **entries);

/* One count, 0 when absent. */
uint64_t nvmx_summary_exit_count(const struct nvmx_summary *s, enum nvmx_kind kind, uint32_t isa,
				 uint32_t reason, enum nvmx_handler handled_by);
uint64_t nvmx_summary_msr_count(const struct nvmx_summary *s, uint32_t isa, uint32_t msr,
				bool write, enum nvmx_handler handled_by);
uint64_t nvmx_summary_port_count(const struct nvmx_summary *s, uint32_t isa, uint16_t port, bool in,
				 uint8_t size, enum nvmx_handler handled_by);
uint64_t nvmx_summary_nested_entries(const struct nvmx_summary *s);
uint64_t nvmx_summary_failed_entries(const struct nvmx_summary *s);
uint64_t nvmx_summary_unattributed(const struct nvmx_summary *s);
uint64_t nvmx_summary_lost(const struct nvmx_summary *s);

#endif /* NVMX_SUMMARY_H */
