#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvmxtop against nvmxd in the nested lab (ctest -L lab): nvmxd --listen runs in the lab's L0,
# its JSON API reaches the host through --forward, and nvmxtop --connect runs on the host in tmux.
# When the workload is done (nvmxd --linger keeps serving its final counts), the numbers on the
# screen must equal the workload's truth (truth.json): for every certain L2 exit entry, the
# L2->L0 or L2->L1 column of its reason; the synthesised interrupts (synth column); the nested
# entries (header); the Turtles breakdown with mult=K (L1 runs K CPUIDs in each reflected exit's
# handler): the header's round trips equal the truth's reflected exits L1 resumed from (all but
# each vCPU's final VMMCALL), its L1 exits per trip are K plus at most 0.1 (L0's own interrupt
# exits of L1 inside the handlers are not the workload's, so not in the truth), and its mean
# round trip is a number. And the header then says since when nvmxd went away (stale), the last
# numbers kept.
#
# usage: lab_tmux.sh NVMX NVMXD NVMXTOP OUT KERNEL
set -u
nvmx=$1 nvmxd=$2 nvmxtop=$3 out=$4 kernel=$5
mult=2
workload=cpuid,vmmcall,io-out-l1,io-in-l0,rdmsr-l0,wrmsr-l1,intr,mult=$mult
sock=nvmxtop-lab-$$
tm() { tmux -L "$sock" -f /dev/null "$@" 2>/dev/null; }
lab=
cleanup() {
	tm kill-server
	[ -n "$lab" ] && kill "$lab" 2>/dev/null
}
trap cleanup EXIT
# ok/bad and their tally, free_port
. "$(cd "$(dirname "$0")" && pwd)/../prom/prom_harness.sh"
screen() { tm capture-pane -p -t top; }
# healthy: nvmxd answers /-/healthy through the forward (QEMU accepts and closes before L0 does)
healthy() {
	timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && printf 'GET /-/healthy HTTP/1.0\r\n\r\n' >&3 && cat <&3" 2>/dev/null |
		grep -q '^ok'
}

rm -rf "$out"
mkdir -p "$out"
port=$(free_port)
# 10.0.2.15: L0's address on QEMU's user network, the only one --forward reaches
"$nvmx" lab run --kernel "$kernel" --workload "$workload" --iterations 200 \
	--forward "$port:9477" --out "$out/lab" \
	--exec "$nvmxd --listen 10.0.2.15:9477 --user 65534:65534 --bpf-stats --interval 3600 --linger 8 --ready \$NVMX_LAB_OUT/ready" \
	>"$out/lab.log" 2>&1 &
lab=$!
up=0
for _ in $(seq 240); do
	healthy && { up=1; break; }
	kill -0 "$lab" 2>/dev/null || break
	sleep 0.5
done
if [ "$up" != 1 ]; then
	echo "FAILED: nvmxd in the lab never answered on 127.0.0.1:$port"
	tail -n 20 "$out/lab.log"
	exit 1
fi
tm new-session -d -s top -x 120 -y 40 \
	"TERM=xterm $nvmxtop --connect 127.0.0.1:$port --total --no-color -d 0.5 2>$out/nvmxtop.stderr; sleep 600"
wait "$lab"
status=$?
lab=
[ "$status" = 0 ] && ok "nvmx lab run passed (its own replay equals the truth)" ||
	bad "nvmx lab run exited $status (see $out/lab.log)"
sleep 1
screen >"$out/screen.txt"
cat "$out/screen.txt"
truth=$out/lab/truth.json
[ -s "$truth" ] || { bad "no truth.json"; echo "$passed passed, $failed failed"; exit 1; }

# col TITLE: where the column titled TITLE ends on the title line (columns are right-aligned;
# titles such as "L0 us" have spaces, so fields cannot be counted)
col() {
	awk -v t="$1" '/^VM \/ vCPU \/ reason/ { i = index($0, " " t " "); if (!i) i = index($0, " " t);
		if (i) print i + length(t) }' "$out/screen.txt"
}
# column REASON END: the number ending at character END of the rows of REASON, summed over vCPUs
column() {
	awk -v r="$1" -v e="$2" '$1 == r { n = split(substr($0, 1, e), f, " "); s += f[n] }
		END { print s + 0 }' "$out/screen.txt"
}
c_l0=$(col "L2->L0") c_l1=$(col "L2->L1") c_synth=$(col synth)
[ -n "$c_l0" ] && [ -n "$c_l1" ] && [ -n "$c_synth" ] ||
	{ bad "the screen lacks a column (L2->L0 '$c_l0', L2->L1 '$c_l1', synth '$c_synth')"; }
while read -r reason by count; do
	c=$c_l0
	[ "$by" = L1 ] && c=$c_l1
	got=$(column "$reason" "$c")
	[ "$got" = "$count" ] && ok "$reason handled by $by: $count on the screen" ||
		bad "$reason handled by $by: $got on the screen, truth $count"
done < <(jq -r '.l2_exits[] | select(.certain) | "\(.reason) \(.handled_by) \(.count)"' "$truth")
while read -r reason count; do
	got=$(column "$reason" "$c_synth")
	[ "$got" = "$count" ] && ok "$reason synthesised to L1: $count on the screen" ||
		bad "$reason synthesised to L1: $got on the screen, truth $count"
done < <(jq -r '.synthesized_to_l1[]? | select(.certain) | "\(.reason) \(.count)"' "$truth")
entries=$(jq -r .nested_entries "$truth")
grep -q "nested entries $entries " "$out/screen.txt" && ok "nested entries: $entries in the header" ||
	bad "nested entries: truth $entries, header: $(grep -o 'nested entries [0-9]*' "$out/screen.txt")"
# each vCPU reports once on port 0x84: the truth's L1 io exits are the vCPUs
trips=$(jq -r '([.l2_exits[] | select(.certain and .handled_by == "L1") | .count] | add) -
	([.l1_exits[] | select(.reason == "io") | .count] | add)' "$truth")
shown=$(grep -o 'round trips [0-9]*' "$out/screen.txt" | awk '{ print $3 }')
[ -n "$shown" ] && [ "$shown" = "$trips" ] && ok "round trips: $trips in the header" ||
	bad "round trips: truth $trips, header '$shown'"
per=$(grep -o 'mult [0-9][0-9.]*' "$out/screen.txt" | head -1 | awk '{ print $2 }')
[ -n "$per" ] && awk -v p="$per" -v k="$mult" 'BEGIN { exit !(p >= k && p <= k + 0.1) }' &&
	ok "L1 exits per round trip: $per in the header (mult=$mult)" ||
	bad "L1 exits per round trip: header '$per', want $mult (+0.1 at most)"
grep -Eq 'round trip [0-9]+\.[0-9] us' "$out/screen.txt" &&
	ok "the header has the mean round trip: $(grep -Eo 'round trip [0-9.]+ us' "$out/screen.txt")" ||
	bad "no mean round trip in the header"
grep -Eq "^nvmxtop  stale since [0-9]{2}:[0-9]{2}:[0-9]{2}: nvmxd at 127\.0\.0\.1:$port: connection refused" "$out/screen.txt" &&
	ok "the header says since when nvmxd went away, and the screen keeps its last numbers" ||
	bad "no word on the screen that nvmxd went away"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 3 ]
