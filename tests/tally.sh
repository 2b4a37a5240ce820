# SPDX-License-Identifier: GPL-2.0
# The tally of a test script's checks (sourced by sh or bash, not run): "ok: WHAT" and
# "FAIL: WHAT" lines, then finish prints "N passed, M failed" and exits 0 only if something
# passed and nothing failed.
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# check WHAT CMD [ARG]...: CMD's exit status decides
check() {
	_what=$1
	shift
	if "$@"; then ok "$_what"; else bad "$_what"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}
