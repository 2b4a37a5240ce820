#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nvmxd counts KVM_GET_NESTED_STATE and KVM_SET_NESTED_STATE per process (bpf/nested_state.bpf.c)
# on this host, which has no nested guest: a helper makes 7 GETs and 5 SETs that fail (ENOTTY on
# /dev/null; half of them with the request sign-extended, as QEMU's int request arrives) and one
# other request. Twice: with nvmxd's default programs and with --classic-only. Needs root.
# - The classic pair (syscalls:sys_enter_ioctl/sys_exit_ioctl: forced by --classic-only, and
#   the default where fexit cannot be had, as on this host, where fentry/fexit is EPERM) sees every
#   ioctl with the request: nvmxd's --json must have exactly get 7, get_failed 7, set 5,
#   set_failed 5 and no guest mode (only successful calls count there, although the SETs' flags
#   say guest mode) for the helper's pid.
# - fexit on kvm_arch_vcpu_ioctl (the default where it attaches) sees only calls that reach a
#   vCPU: none of the helper's (on /dev/null), so no entry for its pid. The lab's L0 runs this
#   path against a hist trigger (tests/lab-l1/save_restore.sh).
# nvmxd's line, nested_state_programs in its JSON, and the counts must say the same path.
#
# usage: nested_state.sh NVMXD HELPER
set -u
nvmxd=$1 helper=$2
. "$(dirname "$0")/harness.sh"
need_root
dir=$(mktemp -d /tmp/nvmx_nested_state.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# run_once NAME [NVMXD-OPTIONS]
run_once() {
	name=$1
	shift
	rm -f "$dir/ready" "$dir/nvmxd.json"
	"$nvmxd" "$@" --interval 3600 --json "$dir/nvmxd.json" --ready "$dir/ready" \
		>"$dir/stdout" 2>"$dir/stderr" &
	pid=$!
	if ! wait_ready "$dir/ready" "$pid"; then
		bad "$name: nvmxd did not get ready: $(tail -3 "$dir/stderr")"
		return
	fi
	line=$(grep '^nvmxd: counting KVM_GET/SET_NESTED_STATE: attached' "$dir/stderr")
	case $line in
	*"attached fexit kvm_arch_vcpu_ioctl"*) path=fexit ;;
	*"attached syscalls:sys_enter_ioctl, sys_exit_ioctl (classic tracepoints: "*) path=classic ;;
	*) path= ;;
	esac
	[ -n "$path" ] && ok "$name: nvmxd says it counts the nested-state ioctls ($path)" ||
		bad "$name: nvmxd did not attach its nested-state programs: $(grep -i nested "$dir/stderr")"
	if [ "$name" = classic-only ]; then
		[ "$path" = classic ] && ok "$name: --classic-only runs the classic pair" ||
			bad "$name: --classic-only runs '$path'"
	fi
	"$helper" 7 5 >"$dir/helper.out" && ok "$name: the helper's 12 calls failed with ENOTTY" ||
		bad "$name: the helper's calls did not all fail with ENOTTY"
	hpid=$(sed -n 's/^pid //p' "$dir/helper.out")
	kill -INT "$pid"
	wait "$pid"
	status=$?
	[ "$status" -eq 0 ] && ok "$name: nvmxd: exit 0 after SIGINT" ||
		bad "$name: nvmxd: exit $status after SIGINT"
	python3 - "$dir/nvmxd.json" "$hpid" "$path" <<'EOT' && ok "$name: nvmxd's counts for the helper are exact ($path)" ||
import json, sys
doc = json.load(open(sys.argv[1]))
pid, path = int(sys.argv[2]), sys.argv[3]
n = doc["nvmxd"]
assert n["nested_state_attached"] is True, n
assert n["nested_state_programs"] == path, (n["nested_state_programs"], path)
assert n["nested_state_update_failures"] == 0, n
assert n["nested_state_skipped"] == 0, n
mine = [e for e in doc["nested_state"] if e["pid"] == pid]
if path == "fexit":
    # calls on a file that is not a vCPU's never reach kvm_arch_vcpu_ioctl
    assert mine == [], mine
else:
    assert len(mine) == 1, doc["nested_state"]
    want = {"get": 7, "get_failed": 7, "get_guest_mode": 0,
            "set": 5, "set_failed": 5, "set_guest_mode": 0}
    got = {k: mine[0][k] for k in want}
    assert got == want, f"got {got}, want {want}"
EOT
		bad "$name: nvmxd's nested_state for pid $hpid: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["nvmxd"].get("nested_state_programs"), d.get("nested_state"))' "$dir/nvmxd.json" 2>&1)"
}

run_once default
run_once classic-only --classic-only
finish
