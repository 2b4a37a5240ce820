#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# An apt configuration under which apt-cache knows no package (empty lists, no sources): nvmx lab
# run must say so and exit 2, not crash (issue 16: strtok_r on apt-cache's empty output).
# usage: empty_apt.sh NVMX OUT
set -u
nvmx=$1 out=$2
rm -rf "$out"
mkdir -p "$out/lists/partial" "$out/cache/archives/partial" "$out/parts"
cat >"$out/apt.conf" <<EOT
Dir::State::Lists "$out/lists";
Dir::State::status "/dev/null";
Dir::Cache "$out/cache";
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$out/parts";
EOT
APT_CONFIG=$out/apt.conf exec "$(dirname "$0")/expect_exit.sh" 2 "apt knows no package matching" \
	"$nvmx" lab run --kernel 6.12 --workload cpuid --iterations 1 --out "$out/lab"
