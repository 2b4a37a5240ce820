#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# suite.sh NVMX OUT CHECKS NVMX-LAB-RUN-ARGS...: one Bochs boot running several --config's.
# Passes when nvmx lab exits 0 (every configuration's observed.json equals its truth.json) and
# every configuration of DIR/configs.txt says 0. CHECKS is a comma-separated list of extra
# assertions:
#   vmread   every configuration's truth and observation have VMREAD and VMWRITE L1 exits, equal
#            (enable_shadow_vmcs=0: the exit multiplication of each reflected exit)
#   novmread no configuration has a VMREAD L1 exit (enable_shadow_vmcs=1 covers every field
#            L1's exit handler reads)
#   exec     the --exec command ran in L0 and wrote exec/shadow_vmcs
#   none     nothing more
set -u
nvmx=$1 out=$2 checks=$3
shift 3
"$nvmx" lab run --out "$out" "$@"
rc=$?
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
[ "$rc" = 0 ] || fail "nvmx lab run exited with $rc"
[ -s "$out/configs.txt" ] || fail "no $out/configs.txt"
cat "$out/configs.txt"
awk -F'\t' '$2 != 0 { bad = 1 } END { exit bad }' "$out/configs.txt" ||
	fail "a configuration did not pass"

# The count of the L1 exit REASON in a summary file (0 when absent).
l1_count() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(e["count"] for e in d.get("l1_exits", []) if e["reason"] == sys.argv[2]))' "$1" "$2"
}

for dir in "$out"/config-*; do
	for f in truth.json observed.json trace.txt.xz; do
		[ -s "$dir/$f" ] || fail "$dir/$f missing"
	done
	for reason in VMREAD VMWRITE; do
		t=$(l1_count "$dir/truth.json" "$reason")
		o=$(l1_count "$dir/observed.json" "$reason")
		echo "$(basename "$dir"): $reason L1 exits truth $t observed $o"
		[ "$t" = "$o" ] || fail "$dir: $reason truth $t, observed $o"
		case ",$checks," in
		*,vmread,*) [ "$t" -gt 0 ] || fail "$dir: no $reason L1 exits with shadowing off" ;;
		esac
		case ",$checks,$reason" in
		*,novmread,*VMREAD) [ "$t" = 0 ] || fail "$dir: $t VMREAD L1 exits with shadowing on" ;;
		esac
	done
done
case ",$checks," in
*,exec,*)
	[ "$(cat "$out/exec/shadow_vmcs" 2>/dev/null)" = Y ] ||
		fail "--exec did not write exec/shadow_vmcs = Y in L0"
	;;
esac
echo "PASS"
