#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The nested-state checks of a save/restore run (tests/lab-l1/save_restore.sh).

usage: check_nested_state.py OUT

OUT is `nvmx lab run --l1 kvm` with the runner element migrate and nvmxd live in L0:
  1. nvmxd counted, with its default program (fexit on kvm_arch_vcpu_ioctl),
     KVM_GET_NESTED_STATE and KVM_SET_NESTED_STATE calls equal to the ioctls a
     tracefs hist trigger on syscalls:sys_enter_ioctl counted in L0 (OUT/nested-state-ioctls.hist,
     lab/l1-kvm.sh), in total and per request;
  2. at least one SET restored a vCPU in guest mode, and at least one GET saved one;
  3. the save and the restore were two VMM processes (the restored VM is a new tgid), and the
     runner reached its save point (L1's console).
Prints one line per check, then "N passed, N failed"; exit 0 all passed, 1 one failed, 2 the
input is unusable (one line saying what and where).
"""
import json
import re
import sys

GET, SET = 0xC080AEBE, 0x4080AEBF


def unusable(what):
    print(f"check_nested_state.py: {what}", file=sys.stderr)
    sys.exit(2)


def read_hist(path):
    counts = {GET: 0, SET: 0}
    pids = {GET: set(), SET: set()}
    dropped = None
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        unusable(f"{path}: {e.strerror}")
    for line in text.splitlines():
        m = re.match(r"\{ common_pid:\s*(\d+), cmd:\s*(\d+)\s*\} hitcount:\s*(\d+)", line)
        if m:
            pid, cmd, n = (int(x) for x in m.groups())
            # the 64-bit register: QEMU's int request arrives sign-extended; KVM takes 32 bits
            cmd &= 0xFFFFFFFF
            if cmd not in counts:
                unusable(f"{path}: a request the trigger's filter excludes: {line}")
            counts[cmd] += n
            pids[cmd].add(pid)
        m = re.match(r"\s*Dropped:\s*(\d+)", line)
        if m:
            dropped = int(m.group(1))
    if dropped is None:
        unusable(f"{path}: not a hist trigger's output (no 'Dropped:' line)")
    return counts, dropped


def main():
    if len(sys.argv) != 2:
        unusable("usage: check_nested_state.py OUT")
    out = sys.argv[1]
    hist, dropped = read_hist(f"{out}/nested-state-ioctls.hist")
    path = f"{out}/exec/nvmxd.json"
    try:
        doc = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError) as e:
        unusable(f"{path}: {e}")
    if not doc.get("nvmxd", {}).get("nested_state_attached"):
        unusable(f"{path}: nvmxd did not count nested-state ioctls: "
                 f"{doc.get('nvmxd', {}).get('nested_state_missing', '?')}")
    vms = doc.get("nested_state")
    if not isinstance(vms, list):
        unusable(f"{path}: no \"nested_state\" array")
    total = {k: sum(vm[k] for vm in vms) for k in
             ("get", "get_failed", "get_guest_mode", "set", "set_failed", "set_guest_mode")}
    try:
        console = open(f"{out}/l1-console.log", encoding="utf-8", errors="replace").read()
    except OSError as e:
        unusable(f"{out}/l1-console.log: {e.strerror}")

    checks = [
        (f"the hist trigger dropped no entry ({dropped})", dropped == 0),
        # the lab's L0 (Debian's kernel) has kvm.ko's BTF and BPF trampolines: the default
        # program is the fexit one, a map syscall cannot skip it (bpf/nested_state.bpf.c)
        ("nvmxd counted them with fexit on kvm_arch_vcpu_ioctl (nested_state_programs "
         f"{doc['nvmxd'].get('nested_state_programs')!r})",
         doc["nvmxd"].get("nested_state_programs") == "fexit"),
        ("nvmxd's nested-state programs lost nothing (update failures "
         f"{doc['nvmxd'].get('nested_state_update_failures')}, skipped runs "
         f"{doc['nvmxd'].get('nested_state_skipped')})",
         doc["nvmxd"].get("nested_state_update_failures") == 0 and
         doc["nvmxd"].get("nested_state_skipped") == 0),
        (f"nvmxd's KVM_GET_NESTED_STATE calls ({total['get']}) equal the hist trigger's "
         f"({hist[GET]})", total["get"] == hist[GET] and hist[GET] > 0),
        (f"nvmxd's KVM_SET_NESTED_STATE calls ({total['set']}) equal the hist trigger's "
         f"({hist[SET]})", total["set"] == hist[SET] and hist[SET] > 0),
        (f"at least one SET restored a vCPU in guest mode ({total['set_guest_mode']})",
         total["set_guest_mode"] >= 1),
        (f"at least one GET saved a vCPU in guest mode ({total['get_guest_mode']})",
         total["get_guest_mode"] >= 1),
        (f"no nested-state ioctl failed (get {total['get_failed']}, set {total['set_failed']})",
         total["get_failed"] == 0 and total["set_failed"] == 0),
        (f"saved and restored by two VMM processes ({[vm['pid'] for vm in vms]})",
         len(vms) == 2 and all(vm["set"] > 0 for vm in vms)),
        ("the runner reached its save point (nvmx-l1: save-point on L1's console)",
         "\nnvmx-l1: save-point\n" in console),
    ]
    failed = 0
    for what, ok in checks:
        print(("ok: " if ok else "FAILED: ") + what)
        failed += not ok
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
