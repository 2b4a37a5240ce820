#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvmxtop's full-screen display, driven in tmux (send-keys, capture-pane) on the 6.1 SVM capture
# (tests/data/6.1-qemu64-N1000): one 10 s refresh of trace time covers the whole capture, so the
# screen must show its ground truth (ground-truth.txt: cpuid, hypercall, io 1000 reflected each,
# msr 1000 by L0, interrupt 30 and npf 5 by L0, vmrun 3000 L1 exits); then the keys: help, the
# reason and VM filters, clearing them, the sort keys and reverse, rates/totals, collapse/expand,
# pause, quit. The display is 80x24 without colour (--no-color), the smallest it promises.
#
# usage: tui_keys.sh NVMXTOP DATA_DIR
set -u
nvmxtop=$1 data=$2
sock=nvmxtop-test-$$
tm() { tmux -L "$sock" -f /dev/null "$@" 2>/dev/null; }
trap 'tm kill-server 2>/dev/null' EXIT
failed=0
screen() { tm capture-pane -p -t top 2>/dev/null; }
ok() { echo "ok: $1"; }
fail() {
	echo "FAILED: $1"
	echo "--- screen:"
	screen
	echo "---"
	failed=1
}
# wait_for TEXT [SECONDS]: up to SECONDS (5) for TEXT on the screen
wait_for() {
	for _ in $(seq $((${2:-5} * 10))); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
check() { # WHAT TEXT [SECONDS]: TEXT must appear
	if wait_for "$2" "${3:-5}"; then ok "$1"; else fail "$1: '$2' not on the screen"; fi
}
check_not() { # WHAT TEXT: TEXT must not appear (after the screen settled)
	sleep 0.3
	if screen | grep -qF -- "$2"; then fail "$1: '$2' still on the screen"; else ok "$1"; fi
}
# row NAME: the screen's row of exit reason NAME, spaces squeezed
row() { screen | grep -E "^ +$1 " | tr -s ' ' | sed 's/^ //'; }
check_row() { # REASON EXPECTED-COLUMNS (L2->L0 L2->L1 L1%)
	local got
	got=$(row "$1" | cut -d' ' -f2-4)
	if [ "$got" = "$2" ]; then ok "row $1: $2"; else fail "row $1: '$got', expected '$2'"; fi
}

tm new-session -d -s top -x 80 -y 24 \
	"TERM=xterm $nvmxtop --no-color --total -d 10 --replay $data/6.1-qemu64-N1000/trace.txt.xz; sleep 30"
sleep 0.3
tm has-session -t top 2>/dev/null || { echo "FAILED: tmux could not run nvmxtop"; exit 1; }
# the first screen waits for the whole capture's replay: up to 60 s on a loaded CI machine
check "the capture's end is reached in one refresh" "END" 60
check "the header has the totals" "(total 4035)"
if tm capture-pane -p -e -t top | grep -q $'\e\[[0-9;]*3[0-8]m'; then
	fail "--no-color: colour sequences on the screen"
else
	ok "--no-color: no colour, only bold and reverse video"
fi
check "the header has L1's share" "to L1 74.3%"
# the Turtles breakdown: 2999 complete round trips, by the awk walk of batch_text_capture.sh:
# (1314 * 246.7 + 1349 * 255.9 + 336 * 234.4) / 2999 = 249.5 us
check "the header has the mean round trip" "round trip 249.5 us"
check_row cpuid "0 1000 100.0"
check_row hypercall "0 1000 100.0"
check_row io "0 1000 100.0"
check_row msr "1000 0 0.0"
check_row interrupt "30 0 0.0"
check_row npf "5 0 0.0"
width=$(screen | awk '{ if (length($0) > w) w = length($0) } END { print w }')
[ "$width" -le 80 ] && ok "no line wider than 80 ($width)" || fail "a line is $width wide"

tm send-keys -t top h
check "h shows the help" "expand or collapse the selected VM"
tm send-keys -t top q # any key closes the help (q does not quit there)
check "any key closes the help" "    cpuid "

tm send-keys -t top x
check "x asks for a reason filter" "exit reason filter"
tm send-keys -t top m s r Enter
check "the reason filter keeps msr" "    msr "
check_not "the reason filter hides cpuid" "    cpuid "
check "the status line shows the filter" "reason 'msr'"
tm send-keys -t top c
check "c clears the filters" "    cpuid "

tm send-keys -t top v
tm send-keys -t top n o - s u c h - v m Enter
check "a VM filter that matches nothing says so" "nothing matches the filters"
tm send-keys -t top c
check "c clears the VM filter" "    cpuid "

# sort keys: L2 exits (default) -> L1 share -> mean cost -> name; r reverses
first_reason() { screen | grep -E "^    [a-z]" | head -n 1 | tr -s ' ' | cut -d' ' -f2; }
tm send-keys -t top s s s
check "s cycles to the name sort" "sort: name"
[ "$(first_reason)" = cpuid ] && ok "by name, cpuid first" || fail "by name: $(first_reason) first"
tm send-keys -t top r
check "r reverses" "(reversed)"
[ "$(first_reason)" = vmrun ] && ok "reversed, vmrun first" || fail "reversed: $(first_reason) first"
tm send-keys -t top s
check "s wraps to the L2 exits sort" "sort: L2 exits"
tm send-keys -t top r
# L2 exits, largest first: msr 1000 (L0) ties cpuid/hypercall/io at 1000, ties go by name
[ "$(first_reason)" = cpuid ] && ok "by L2 exits, cpuid first" || fail "by L2: $(first_reason) first"

tm send-keys -t top t
# at 80 columns the status line says it: the title's "(per s)" no longer fits the name column
check "t switches to rates" "showing per second"
tm send-keys -t top t
check "t switches back to totals" "showing totals"

tm send-keys -t top -- -
check_not "- collapses every VM" "thread 142"
tm send-keys -t top +
check "+ expands them again" "thread 142"
tm send-keys -t top Home Enter
check_not "Enter on the VM collapses it" "thread 142"
tm send-keys -t top Enter
check "Enter again expands it" "    cpuid "

tm send-keys -t top p
check "p pauses" "PAUSED"
tm send-keys -t top p
check_not "p again resumes" "PAUSED"

# resizing: smaller than it can draw, then wide enough for the round trip's parts
tm resize-window -t top -x 36 -y 6
check "a tiny window says it is too small" "too small"
tm resize-window -t top -x 170 -y 30
check "a wide window shows the round trip's parts" "L1hdl"
check "and the rows again" "    cpuid "
tm resize-window -t top -x 80 -y 24
check_not "back at 80 columns the parts go" "L1hdl"

tm send-keys -t top q
sleep 0.5
if tm list-panes -t top -F '#{pane_current_command}' 2>/dev/null | grep -q nvmxtop; then
	fail "q did not quit"
else
	ok "q quits"
fi

# colours: the header is drawn in one (an SGR foreground 30-38; 39 is the default), unless
# --no-color
tm kill-server
sock=nvmxtop-test-color-$$
tm new-session -d -s top -x 80 -y 24 \
	"TERM=xterm-256color $nvmxtop --total -d 10 --replay $data/6.1-qemu64-N1000/trace.txt.xz; sleep 30"
wait_for "END" 60 || fail "no END with colours"
if tm capture-pane -p -e -t top | head -n 1 | grep -q $'\e\[[0-9;]*3[0-8]m'; then
	ok "colours on a colour terminal"
else
	fail "no colour in the header on xterm-256color"
fi

# no terminal that can move the cursor: batch, and it says so
tm kill-server 2>/dev/null
sock=nvmxtop-test-dumb-$$
tm new-session -d -s top -x 80 -y 24 \
	"TERM=dumb $nvmxtop -d 10 --replay $data/6.1-qemu64-N1000/trace.txt.xz; sleep 30"
sleep 1
if tm capture-pane -p -J -S -200 -t top | grep -qF "TERM is dumb or unset: the terminal cannot move the cursor: falling back to batch mode (-b)"; then
	ok "TERM=dumb falls back to batch and says so"
else
	fail "TERM=dumb: no word of the fallback to batch mode"
fi
[ "$failed" = 0 ]
