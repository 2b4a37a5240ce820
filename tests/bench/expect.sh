# SPDX-License-Identifier: GPL-2.0
# expect STATUS PATTERN WHAT BASE NEW [OPTIONS...]: `nvmx bench compare BASE NEW OPTIONS` exits
# STATUS and its output (stdout and stderr, left in $tmp/out) matches the extended regular
# expression PATTERN. Sourced after tests/tally.sh, with $nvmx and $tmp set.
expect() {
	want=$1 pattern=$2 what=$3
	shift 3
	"$nvmx" bench compare "$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" = "$want" ] && grep -Eq -- "$pattern" "$tmp/out"; then
		ok "$what"
	else
		bad "$what (exit $got, expected $want and /$pattern/):"
		sed 's/^/    /' "$tmp/out"
	fi
}
