#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvmxtop --standalone on this host (ctest -L bpf, as root): it loads nvmx's programs itself,
# shows its refreshes (the nested exits, or why there are none and what to run), and without
# root says that it needs root and what else to run.
#
# usage: standalone.sh NVMXTOP
set -u
nvmxtop=$1
failed=0
ok() { echo "ok: $*"; }
bad() { echo "FAILED: $*"; failed=1; }
[ "$(id -u)" = 0 ] || { echo "FAILED: the bpf label runs as root"; exit 1; }

out=$("$nvmxtop" --standalone -b -n 2 -d 0.3 2>&1)
status=$?
echo "$out"
[ "$status" = 0 ] && ok "exit 0" || bad "exit $status"
# every program of nvmxd's loader is attached here (tests/bpf/same_programs.sh compares the lists)
echo "$out" | grep -Eq "standalone BPF, ([1-9][0-9]*)/\1 programs" &&
	ok "the header names the source, every program attached" ||
	bad "no 'standalone BPF, N/N programs' in the header"
[ "$(echo "$out" | grep -c '^nvmxtop  refresh')" = 2 ] && ok "two refreshes" || bad "not two refreshes"
# either nested exits are shown, or the reason there are none, with what to run
if echo "$out" | grep -q '^VM / vCPU / reason'; then
	ok "nested exits on this host"
elif echo "$out" | grep -q "no nested exits: this host's KVM runs no nested guests.*nvmx up --lab" ||
	echo "$out" | grep -q "no nested exits yet: nested guests are enabled"; then
	ok "no nested exits here, and it says why"
else
	bad "neither nested exits nor why there are none"
fi

out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$nvmxtop" --standalone -b -n 1 2>&1)
status=$?
[ "$status" = 1 ] && ok "without root: exit 1" || bad "without root: exit $status"
echo "$out" | grep -q "needs root" && echo "$out" | grep -q -- "--replay FILE" &&
	ok "without root: it says it needs root, and that a capture needs none" ||
	bad "without root: '$out'"
[ "$failed" = 0 ]
