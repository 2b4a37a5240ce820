#!/bin/sh
# Faults (issue 16, item 10): nvmxd killed (SIGKILL) in the middle of a long workload in the lab's
# L0 and started again (fault_restart_l0.sh). Checks:
#   1. the first nvmxd's last --checkpoint document exists, parses and is not final;
#   2. the restarted nvmxd counted part of the run, nothing negative, and no exit twice: each
#      certain count of its --json, plus the first's checkpoint, is at most the truth's;
#   3. its counts equal the replay of its own --record (every count: from the moment it was
#      attached, live and replay agree, unattributed included);
#   4. it says how it found the vCPUs running (a stderr line and nvmxd.vcpus_at_attach);
#   5. both ran as nobody (the lab's L0 has the user) and wrote --json in a root-owned directory.
# usage: fault_restart.sh NVMX NVMXD OUT LAB-RUN-ARGS...
set -u
nvmx=$1 nvmxd=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
"$nvmx" lab run "$@" --ship "$nvmxd" --exec "$here/fault_restart_l0.sh $nvmxd" --out "$out" ||
	{ echo "FAILED: nvmx lab run exited $?"; exit 1; }
e=$out/exec
. "$here/../tally.sh"
cat "$e/events.txt" 2>/dev/null
check "the first nvmxd's checkpoint exists, parses and says final: false" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
# checkpoints: the documents written before this one (0 in the first)
assert j["nvmxd"]["final"] is False and j["nvmxd"]["checkpoints"] >= 0, j["nvmxd"]
assert j["nvmxd"]["events"] > 0, j["nvmxd"]
' "$e/nvmxd-1.json"
check "the first nvmxd left no temporary file (nvmxd-1.json.XXXXXX)" \
	sh -c "! ls '$e' | grep -q 'nvmxd-1.json[.]'"
check "the restarted nvmxd exited 0 at the end and wrote its final document" \
	sh -c "[ \"\$(cat '$e/exit-2')\" = 0 ] && grep -q '\"final\": true' '$e/nvmxd-2.json'"
check "both dropped to nobody (uid 65534, the default) before writing their --json" \
	sh -c "grep -q 'as uid 65534 gid 65534' '$e/stderr-1' && grep -q 'as uid 65534 gid 65534' '$e/stderr-2'"
check "the restarted nvmxd counted part of the run; nothing negative; no exit twice" python3 -c '
import json, sys
truth, first, second = (json.load(open(p)) for p in sys.argv[1:4])
def walk(o, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield from walk(v, path + "." + k)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from walk(v, "%s[%d]" % (path, i))
    elif isinstance(o, (int, float)) and not isinstance(o, bool):
        yield path, o
neg = [(p, v) for p, v in walk(second) if v < 0] + [(p, v) for p, v in walk(first) if v < 0]
assert not neg, "negative: %s" % neg[:5]
def certain(j):
    out = {}
    for sec in ("l2_exits", "l1_exits", "synthesized_to_l1"):
        for e in j.get(sec, []):
            out[(sec, e["isa"], e["reason"], e.get("handled_by"))] = e["count"]
    return out
t = certain({k: [e for e in v if e.get("certain")] for k, v in truth.items() if isinstance(v, list)})
a, b = certain(first), certain(second)
over = [(k, a.get(k, 0), b.get(k, 0), n) for k, n in t.items() if a.get(k, 0) + b.get(k, 0) > n]
assert not over, "counted twice (first + second > truth): %s" % over
l2 = [k for k in t if k[0] == "l2_exits"]
part = [k for k in l2 if 0 < b.get(k, 0) < t[k]]
assert part, "the restarted nvmxd counted no part of the run: %s of %s" % ([b.get(k) for k in l2], [t[k] for k in l2])
print("truth", {k[2]: t[k] for k in l2}, "first (checkpoint)", {k[2]: a.get(k, 0) for k in l2},
      "restarted", {k[2]: b.get(k, 0) for k in l2})
' "$out/truth.json" "$e/nvmxd-1.json" "$e/nvmxd-2.json"
"$nvmx" replay "$e/record-2.txt" --json >"$out/record-2-replay.json"
check "the replay of the restarted nvmxd's --record equals its live counts (every count)" \
	"$nvmx" compare --all "$out/record-2-replay.json" "$e/nvmxd-2.json"
check "the restarted nvmxd says how it found the vCPUs running" python3 -c '
import json, re, sys
n = json.load(open(sys.argv[1]))["nvmxd"]
line = re.search(r"attached while (\d+) vCPUs of (\d+) VMs ran", open(sys.argv[2]).read())
assert line and n["vcpus_at_attach"] == int(line.group(1)) >= 1 and n["vms_at_attach"] == 1, (n, line)
print("unattributed: live %d, replay %d" % (json.load(open(sys.argv[1]))["unattributed"],
      json.load(open(sys.argv[3]))["unattributed"]))
' "$e/nvmxd-2.json" "$e/stderr-2" "$out/record-2-replay.json"
check "the first nvmxd found no vCPU running (it started before the workload)" python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))["nvmxd"]["vcpus_at_attach"] == 0
' "$e/nvmxd-1.json"
finish
