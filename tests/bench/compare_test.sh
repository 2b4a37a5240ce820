#!/bin/sh
# nvmx bench compare on result files recorded from real lab runs (tests/data/bench/, recorded
# with `nvmx bench run`, see docs/ci.md): exit status and the metric it names.
#
# usage: compare_test.sh NVMX DATA-DIR
set -u
nvmx=$1 data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(cd "$(dirname "$0")" && pwd)/../tally.sh"
. "$(cd "$(dirname "$0")" && pwd)/expect.sh"

base=$data/base-6.12-a.json

# Two boots of one configuration (6.12, cpuid,io-out-l0,intr,mult=2 x 500, 5 repeats each).
expect 0 '^no regression' "the same configuration twice: no regression" \
	"$base" "$data/base-6.12-b.json"
expect 0 '^no regression' "the same configuration twice, the other way round" \
	"$data/base-6.12-b.json" "$base"

# The VMX lab under Bochs (nvmx bench run --isa vmx, 6.12, x 200; Bochs's clock, its 3 % time
# threshold): shadow VMCS on in two boots (the shadow test's, R = 3: boot A's configurations 1-3
# by --from --configs, boot B a bench run) compares clean both ways; one more L1 exit per round
# trip (mult=20 -> mult=21, two benches of R = 5, separate boots) is flagged by the times alone,
# the round trip's mean at +3.8 %: the smallest change the VMX times detect (docs/ci.md).
expect 0 '^no regression' "VMX: shadow VMCS on, two boots" \
	"$data/vmx-on-a-6.12.json" "$data/vmx-on-b-6.12.json"
expect 0 '^no regression' "VMX: shadow VMCS on, two boots, the other way round" \
	"$data/vmx-on-b-6.12.json" "$data/vmx-on-a-6.12.json"
printf 'count.* ignore\nratio.* ignore\n' >"$tmp/times-only"
expect 1 'REGRESSION +time\.rt\.vmx\.CPUID\.mean_ns \[time\]: median 33\.9 us -> 35\.1 us \(\+3\.8%' \
	"VMX: mult=20 -> mult=21, the round trip +3.8 %, times alone" \
	"$data/vmx-mult20-6.12.json" "$data/vmx-mult21-6.12.json" --thresholds "$tmp/times-only"
expect 1 'REGRESSION +time\.rt\.vmx\.CPUID\.l1_exit_service_ns \[time\]' \
	"VMX: mult=20 -> mult=21, the part that grew, times alone" \
	"$data/vmx-mult20-6.12.json" "$data/vmx-mult21-6.12.json" --thresholds "$tmp/times-only"

# The overhead benchmark's program table (bench/overhead.sh --result: BPF run time per program
# under icount), two sessions of one build: clean both ways at the default 3 %.
expect 0 '^no regression \(30 metrics\)' "overhead: one build in two sessions" \
	"$data/overhead-6.12-a.json" "$data/overhead-6.12-b.json"
expect 0 '^no regression' "overhead: one build in two sessions, the other way round" \
	"$data/overhead-6.12-b.json" "$data/overhead-6.12-a.json"
# A heavier fast path: the build before issue 20's first changes (five VMCB reads per SVM exit
# instead of one) against the build after them. Flagged, naming the programs that got heavier.
expect 1 'REGRESSION +time\.bpf\.nvmx_kvm_exit_svm\.ns_per_run .*\+42\.' \
	"overhead: five VMCB reads per SVM exit instead of one" \
	"$data/overhead-6.12-fastpath.json" "$data/overhead-6.12-a.json"
expect 1 'REGRESSION +time\.bpf\.all\.ns_per_kvm_exit ' "overhead: all programs per kvm_exit" \
	"$data/overhead-6.12-fastpath.json" "$data/overhead-6.12-a.json"
expect 0 '^no regression' "overhead: the lighter build against the heavier one is no regression" \
	"$data/overhead-6.12-a.json" "$data/overhead-6.12-fastpath.json"
# An overhead result is not a lab bench result: another workload, cannot compare.
expect 2 'different workloads' "overhead against a bench run result" \
	"$data/overhead-6.12-a.json" "$base"

# L1 makes 4 CPUID exits per handled exit instead of 2: the certain count of L1's CPUID exits
# doubles (1000 -> 2000), and so do exit multiplication and the round trip's L1 exit service.
expect 1 '^REGRESSION in count\.l1_exits\.svm\.cpuid ' "mult=4 against mult=2: L1's certain CPUID exits" \
	"$base" "$data/mult4-6.12.json"
expect 1 'REGRESSION +ratio\.exit_multiplication ' "mult=4 against mult=2: exit multiplication" \
	"$base" "$data/mult4-6.12.json"
# The default time thresholds allow 4x (TCG on a shared machine); with an idle runner's 30 %
# the round trip's L1 exit service time (+103 %: twice the L1 exits) is a regression too.
printf 'time.* pct=30\n' >"$tmp/idle"
expect 1 'REGRESSION +time\.rt\.svm\.cpuid\.l1_exit_service_ns .*\+102\.7%' \
	"mult=4 against mult=2, 30 % for times: the round trip's L1 exit service time" \
	"$base" "$data/mult4-6.12.json" --thresholds "$tmp/idle"

# kvm_amd npt=0: L0 shadow-pages L1, so L2's page faults come to L0 as #PF exits (reason
# "PF excp") that L0 handles: a new L0-handled exit reason, absent with npt=1. Its counts are
# not certain (paging), but its time appears where BASE had none.
expect 1 '^REGRESSION in time\.l0\.svm\.PF_excp\.mean_ns ' "npt=0 against npt=1: L0-handled #PF exits appear" \
	"$base" "$data/npt0-6.12.json"
expect 1 'environment: kvm_amd\.npt: Y -> N' "npt=0 against npt=1: the parameter is named" \
	"$base" "$data/npt0-6.12.json"

# Kernel 6.1 as L0 instead of 6.12: L1 takes 14 NPF exits per run instead of 3 (6.1's nested
# paging faults in more of L1's memory one page at a time; measured in two 6.1 boots: 14, spread
# 0). Not certain counts, so noise-aware: +11 against an allowance of 5.
expect 1 '^REGRESSION in count\.l1_exits\.svm\.npf ' "kernel 6.1 against 6.12: L1's NPF exits" \
	"$base" "$data/base-6.1.json"
expect 1 'environment: kernel: linux-image-6\.12.* -> linux-image-6\.1\.' "kernel 6.1 against 6.12: the kernels are named" \
	"$base" "$data/base-6.1.json"

# A threshold file can waive a metric: with L1's NPF exits ignored, 6.1 passes on counts.
printf '# waive\ncount.l1_exits.*.npf ignore\ntime.rt.* pct=1000\n' >"$tmp/thr"
expect 0 '^no regression' "--thresholds: an ignored metric does not fail" \
	"$base" "$data/base-6.1.json" --thresholds "$tmp/thr"
printf 'count.* pct=x\n' >"$tmp/bad-thr"
expect 2 'bad-thr:1: expected' "--thresholds: a bad line cannot compare" \
	"$base" "$data/base-6.1.json" --thresholds "$tmp/bad-thr"

# Markdown and JUnit.
expect 1 '^### nvmx bench: regression' "--markdown: a heading" \
	"$base" "$data/mult4-6.12.json" --markdown
expect 1 '\| :x: \| `count\.l1_exits\.svm\.cpuid` \| exact \| 1000 \| 2000 \|' "--markdown: the table row" \
	"$base" "$data/mult4-6.12.json" --markdown
expect 1 'REGRESSION in' "--junit: written" "$base" "$data/mult4-6.12.json" --junit "$tmp/junit.xml"
if grep -c '<failure ' "$tmp/junit.xml" | grep -qx 3 &&
	grep -q '<testsuite name="nvmx-bench" tests="37" failures="3"' "$tmp/junit.xml" &&
	grep -A1 'name="count.l1_exits.svm.cpuid">' "$tmp/junit.xml" | grep -q '<failure message="1000 -&gt; 2000' ; then
	ok "--junit: 37 test cases, 3 failures"
else
	bad "--junit content:"
	cat "$tmp/junit.xml"
fi

# Cannot compare: exit 2 and one line that says why.
expect 2 'cannot compare: different workloads' "another workload" \
	"$base" "$data/other-workload-6.12.json"
# L0's clock (workload "clock", nvmx bench run --icount / --no-icount): a result without one (an
# nvmx before it was recorded) is a wall-clock result; two clocks cannot compare, in one line.
sed 's/"vcpus": 1$/"vcpus": 1, "clock": "wall"/' "$data/base-6.12-b.json" >"$tmp/wall.json"
expect 0 '^no regression' "a result without a clock is a wall-clock one" "$base" "$tmp/wall.json"
sed 's/"vcpus": 1$/"vcpus": 1, "clock": "icount shift=4"/' "$data/base-6.12-b.json" >"$tmp/icount.json"
expect 2 "^nvmx bench compare: cannot compare: different clocks: BASE's L0 clock is wall, NEW's icount shift=4 " \
	"a wall-clock result against an icount one" "$base" "$tmp/icount.json"
sed 's/"vcpus": 1$/"vcpus": 1, "clock": 4/' "$data/base-6.12-b.json" >"$tmp/clock4.json"
expect 2 'clock4\.json: the workload.s "clock" is not a string' "a clock that is not a string" \
	"$base" "$tmp/clock4.json"
# The time thresholds follow the clock: mult=4's round trip L1 exit service time (+103 %) passes
# the wall clock's 300 % but not an instruction clock's (the same files, relabelled).
printf 'count.* ignore\nratio.* ignore\n' >"$tmp/times"
expect 0 '^no regression' "wall clock: times within 300 %" "$base" "$data/mult4-6.12.json" \
	--thresholds "$tmp/times"
sed 's/"vcpus": 1$/"vcpus": 1, "clock": "icount shift=4"/' "$base" >"$tmp/icount-base.json"
sed 's/"vcpus": 1$/"vcpus": 1, "clock": "icount shift=4"/' "$data/mult4-6.12.json" >"$tmp/icount-mult4.json"
expect 1 'REGRESSION +time\.rt\.svm\.cpuid\.l1_exit_service_ns ' \
	"icount: the instruction clock's time thresholds" "$tmp/icount-base.json" \
	"$tmp/icount-mult4.json" --thresholds "$tmp/times"
head -c 2000 "$base" >"$tmp/truncated.json"
expect 2 'truncated\.json:[0-9]*: not JSON: the document ends early' "a truncated file" "$base" "$tmp/truncated.json"
sed 's/"values"/"values" x/' "$base" >"$tmp/corrupt.json"
expect 2 'corrupt\.json:[0-9]*: not JSON: ' "a corrupt file" "$base" "$tmp/corrupt.json"
sed 's/"nvmx_bench": 1/"nvmx_bench": 2/' "$base" >"$tmp/schema2.json"
expect 2 'schema2\.json: result schema 2, this nvmx reads 1' "another schema" "$base" "$tmp/schema2.json"
"$nvmx" replay "$data/../6.12-qemu64-intr-N1000/trace.txt.xz" --json >"$tmp/replay.json" 2>/dev/null
expect 2 'replay\.json: not an nvmx bench result' "an attribution JSON (nvmx replay) instead of a result" \
	"$base" "$tmp/replay.json"
sed 's/"repeats": 5/"repeats": 4/' "$base" >"$tmp/repeats.json"
expect 2 'repeats\.json: metric .*: not one value per repeat' "values not one per repeat" \
	"$base" "$tmp/repeats.json"
sed '0,/"kind": "exact"/s//"kind": "fast"/' "$base" >"$tmp/kind.json"
expect 2 'kind\.json: metric .* has an unknown kind' "an unknown kind" "$base" "$tmp/kind.json"
expect 2 'missing\.json: No such file or directory' "a missing file" "$base" "$tmp/missing.json"
for f in truncated corrupt schema2 repeats kind icount clock4; do
	n=$("$nvmx" bench compare "$base" "$tmp/$f.json" 2>&1 >/dev/null | wc -l)
	[ "$n" = 1 ] || bad "$f: $n lines on stderr, expected one"
done

finish
