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
# check_record NVMX OUT: the two checks of an nvmxd run in the lab (OUT/exec: its nvmxd.json and
# --record record.txt): the record lost nothing, and its replay (OUT/record-replay.json) equals
# nvmxd's live counts, every count
check_record() {
	check "the replay of nvmxd --record is complete (no lost events)" \
		sh -c "! grep -q 'LOST' '$2/exec/record.txt'"
	"$1" replay "$2/exec/record.txt" --json >"$2/record-replay.json"
	check "the replay of nvmxd --record equals nvmxd live (every count)" \
		"$1" compare --all "$2/record-replay.json" "$2/exec/nvmxd.json"
}
