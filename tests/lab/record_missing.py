#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""How many of a tracefs capture's events a record (nvmxd --record) lacks.

usage: record_missing.py CAPTURE(.xz) RECORD [NVMXD_JSON]

The record must be a subsequence of the capture (event name, and the reason of exits): the two
are aligned in order, and the capture's events the record lacks are counted from the record's
first event to the capture's end (nvmxd starts after the capture; events after the record's last
are missing too: the VMM exits before nvmxd is stopped). Prints the number; exit 2 with one line
when the record is not a subsequence of the capture or a file cannot be read.

The capture's events are those of the event types the record has, or with NVMXD_JSON (the
recording nvmxd's --json) those its programs are attached to; with a program reading L2's RCX
(nvmx_kvm_nested_vmexit_rcx, or on SVM nvmx_kvm_nested_vmexit_svm) each L2 MSR exit of the capture is followed by the nvmx_guest_rcx
event nvmxd makes of it.
"""
import json
import lzma
import re
import sys

EV = re.compile(r"^\s*\S.*?\s\d+\.\d+: ((?:kvm|nvmx)_[a-z_]+):(.*)$")
MSR_EXITS = {"msr", "MSR_READ", "MSR_WRITE"}
RCX = ("nvmx_guest_rcx", "")


def key(name, rest):
    m = re.search(r"reason (\S+)", rest) if name in ("kvm_exit", "kvm_nested_vmexit") else None
    return (name, m.group(1) if m else "")


def events(lines):
    return [key(*m.groups()) for m in map(EV.match, lines) if m]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: record_missing.py CAPTURE RECORD [NVMXD_JSON]")
    names, rcx = None, False
    try:
        if len(sys.argv) == 4:
            progs = [p for p in json.load(open(sys.argv[3]))["nvmxd"]["programs"]
                     if p.get("attached") and not p.get("baseline")]
            names = {p["tracepoint"] for p in progs}
            # L2's RCX: its own program, or on SVM kvm_nested_vmexit's tp_btf program
            rcx = any(p["program"] in ("nvmx_kvm_nested_vmexit_rcx",
                                       "nvmx_kvm_nested_vmexit_svm") for p in progs)
    except (OSError, ValueError, KeyError) as e:
        print(f"record_missing.py: {sys.argv[3]}: {e}", file=sys.stderr)
        sys.exit(2)
    try:
        with open(sys.argv[1], "rb") as f:
            xz = f.read(6) == b"\xfd7zXZ\x00"
        cap = events((lzma.open if xz else open)(sys.argv[1], "rt", errors="replace"))
        rec = events(open(sys.argv[2], errors="replace"))
    except (OSError, lzma.LZMAError) as e:
        print(f"record_missing.py: {e}", file=sys.stderr)
        sys.exit(2)
    if names is None:
        names = {n for n, _ in rec}
    kept = []
    for e in cap:
        if e[0] in names:
            kept.append(e)
            if rcx and e[0] == "kvm_nested_vmexit" and e[1] in MSR_EXITS:
                kept.append(RCX)
    cap = kept
    i, first, missing = 0, True, 0
    for r in rec:
        start = i
        while i < len(cap) and cap[i] != r:
            i += 1
        if i == len(cap):
            print(f"record_missing.py: {sys.argv[2]} is not a subsequence of {sys.argv[1]}",
                  file=sys.stderr)
            sys.exit(2)
        if not first:
            missing += i - start
        first = False
        i += 1
    print(missing + len(cap) - i)


if __name__ == "__main__":
    main()
