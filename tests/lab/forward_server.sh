#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the lab's L0 as `--exec "forward_server.sh PORT"`: answers one HTTP request arriving
# through --forward, records it in $NVMX_LAB_OUT/request.txt, and only then lets the workload
# start (ready), so the host side's request is part of the run, not a race against it.
# Everything here is busybox: only this script is copied from the host.
if [ "$1" = serve ]; then
	# Read the whole request before answering: closing a socket with unread data sends a RST,
	# which can discard the answer.
	cr=$(printf '\r')
	while IFS= read -r line; do
		echo "$line" >>"$NVMX_LAB_OUT/request.txt"
		[ -z "$line" ] || [ "$line" = "$cr" ] && break
	done
	printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello from L0\n'
	exit 0
fi
nc -l -p "$1" -e "$0" serve || exit 1
touch "$NVMX_LAB_OUT/ready"
