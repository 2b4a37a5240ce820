#!/bin/sh
# The drill-down through the command line (docs/model.md, "Drill-down"): --vm and --vcpu of
# replay, report and bitmap on the real two-vCPU lab capture; their exit statuses and messages.
# usage: drill_cli.sh NVMX DATA
set -u
nvmx=$1 cap=$2/svm-6.12-lab-two-vcpus-n100/trace.txt.xz
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
no() { echo "drill_cli: $*" >&2; fail=1; }

# each command, filtered, exit 0: its JSON says the filter; vCPU 1 ran the mix 100 times
for cmd in replay report bitmap; do
	"$nvmx" $cmd "$cap" --vm 'nvmx-wl-*' --vcpu 1 --json >"$out/$cmd.json" ||
		no "$cmd --vm --vcpu: exit $?"
	python3 - "$cmd" "$out/$cmd.json" <<'PY' || fail=1
import json, sys
cmd, d = sys.argv[1], json.load(open(sys.argv[2]))
f = d.get("filter")
assert f and f["vm"] == "nvmx-wl-*" and f["vcpu"] == 1 and f["threads"] == 1, (cmd, f)
if cmd == "bitmap":
    port = [r["count"] for r in d["rows"] if r["kind"] == "port" and r["port"] == "0x80"]
    assert port == [100], (cmd, port)
else:
    cpuid = [e for e in d["l2_exits"] if e["reason"] == "cpuid"]
    assert [e["count"] for e in cpuid] == [100], (cmd, cpuid)
PY
	# the text says it first
	"$nvmx" $cmd "$cap" --vcpu 0 | head -1 | grep -q '^filter: --vcpu 0: 1 vCPU thread' ||
		no "$cmd --vcpu 0: no 'filter:' first line"
done

# report --html: the page says the filter beside the file
"$nvmx" report "$cap" --vcpu 1 --html "$out/page.html" >/dev/null || no "report --html: exit $?"
grep -q '<p class="src">[^<]*trace.txt.xz (filter: --vcpu 1: 1 vCPU thread' "$out/page.html" ||
	no "report --html --vcpu 1: the page does not name the filter"

# no thread matches: exit 2, one line naming the threads there are
for f in "--vm qemu-system-x86" "--vcpu 2" "--vm 167"; do
	"$nvmx" replay "$cap" $f >/dev/null 2>"$out/err"
	rc=$?
	[ $rc = 2 ] || no "replay $f: exit $rc, not 2"
	[ "$(wc -l <"$out/err")" = 1 ] || no "replay $f: not one line: $(cat "$out/err")"
	grep -q "no vCPU thread matches $f; its threads: nvmx-wl-vcpu0-167 (vCPU 0), nvmx-wl-vcpu1-168 (vCPU 1)" "$out/err" ||
		grep -q "no vCPU thread matches $f (its lines have no (TGID) column" "$out/err" ||
		no "replay $f: $(cat "$out/err")"
done
# an attribution JSON has no threads; --live takes no filter; --vcpu wants a number
"$nvmx" replay "$out/replay.json" --vcpu 1 >/dev/null 2>&1
[ $? = 2 ] || no "replay JSON --vcpu: not exit 2"
"$nvmx" bitmap --live --vcpu 1 >/dev/null 2>&1
[ $? = 2 ] || no "bitmap --live --vcpu: not exit 2"
"$nvmx" report "$cap" --vcpu one >/dev/null 2>"$out/err"
[ $? = 2 ] && grep -q "^nvmx report: --vcpu one: expected a vCPU number" "$out/err" ||
	no "report --vcpu one: $(cat "$out/err")"
[ $fail = 0 ] && echo "drill_cli: ok"
exit $fail
