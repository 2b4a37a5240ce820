#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvmxd writes its outputs as root: a symlink planted where it writes must not make it overwrite
# another file (issue 16: --json's FILE.tmp and --record were opened with fopen("w")).
#   --json FILE: the temporary file is a new one of nvmxd's own (never an existing path), so a
#     link planted at FILE.tmp is left alone; the victim keeps its content
#   --record FILE: a symlink at FILE is refused with one line and exit 2, the victim untouched
# usage: symlink_outputs.sh NVMXD
set -u
NVMXD=$1
. "$(dirname "$0")/harness.sh"
need_root
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo keep >"$dir/victim"

ln -s "$dir/victim" "$dir/out.json.tmp"
if "$NVMXD" --once --json "$dir/out.json" >"$dir/json.log" 2>&1; then
	ok "nvmxd --once --json with a link planted at out.json.tmp: exit 0"
else
	bad "nvmxd --once --json: exit $?: $(tail -2 "$dir/json.log")"
fi
[ "$(cat "$dir/victim")" = keep ] && ok "--json: the file behind the planted link is untouched" ||
	bad "--json overwrote the file behind $dir/out.json.tmp"
[ -f "$dir/out.json" ] && [ ! -L "$dir/out.json" ] &&
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dir/out.json" &&
	ok "--json: out.json is a regular file of JSON" || bad "--json: out.json is not a regular JSON file"

ln -s "$dir/victim" "$dir/rec.txt"
"$NVMXD" --once --record "$dir/rec.txt" >"$dir/rec.log" 2>&1
st=$?
[ "$st" = 2 ] && grep -q "rec.txt" "$dir/rec.log" &&
	ok "--record onto a symlink: exit 2, naming the file ($(grep rec.txt "$dir/rec.log" | head -1))" ||
	bad "--record onto a symlink: exit $st: $(tail -2 "$dir/rec.log")"
[ "$(cat "$dir/victim")" = keep ] && ok "--record: the file behind the link is untouched" ||
	bad "--record wrote through the symlink"
finish
