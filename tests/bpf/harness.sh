# SPDX-License-Identifier: GPL-2.0
# What the shell tests of tests/bpf share (sourced, not run): ok/FAIL lines and their tally
# (tests/tally.sh), the root check (the bpf label needs root, and fails rather than skips without
# it), waiting for a daemon's --ready file, and the port nvmxd serves on.

. "$(dirname "$0")/../tally.sh"

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		bad "needs root to load BPF programs (run ctest -L bpf as root); not skipped on purpose"
		finish
	fi
}

# wait_ready FILE PID: 0 once FILE exists, 1 if PID exits first or 30 s pass.
wait_ready() {
	i=0
	while [ ! -e "$1" ] && kill -0 "$2" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# served_port FILE: the port of "nvmxd: serving http://127.0.0.1:PORT/metrics" in FILE (nvmxd's
# stderr), waiting up to 10 s for the line; empty if it never comes.
served_port() {
	for _ in $(seq 100); do
		sed -n 's|^nvmxd: serving http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$1" | grep . && return 0
		sleep 0.1
	done
	return 1
}
