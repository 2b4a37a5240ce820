#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The installed man pages (issue 17, item 1): `cmake --install` into a scratch DESTDIR, then
#  - nvmx(1), nvmxtop(1) and nvmxd(8) are there, with every docs/*.md under the doc directory;
#  - each page formats with `man --warnings` and no warning at all;
#  - no @NAME@ is left unfilled, and every absolute path a page names (under the install prefix,
#    or /etc) exists in the installed tree: the pages follow the prefix;
#  - nvmx(1) and nvmxd(8) point to nvmxtop(1).
#
# usage: man_pages.sh BUILD_DIR PREFIX SOURCE_DIR
set -u
[ $# = 3 ] || { echo "usage: man_pages.sh BUILD_DIR PREFIX SOURCE_DIR" >&2; exit 2; }
build=$1 prefix=$2 src=$3
command -v man >/dev/null || { echo "FAIL: no man (install man-db: scripts/debian-packages)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

if ! DESTDIR=$tmp/root cmake --install "$build" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log" >&2
	echo "FAIL: cmake --install" >&2
	exit 1
fi
root=$tmp/root
man=$root$prefix/share/man
for page in man1/nvmx.1 man1/nvmxtop.1 man8/nvmxd.8; do
	f=$man/$page
	[ -f "$f" ] || { bad "$page not installed under $man"; continue; }
	# man-db's --warnings: groff's warnings (-ww); anything on stderr is one
	MANWIDTH=80 man --warnings -l -Tutf8 "$f" >/dev/null 2>"$tmp/warn"
	[ -s "$tmp/warn" ] && bad "$page: $(cat "$tmp/warn")"
	grep -n '@[A-Za-z_]*@' "$f" >&2 && bad "$page: a template name is left"
	# every path it names, roff's \- read as -
	for p in $(sed 's/\\-/-/g' "$f" | grep -oE "($prefix|/etc)/[A-Za-z0-9_.+/-]*" | sort -u); do
		p=${p%.}
		[ -e "$root$p" ] || bad "$page names $p, which the install does not have"
	done
done
for d in "$src"/docs/*.md; do
	[ -f "$root$prefix/share/doc/nvmx/${d##*/}" ] || bad "docs/${d##*/} not installed"
done
grep -q 'nvmxtop (1)' "$man/man1/nvmx.1" || bad "nvmx(1) does not mention nvmxtop(1)"
grep -q 'nvmxtop (1)' "$man/man8/nvmxd.8" || bad "nvmxd(8) does not mention nvmxtop(1)"
[ $fail = 0 ] && echo "ok: the man pages format without warnings and name installed paths"
exit $fail
