#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# nvmx report --html PAGE where PAGE cannot be written: exit 2, one line on stderr naming PAGE,
# nothing on stdout; and --html without its PAGE: a usage error (exit 2, one line + "try").
# usage: html_unwritable.sh NVMX CAPTURE
nvmx=$1
cap=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
page=$tmp/no-such-dir/report.html
fail=0

"$nvmx" report --html "$page" "$cap" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 2 ]; then
	echo "FAIL: exit $rc for an unwritable page, want 2"
	fail=1
fi
if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "^nvmx report: $page: " "$tmp/err"; then
	echo "FAIL: stderr is not one line naming $page:"
	cat "$tmp/err"
	fail=1
fi
if [ -s "$tmp/out" ]; then
	echo "FAIL: stdout not empty"
	fail=1
fi

"$nvmx" report "$cap" --html >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 2 ] || ! grep -q "^try 'nvmx report --help'" "$tmp/err"; then
	echo "FAIL: --html without PAGE: exit $rc, stderr:"
	cat "$tmp/err"
	fail=1
fi
[ $fail -eq 0 ] && echo "ok: an unwritable page and a missing PAGE exit 2 with one line"
exit $fail
