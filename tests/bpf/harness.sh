# SPDX-License-Identifier: GPL-2.0
# What the shell tests of tests/bpf share (sourced, not run): PASS/FAIL lines and their tally,
# the root check (the bpf label needs root, and fails rather than skips without it), and waiting
# for a daemon's --ready file.

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# Prints the tally and exits: 0 only if something passed and nothing failed.
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

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
