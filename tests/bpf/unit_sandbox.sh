#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nvmxd keeps inside the sandbox of nvmxd.service (dist/nvmxd.service.in). This host has no
# systemd to start the unit, so its two parts that can stop nvmxd are applied by hand, on this
# host, as root, to nvmxd with the options of nvmxd.conf (the port 0 and the source tree's
# web-config.yml, as shipped):
#   1. setpriv gives it the unit's CapabilityBoundingSet= and NoNewPrivileges=: it attaches,
#      drops to --user and serves /metrics (one scrape), and exits 0 on SIGINT;
#   2. strace -f records every system call it makes meanwhile: each one is allowed by the unit's
#      SystemCallFilter= lines (their groups expanded by systemd-analyze syscall-filter), so the
#      unit's seccomp filter would neither answer EPERM nor kill it.
#   3. the same strace: nvmxd opens nothing that the unit's file-system options hide
#      (ProtectKernelTunables=: /proc/kallsyms, /proc/kcore) and nothing for writing that they
#      make read-only (ProtectSystem=strict, ProtectKernelTunables=: everything but /dev, the
#      process's own /proc/self and PrivateTmp='s /tmp, where this test's --ready goes;
#      nvmxd.conf's options write no file).
# docs/packaging.md says what stays exposed and why.
#
# usage: unit_sandbox.sh NVMXD UNIT CONF WEB_CONFIG
set -u
[ $# -eq 4 ] || { echo "usage: unit_sandbox.sh NVMXD UNIT CONF WEB_CONFIG" >&2; exit 2; }
nvmxd=$1 unit=$2 conf=$3 webconfig=$4
. "$(dirname "$0")/harness.sh"
need_root
for t in setpriv strace curl systemd-analyze; do
	command -v $t >/dev/null ||
		{ bad "$t is not installed (scripts/debian-packages.d/test)"; finish; }
done
dir=$(mktemp -d /tmp/nvmx_sandbox.XXXXXX)
chmod 755 "$dir"
pid=
cleanup() { [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

# the unit's values, as systemd reads them (the last line of a key wins, "=" empties)
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tail -1)
nnp=$(sed -n 's/^NoNewPrivileges=//p' "$unit" | tail -1)
opts=$(sed -n 's/^NVMXD_OPTS="\(.*\)"$/\1/p' "$conf")
[ -n "$caps" ] && [ "$nnp" = yes ] && [ -n "$opts" ] ||
	{ bad "cannot read CapabilityBoundingSet=, NoNewPrivileges= or NVMXD_OPTS from $unit, $conf"; finish; }
# setpriv's names: bpf, perfmon, ... for CAP_BPF, CAP_PERFMON, ...
bset=-all
for c in $caps; do
	bset="$bset,+$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"
done
# nvmxd.conf's options with this test's port and web-config.yml
# (either name of each: node_exporter's, or nvmxd's older alias)
opts=$(echo "$opts" | sed -E "s#(--web\.listen-address|--listen) [^ ]*#\1 127.0.0.1:0#; s#(--web\.config\.file|--web-config) [^ ]*#\1 $webconfig#")
echo "unit: CapabilityBoundingSet=$caps NoNewPrivileges=$nnp; nvmxd $opts"

# In the sanitizer label's tree: LeakSanitizer cannot run under ptrace (it fails nvmxd's exit);
# the other bpf tests check leaks there.
# shellcheck disable=SC2086 # NVMXD_OPTS is split into words, as systemd splits $NVMXD_OPTS
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" setpriv --bounding-set "$bset" --inh-caps=-all --no-new-privs -- \
	strace -f -qq -o "$dir/strace" -- "$nvmxd" $opts --ready "$dir/ready" \
	>"$dir/stdout" 2>"$dir/stderr" &
pid=$!
if ! wait_ready "$dir/ready" "$pid"; then
	bad "nvmxd did not get ready in the unit's bounding set: $(tail -3 "$dir/stderr")"
	finish
fi
ok "nvmxd attached with the bounding set $caps"
port=$(served_port "$dir/stderr")
[ -n "$port" ] || { bad "nvmxd did not say where it serves: $(tail -3 "$dir/stderr")"; finish; }
sleep 1 # the drop happens once serving starts
if curl -sf "http://127.0.0.1:$port/metrics" >"$dir/metrics" && grep -q '^nvmx_' "$dir/metrics"; then
	ok "a scrape of /metrics: $(grep -c '^nvmx_' "$dir/metrics") nvmx_ samples"
else
	bad "no nvmx_ metrics from http://127.0.0.1:$port/metrics"
fi
nvmxd_pid=$(pgrep -P "$pid" -x nvmxd | head -1)
user=$(ps -o user= -p "${nvmxd_pid:-0}" 2>/dev/null)
capeff=$(sed -n 's/^CapEff:\t*//p' "/proc/${nvmxd_pid:-0}/status" 2>/dev/null)
want_user=$(echo "$opts" | sed -n 's/.*--user \([^ ]*\).*/\1/p')
[ "$user" = "$want_user" ] && [ "$capeff" = 0000000000000000 ] &&
	ok "nvmxd runs as $user with no effective capability" ||
	bad "nvmxd runs as '$user' (want $want_user), CapEff '$capeff' (want none)"
kill -INT "${nvmxd_pid:-$pid}"
wait "$pid" # strace exits with nvmxd's status
status=$?
pid=
[ "$status" -eq 0 ] && ok "nvmxd: exit 0 after SIGINT" ||
	bad "nvmxd: exit $status after SIGINT: $(tail -3 "$dir/stderr")"

# The unit's SystemCallFilter=: the first line is the allow list, a line with ~ takes from it.
expand() {
	systemd-analyze syscall-filter "$1" | sed -n 's/^ \{1,\}\([@a-z0-9_-]\{1,\}\)$/\1/p' |
		while read -r x; do
			case "$x" in
			@*) expand "$x" ;;
			*) echo "$x" ;;
			esac
		done
}
names() {
	for n in $1; do
		case "$n" in
		@*) expand "$n" ;;
		*) echo "$n" ;;
		esac
	done
}
: >"$dir/allowed"
sed -n 's/^SystemCallFilter=//p' "$unit" >"$dir/filters"
[ -s "$dir/filters" ] || { bad "no SystemCallFilter= in $unit"; finish; }
while read -r f; do
	case "$f" in
	~*)
		names "${f#\~}" | sort -u >"$dir/deny"
		grep -vxF -f "$dir/deny" "$dir/allowed" >"$dir/allowed.new"
		mv "$dir/allowed.new" "$dir/allowed"
		;;
	*) names "$f" >>"$dir/allowed" ;;
	esac
done <"$dir/filters"
sort -u -o "$dir/allowed" "$dir/allowed"
sed -n 's/^[0-9]\{1,\} \{1,\}\([a-z0-9_]\{1,\}\)(.*/\1/p' "$dir/strace" | sort -u >"$dir/made"
if [ "$(wc -l <"$dir/allowed")" -lt 100 ] || [ "$(wc -l <"$dir/made")" -lt 20 ]; then
	bad "$(wc -l <"$dir/allowed") system calls allowed, $(wc -l <"$dir/made") made: not read right"
	finish
fi
outside=$(grep -vxF -f "$dir/allowed" "$dir/made" | tr '\n' ' ')
[ -z "$outside" ] &&
	ok "all $(wc -l <"$dir/made") system calls nvmxd made are in the unit's SystemCallFilter= ($(wc -l <"$dir/allowed") allowed)" ||
	bad "system calls outside the unit's SystemCallFilter=: $outside"
# 3. files: "PID openat(AT_FDCWD, "PATH", FLAGS...) = FD" (an error too: it was tried)
sed -n 's/^[0-9]\{1,\} \{1,\}open\(at\)\{0,1\}([^"]*"\([^"]*\)", \([A-Z_|]*\).*/\2 \3/p' \
	"$dir/strace" | sed "s|^/proc/$nvmxd_pid/|/proc/self/|" | sort -u >"$dir/opened"
hidden=$(grep -E '^/proc/(kallsyms|kcore) ' "$dir/opened" | cut -d' ' -f1 | tr '\n' ' ')
written=$(grep -E ' ([A-Z_|]*\|)?(O_WRONLY|O_RDWR|O_CREAT)' "$dir/opened" |
	grep -vE '^(/dev/|/proc/self/|/tmp/)' | tr '\n' ' ')
if [ "$(wc -l <"$dir/opened")" -lt 5 ]; then
	bad "only $(wc -l <"$dir/opened") files opened: the strace was not read right"
elif [ -z "$hidden$written" ]; then
	ok "$(wc -l <"$dir/opened") paths opened: none the unit hides, none written where it is read-only"
else
	bad "opened where the unit hides: '$hidden'; written where it is read-only: '$written'"
fi
finish
