#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package (debian/, issue 17 item 8), built as a packager builds it, from a copy of the
# source tree (git's files, the ignored build trees left out):
#   1. `dpkg-buildpackage -us -uc -b` builds nvmx_VERSION_amd64.deb (DEB_BUILD_OPTIONS=nocheck:
#      the package's build has no tests, CI runs them from the source tree); VERSION is the CMake
#      project's;
#   2. installed into a test root with `dpkg -x`, its files and their modes are exactly
#      files.expected (a file added or missing fails: update the list in the same commit), its
#      conffiles are /etc/nvmx's two files, and nvmx, nvmxd and nvmxtop from the root print
#      VERSION for --version;
#   3. the unit in the root passes tests/unit/unit_file.sh (systemd-analyze verify, exposure);
#   4. lintian on the .changes: no error, and its warnings and infos are exactly
#      lintian.expected (docs/packaging.md says why each stays).
#
# usage: package.sh SOURCE_DIR SCRATCH_DIR VERSION MAX_EXPOSURE
# Exit: 0 all hold; 1 one does not; 2 usage, or a tool missing (scripts/debian-packages/test).
set -u
[ $# -eq 4 ] || { echo "usage: package.sh SOURCE_DIR SCRATCH_DIR VERSION MAX_EXPOSURE" >&2; exit 2; }
src=$(realpath "$1") scratch=$2 version=$3 max=$4
here=$(dirname "$(realpath "$0")")
for t in dpkg-buildpackage dh lintian dpkg-deb; do
	command -v $t >/dev/null ||
		{ echo "package.sh: $t not found: install scripts/debian-packages/test" >&2; exit 2; }
done
. "$here/../tally.sh"

# A fresh scratch directory each time: nothing of an earlier build may be counted.
rm -rf "$scratch"
mkdir -p "$scratch/nvmx" || exit 2
scratch=$(realpath "$scratch")
t0=$(date +%s)
if git -C "$src" rev-parse --show-toplevel >/dev/null 2>&1 &&
	[ "$(realpath "$(git -C "$src" rev-parse --show-toplevel)")" = "$src" ]; then
	# tracked and new files, not what .gitignore leaves out (build trees)
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -d -t "$scratch/nvmx" 2>/dev/null)
else
	tar -C "$src" --exclude=./build --exclude='./build-*' --exclude='./obj-*' -cf - . |
		tar -C "$scratch/nvmx" -xf -
fi
[ -x "$scratch/nvmx/debian/rules" ] || { bad "no debian/rules in the copy of $src"; finish; }

# 1. the build, as a packager runs it (the environment's compiler flags are dpkg's own)
unset CFLAGS CPPFLAGS LDFLAGS CXXFLAGS MAKEFLAGS
if (cd "$scratch/nvmx" &&
	DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
	>"$scratch/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b in $(($(date +%s) - t0)) s"
else
	bad "dpkg-buildpackage failed ($scratch/build.log):"
	tail -30 "$scratch/build.log"
	finish
fi
deb=$scratch/nvmx_${version}_amd64.deb
changes=$scratch/nvmx_${version}_amd64.changes
[ -f "$deb" ] && [ -f "$changes" ] && ok "built $(basename "$deb")" ||
	{ bad "no $(basename "$deb") or its .changes: $(ls "$scratch")"; finish; }

# 2. installed into a test root
root=$scratch/root
dpkg -x "$deb" "$root" || { bad "dpkg -x $deb"; finish; }
# "PATH MODE", one file or link a line, by path
(cd "$root" && find . -mindepth 1 ! -type d -printf '%p %m\n' | sed 's|^\./|/|' | LC_ALL=C sort) \
	>"$scratch/files"
if diff -u "$here/files.expected" "$scratch/files" >"$scratch/files.diff"; then
	ok "the installed files and modes are files.expected ($(wc -l <"$scratch/files") files)"
else
	bad "the installed files differ from tests/package/files.expected (- expected, + installed):"
	grep '^[-+]/' "$scratch/files.diff"
fi
dpkg-deb -e "$deb" "$scratch/control" || { bad "dpkg-deb -e $deb"; finish; }
conffiles=$(tr '\n' ' ' <"$scratch/control/conffiles")
[ "$conffiles" = "/etc/nvmx/nvmxd.conf /etc/nvmx/web-config.yml " ] &&
	ok "conffiles: $conffiles" || bad "conffiles: '$conffiles'"
for exe in usr/bin/nvmx usr/sbin/nvmxd usr/bin/nvmxtop; do
	v=$("$root/$exe" --version 2>&1 | head -1)
	case "$v" in
	*" $version"*) ok "/$exe --version: $v" ;;
	*) bad "/$exe --version: '$v', not $version" ;;
	esac
done

# 3. the unit as installed, with the root's nvmxd and man pages
if sh "$here/../unit/unit_file.sh" "$root/lib/systemd/system/nvmxd.service" "$root/usr/sbin/nvmxd" \
	"$root/usr/share/man" "$max" >"$scratch/unit.log" 2>&1; then
	ok "the installed nvmxd.service: $(grep -c PASS "$scratch/unit.log") checks of unit_file.sh"
else
	bad "the installed nvmxd.service:"
	cat "$scratch/unit.log"
fi

# 4. lintian: no error; the other tags exactly lintian.expected
lintian --no-cfg --fail-on none --display-info --tag-display-limit 0 "$changes" \
	>"$scratch/lintian.log" 2>&1
if grep -q '^E: ' "$scratch/lintian.log"; then
	bad "lintian errors:"
	grep '^E: ' "$scratch/lintian.log"
else
	ok "lintian: no error"
fi
# "W: nvmx: TAG [CONTEXT]" without the package name's version details
grep '^[WIEP]: ' "$scratch/lintian.log" | LC_ALL=C sort -u >"$scratch/lintian.tags"
if diff -u "$here/lintian.expected" "$scratch/lintian.tags" >"$scratch/lintian.diff"; then
	ok "lintian's warnings and infos are lintian.expected ($(wc -l <"$scratch/lintian.tags"))"
else
	bad "lintian's tags differ from tests/package/lintian.expected (- expected, + now):"
	grep '^[-+][WIEP]' "$scratch/lintian.diff"
fi
echo "package test: $(($(date +%s) - t0)) s"
finish
