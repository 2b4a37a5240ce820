#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# expect_exit.sh STATUS TEXT COMMAND...: COMMAND must exit with STATUS and say TEXT on stderr.
set -u
want=$1 text=$2
shift 2
err=$("$@" 2>&1 >/dev/null)
got=$?
printf '%s\n' "$err"
if [ "$got" != "$want" ]; then
	echo "FAIL: exit status $got, expected $want" >&2
	exit 1
fi
if [[ "$err" != *"$text"* ]]; then
	echo "FAIL: stderr does not say '$text'" >&2
	exit 1
fi
