#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh NVMX SRC NVMXD-DIR OUT N: one arm64 lab boot (nvmx lab run --isa arm64, every element, N
# iterations) with nvmxd, cross-built for arm64 (lab/arm64/nvmxd.sh into NVMXD-DIR), live in L0:
#  1. nvmx lab run must pass (the replay of L0's capture, the arm64 model's, equals the truth on
#     every certain count);
#  2. nvmxd's counts equal the truth (certain counts) and the replay of the capture (every count);
#  3. the replay of nvmxd's own --record equals its live counts;
#  4. its /metrics, scraped in L0 after the workload (tests/consistency/l0_scrape.sh), says what
#     its JSON says (metrics_check.py);
#  5. check_capture.py checks what the lab wrote without the model;
#  6. nvmx bench run --from reads the output into an arm64 result that compares clean with itself.
set -u
nvmx=$1 src=$2 nvmxd_dir=$3 out=$4 n=$5
here=$(cd "$(dirname "$0")" && pwd)
"$src/lab/arm64/nvmxd.sh" "$nvmx" "$src" "$nvmxd_dir" ||
	{ echo "FAIL: nvmxd for arm64 could not be built (lab/arm64/nvmxd.sh)" >&2; exit 1; }
tar=$(cd "$nvmxd_dir" && pwd)/nvmxd-arm64.tar
scrape=$(cd "$here/../consistency" && pwd)/l0_scrape.sh
rm -rf "$out"
err=$("$nvmx" lab run --isa arm64 --kernel 7.3 --workload hvc,sysreg,smc,mmio,wfi,sysreg-write,virq \
	--iterations "$n" --ship "$tar" --ship "$scrape" --exec "$here/nvmxd_l0.sh $tar $scrape" \
	--out "$out" 2>&1)
rc=$?
printf '%s\n' "$err"
if [ "$rc" != 0 ]; then
	echo "FAIL: nvmx lab run exited $rc" >&2
	exit 1
fi
. "$here/../tally.sh"
check "nvmxd live (arm64) equals the workload's truth (certain counts)" \
	"$nvmx" compare "$out/truth.json" "$out/exec/nvmxd.json"
check "nvmxd live (arm64) equals the replay of the tracefs capture (every count)" \
	"$nvmx" compare --all "$out/observed.json" "$out/exec/nvmxd.json"
check_record "$nvmx" "$out"
check "nvmxd's /metrics after the workload equals its JSON (exits by kind, nothing lost)" \
	python3 "$here/metrics_check.py" "$out/exec/scrape-after.txt" "$out/exec/nvmxd.json"
check "the capture, without the model (check_capture.py)" \
	python3 "$here/check_capture.py" "$out" "$n"
# 6. nvmx bench reads the arm64 lab output: a result with isa arm64 that compares clean with itself
check "nvmx bench run --from the arm64 lab output" \
	"$nvmx" bench run --from "$out" -o "$out/bench.json"
check "its result is arm64's" grep -q '"isa": "arm64"' "$out/bench.json"
check "its result compares clean with itself" \
	"$nvmx" bench compare "$out/bench.json" "$out/bench.json"
finish
