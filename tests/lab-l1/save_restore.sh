#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Nested state save and restore (issue 15, item 5): one lab boot with Linux KVM as L1 whose
# runner has the element migrate: in the middle of the workload, with L2 running, L0's QEMU
# saves L1 (migrate exec:) and a second QEMU restores it (-incoming); L2 finishes there.
#   1. tests/lab/nvmxd_run.sh: the runner's truth (written by the restored L1), the replay of
#      L0's trace and nvmxd live agree on every count across the restore;
#   2. check_nested_state.py: nvmxd's KVM_GET/SET_NESTED_STATE counts equal a tracefs hist
#      trigger's in L0, at least one SET restored guest mode, two VMM processes.
#
# usage: save_restore.sh NVMX NVMXD OUT LAB-RUN-ARGS...
set -u
here=$(dirname "$0")
out=$3
"$here/../lab/nvmxd_run.sh" "$@"
rc=$?
[ -e "$out/exec/nvmxd.json" ] || { echo "FAILED: no nvmxd.json (nvmxd_run.sh exited $rc)"; exit 1; }
python3 "$here/check_nested_state.py" "$out"
rc2=$?
[ "$rc" = 0 ] || exit 1
exit "$rc2"
