// SPDX-License-Identifier: GPL-2.0
/* One line of tracefs `trace` or `trace-cmd report` output into an event (lib/trace_parse.c). */
#include <string.h>

#include <criterion/criterion.h>

#include "nvmx/summary.h"
#include "trace_parse.h"

static struct nvmx_line parse(const char *s)
{
	struct nvmx_line l;

	nvmx_parse_line(s, strlen(s), &l);
	return l;
}

Test(parse, tracefs_kvm_exit_line)
{
	struct nvmx_line l = parse(
		"       nestedsvm-142     [000] .....     7.291749: kvm_exit: vcpu 0 reason io rip "
		"0x8158 info1 0x0000000000800010 info2 0x000000000000815a intr_info 0x00000000 "
		"error_code 0x00000000");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.kind, NVMX_EV_EXIT);
	cr_assert_eq(l.ev.tid, 142);
	cr_assert_eq(l.ev.ts_ns, 7291749000ull, "exact: no floating point");
	cr_assert_eq(l.ev.vcpu_id, 0);
	cr_assert_eq(l.ev.isa, NVMX_ISA_SVM);
	cr_assert_eq(l.ev.reason, 0x7b);
	cr_assert_eq(l.ev.info1, 0x800010);
	cr_assert_eq(l.ev.info2, 0x815a);
}

Test(parse, intr_info_and_error_code_are_read)
{
	struct nvmx_line l =
		parse("  t-1 [000] d..1. 1.000001: kvm_nested_vmexit: vcpu 3 reason EXCEPTION_NMI "
		      "rip 0x1 "
		      "info1 0x0 info2 0x0 intr_info 0x80000b0e error_code 0x00000002");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.kind, NVMX_EV_NESTED_VMEXIT);
	cr_assert_eq(l.ev.vcpu_id, 3);
	cr_assert_eq(l.ev.isa, NVMX_ISA_VMX);
	cr_assert_eq(l.ev.reason, 0);
	cr_assert_eq(l.ev.intr_info, 0x80000b0e);
	cr_assert_eq(l.ev.error_code, 2);
}

Test(parse, kvm_exit_of_6_18_with_requests_field)
{
	struct nvmx_line l = parse("  t-9 [001] d..1. 5.5: kvm_exit: vcpu 1 reason CPUID rip 0x10 "
				   "info1 0x0000000000000000 info2 0x0000000000000000 intr_info "
				   "0x00000000 error_code 0x00000000 requests 0x0000000000000040");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.reason, 10);
	cr_assert_eq(l.ev.ts_ns, 5500000000ull);
}

Test(parse, svm_reason_with_a_space)
{
	struct nvmx_line l =
		parse("  t-9 [001] ..... 5.5: kvm_exit: vcpu 0 reason GP excp rip 0x10 "
		      "info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.isa, NVMX_ISA_SVM);
	cr_assert_eq(l.ev.reason, 0x4d);
}

Test(parse, vmx_failed_vmentry_flag_sets_bit_31)
{
	struct nvmx_line l = parse("  t-9 [001] ..... 5.5: kvm_nested_vmexit_inject: reason: "
				   "INVALID_STATE FAILED_VMENTRY ext_inf1: 0x0000000000000000 "
				   "ext_inf2: 0x0000000000000000 ext_int: 0x00000000 ext_int_err: "
				   "0x00000000");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.kind, NVMX_EV_NESTED_VMEXIT_INJECT);
	cr_assert_eq(l.ev.isa, NVMX_ISA_VMX);
	cr_assert_eq(l.ev.reason, 0x80000021u);
}

Test(parse, hex_reason_name_leaves_the_isa_to_context)
{
	struct nvmx_line l = parse("  t-9 [001] ..... 5.5: kvm_exit: vcpu 0 reason 0x4c rip 0x10 "
				   "info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.isa, NVMX_ISA_UNKNOWN);
	cr_assert_eq(l.ev.reason, 0x4c);
}

Test(parse, inject_line)
{
	struct nvmx_line l = parse(
		"       nestedvmx-198     [000] .....     1.298663: kvm_nested_vmexit_inject: "
		"reason: "
		"EXTERNAL_INTERRUPT ext_inf1: 0x0000000000000000 ext_inf2: 0x0000000000000000 "
		"ext_int: 0x80000030 ext_int_err: 0x00000000");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.isa, NVMX_ISA_VMX);
	cr_assert_eq(l.ev.reason, 1);
	cr_assert_eq(l.ev.intr_info, 0x80000030);
	cr_assert_eq(l.ev.vcpu_id, NVMX_EV_VCPU_ID_NONE, "inject records carry no vcpu_id");
}

Test(parse, vmenter_tells_the_isa_by_vmcs_or_vmcb)
{
	struct nvmx_line l = parse(
		"  n-1 [000] ..... 9.040301: kvm_nested_vmenter: rip: 0x0000000000008040 vmcb: "
		"0x0000000000005000 nested_rip: 0x000000000000814f int_ctl: 0x01000000 event_inj: "
		"0x00000000 nested_npt=n guest_cr3: 0x0000000000001000");

	cr_assert_eq(l.ev.kind, NVMX_EV_NESTED_VMENTER);
	cr_assert_eq(l.ev.isa, NVMX_ISA_SVM);
	l = parse("  n-1 [000] ..... 9.040301: kvm_nested_vmenter: rip: 0x0000000000008181 vmcs: "
		  "0x0000000000006000 nested_rip: 0x00000000000081f5 int_ctl: 0x00000000 "
		  "event_inj: 0x00000000 nested_ept=n guest_cr3: 0x0000000000001000");
	cr_assert_eq(l.ev.isa, NVMX_ISA_VMX);
}

Test(parse, kvm_msr_read_write_and_gp)
{
	struct nvmx_line l = parse("  n-1 [000] ..... 9.1: kvm_msr: msr_read 1b = 0xfee00d00");

	cr_assert_eq(l.ev.kind, NVMX_EV_MSR);
	cr_assert_eq(l.ev.msr, 0x1b);
	cr_assert_eq(l.ev.value, 0xfee00d00);
	cr_assert_eq(l.ev.flags, 0);
	l = parse("  n-1 [000] ..... 9.1: kvm_msr: msr_write c0010117 = 0x6000 (#GP)");
	cr_assert_eq(l.ev.msr, 0xc0010117);
	cr_assert_eq(l.ev.flags, NVMX_EV_F_MSR_WRITE | NVMX_EV_F_MSR_GP);
}

Test(parse, kvm_entry_has_a_vcpu_id)
{
	struct nvmx_line l = parse("  n-1 [000] d..1. 9.1: kvm_entry: vcpu 7, rip 0x8040");

	cr_assert_eq(l.ev.kind, NVMX_EV_ENTRY);
	cr_assert_eq(l.ev.vcpu_id, 7);
}

Test(parse, task_names_may_contain_spaces_and_dashes)
{
	struct nvmx_line l = parse("  CPU 0/KVM-my-vm-4242  [003] d..1. 12.000001: kvm_entry: "
				   "vcpu 0, rip 0x1");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.tid, 4242);
	cr_assert_str_eq(l.task, "CPU 0/KVM-my-vm"); /* the drill-down's --vm NAME */
	cr_assert_eq(l.tgid, 0);		     /* no (TGID) column */
}

Test(parse, tracefs_tgid_column_gives_the_process)
{
	struct nvmx_line l = parse("  qemu-system-x86-4242 (   4200) [003] d..1. 12.000001: "
				   "kvm_entry: vcpu 0, rip 0x1");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.tid, 4242);
	cr_assert_eq(l.tgid, 4200);
	cr_assert_str_eq(l.task, "qemu-system-x86");
	cr_assert_eq(l.ev.vcpu_id, 0);
}

Test(parse, tracefs_unknown_tgid_is_none)
{
	struct nvmx_line l = parse("           <...>-4242 (-------) [003] d..1. 12.000001: "
				   "kvm_entry: vcpu 1, rip 0x1");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.tgid, 0);
	cr_assert_str_eq(l.task, "<...>");
	cr_assert_eq(l.ev.vcpu_id, 1);
}

Test(parse, trace_cmd_report_line_without_flags_column)
{
	struct nvmx_line l = parse("  qemu-system-x86-1234  [000]  1234.567890: kvm_exit: vcpu 0 "
				   "reason CPUID rip 0x10 info1 0x0 info2 0x0 intr_info 0x0 "
				   "error_code 0x0");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.tid, 1234);
	cr_assert_eq(l.ev.ts_ns, 1234567890000ull);
	cr_assert_eq(l.ev.reason, 10);
}

Test(parse, trace_cmd_kvm_plugin_info_pair)
{
	/* libtraceevent's plugin_kvm prints "info %llx %llx" instead of info1/info2 */
	struct nvmx_line l = parse("  qemu-1234  [000]  1234.567890: kvm_exit: reason io rip "
				   "0x8158 info 800010 815a");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.reason, 0x7b);
	cr_assert_eq(l.ev.info1, 0x800010);
	cr_assert_eq(l.ev.info2, 0x815a);
}

Test(parse, nanosecond_timestamps_are_exact)
{
	struct nvmx_line l =
		parse("  qemu-1234  [000]  1234.567890123: kvm_entry: vcpu 0, rip 0x1");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.ts_ns, 1234567890123ull);
}

Test(parse, unknown_events_are_skipped_silently)
{
	struct nvmx_line l =
		parse("  n-1 [000] ..... 9.1: kvm_pio: pio_write at 0x80 size 1 count 1 "
		      "val 0x0");

	cr_assert_eq(l.type, NVMX_LINE_SKIP);
	l = parse("  n-1 [000] ..... 9.1: kvm_nested_intercepts: cr_read: 0000 cr_write: 0000");
	cr_assert_eq(l.type, NVMX_LINE_SKIP);
}

Test(parse, known_event_with_an_unparsable_body_is_malformed)
{
	struct nvmx_line l = parse("  n-1 [000] ..... 9.1: kvm_exit: vcpu 0 reasn io rip 0x1");

	cr_assert_eq(l.type, NVMX_LINE_MALFORMED);
	cr_assert_str_eq(l.expected, "kvm_exit body 'vcpu N reason NAME rip 0x.. info1 0x.. info2 "
				     "0x.. intr_info 0x.. error_code 0x..'");
	l = parse("  n-1 [000] ..... 9.1: kvm_exit: vcpu 0 reason NOT_A_REASON rip 0x1 info1 0x0");
	cr_assert_eq(l.type, NVMX_LINE_MALFORMED);
}

Test(parse, a_line_that_is_not_a_trace_line_is_malformed)
{
	struct nvmx_line l = parse("hello world");

	cr_assert_eq(l.type, NVMX_LINE_MALFORMED);
	cr_assert_str_eq(l.expected, "a trace line 'TASK-PID [CPU] TIMESTAMP: EVENT: BODY'");
}

Test(parse, comments_blank_lines_and_trace_cmd_headers_are_skipped)
{
	cr_assert_eq(parse("# tracer: nop").type, NVMX_LINE_SKIP);
	cr_assert_eq(parse("").type, NVMX_LINE_SKIP);
	cr_assert_eq(parse("version = 6").type, NVMX_LINE_SKIP);
	cr_assert_eq(parse("cpus=4").type, NVMX_LINE_SKIP);
	cr_assert_eq(parse("CPU 2 is empty").type, NVMX_LINE_SKIP);
}

Test(parse, entries_header_reports_overwritten_events)
{
	struct nvmx_line l = parse("# entries-in-buffer/entries-written: 28163/28163   #P:1");

	cr_assert_eq(l.type, NVMX_LINE_ENTRIES);
	cr_assert_eq(l.lost, 0);
	l = parse("# entries-in-buffer/entries-written: 100/150   #P:4");
	cr_assert_eq(l.lost, 50);
}

Test(parse, lost_event_markers_of_tracefs_and_trace_cmd)
{
	struct nvmx_line l = parse("CPU:2 [LOST 123 EVENTS]");

	cr_assert_eq(l.type, NVMX_LINE_LOST);
	cr_assert_eq(l.lost, 123);
	l = parse("CPU:7 [204600 EVENTS DROPPED]");
	cr_assert_eq(l.type, NVMX_LINE_LOST);
	cr_assert_eq(l.lost, 204600);
	l = parse("CPU:7 [EVENTS DROPPED]");
	cr_assert_eq(l.type, NVMX_LINE_LOST);
	cr_assert_eq(l.lost, 0);
}

Test(parse, trace_cmd_kvm_plugin_inject_and_nested_vmexit)
{
	/* plugin_kvm.c: kvm_nested_vmexit gets "rip %llx " before the inject-style body */
	struct nvmx_line l = parse("  q-7  [000]  1.5: kvm_nested_vmexit_inject: reason cpuid "
				   "info1 0 info2 0 int_info 0 int_info_err 0");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.kind, NVMX_EV_NESTED_VMEXIT_INJECT);
	cr_assert_eq(l.ev.reason, 0x72);
	l = parse(
		"  q-7  [000]  1.5: kvm_nested_vmexit: rip 814f reason io info1 800010 info2 815a "
		"int_info 0 int_info_err 0");
	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.kind, NVMX_EV_NESTED_VMEXIT);
	cr_assert_eq(l.ev.reason, 0x7b);
	cr_assert_eq(l.ev.info1, 0x800010);
}

Test(parse, trace_cmd_kvm_plugin_unknown_reason_is_decimal)
{
	struct nvmx_line l = parse("  q-7  [000]  1.5: kvm_exit: reason UNKNOWN (1234) rip 0x1 "
				   "info 0 0");

	cr_assert_eq(l.type, NVMX_LINE_EVENT);
	cr_assert_eq(l.ev.isa, NVMX_ISA_UNKNOWN);
	cr_assert_eq(l.ev.reason, 1234);
}
