#!/bin/sh
# Configures and builds the libFuzzer harnesses (tests/fuzz) in their own tree: clang,
# -DNVMX_FUZZ=ON (coverage, ASan and UBSan on everything they link), warnings as errors.
# usage: build_fuzzers.sh SOURCE_DIR TREE [JOBS]
# Exit: 0 built; 1 the build failed; 2 usage, or clang or libFuzzer's runtime missing (clang and
# libclang-rt-14-dev are in scripts/debian-packages: this never skips).
set -u
[ $# -ge 2 ] || { echo "usage: build_fuzzers.sh SOURCE_DIR TREE [JOBS]" >&2; exit 2; }
src=$1
tree=$2
jobs=${3:-2}
command -v clang >/dev/null 2>&1 ||
	{ echo "build_fuzzers.sh: clang not found: install it (scripts/debian-packages)" >&2; exit 2; }
rt=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)
[ -f "$rt" ] || rt=$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer-x86_64.a' 2>/dev/null | head -n 1)
[ -n "$rt" ] && [ -f "$rt" ] ||
	{ echo "build_fuzzers.sh: libFuzzer's runtime (libclang_rt.fuzzer) not found: install libclang-rt-14-dev (scripts/debian-packages)" >&2; exit 2; }
# the project's flags, not a developer's
unset CFLAGS CPPFLAGS LDFLAGS
start=$(date +%s)
log=$tree.log
mkdir -p "$tree" || exit 2
if CC=clang cmake -S "$src" -B "$tree" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DNVMX_FUZZ=ON -DNVMX_WERROR=ON >"$log" 2>&1 &&
	cmake --build "$tree" -j "$jobs" --target nvmx_fuzzers >>"$log" 2>&1; then
	echo "fuzzers built in $(($(date +%s) - start)) s ($log)"
	exit 0
fi
grep -i -B2 -A6 'warning\|error' "$log" | head -80
echo "build_fuzzers.sh: the build failed ($log)" >&2
exit 1
