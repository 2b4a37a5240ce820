#!/bin/sh
# Faults (issue 16, item 10): the disk of nvmxd's outputs is full. In the lab's L0, nvmxd's
# --json and --record are on a 64 KiB tmpfs (fault_full_l0.sh) that the workload's events fill.
# Checks:
#   1. nvmxd exits by itself with status 2 (an output it cannot write: not "the answer is no")
#      and no crash (no signal, no core);
#   2. its last line of stderr is one line naming the file and "No space left on device";
#   3. no partial --json: nvmxd.json is absent or a whole, parseable document, and no temporary
#      file (nvmxd.json.XXXXXX) is left;
#   4. the lab reports it: "exec: exited with 2" in nvmx lab run's progress;
#   5. the run itself is unaffected: the lab's replay equals the truth (nvmx lab run's exit 0).
# usage: fault_full.sh NVMX NVMXD OUT LAB-RUN-ARGS...
set -u
nvmx=$1 nvmxd=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
"$nvmx" lab run "$@" --ship "$nvmxd" --exec "$here/fault_full_l0.sh $nvmxd" --out "$out" \
	2>"$out.lab.log"
rc=$?
mkdir -p "$out" && mv "$out.lab.log" "$out/lab.log"
e=$out/exec
. "$here/../tally.sh"
cat "$e/full.ls" "$e/stderr" 2>/dev/null | grep -v ': attached '
check "nvmx lab run: the workload's counts equal the truth (exit 0, got $rc)" test "$rc" = 0
check "nvmxd exited by itself with status 2" \
	sh -c "[ \"\$(cat '$e/exit' 2>/dev/null)\" = 2 ] && [ ! -e '$e/interrupted' ]"
check "no crash: nvmxd's status is no signal's" sh -c "[ \"\$(cat '$e/exit' 2>/dev/null)\" -lt 128 ]"
last=$(tail -n 1 "$e/stderr" 2>/dev/null)
echo "nvmxd's last line: $last"
check "one line names the file and says No space left on device" sh -c "
	echo '$last' | grep -Eq '^nvmxd: writing /tmp/full/(nvmxd.json|record.txt) failed.*: No space left on device'"
check "no partial --json: absent or a whole document" python3 -c '
import json, os, sys
p = sys.argv[1]
if os.path.exists(p):
    j = json.load(open(p))
    assert "nvmxd" in j and "l2_exits" in j, list(j)
    print("nvmxd.json: a whole document, final: %s" % j["nvmxd"]["final"])
else:
    print("nvmxd.json: absent")
' "$e/full/nvmxd.json"
check "no temporary file left (nvmxd.json.XXXXXX)" sh -c "! ls '$e/full' | grep -q 'nvmxd.json[.]'"
check "the lab reports it: exec: exited with 2" grep -q 'exec: exited with 2' "$out/lab.log"
finish
