#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvmxtop's display cost with SYNTHETIC data (bench/top_render.c): the real TUI in a tmux pane,
# fed by a made-up source of VMS x VCPUS vCPUs x 12 exit reasons whose counts all change at every
# refresh. Two runs: at 1 refresh/s for SECONDS (the share of one CPU, directly), and at 10
# refreshes/s for SECONDS/3 (CPU per refresh, with more refreshes to average over).
#
# usage: bench/top_render.sh [BUILD_DIR] [VMS] [VCPUS] [SECONDS] [COLSxLINES]
set -eu
build=${1:-build}
vms=${2:-50} vcpus=${3:-8} seconds=${4:-30} size=${5:-200x50}
bin=$build/top/top_render
[ -x "$bin" ] || { echo "no $bin: make -C $build top_render" >&2; exit 2; }
sock=top-render-$$
trap 'tmux -L $sock kill-server 2>/dev/null' EXIT
run() { # DELAY SECONDS
	local res
	res=$(mktemp)
	tmux -L "$sock" -f /dev/null new-session -d -x "${size%x*}" -y "${size#*x}" \
		"TERM=xterm-256color $bin $vms $vcpus $2 $1 $res"
	while tmux -L "$sock" has-session 2>/dev/null; do sleep 0.5; done
	echo "delay ${1}s, ${2}s, ${size}: $(cat "$res")"
	rm -f "$res"
}
echo "nvmxtop display, SYNTHETIC data: $vms VMs x $vcpus vCPUs x 12 reasons; $(uname -r); $(nproc) CPUs"
run 1 "$seconds"
run 0.1 $((seconds / 3))
