#!/bin/sh
# Every CMake build type with gcc and with clang, -Werror on (NVMX_WERROR), each in its own
# scratch build tree: fails on any warning or error, naming the combination and its lines.
# usage: build_matrix.sh SOURCE_DIR SCRATCH_DIR [JOBS]
# Exit: 0 all built without a warning; 1 a combination warned or failed; 2 usage, or a compiler
# missing (clang and gcc are in scripts/debian-packages: this test never skips one).
set -u
[ $# -ge 2 ] || { echo "usage: build_matrix.sh SOURCE_DIR SCRATCH_DIR [JOBS]" >&2; exit 2; }
src=$1
scratch=$2
jobs=${3:-2}
compilers="gcc clang"
types="Debug Release RelWithDebInfo MinSizeRel"

for cc in $compilers; do
	command -v "$cc" >/dev/null 2>&1 ||
		{ echo "build_matrix.sh: $cc not found: install it (scripts/debian-packages)" >&2; exit 2; }
done
# A packager's or a developer's flags are not what this checks: the project's own, as CI builds.
unset CFLAGS CPPFLAGS LDFLAGS
mkdir -p "$scratch" || exit 2

failed=""
start=$(date +%s)
for cc in $compilers; do
	for type in $types; do
		dir=$scratch/$cc-$type
		log=$scratch/$cc-$type.log
		t0=$(date +%s)
		# A fresh tree each time: a warning of a file built in an earlier run must show again.
		rm -rf "$dir"
		if CC=$cc cmake -S "$src" -B "$dir" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE="$type" \
			-DNVMX_WERROR=ON >"$log" 2>&1 &&
			cmake --build "$dir" -j "$jobs" -- -k >>"$log" 2>&1; then
			status=built
		else
			status=FAILED
		fi
		# -Werror turns compiler warnings into errors; CMake's, the linker's and the BPF
		# tools' warnings do not fail a build, so the log is searched too.
		if grep -qi 'warning' "$log"; then
			[ "$status" = built ] && status="built with warnings"
		fi
		echo "$cc $type: $status in $(($(date +%s) - t0)) s ($log)"
		if [ "$status" != built ]; then
			failed="$failed $cc-$type"
			grep -i -B2 -A6 'warning\|error' "$log" | head -60
		else
			rm -rf "$dir"
		fi
	done
done
echo "build matrix: $(($(date +%s) - start)) s"
if [ -n "$failed" ]; then
	echo "build_matrix.sh: warnings or errors in:$failed" >&2
	exit 1
fi
exit 0
