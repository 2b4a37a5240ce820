#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# forward_test.sh NVMX SERVER OUTDIR: with --forward HOSTPORT:8080, an HTTP request to
# 127.0.0.1:HOSTPORT on the host reaches a busybox nc server in L0 (SERVER, run by --exec),
# and its answer comes back. The server lets the workload start only after it answered.
set -u
nvmx=$1 server=$2 out=$3
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# A free port: parallel runs of this test (other build trees) must not collide.
for _ in $(seq 50); do
	port=$((20000 + RANDOM % 40000))
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
mkdir -p "$out"
"$nvmx" lab run --kernel 6.12 --workload cpuid,vmmcall --iterations 100 \
	--forward "$port:8080" --exec "$server 8080" --out "$out" &
lab=$!
answer=
for _ in $(seq 120); do
	# Before the guest listens, QEMU accepts and closes at once: an empty answer. Retry.
	answer=$(timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port &&
		printf 'GET /from-host HTTP/1.0\r\n\r\n' >&3 && cat <&3" 2>/dev/null)
	[[ "$answer" == *"hello from L0"* ]] && break
	kill -0 $lab 2>/dev/null || break
	sleep 1
done
wait $lab
status=$?
[ "$status" = 0 ] || fail "nvmx lab run exited with $status"
[[ "$answer" == *"hello from L0"* ]] || fail "no answer from L0 on 127.0.0.1:$port: '$answer'"
grep -q '^GET /from-host HTTP/1.0' "$out/exec/request.txt" ||
	fail "exec/request.txt: $(cat "$out/exec/request.txt" 2>&1)"
echo "forward test passed (host port $port)"
