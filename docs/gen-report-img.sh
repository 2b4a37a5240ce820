#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Regenerates docs/img/report-real-l1-kvm.png, the picture of docs/model.md's "Pictures"
# section: `nvmx report --html` of the committed lab capture of real KVM as L1
# (tests/data/real-l1/kvm/l0-trace-excerpt.txt.xz, Debian 6.12, SVM under QEMU TCG), its top
# (the Turtles breakdown) as Debian's headless Chromium draws it.
#
# usage: docs/gen-report-img.sh NVMX      (run from anywhere; chromium on PATH)
set -eu
nvmx=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v chromium >/dev/null || { echo "gen-report-img.sh: chromium not found (apt-get install chromium)" >&2; exit 2; }
# the relative path: it is the one the page shows
cd "$src"
"$nvmx" report --html "$tmp/report.html" tests/data/real-l1/kvm/l0-trace-excerpt.txt.xz >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
	--user-data-dir="$tmp/profile" --hide-scrollbars --window-size=900,770 \
	--screenshot="$src/docs/img/report-real-l1-kvm.png" "file://$tmp/report.html" 2>"$tmp/err" ||
	{ cat "$tmp/err" >&2; exit 1; }
ls -l "$src/docs/img/report-real-l1-kvm.png"
