#!/bin/sh
# The guest code runs in L1 and L2, where no library is: linked together, its objects may
# reference no symbol they do not define themselves.
# usage: check_guest_symbols.sh OUT.o GUEST.o...
set -eu
out=$1
shift
[ $# -gt 0 ] || { echo "check_guest_symbols.sh: no guest objects given" >&2; exit 1; }
ld -r -o "$out" "$@"
undefined=$(nm -u "$out")
if [ -n "$undefined" ]; then
	echo "the lab's guest code calls outside itself: $undefined" >&2
	exit 1
fi
