#!/bin/sh
# Golden outputs: `nvmx replay`, `nvmx report` and `nvmx bitmap`, text and JSON, of every capture
# in tests/data. They were written before the "one meaning per number" redesign; every change of
# them since is listed in docs/model.md's changelog (glossary). A diff fails this test: the
# change is either a regression, or belongs in that changelog and in a regenerated golden file.
#
# usage: golden.sh NVMX DATA GOLDEN [--update]
#   --update  rewrite GOLDEN/ from the current nvmx (then read `git diff tests/golden`)
set -eu
nvmx=$(realpath "$1") data=$2 golden=$(realpath -m "$3") update=${4:-}
out=$(mktemp -d)
# relative capture paths, so that outputs naming their input do not depend on the checkout
cd "$data"
trap 'rm -rf "$out"' EXIT
fail=0
for dir in */; do
	name=${dir%/}
	trace=""
	for f in trace.txt.xz trace.txt tracefs.txt.xz; do
		[ -f "$name/$f" ] && trace="$name/$f" && break
	done
	[ -n "$trace" ] || continue
	for cmd in replay report bitmap; do
		"$nvmx" "$cmd" "$trace" >"$out/$name.$cmd.txt"
		"$nvmx" "$cmd" "$trace" --json >"$out/$name.$cmd.json"
	done
done
if [ "$update" = --update ]; then
	mkdir -p "$golden"
	cp "$out"/* "$golden"/
	echo "golden: rewrote $(ls "$out" | wc -l) files in $golden"
	exit 0
fi
for f in "$out"/*; do
	g="$golden/$(basename "$f")"
	if [ ! -f "$g" ]; then
		echo "golden: no golden file $g (run with --update and commit it)" >&2
		fail=1
	elif ! diff -u "$g" "$f" >&2; then
		fail=1
	fi
done
for g in "$golden"/*.txt "$golden"/*.json; do
	[ -f "$out/$(basename "$g")" ] || { echo "golden: $g is produced by no capture" >&2; fail=1; }
done
[ $fail = 0 ] && echo "golden: $(ls "$out" | wc -l) outputs equal their golden files"
exit $fail
