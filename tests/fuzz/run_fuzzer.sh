#!/bin/sh
# One harness of tests/fuzz as CI runs it: every input of its committed corpus (the seeds and
# the reproducers of the bugs found), then a fixed budget of RUNS mutations from -seed=1, so a
# run is the same run every time. New inputs go to SCRATCH (emptied first), never to the
# committed corpus. A crash, a sanitizer report, a leak, a timeout (30 s an input: a hang, not
# a busy machine) or an input using more than 2 GiB fails; the input is left in
# SCRATCH/artifacts/.
# usage: run_fuzzer.sh FUZZER CORPUS_DIR SCRATCH RUNS [libFuzzer options...]
# Exit: 0 no finding; 1 a finding (libFuzzer's report above); 2 usage or a missing harness.
set -u
[ $# -ge 4 ] || { echo "usage: run_fuzzer.sh FUZZER CORPUS_DIR SCRATCH RUNS [options...]" >&2; exit 2; }
fuzzer=$1
corpus=$2
scratch=$3
runs=$4
shift 4
[ -x "$fuzzer" ] || { echo "run_fuzzer.sh: $fuzzer: no such harness (fuzz.build builds it)" >&2; exit 2; }
[ -d "$corpus" ] && [ -n "$(ls -A "$corpus")" ] ||
	{ echo "run_fuzzer.sh: $corpus: no committed corpus" >&2; exit 2; }
rm -rf "$scratch"
mkdir -p "$scratch/new" "$scratch/artifacts" || exit 2
start=$(date +%s)
# -close_fd_mask=1: the harnesses' stdout (the commands' tables) is dropped; stderr stays, for
# the harnesses' own reasons to abort (the commands' one-line messages land there too: the log
# is in SCRATCH, and shown whole only on a finding).
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$fuzzer" -seed=1 -runs="$runs" -timeout=30 -rss_limit_mb=2048 -max_len=65536 \
	-close_fd_mask=1 -print_final_stats=1 -artifact_prefix="$scratch/artifacts/" "$@" \
	"$scratch/new" "$corpus" 2>"$scratch/log"
rc=$?
# the last lines say what was run; all of it on a finding
if [ $rc -eq 0 ]; then
	grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::)' "$scratch/log"
	echo "$(basename "$fuzzer"): $(ls "$corpus" | wc -l) corpus inputs and $runs runs in $(($(date +%s) - start)) s: no finding"
	exit 0
fi
tail -n 200 "$scratch/log"
echo "$(basename "$fuzzer"): FINDING (libFuzzer exit $rc); the input: $(ls "$scratch/artifacts")" >&2
exit 1
