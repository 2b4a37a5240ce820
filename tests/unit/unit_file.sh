#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nvmxd.service as `cmake --install` and the Debian package install it (dist/nvmxd.service.in,
# configured by this build):
#   1. `systemd-analyze verify` finds nothing wrong: its keys, ExecStart's nvmxd (this build's,
#      the unit's path is where it would be installed) and Documentation=man:nvmxd(8) (this
#      build's page);
#   2. `systemd-analyze security --offline=true` rates its exposure at most MAX (the unit's
#      comments say what stays exposed and why): a loosened sandbox fails here.
#
# usage: unit_file.sh UNIT NVMXD MANDIR MAX
# Exit: 0 both hold; 1 one does not; 2 usage, or systemd-analyze missing (the package systemd,
# scripts/debian-packages.d/test: never skipped).
set -u
[ $# -eq 4 ] || { echo "usage: unit_file.sh UNIT NVMXD MANDIR MAX" >&2; exit 2; }
unit=$1 nvmxd=$2 mandir=$3 max=$4
command -v systemd-analyze >/dev/null ||
	{ echo "unit_file.sh: systemd-analyze not found: install systemd" >&2; exit 2; }
[ -r "$unit" ] && [ -x "$nvmxd" ] && [ -d "$mandir" ] ||
	{ echo "unit_file.sh: $unit, $nvmxd or $mandir is missing" >&2; exit 2; }
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# The unit with this build's nvmxd in ExecStart=, under its own name (verify reads the name).
sed "s|^ExecStart=[^ ]*|ExecStart=$(realpath "$nvmxd")|" "$unit" >"$dir/nvmxd.service"
grep -q "^ExecStart=$(realpath "$nvmxd") " "$dir/nvmxd.service" ||
	{ bad "no ExecStart= line in $unit"; exit 1; }
# man(1) looks in MANPATH/man8: this build's page (dist/man/nvmxd.8, a package's
# man8/nvmxd.8.gz) in such a tree
page=$(find "$mandir" -name 'nvmxd.8*' | head -1)
[ -n "$page" ] || { bad "no nvmxd.8 under $mandir"; exit 1; }
mkdir -p "$dir/man/man8" && cp "$page" "$dir/man/man8/"
if MANPATH=$dir/man SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$dir/nvmxd.service" \
	>"$dir/verify" 2>&1 && [ ! -s "$dir/verify" ]; then
	ok "systemd-analyze verify: nothing to say"
else
	bad "systemd-analyze verify: $(cat "$dir/verify")"
fi

systemd-analyze security --offline=true --no-pager "$dir/nvmxd.service" >"$dir/security" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for nvmxd.service: \([0-9.]*\).*/\1/p' "$dir/security")
if [ -z "$exposure" ]; then
	bad "systemd-analyze security printed no exposure: $(tail -3 "$dir/security")"
elif awk -v e="$exposure" -v m="$max" 'BEGIN { exit !(e <= m) }'; then
	ok "systemd-analyze security --offline=true: exposure $exposure (at most $max)"
else
	bad "systemd-analyze security --offline=true: exposure $exposure, more than $max:"
	grep '✗' "$dir/security"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
