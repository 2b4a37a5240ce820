// SPDX-License-Identifier: GPL-2.0
/* The summary: summing, certainty, JSON schema 1 both ways, and the certain-count comparison. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "nvmx/summary.h"

#define SVM  NVMX_ISA_SVM
#define VMX  NVMX_ISA_VMX
#define L0   NVMX_HANDLED_BY_L0
#define L1   NVMX_HANDLED_BY_L1
#define NONE NVMX_HANDLED_BY_NONE

static char *write_to_string(const struct nvmx_summary *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(nvmx_summary_write_json(s, f), 0);
	fclose(f);
	return buf;
}

static char *write_to_file(const struct nvmx_summary *s)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/nvmx-summary-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_eq(nvmx_summary_write_json(s, f), 0);
	fclose(f);
	return path;
}

static char *file_with(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/nvmx-summary-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* diffs of compare_certain as one string */
static int compare(const struct nvmx_summary *t, const struct nvmx_summary *o, char **lines)
{
	size_t len = 0;
	FILE *f = open_memstream(lines, &len);
	int n = nvmx_summary_compare_certain(t, o, f);

	fclose(f);
	return n;
}

Test(summary, adding_the_same_key_sums_and_zero_counts_add_nothing)
{
	struct nvmx_summary *s = nvmx_summary_new();
	const struct nvmx_summary_exit *e;

	cr_assert_eq(nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, SVM, 0x72, L1, 600), 0);
	cr_assert_eq(nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, SVM, 0x72, L1, 400), 0);
	cr_assert_eq(nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, SVM, 0x7b, L1, 0), 0);
	cr_assert_eq(nvmx_summary_exits(s, &e), 1);
	cr_assert_eq(e[0].count, 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_L2_EXIT, SVM, 0x72, L1), 1000);
	cr_assert_eq(nvmx_summary_exit_count(s, NVMX_KIND_L2_EXIT, SVM, 0x72, L0), 0);
	nvmx_summary_free(s);
}

Test(summary, entries_come_out_sorted_whatever_the_insertion_order)
{
	struct nvmx_summary *s = nvmx_summary_new();
	const struct nvmx_summary_exit *e;

	nvmx_summary_add_exit(s, NVMX_KIND_L1_EXIT, VMX, 24, NONE, 1);
	nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, SVM, 0x81, L1, 1);
	nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, SVM, 0x72, L1, 1);
	nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, SVM, 0x72, L0, 1);
	cr_assert_eq(nvmx_summary_exits(s, &e), 4);
	cr_assert_eq(e[0].reason, 0x72);
	cr_assert_eq(e[0].handled_by, L0);
	cr_assert_eq(e[1].reason, 0x72);
	cr_assert_eq(e[1].handled_by, L1);
	cr_assert_eq(e[2].reason, 0x81);
	cr_assert_eq(e[3].kind, NVMX_KIND_L1_EXIT);
	nvmx_summary_free(s);
}

Test(summary, asynchronous_and_paging_reasons_are_not_certain)
{
	cr_assert_not(nvmx_reason_certain(SVM, 0x060)); /* interrupt */
	cr_assert_not(nvmx_reason_certain(SVM, 0x400)); /* npf */
	cr_assert_not(nvmx_reason_certain(SVM, 0x04e)); /* PF excp */
	cr_assert_not(nvmx_reason_certain(SVM, 0x077)); /* pause */
	cr_assert_not(nvmx_reason_certain(VMX, 1));	/* EXTERNAL_INTERRUPT */
	cr_assert_not(nvmx_reason_certain(VMX, 0));	/* EXCEPTION_NMI */
	cr_assert_not(nvmx_reason_certain(VMX, 48));	/* EPT_VIOLATION */
	cr_assert_not(nvmx_reason_certain(VMX, 52));	/* PREEMPTION_TIMER */
	cr_assert(nvmx_reason_certain(SVM, 0x072));	/* cpuid */
	cr_assert(nvmx_reason_certain(VMX, 31));	/* MSR_READ */
	cr_assert(nvmx_reason_certain(VMX, 24));	/* VMRESUME */
}

Test(summary, a_synthesized_interrupt_is_certain_an_l2_interrupt_exit_is_not)
{
	cr_assert(nvmx_exit_certain(NVMX_KIND_SYNTHESIZED_TO_L1, SVM, 0x060));
	cr_assert(nvmx_exit_certain(NVMX_KIND_SYNTHESIZED_TO_L1, VMX, 1));
	cr_assert_not(nvmx_exit_certain(NVMX_KIND_L2_EXIT, SVM, 0x060));
	cr_assert_not(nvmx_exit_certain(NVMX_KIND_L1_EXIT, VMX, 1));
}

Test(summary, json_has_the_schema_1_keys)
{
	struct nvmx_summary *s = nvmx_summary_new();
	struct json_object *root, *arr, *o, *f;
	char *text;

	nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, SVM, 0x72, L1, 1000);
	nvmx_summary_add_exit(s, NVMX_KIND_L1_EXIT, SVM, 0x80, NONE, 3000);
	nvmx_summary_add_exit(s, NVMX_KIND_SYNTHESIZED_TO_L1, SVM, 0x60, NONE, 999);
	nvmx_summary_add_nested_entries(s, 3000);
	nvmx_summary_add_unattributed(s, 2);
	nvmx_summary_add_msr(s, SVM, 0x1b, false, L0, 1000);
	nvmx_summary_add_msr(s, SVM, NVMX_MSR_UNKNOWN, true, L1, 5);
	nvmx_summary_add_port(s, SVM, 0x80, false, 1, L1, 1000);
	text = write_to_string(s);
	root = json_tokener_parse(text);
	cr_assert_not_null(root, "%s", text);

	cr_assert(json_object_object_get_ex(root, "schema", &f));
	cr_assert_eq(json_object_get_int(f), 1);
	cr_assert(json_object_object_get_ex(root, "nested_entries", &f));
	cr_assert_eq(json_object_get_int64(f), 3000);
	cr_assert(json_object_object_get_ex(root, "unattributed", &f));
	cr_assert_eq(json_object_get_int64(f), 2);

	cr_assert(json_object_object_get_ex(root, "l2_exits", &arr));
	cr_assert_eq(json_object_array_length(arr), 1);
	o = json_object_array_get_idx(arr, 0);
	json_object_object_get_ex(o, "isa", &f);
	cr_assert_str_eq(json_object_get_string(f), "svm");
	json_object_object_get_ex(o, "reason", &f);
	cr_assert_str_eq(json_object_get_string(f), "cpuid");
	json_object_object_get_ex(o, "handled_by", &f);
	cr_assert_str_eq(json_object_get_string(f), "L1");
	json_object_object_get_ex(o, "count", &f);
	cr_assert_eq(json_object_get_int64(f), 1000);
	json_object_object_get_ex(o, "certain", &f);
	cr_assert(json_object_get_boolean(f));

	cr_assert(json_object_object_get_ex(root, "synthesized_to_l1", &arr));
	o = json_object_array_get_idx(arr, 0);
	json_object_object_get_ex(o, "reason", &f);
	cr_assert_str_eq(json_object_get_string(f), "interrupt");
	json_object_object_get_ex(o, "certain", &f);
	cr_assert(json_object_get_boolean(f));

	cr_assert(json_object_object_get_ex(root, "msrs", &arr));
	cr_assert_eq(json_object_array_length(arr), 2);
	o = json_object_array_get_idx(arr, 0);
	json_object_object_get_ex(o, "msr", &f);
	cr_assert_str_eq(json_object_get_string(f), "0x1b");
	json_object_object_get_ex(o, "access", &f);
	cr_assert_str_eq(json_object_get_string(f), "read");
	o = json_object_array_get_idx(arr, 1);
	json_object_object_get_ex(o, "msr", &f);
	cr_assert_str_eq(json_object_get_string(f), "unknown");
	json_object_object_get_ex(o, "certain", &f);
	cr_assert_not(json_object_get_boolean(f));

	cr_assert(json_object_object_get_ex(root, "ports", &arr));
	o = json_object_array_get_idx(arr, 0);
	json_object_object_get_ex(o, "port", &f);
	cr_assert_str_eq(json_object_get_string(f), "0x80");
	json_object_object_get_ex(o, "direction", &f);
	cr_assert_str_eq(json_object_get_string(f), "out");
	json_object_object_get_ex(o, "size", &f);
	cr_assert_eq(json_object_get_int(f), 1);

	json_object_put(root);
	free(text);
	nvmx_summary_free(s);
}

Test(summary, written_json_reads_back_to_the_same_summary)
{
	struct nvmx_summary *s = nvmx_summary_new(), *r;
	char err[256] = "";
	char *a, *b, *path;

	nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, SVM, 0x4d /* "GP excp" */, L0, 3);
	nvmx_summary_add_exit(s, NVMX_KIND_L2_EXIT, VMX, 0x1234 /* no name: "0x1234" */, L1, 4);
	nvmx_summary_add_exit(s, NVMX_KIND_L1_EXIT, VMX, 24, NONE, 2999);
	nvmx_summary_add_exit(s, NVMX_KIND_SYNTHESIZED_TO_L1, VMX, 1, NONE, 999);
	nvmx_summary_add_nested_entries(s, 3000);
	nvmx_summary_add_failed_entries(s, 1);
	nvmx_summary_add_unattributed(s, 7);
	nvmx_summary_add_msr(s, VMX, 0x1b, false, L0, 1000);
	nvmx_summary_add_msr(s, VMX, NVMX_MSR_UNKNOWN, true, L1, 2);
	nvmx_summary_add_port(s, VMX, 0x81, false, 1, L0, 999);
	nvmx_summary_add_port(s, VMX, 0xcfc, true, 4, L1, 1);
	path = write_to_file(s);
	r = nvmx_summary_read_json(path, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	a = write_to_string(s);
	b = write_to_string(r);
	cr_assert_str_eq(a, b);
	cr_assert_eq(nvmx_summary_compare_certain(s, r, NULL), 0);
	unlink(path);
	free(a);
	free(b);
	nvmx_summary_free(r);
	nvmx_summary_free(s);
}

Test(summary, reading_a_missing_file_names_the_file)
{
	char err[256] = "";

	cr_assert_null(nvmx_summary_read_json("/nonexistent/truth.json", err, sizeof(err)));
	cr_assert_eq(strncmp(err, "/nonexistent/truth.json: ", 25), 0, "%s", err);
}

Test(summary, reading_a_wrong_schema_says_so)
{
	char err[256] = "";
	char *path = file_with("{\"schema\": 2}");
	char want[128];

	cr_assert_null(nvmx_summary_read_json(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: \"schema\" is missing or not 1", path);
	cr_assert_str_eq(err, want);
	unlink(path);
}

Test(summary, reading_a_bad_entry_says_which_and_what)
{
	char err[256] = "";
	char want[160];
	char *path = file_with("{\"schema\": 1, \"l2_exits\": [{\"isa\": \"svm\", \"reason\": "
			       "\"CPUID\", \"handled_by\": \"L1\", \"count\": 1}]}");

	cr_assert_null(nvmx_summary_read_json(path, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "%s: l2_exits[0]: reason \"CPUID\" is not an exit reason of this isa", path);
	cr_assert_str_eq(err, want);
	unlink(path);

	path = file_with("{\"schema\": 1, \"ports\": [{\"isa\": \"vmx\", \"port\": \"0x80\", "
			 "\"direction\": \"out\", \"size\": 3, \"handled_by\": \"L1\", "
			 "\"count\": 1}]}");
	cr_assert_null(nvmx_summary_read_json(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: ports[0]: size is not 1, 2 or 4 (or 0)", path);
	cr_assert_str_eq(err, want);
	unlink(path);
}

Test(summary, compare_reports_one_line_per_certain_difference)
{
	struct nvmx_summary *t = nvmx_summary_new(), *o = nvmx_summary_new();
	char *lines;

	nvmx_summary_add_exit(t, NVMX_KIND_L2_EXIT, SVM, 0x72, L1, 1000);
	nvmx_summary_add_exit(o, NVMX_KIND_L2_EXIT, SVM, 0x72, L1, 999);
	cr_assert_eq(compare(t, o, &lines), 1);
	cr_assert_str_eq(lines, "l2_exits svm cpuid L1: truth 1000, observed 999\n");
	free(lines);
	nvmx_summary_free(t);
	nvmx_summary_free(o);
}

Test(summary, compare_counts_observed_certain_entries_missing_from_truth)
{
	struct nvmx_summary *t = nvmx_summary_new(), *o = nvmx_summary_new();
	char *lines;

	nvmx_summary_add_exit(o, NVMX_KIND_L1_EXIT, VMX, 24, NONE, 5);
	cr_assert_eq(compare(t, o, &lines), 1);
	cr_assert_str_eq(lines, "l1_exits vmx VMRESUME: truth 0, observed 5\n");
	free(lines);
	nvmx_summary_free(t);
	nvmx_summary_free(o);
}

Test(summary, compare_ignores_uncertain_entries)
{
	struct nvmx_summary *t = nvmx_summary_new(), *o = nvmx_summary_new();

	nvmx_summary_add_exit(t, NVMX_KIND_L2_EXIT, SVM, 0x060, L0, 30);
	nvmx_summary_add_exit(o, NVMX_KIND_L2_EXIT, SVM, 0x060, L0, 46);
	nvmx_summary_add_exit(o, NVMX_KIND_L2_EXIT, VMX, 48, L0, 1);
	cr_assert_eq(nvmx_summary_compare_certain(t, o, NULL), 0);
	nvmx_summary_free(t);
	nvmx_summary_free(o);
}

Test(summary, compare_checks_synthesized_interrupts)
{
	struct nvmx_summary *t = nvmx_summary_new(), *o = nvmx_summary_new();
	char *lines;

	nvmx_summary_add_exit(t, NVMX_KIND_SYNTHESIZED_TO_L1, VMX, 1, NONE, 999);
	nvmx_summary_add_exit(o, NVMX_KIND_SYNTHESIZED_TO_L1, VMX, 1, NONE, 998);
	cr_assert_eq(compare(t, o, &lines), 1);
	cr_assert_str_eq(lines,
			 "synthesized_to_l1 vmx EXTERNAL_INTERRUPT: truth 999, observed 998\n");
	free(lines);
	nvmx_summary_free(t);
	nvmx_summary_free(o);
}

Test(summary, reflected_msrs_of_truth_are_summed_against_observed_unknown)
{
	/* truth knows L1 intercepted 0x10 and 0x1b; a tracefs capture cannot see which */
	struct nvmx_summary *t = nvmx_summary_new(), *o = nvmx_summary_new();
	char *lines;

	nvmx_summary_add_msr(t, SVM, 0x10, false, L1, 100);
	nvmx_summary_add_msr(t, SVM, 0x1b, false, L1, 50);
	nvmx_summary_add_msr(t, SVM, 0x1b, false, L0, 1000);
	nvmx_summary_add_msr(o, SVM, NVMX_MSR_UNKNOWN, false, L1, 150);
	nvmx_summary_add_msr(o, SVM, 0x1b, false, L0, 1000);
	cr_assert_eq(nvmx_summary_compare_certain(t, o, NULL), 0);

	nvmx_summary_add_msr(o, SVM, NVMX_MSR_UNKNOWN, false, L1, 1);
	cr_assert_eq(compare(t, o, &lines), 1);
	cr_assert_str_eq(lines, "msrs svm unknown read L1: truth 150, observed 151\n");
	free(lines);
	nvmx_summary_free(t);
	nvmx_summary_free(o);
}

Test(summary, msr_with_a_known_index_compares_exactly)
{
	struct nvmx_summary *t = nvmx_summary_new(), *o = nvmx_summary_new();
	char *lines;

	nvmx_summary_add_msr(t, VMX, 0x1b, false, L0, 1000);
	cr_assert_eq(compare(t, o, &lines), 1);
	cr_assert_str_eq(lines, "msrs vmx 0x1b read L0: truth 1000, observed 0\n");
	free(lines);
	nvmx_summary_free(t);
	nvmx_summary_free(o);
}

Test(summary, ports_compare_exactly)
{
	struct nvmx_summary *t = nvmx_summary_new(), *o = nvmx_summary_new();
	char *lines;

	nvmx_summary_add_port(t, VMX, 0x81, false, 1, L0, 999);
	nvmx_summary_add_port(o, VMX, 0x81, false, 1, L0, 999);
	nvmx_summary_add_port(o, VMX, 0x80, false, 1, L1, 2);
	cr_assert_eq(compare(t, o, &lines), 1);
	cr_assert_str_eq(lines, "ports vmx 0x80 out 1 L1: truth 0, observed 2\n");
	free(lines);
	nvmx_summary_free(t);
	nvmx_summary_free(o);
}

Test(summary, nested_entries_are_compared_only_when_truth_has_them)
{
	struct nvmx_summary *o = nvmx_summary_new(), *t;
	char err[256];
	char *path = file_with("{\"schema\": 1}");
	char *lines;

	nvmx_summary_add_nested_entries(o, 3000);
	t = nvmx_summary_read_json(path, err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	cr_assert_eq(nvmx_summary_compare_certain(t, o, NULL), 0);
	nvmx_summary_add_nested_entries(t, 2999);
	cr_assert_eq(compare(t, o, &lines), 1);
	cr_assert_str_eq(lines, "nested_entries: truth 2999, observed 3000\n");
	free(lines);
	unlink(path);
	nvmx_summary_free(t);
	nvmx_summary_free(o);
}

/* diffs of compare_all as one string */
static int compare_all(const struct nvmx_summary *a, const struct nvmx_summary *b, char **lines)
{
	size_t len = 0;
	FILE *f = open_memstream(lines, &len);
	int n = nvmx_summary_compare_all(a, b, "nvmxd", "replay", f);

	fclose(f);
	return n;
}

Test(summary, compare_all_counts_uncertain_entries_too)
{
	/* two observations of the same events must agree even on L0's own interrupt exits */
	struct nvmx_summary *a = nvmx_summary_new(), *b = nvmx_summary_new();
	char *lines;

	nvmx_summary_add_exit(a, NVMX_KIND_L2_EXIT, SVM, 0x060, L0, 30);
	nvmx_summary_add_exit(b, NVMX_KIND_L2_EXIT, SVM, 0x060, L0, 31);
	cr_assert_eq(compare_all(a, b, &lines), 1);
	cr_assert_str_eq(lines, "l2_exits svm interrupt L0: nvmxd 30, replay 31\n");
	free(lines);
	nvmx_summary_free(a);
	nvmx_summary_free(b);
}

Test(summary, compare_all_matches_unknown_msrs_by_their_exact_key)
{
	struct nvmx_summary *a = nvmx_summary_new(), *b = nvmx_summary_new();
	char *lines;

	nvmx_summary_add_msr(a, SVM, NVMX_MSR_UNKNOWN, false, L1, 150);
	nvmx_summary_add_msr(b, SVM, NVMX_MSR_UNKNOWN, false, L1, 150);
	cr_assert_eq(nvmx_summary_compare_all(a, b, "a", "b", NULL), 0);
	nvmx_summary_add_msr(b, SVM, 0x174, false, L1, 150);
	cr_assert_eq(compare_all(a, b, &lines), 1);
	cr_assert_str_eq(lines, "msrs svm 0x174 read L1: nvmxd 0, replay 150\n");
	free(lines);
	nvmx_summary_free(a);
	nvmx_summary_free(b);
}

Test(summary, compare_all_sums_known_indexes_against_a_side_that_saw_them_unknown)
{
	struct nvmx_summary *a = nvmx_summary_new(), *b = nvmx_summary_new();
	char *lines;

	/* nvmxd read L2's RCX; the tracefs capture of the same run could not */
	nvmx_summary_add_msr(a, SVM, 0x174, false, L1, 120);
	nvmx_summary_add_msr(a, SVM, 0x175, false, L1, 30);
	nvmx_summary_add_msr(b, SVM, NVMX_MSR_UNKNOWN, false, L1, 150);
	cr_assert_eq(nvmx_summary_compare_all(a, b, "a", "b", NULL), 0);
	cr_assert_eq(nvmx_summary_compare_all(b, a, "b", "a", NULL), 0);
	nvmx_summary_free(b);
	b = nvmx_summary_new();
	nvmx_summary_add_msr(b, SVM, NVMX_MSR_UNKNOWN, false, L1, 149);
	cr_assert_eq(compare_all(a, b, &lines), 1);
	cr_assert_str_eq(lines, "msrs svm unknown read L1: nvmxd 150, replay 149\n");
	free(lines);
	nvmx_summary_free(a);
	nvmx_summary_free(b);
}

Test(summary, compare_all_compares_entries_and_unattributed)
{
	struct nvmx_summary *a = nvmx_summary_new(), *b = nvmx_summary_new();
	char *lines;

	nvmx_summary_add_nested_entries(a, 3000);
	nvmx_summary_add_nested_entries(b, 3000);
	nvmx_summary_add_unattributed(b, 1);
	cr_assert_eq(compare_all(a, b, &lines), 1);
	cr_assert_str_eq(lines, "unattributed: nvmxd 0, replay 1\n");
	free(lines);
	nvmx_summary_free(a);
	nvmx_summary_free(b);
}

Test(summary, a_truth_with_l1_uncertain_compares_only_l2_and_round_trips_in_json)
{
	/* --l1 kvm: a real L1 boots and runs its timer; only L2's exits are the runner's */
	struct nvmx_summary *t = nvmx_summary_new(), *o = nvmx_summary_new(), *back;
	char err[256], *lines;

	nvmx_summary_set_l1_uncertain(t);
	nvmx_summary_add_exit(t, NVMX_KIND_L2_EXIT, SVM, 0x72, L1, 200);
	nvmx_summary_add_port(t, SVM, 0x80, false, 1, L1, 200);
	nvmx_summary_add_exit(o, NVMX_KIND_L2_EXIT, SVM, 0x72, L1, 200);
	nvmx_summary_add_port(o, SVM, 0x80, false, 1, L1, 200);
	nvmx_summary_add_exit(o, NVMX_KIND_L1_EXIT, SVM, 0x7b, NONE, 25000);
	nvmx_summary_add_exit(o, NVMX_KIND_SYNTHESIZED_TO_L1, SVM, 0x060, NONE, 13);
	nvmx_summary_add_port(o, SVM, 0x3f8, false, 1, NONE, 1300);
	nvmx_summary_add_msr(o, SVM, 0x6e0, true, NONE, 1241);
	nvmx_summary_add_nested_entries(o, 1257);
	nvmx_summary_add_nested_entries(t, 0);
	cr_assert_eq(nvmx_summary_compare_certain(t, o, NULL), 0);

	back = nvmx_summary_read_json(write_to_file(t), err, sizeof(err));
	cr_assert_not_null(back, "%s", err);
	cr_assert_not(nvmx_summary_l1_certain(back));
	cr_assert_eq(nvmx_summary_compare_certain(back, o, NULL), 0);

	/* the L2 exits stay certain, in both directions */
	nvmx_summary_add_exit(o, NVMX_KIND_L2_EXIT, SVM, 0x78, L1, 1);
	cr_assert_eq(compare(back, o, &lines), 1);
	cr_assert_str_eq(lines, "l2_exits svm hlt L1: truth 0, observed 1\n");
	free(lines);

	/* a truth without the key keeps L1 certain */
	nvmx_summary_free(back);
	back = nvmx_summary_read_json(file_with("{\"schema\": 1}"), err, sizeof(err));
	cr_assert_not_null(back, "%s", err);
	cr_assert(nvmx_summary_l1_certain(back));
	nvmx_summary_free(back);
	nvmx_summary_free(t);
	nvmx_summary_free(o);
}

Test(summary, lost_events_read_back_and_make_two_files_disagree)
{
	struct nvmx_summary *a = nvmx_summary_new(), *b = nvmx_summary_new(), *back;
	char err[256], *lines = NULL;
	size_t len = 0;
	FILE *f;

	nvmx_summary_add_exit(a, NVMX_KIND_L2_EXIT, SVM, 0x72, L1, 999);
	nvmx_summary_add_exit(b, NVMX_KIND_L2_EXIT, SVM, 0x72, L1, 999);
	cr_assert_eq(nvmx_summary_compare_lost(a, b, "nvmxd", "replay", NULL), 0);
	nvmx_summary_add_lost(a, 11);
	back = nvmx_summary_read_json(write_to_file(a), err, sizeof(err));
	cr_assert_not_null(back, "%s", err);
	cr_assert_eq(nvmx_summary_lost(back), 11);
	/* equal counts, but one side is short by an unknown amount */
	cr_assert_eq(nvmx_summary_compare_all(back, b, "nvmxd", "replay", NULL), 0);
	f = open_memstream(&lines, &len);
	cr_assert_eq(nvmx_summary_compare_lost(back, b, "nvmxd", "replay", f), 1);
	fclose(f);
	cr_assert_str_eq(lines, "nvmxd: 11 events lost: its counts are short\n");
	free(lines);
	/* a file written before the key existed says nothing was lost */
	nvmx_summary_free(back);
	back = nvmx_summary_read_json(file_with("{\"schema\": 1}"), err, sizeof(err));
	cr_assert_not_null(back, "%s", err);
	cr_assert_eq(nvmx_summary_lost(back), 0);
	nvmx_summary_free(back);
	nvmx_summary_free(a);
	nvmx_summary_free(b);
}
