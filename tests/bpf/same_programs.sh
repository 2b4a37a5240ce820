#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nvmxd and nvmxtop --standalone attach exactly the same programs to the same tracepoints, the
# same way (tp_btf or classic): both load through src/loader.c, and this test fails if either
# ever goes its own way again. Each runs alone until it says it is attached (--ready); then the
# kernel is asked what that process holds: every BPF link among its file descriptors, with its
# link type, tracepoint and program (/proc/PID/fdinfo, program names from bpftool). Both lists
# must be equal and not empty, and what each binary says it attached (nvmxd's "attached ..."
# lines, nvmxtop -v's) must be equal too. Needs root; without root it fails.
#
# usage: same_programs.sh NVMXD NVMXTOP BPFTOOL
set -u
nvmxd=$1 nvmxtop=$2 bpftool=$3
. "$(dirname "$0")/harness.sh"
need_root
dir=$(mktemp -d /tmp/nvmx_same_programs.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# What process $1 has attached, one "link_type tracepoint program" line each, sorted.
attached_by() {
	python3 - "$1" "$bpftool" <<'EOT'
import json, os, subprocess, sys
pid, bpftool = sys.argv[1], sys.argv[2]
rows = []
for fd in os.listdir(f"/proc/{pid}/fd"):
    try:
        if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:bpf_link":
            continue
        info = dict(l.split(":", 1) for l in open(f"/proc/{pid}/fdinfo/{fd}").read().splitlines()
                    if ":" in l)
    except OSError:
        continue
    info = {k.strip(): v.strip() for k, v in info.items()}
    prog = json.loads(subprocess.check_output([bpftool, "-j", "prog", "show", "id", info["prog_id"]]))
    rows.append(f"{info['link_type']} {info.get('tp_name', '?')} {prog.get('name', '?')}")
print("\n".join(sorted(rows)))
EOT
}

# Runs "$@" until it has created $dir/ready, then records what it attached in $dir/$name.kernel;
# then SIGINT, which both end on with status 0.
run() {
	name=$1
	shift
	rm -f "$dir/ready"
	"$@" >"$dir/$name.stdout" 2>"$dir/$name.stderr" &
	pid=$!
	if wait_ready "$dir/ready" "$pid"; then
		attached_by "$pid" >"$dir/$name.kernel"
	else
		bad "$name did not get ready in 30 s: $(tail -3 "$dir/$name.stderr")"
		: >"$dir/$name.kernel"
	fi
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	status=$?
	[ "$status" -eq 0 ] && ok "$name: exit 0 after SIGINT" || bad "$name: exit $status after SIGINT"
}

run nvmxd "$nvmxd" --interval 3600 --ready "$dir/ready"
run nvmxtop "$nvmxtop" --standalone -v -b -d 3600 --ready "$dir/ready"

# nvmxd alone counts KVM_GET/SET_NESTED_STATE (bpf/nested_state.bpf.c, not src/loader.c's table):
# its two programs on the syscall tracepoints are set apart, and must be there.
grep ' nvmx_ns_' "$dir/nvmxd.kernel" >"$dir/nvmxd.ns"
grep -v ' nvmx_ns_' "$dir/nvmxd.kernel" >"$dir/nvmxd.kvm"
mv "$dir/nvmxd.kvm" "$dir/nvmxd.kernel"
[ "$(wc -l <"$dir/nvmxd.ns")" = 2 ] &&
	ok "nvmxd also holds its 2 nested-state programs: $(tr '\n' ';' <"$dir/nvmxd.ns")" ||
	bad "nvmxd's nested-state programs: $(tr '\n' ';' <"$dir/nvmxd.ns") (expected 2)"

echo "nvmxd attached (link type, tracepoint, program):"
sed 's/^/    /' "$dir/nvmxd.kernel"
echo "nvmxtop --standalone attached:"
sed 's/^/    /' "$dir/nvmxtop.kernel"
[ -s "$dir/nvmxd.kernel" ] && ok "nvmxd attached $(wc -l <"$dir/nvmxd.kernel") programs" ||
	bad "nvmxd attached no program"
if [ -s "$dir/nvmxd.kernel" ] && cmp -s "$dir/nvmxd.kernel" "$dir/nvmxtop.kernel"; then
	ok "the kernel holds the same programs for both, attached the same way"
else
	bad "the programs differ: $(diff "$dir/nvmxd.kernel" "$dir/nvmxtop.kernel" | grep '^[<>]' |
		tr '\n' ';')"
fi

sed -n 's/^nvmxd: \(attached .*\)$/\1/p' "$dir/nvmxd.stderr" | sort >"$dir/nvmxd.said"
sed -n 's/^nvmxtop: \(attached .*\)$/\1/p' "$dir/nvmxtop.stderr" | sort >"$dir/nvmxtop.said"
if [ -s "$dir/nvmxd.said" ] && cmp -s "$dir/nvmxd.said" "$dir/nvmxtop.said"; then
	ok "both say they attached the same $(wc -l <"$dir/nvmxd.said") programs"
else
	bad "what they say differs: $(diff "$dir/nvmxd.said" "$dir/nvmxtop.said" | grep '^[<>]' |
		tr '\n' ';')"
fi
[ "$(wc -l <"$dir/nvmxd.said")" = "$(wc -l <"$dir/nvmxd.kernel")" ] &&
	ok "nvmxd says it attached as many programs as the kernel holds" ||
	bad "nvmxd says $(wc -l <"$dir/nvmxd.said") attached, the kernel holds $(wc -l <"$dir/nvmxd.kernel")"
finish
