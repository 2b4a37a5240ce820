#!/bin/sh
# In the lab's L0 (busybox sh), as --exec of fault_full.sh: nvmxd's --json and --record on a
# 64 KiB tmpfs that the workload's events fill. nvmxd runs as a service does (--listen: it drops
# to nobody; --checkpoint 1). When it has exited, what it left on the tmpfs is copied to
# $NVMX_LAB_OUT/full/ with a listing (full.ls), its exit status to exit, its output to stdout and
# stderr (the --exec command's own), and this script exits with nvmxd's status: the lab reports it
# ("exec: exited with N").
# usage: fault_full_l0.sh NVMXD
nvmxd=$1
out=$NVMX_LAB_OUT
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up || exit 1
mkdir -p /tmp/full && mount -t tmpfs -o size=64k tmpfs /tmp/full || exit 1
"$nvmxd" --listen 127.0.0.1:9477 --interval 3600 --checkpoint 1 --json /tmp/full/nvmxd.json \
	--record /tmp/full/record.txt --ready "$out/nvmxd-ready" &
pid=$!
while [ ! -e "$out/nvmxd-ready" ]; do
	kill -0 "$pid" 2>/dev/null || break
	usleep 100000
done
touch "$out/ready"
# nvmxd must end by itself when the disk is full; the lab's SIGINT at the workload's end would
# stop it otherwise (and it would exit 0): that is a failure of this test, said by the status
trap 'echo "SIGINT before nvmxd ended" >"$out/interrupted"' INT TERM
wait "$pid"
rc=$?
# a signal to this shell ends the wait, not nvmxd: its own status then
[ -e "$out/interrupted" ] && { wait "$pid"; rc=$?; }
echo "$rc" >"$out/exit"
ls -la /tmp/full >"$out/full.ls"
mkdir -p "$out/full" && cp -a /tmp/full/. "$out/full/"
df -k /tmp/full >>"$out/full.ls"
exit "$rc"
