#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nvmxd on this host's kernel attaches a program to every KVM tracepoint nvmx needs, stops cleanly
# on SIGINT (exit 0, final JSON written) and leaves no program or link behind.
#
# The list of tracepoints is this test's own, not nvmxd's probe result: on the 6.18 host all eleven
# exist (kvm built in), so all eleven must be attached: eight as classic tracepoints, kvm_entry,
# kvm_nested_vmexit_inject and kvm_nested_vmenter as tp_btf (nvmxd prefers them: no record is
# built), plus the tp_btf program on kvm_nested_vmexit that reads L2's RCX (twelve programs).
# Needs root; without root it fails.
#
# usage: host_attach.sh NVMXD BPFTOOL
set -u

NVMXD=$1
BPFTOOL=$2
EXPECTED="kvm_exit kvm_nested_vmexit kvm_nested_vmenter_failed kvm_nested_intr_vmexit
kvm_userspace_exit kvm_msr kvm_inj_virq kvm_inj_exception"
EXPECTED_BTF="kvm_nested_vmexit kvm_nested_vmexit_inject kvm_nested_vmenter kvm_entry"

. "$(dirname "$0")/harness.sh"
need_root

dir=$(mktemp -d /tmp/nvmx_host_attach.XXXXXX)
trap 'rm -rf "$dir"' EXIT

"$NVMXD" --interval 3600 --json "$dir/final.json" --ready "$dir/ready" \
	>"$dir/stdout" 2>"$dir/stderr" &
pid=$!

if ! wait_ready "$dir/ready" "$pid"; then
	bad "nvmxd did not get ready in 30 s"
	cat "$dir/stderr"
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	finish
fi

# While nvmxd runs: every expected tracepoint has a perf-event attachment owned by nvmxd whose
# program is one of nvmx's. bpftool perf list -j: [{"pid", "fd", "prog_id", "fd_type",
# "tracepoint"}].
perf=$("$BPFTOOL" -j perf list)
ids=""
for tp in $EXPECTED; do
	id=$(printf '%s' "$perf" | python3 -c '
import json, sys
pid, tp = int(sys.argv[1]), sys.argv[2]
for e in json.load(sys.stdin):
    if e.get("pid") == pid and e.get("fd_type") == "tracepoint" and e.get("tracepoint") == tp:
        print(e["prog_id"])
        break
' "$pid" "$tp")
	if [ -z "$id" ]; then
		bad "$tp: no program of nvmxd (pid $pid) attached"
		continue
	fi
	name=$("$BPFTOOL" -j prog show id "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
	case "$name" in
	nvmx_*) ok "$tp: attached program $id ($name)" ;;
	*) bad "$tp: program $id is '$name', not one of nvmx's" ;;
	esac
	ids="$ids $id"
	grep -q "^nvmxd: attached $tp (tracepoint)$" "$dir/stderr" &&
		ok "$tp: nvmxd says it attached it" || bad "$tp: nvmxd did not say 'attached $tp'"
done

# The tp_btf programs (L2's RCX on kvm_nested_vmexit; those preferred to their classic
# programs) have raw_tracepoint links, no perf event: bpftool link list names the tracepoint.
for tp in $EXPECTED_BTF; do
	id=$("$BPFTOOL" -j link list | python3 -c '
import json, subprocess, sys
for l in json.load(sys.stdin):
    if l.get("type") != "raw_tracepoint" or l.get("tp_name") != sys.argv[2]:
        continue
    # a program of another test may be gone between the two listings
    r = subprocess.run([sys.argv[1], "-j", "prog", "show", "id", str(l["prog_id"])],
                       capture_output=True)
    if r.returncode:
        continue
    p = json.loads(r.stdout)
    if p.get("type") == "tracing" and p.get("name", "").startswith("nvmx_"):
        print(l["prog_id"])
        break
' "$BPFTOOL" "$tp")
	if [ -n "$id" ]; then
		ok "$tp: tp_btf program $id attached"
		ids="$ids $id"
	else
		bad "$tp: no tp_btf (raw_tracepoint) link of an nvmx program"
	fi
	grep -q "^nvmxd: attached $tp (tp_btf)$" "$dir/stderr" &&
		ok "$tp: nvmxd says it attached its tp_btf program" ||
		bad "$tp: nvmxd did not say 'attached $tp (tp_btf)'"
done

# --baseline (the overhead benchmark's yardsticks) adds two programs to kvm_exit beside nvmx's.
if out=$("$NVMXD" --baseline --bpf-stats --once 2>&1) &&
	printf '%s\n' "$out" | grep -q '^nvmxd: attached kvm_exit (tracepoint) (baseline: empty program)$' &&
	printf '%s\n' "$out" | grep -q '^nvmxd: attached kvm_exit (tracepoint) (baseline: single-counter program)$'; then
	ok "nvmxd --baseline --bpf-stats --once: exit 0, the empty and the single-counter program attached"
else
	bad "nvmxd --baseline --bpf-stats --once failed: $(printf '%s' "$out" | tail -3)"
fi

kill -INT "$pid"
wait "$pid"
status=$?
[ "$status" -eq 0 ] && ok "SIGINT: exit status 0" || bad "SIGINT: exit status $status"

if python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["schema"] == 1, "schema"
assert "vms" in j and "nvmxd" in j, "vms/nvmxd keys"
assert j["nvmxd"]["programs_attached"] == 12, "programs_attached %d" % j["nvmxd"]["programs_attached"]
cyc = j["nvmxd"]["cycles"]
assert cyc["unit"] == ("ns and cycles" if cyc["available"] else "ns"), cyc
assert cyc["available"] or cyc["reason"], cyc
assert "breakdown" in j and "vectoring" in j and "l0_handled" in j, "breakdown keys"
assert j["nvmxd"]["map_update_failures"] == 0, "map_update_failures"
assert j["nvmxd"]["lost_events"] == 0, "lost_events"
assert j["lost_events"] == 0, "lost_events of the summary"
' "$dir/final.json"; then
	ok "final JSON written: schema 1, vms, nvmxd, 12 programs attached, breakdown keys, cycles"
else
	bad "final JSON missing or wrong: $dir/final.json"
fi

# Afterwards: none of the programs seen above is still loaded, no link of nvmxd is left.
for id in $ids; do
	if "$BPFTOOL" prog show id "$id" >/dev/null 2>&1; then
		bad "program $id is still loaded after nvmxd exited"
	else
		ok "program $id is gone"
	fi
done
if "$BPFTOOL" -j perf list | python3 -c '
import json, sys
sys.exit(1 if any(e.get("pid") == int(sys.argv[1]) for e in json.load(sys.stdin)) else 0)
' "$pid"; then
	ok "no perf-event attachment of nvmxd is left"
else
	bad "perf-event attachments of nvmxd are left"
fi
finish
