#!/bin/sh
# A lab run with nvmxd live in L0, then three checks on what it reported:
#   1. nvmxd's counts equal the workload's truth (every certain count),
#   2. nvmxd's counts equal the replay of the tracefs capture of the same run (every count),
#   3. the replay of nvmxd's own --record equals nvmxd's live counts (every count), and its
#      L1 exits by L1 reason in the round trips with their service time, to the nanosecond;
#   4. the drill-down: for each VM process, the replay of that record with --vm PID (its (TGID)
#      column) equals nvmxd's per-VM summary of it (MSRs, ports, breakdown included), and with
#      --vcpu N its vCPUs' counts add up to it (issue 17 item 5);
#   5. the breakdown per vCPU: each of nvmxd's vCPU threads (vms[].vcpus[].summary) has the
#      breakdown (round trips with their parts and L1 exits, L0-handled exits) of the replay of
#      that record with --vm PID --vcpu N, N that thread's vcpu_id in the record.
# `nvmx lab run` itself checks the replay against the truth (its exit status).
#
# With NVMXD_RUN_WRAPPER=SCRIPT in the environment, L0 runs `SCRIPT NVMXD ARGS...` instead of
# `NVMXD ARGS...` (nvmxd is then shipped): a script that runs nvmxd writing the same files and
# more, e.g. tests/consistency/l0_scrape.sh, whose /metrics scrapes the consistency test of a
# real-L1 run reads from this run's output (tests/lab-l1/CMakeLists.txt).
#
# usage: nvmxd_run.sh NVMX NVMXD OUT LAB-RUN-ARGS...
set -u
nvmx=$1 nvmxd=$2 out=$3
shift 3
wrap=
[ -n "${NVMXD_RUN_WRAPPER:-}" ] && { wrap="$NVMXD_RUN_WRAPPER "; set -- "$@" --ship "$nvmxd"; }
rm -rf "$out"
"$nvmx" lab run "$@" \
	--exec "$wrap$nvmxd --interval 60 --json \$NVMX_LAB_OUT/nvmxd.json --record \$NVMX_LAB_OUT/record.txt --ready \$NVMX_LAB_OUT/ready" \
	--out "$out" || { echo "FAILED: nvmx lab run exited $?"; exit 1; }

. "$(cd "$(dirname "$0")" && pwd)/../tally.sh"
check "nvmxd equals the workload's truth (certain counts)" \
	"$nvmx" compare "$out/truth.json" "$out/exec/nvmxd.json"
check "nvmxd equals the replay of the tracefs capture (every count)" \
	"$nvmx" compare --all "$out/observed.json" "$out/exec/nvmxd.json"
check_record "$nvmx" "$out"
# the same events with the same timestamps: L0's service time of L1's exits in the round trips,
# per reflected reason and L1 exit reason, is equal to the nanosecond
check "the replay of nvmxd --record: L1 exits by L1 reason and their service_ns equal nvmxd's" \
	python3 -c 'import json, sys
def l1(p):
    return {(b["isa"], b["reason"], e["reason"]): (e["exits"], e["service_ns"])
            for b in json.load(open(p))["breakdown"]
            for e in b["l1_exits"] + [dict(b["l1_exits_overflow"], reason="(overflow)")]}
a, b = l1(sys.argv[1]), l1(sys.argv[2])
sys.exit(0 if a == b else "%s != %s" % (a, b))' "$out/exec/nvmxd.json" "$out/record-replay.json"
vcpus=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vcpus"])' "$out/lab.json")
check "the replay of nvmxd --record --vm PID equals nvmxd's summary of each VM, its $vcpus vCPUs add up to it" \
	python3 -c 'import json, subprocess, sys
nvmx, rec, nvmxd_json, n, out = sys.argv[1:6]
def replay(*args, none_ok=False):
    r = subprocess.run([nvmx, "replay", rec, "--json", *args], capture_output=True, text=True)
    if r.returncode == 2 and none_ok and "no vCPU thread matches" in r.stderr:
        return None  # that process has no such vCPU: its threads are counted below
    assert r.returncode == 0, (args, r.returncode, r.stderr)
    return json.loads(r.stdout)
def counts(d):
    c = {"nested_entries": d["nested_entries"]}
    for k in ("l2_exits", "l1_exits", "synthesized_to_l1"):
        for e in d[k]:
            key = (k, e["isa"], e["reason"], e.get("handled_by"))
            c[key] = c.get(key, 0) + e["count"]
    return c
vms = json.load(open(nvmxd_json))["vms"]
assert vms, "nvmxd saw no VM"
for vm in vms:  # one VM; a saved and restored one is two processes (docs/model.md)
    pid = str(vm["pid"])
    mine = "%s/vm-%s.json" % (out, pid)
    json.dump(vm["summary"], open(mine, "w"))
    whole = replay("--vm", pid)
    json.dump(whole, open(mine + ".replay", "w"))
    # every count, the MSRs, ports and breakdown included
    subprocess.run([nvmx, "compare", "--all", mine + ".replay", mine], check=True)
    total, threads = {}, 0
    for v in range(int(n)):
        d = replay("--vm", pid, "--vcpu", str(v), none_ok=True)
        if d is None:
            continue
        threads += d["filter"]["threads"]
        for k, c in counts(d).items():
            total[k] = total.get(k, 0) + c
    assert threads == whole["filter"]["threads"], (pid, threads, whole["filter"])
    assert total == counts(vm["summary"]), (pid, total, counts(vm["summary"]))
    print("VM %s: --vm equals nvmxd, vCPUs 0..%d add up" % (pid, int(n) - 1))' \
	"$nvmx" "$out/exec/record.txt" "$out/exec/nvmxd.json" "$vcpus" "$out"
check "nvmxd's breakdown of each vCPU thread equals the replay of nvmxd --record --vm PID --vcpu N" \
	python3 -c 'import json, re, subprocess, sys
nvmx, rec, nvmxd_json = sys.argv[1:4]
# the record: TASK-TID (TGID) [CPU] ... kvm_entry: vcpu N
vcpu_of = {}
for line in open(rec):
    m = re.search(r"-(\d+)\s+\(\s*(\d+)\)\s.*\skvm_entry: vcpu (\d+)", line)
    if m:
        vcpu_of[(int(m.group(2)), int(m.group(1)))] = int(m.group(3))
def entries(d, k, key):
    # the fields both sides write (nvmxd may add its own); each entry once
    return {key(e): e for e in d.get(k, [])}
def same(mine, theirs, what):
    assert mine.keys() == theirs.keys(), (what, sorted(mine), sorted(theirs))
    for k in mine:
        a, b = mine[k], theirs[k]
        common = set(a) & set(b)
        assert "round_trips" in common or "exits" in common, (what, k, a, b)
        for f in common:
            assert a[f] == b[f], (what, k, f, a[f], b[f])
n = rts = 0
for vm in json.load(open(nvmxd_json))["vms"]:
    for vc in vm["vcpus"]:
        pid, tid = vm["pid"], vc["tid"]
        v = vcpu_of[(pid, tid)]
        r = subprocess.run([nvmx, "replay", rec, "--json", "--vm", str(pid), "--vcpu", str(v)],
                           capture_output=True, text=True)
        assert r.returncode == 0, (pid, v, r.returncode, r.stderr)
        d = json.loads(r.stdout)
        assert d["filter"]["threads"] == 1, (pid, v, d["filter"])
        what = "VM %d thread %d (vCPU %d)" % (pid, tid, v)
        same(entries(vc["summary"], "breakdown", lambda e: (e["isa"], e["reason"])),
             entries(d, "breakdown", lambda e: (e["isa"], e["reason"])), what + " breakdown")
        same(entries(vc["summary"], "l0_handled", lambda e: (e["isa"], e["reason"], e["to_vmm"])),
             entries(d, "l0_handled", lambda e: (e["isa"], e["reason"], e["to_vmm"])),
             what + " l0_handled")
        t = sum(e["round_trips"] for e in vc["summary"].get("breakdown", []))
        l0 = sum(e["exits"] for e in vc["summary"].get("l0_handled", []))
        print("%s: breakdown equals the replay, %d round trips, %d L0-handled" % (what, t, l0))
        n, rts = n + 1, rts + t + l0
assert n and rts, ("no vCPU thread with a breakdown", n, rts)' \
	"$nvmx" "$out/exec/record.txt" "$out/exec/nvmxd.json"
finish
