#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every signal that ends nvmxd by default (HUP, USR1, USR2, ALRM, and INT, TERM) ends its run
# with the final --json written and exit 0; SIGPIPE does not end it (issue 16: HUP, USR1, USR2,
# PIPE and ALRM ended nvmxd without writing --json).
# usage: signals_write_json.sh NVMXD
set -u
NVMXD=$1
. "$(dirname "$0")/harness.sh"
need_root
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for sig in HUP USR1 USR2 ALRM PIPE TERM; do
	rm -f "$dir/ready" "$dir/out.json"
	"$NVMXD" --interval 3600 --json "$dir/out.json" --ready "$dir/ready" >"$dir/$sig.log" 2>&1 &
	pid=$!
	if ! wait_ready "$dir/ready" "$pid"; then
		bad "SIG$sig: nvmxd never became ready: $(tail -2 "$dir/$sig.log")"
		kill "$pid" 2>/dev/null
		continue
	fi
	kill -s "$sig" "$pid"
	if [ "$sig" = PIPE ]; then
		sleep 0.5
		kill -0 "$pid" 2>/dev/null && ok "SIGPIPE: nvmxd goes on" || bad "SIGPIPE ended nvmxd"
		kill -s TERM "$pid"
	fi
	wait "$pid"
	st=$?
	[ "$st" = 0 ] && python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dir/out.json" \
		2>/dev/null && ok "SIG$sig: exit 0, --json written" ||
		bad "SIG$sig: exit $st, --json $( [ -s "$dir/out.json" ] && echo written || echo missing)"
done
finish
