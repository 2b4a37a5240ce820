#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nvmxd counts KVM_GET_NESTED_STATE and KVM_SET_NESTED_STATE per process (bpf/nested_state.bpf.c
# on syscalls:sys_enter_ioctl / sys_exit_ioctl) on this host, which has no nested guest: a
# helper makes 7 GETs and 5 SETs that fail (ENOTTY on /dev/null; half of them with the request
# sign-extended, as QEMU's int request arrives) and one other request; nvmxd's --json must have
# exactly get 7, get_failed 7, set 5, set_failed 5 and no guest mode (only successful calls
# count there, although the SETs' flags say guest mode) for the helper's pid. Needs root.
#
# usage: nested_state.sh NVMXD HELPER
set -u
nvmxd=$1 helper=$2
. "$(dirname "$0")/harness.sh"
need_root
dir=$(mktemp -d /tmp/nvmx_nested_state.XXXXXX)
trap 'rm -rf "$dir"' EXIT

"$nvmxd" --interval 3600 --json "$dir/nvmxd.json" --ready "$dir/ready" >"$dir/stdout" 2>"$dir/stderr" &
pid=$!
if ! wait_ready "$dir/ready" "$pid"; then
	bad "nvmxd did not get ready: $(tail -3 "$dir/stderr")"
	finish
fi
grep -q '^nvmxd: counting KVM_GET/SET_NESTED_STATE: attached' "$dir/stderr" &&
	ok "nvmxd says it counts the nested-state ioctls" ||
	bad "nvmxd did not attach its nested-state programs: $(grep -i nested "$dir/stderr")"
"$helper" 7 5 >"$dir/helper.out" && ok "the helper's 12 calls failed with ENOTTY" ||
	bad "the helper's calls did not all fail with ENOTTY"
hpid=$(sed -n 's/^pid //p' "$dir/helper.out")
kill -INT "$pid"
wait "$pid"
status=$?
[ "$status" -eq 0 ] && ok "nvmxd: exit 0 after SIGINT" || bad "nvmxd: exit $status after SIGINT"
python3 - "$dir/nvmxd.json" "$hpid" <<'EOT' && ok "nvmxd's counts for the helper are exact" ||
import json, sys
doc = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
assert doc["nvmxd"]["nested_state_attached"] is True, doc["nvmxd"]
assert doc["nvmxd"]["nested_state_update_failures"] == 0, doc["nvmxd"]
assert doc["nvmxd"]["nested_state_skipped"] == 0, doc["nvmxd"]
mine = [e for e in doc["nested_state"] if e["pid"] == pid]
assert len(mine) == 1, doc["nested_state"]
want = {"get": 7, "get_failed": 7, "get_guest_mode": 0,
        "set": 5, "set_failed": 5, "set_guest_mode": 0}
got = {k: mine[0][k] for k in want}
assert got == want, f"got {got}, want {want}"
EOT
	bad "nvmxd's nested_state for pid $hpid: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("nested_state"))' "$dir/nvmxd.json" 2>&1)"
finish
