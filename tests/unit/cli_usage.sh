#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One command-line grammar in every program (issue 17, items 1 and 2):
#  - PROG --version: one line "PROG VERSION" on stdout (VERSION: the CMake project version, then
#    "(git DESCRIBE)" in a git checkout), nothing on stderr, exit 0;
#  - the same bad usage to every nvmx subcommand and every binary (an unknown option; a real
#    option given as --opt=value, with a value it refuses; a value for an option that takes
#    none): exactly "PROG: PROBLEM" then "try 'PROG --help'" on stderr, nothing on stdout, exit 2.
#  - --opt=value is read as --opt value (the same message either way).
#
# usage: cli_usage.sh VERSION NVMX NVMXD NVMXTOP LAB_WORKLOAD LAB_RUNNER DATA
set -u
[ $# = 7 ] || { echo "usage: cli_usage.sh VERSION NVMX NVMXD NVMXTOP LAB_WORKLOAD LAB_RUNNER DATA" >&2; exit 2; }
version=$1 nvmx=$2 nvmxd=$3 nvmxtop=$4 workload=$5 runner=$6 data=$7
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
good=$data/6.1-qemu64-N1000/trace.txt.xz

# out_ok RE: $tmp/out is empty when RE is, else one line matching RE
out_ok() {
	if [ -z "$1" ]; then
		[ ! -s "$tmp/out" ]
	else
		[ "$(wc -l <"$tmp/out")" = 1 ] && grep -Eqx "$1" "$tmp/out"
	fi
}

# expect RC STDOUT_RE STDERR CMD...: CMD exits RC, its stdout matches the extended regular
# expression STDOUT_RE (whole), its stderr is exactly STDERR
expect() {
	want_rc=$1 want_out=$2 want_err=$3
	shift 3
	timeout 20 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want_rc" ] || [ "$(cat "$tmp/err")" != "$want_err" ] ||
		! out_ok "$want_out"; then
		echo "FAIL: $*" >&2
		echo "  rc $rc, want $want_rc" >&2
		echo "  stdout: $(head -c 300 "$tmp/out")" >&2
		echo "  want:   ${want_out:-(nothing)}" >&2
		echo "  stderr: $(head -c 1000 "$tmp/err")" >&2
		echo "  want:   $want_err" >&2
		fail=1
	fi
}

# usage PROG PROBLEM CMD...: the one usage-error style
usage() {
	p=$1 what=$2
	shift 2
	expect 2 "" "$p: $what
try '$p --help'" "$@"
}

# the version: X.Y.Z, then the git description when built from a checkout
v=$(printf '%s' "$version" | sed 's/\./\\./g')
vre="$v( \(git [0-9A-Za-z._+-]+\))?"
for prog in "nvmx:$nvmx" "nvmxd:$nvmxd" "nvmxtop:$nvmxtop" "nvmx-lab-workload:$workload" \
	"nvmx-lab-runner:$runner"; do
	name=${prog%%:*} exe=${prog#*:}
	# "-": a sanitized tree, which does not build the lab's static executables
	if [ "$exe" = - ]; then
		echo "not checked here: $name (not built in this tree)"
		continue
	fi
	expect 0 "$name $vre" "" "$exe" --version
	usage "$name" "unknown option '--no-such-option'" "$exe" --no-such-option
	usage "$name" "unknown option '--no-such-option'" "$exe" --no-such-option=1
	# --help says --version exists
	if ! "$exe" --help 2>&1 | grep -q -- --version; then
		echo "FAIL: $name --help does not mention --version" >&2
		fail=1
	fi
done
# every subcommand takes --version too, and its --help says so
for cmd in record replay report compare bitmap up "lab run" "lab workloads" "lab sysroot" "bench run" \
	"bench compare" "bench matrix"; do
	# shellcheck disable=SC2086 # $cmd is one or two words
	expect 0 "nvmx $vre" "" "$nvmx" $cmd --version
	# shellcheck disable=SC2086
	if ! "$nvmx" $cmd --help 2>&1 | grep -q -- --version; then
		echo "FAIL: nvmx $cmd --help does not mention --version" >&2
		fail=1
	fi
	# shellcheck disable=SC2086
	usage "nvmx $cmd" "unknown option '--no-such-option'" "$nvmx" $cmd --no-such-option
	# shellcheck disable=SC2086
	usage "nvmx $cmd" "unknown option '--no-such-option'" "$nvmx" $cmd --no-such-option=x "$good"
done
usage nvmx "unknown command 'no-such-command'" "$nvmx" no-such-command
usage nvmx "give a COMMAND" "$nvmx"
usage "nvmx lab" "unknown subcommand 'no-such' (run, workloads, sysroot)" "$nvmx" lab no-such
usage "nvmx lab sysroot" "give --out DIR" "$nvmx" lab sysroot libjson-c-dev
usage "nvmx lab sysroot" "give the packages to unpack" "$nvmx" lab sysroot --out /nonexistent/sr
usage "nvmx bench" "unknown subcommand 'no-such' (run, compare, matrix)" "$nvmx" bench no-such
usage "nvmx bench run" "--l1 xen: expected minimal or kvm" "$nvmx" bench run -o x --l1 xen
usage "nvmx bench run" "--l1 kvm is the lab's: not with --from (its lab.json says the L1) or a command" \
	"$nvmx" bench run -o x --l1 kvm --from /nonexistent
usage "nvmx bench run" "--l1 kvm with --isa vmx: not supported (one boot of KVM as L1 under Bochs takes about 16 minutes)" \
	"$nvmx" bench run -o x --l1 kvm --isa vmx
usage "nvmx bench matrix" "-o BASE is required (BASE.md and BASE.html)" "$nvmx" bench matrix
usage "nvmx bench matrix" "--from: give the result files" "$nvmx" bench matrix -o x --from
usage "nvmx bench matrix" "--l1 xen: expected minimal or kvm" "$nvmx" bench matrix -o x --l1 xen

# both_forms PROG PROBLEM OPT VALUE CMD...: `CMD OPT VALUE` and `CMD OPT=VALUE` give PROBLEM
both_forms() {
	p=$1 what=$2 opt=$3 val=$4
	shift 4
	usage "$p" "$what" "$@" "$opt" "$val"
	usage "$p" "$what" "$@" "$opt=$val"
}
both_forms "nvmx bitmap" "--top x: expected a number >= 0" --top x "$nvmx" bitmap "$good"
both_forms "nvmx bitmap" "--seconds 0: expected a positive number of seconds" --seconds 0 \
	"$nvmx" bitmap "$good"
both_forms "nvmx bitmap" "--kernel x: not a kernel release (MAJOR.MINOR..., e.g. 6.12.57+deb13-amd64)" \
	--kernel x "$nvmx" bitmap "$good"
both_forms "nvmx lab workloads" "--l1 x: expected minimal or kvm" --l1 x "$nvmx" lab workloads
both_forms "nvmx bench run" "--repeats: 1 to 100, not '0'" --repeats 0 "$nvmx" bench run -o x
both_forms "nvmx bench run" "--icount 9: expected a number from 0 to 5" --icount 9 \
	"$nvmx" bench run -o x
usage "nvmx bench run" "--icount and --no-icount set the lab's clock: not with --from or a command" \
	"$nvmx" bench run -o x --no-icount --from /nonexistent
both_forms "nvmx bench run" "--isa x: expected svm or vmx" --isa x "$nvmx" bench run -o x
usage "nvmx bench run" "--icount and --no-icount are QEMU's: with --isa vmx, Bochs's clock counts instructions already" \
	"$nvmx" bench run -o x --isa vmx --icount 4
both_forms "nvmx bench run" "--configs 2-1: FIRST-LAST, 1 <= FIRST <= LAST <= 100" --configs 2-1 \
	"$nvmx" bench run -o x --from /nonexistent
usage "nvmx bench run" "--configs selects configurations of --from's lab output" \
	"$nvmx" bench run -o x --configs 1-2
both_forms nvmxd "--interval 0: expected seconds > 0" --interval 0 "$nvmxd"
both_forms nvmxd "--pid x: expected a process id" --pid x "$nvmxd"
both_forms nvmxtop "--sort x: expected l2, share, cost or name" --sort x "$nvmxtop" -b
both_forms "nvmx record" "--duration 0: expected seconds > 0" --duration 0 "$nvmx" record
both_forms "nvmx record" "--pid x: expected a process id" --pid x "$nvmx" record
both_forms "nvmx record" "--buffer-kb 0: expected KiB > 0" --buffer-kb 0 "$nvmx" record
both_forms "nvmx record" \
	"--instance a/b: expected a name (no '/', not starting with '.', < 64 characters)" \
	--instance a/b "$nvmx" record
usage "nvmx record" "--quiet takes no value ('--quiet=x')" "$nvmx" record --quiet=x
usage "nvmx record" "--output needs a value" "$nvmx" record --output
[ "$workload" = - ] ||
	both_forms nvmx-lab-workload "--isa x: expected svm or vmx" --isa x "$workload"
[ "$runner" = - ] || both_forms nvmx-lab-runner "--isa x: expected svm or vmx" --isa x "$runner"
# a value given to an option that takes none
usage "nvmx replay" "--json takes no value ('--json=x')" "$nvmx" replay "$good" --json=x
usage "nvmx report" "--json takes no value ('--json=x')" "$nvmx" report "$good" --json=x
usage "nvmx compare" "--all takes no value ('--all=x')" "$nvmx" compare --all=x a b
usage "nvmx bench compare" "--markdown takes no value ('--markdown=x')" \
	"$nvmx" bench compare --markdown=x a b
usage "nvmx up" "--lab takes no value ('--lab=x')" "$nvmx" up --lab=x
usage nvmxd "--once takes no value ('--once=x')" "$nvmxd" --once=x
usage nvmxtop "--total takes no value ('--total=x')" "$nvmxtop" --total=x
# an option without its value
usage "nvmx bitmap" "--top needs a value" "$nvmx" bitmap "$good" --top
usage "nvmx lab run" "--kernel needs a value" "$nvmx" lab run --kernel
usage "nvmx bench run" "-o needs a value" "$nvmx" bench run -o
usage nvmxd "--json needs a value" "$nvmxd" --json
usage nvmxtop "-d needs a value" "$nvmxtop" -b -d
# files: how many
usage "nvmx replay" "give a FILE (a capture or a JSON)" "$nvmx" replay
usage "nvmx replay" "one FILE only ('a', 'b')" "$nvmx" replay a b
usage "nvmx report" "--diff takes two files, A and B (1 given)" "$nvmx" report --diff a
usage "nvmx compare" "expected two files, TRUTH.json OBSERVED.json (1 given)" "$nvmx" compare a
usage "nvmx bench compare" "expected two files, BASE.json NEW.json (3 given)" \
	"$nvmx" bench compare a b c
usage "nvmx bitmap" "give a FILE or --live" "$nvmx" bitmap
usage nvmxd "unexpected argument 'x'" "$nvmxd" x
usage nvmxtop "unexpected argument 'x'" "$nvmxtop" -b x

# --opt=value where it works: the same output as --opt value
"$nvmx" bitmap "$good" --top 2 >"$tmp/a" 2>&1
"$nvmx" bitmap --top=2 "$good" >"$tmp/b" 2>&1
if ! cmp -s "$tmp/a" "$tmp/b" || [ "$(grep -c '^ *[0-9] ' "$tmp/a")" != 2 ]; then
	echo "FAIL: nvmx bitmap --top=2 differs from --top 2 (or does not give 2 rows)" >&2
	diff "$tmp/a" "$tmp/b" >&2
	fail=1
fi

[ $fail = 0 ] && echo "ok: --version and one usage-error style in every program"
exit $fail
