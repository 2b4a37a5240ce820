#!/bin/sh
# In the lab's L0 (busybox sh), as --exec: nvmxd --listen on L0's loopback, one scrape of
# /metrics before the workload and one after it, into $NVMX_LAB_OUT (exec/ on the host). For a
# backend with no network to forward a port through (Bochs): the host feeds both scrapes to a
# real Prometheus afterwards (lab_consistency.sh). Also the wrapper of nvmxd in the real-L1 run
# (tests/lab/nvmxd_run.sh with NVMXD_RUN_WRAPPER), whose scrapes the consistency test reads from
# that run's output: further arguments (nvmxd_run.sh's options of nvmxd) are ignored, as this
# writes the same files (nvmxd.json, record.txt, ready) in the same place.
# usage: l0_scrape.sh NVMXD [ignored...]
nvmxd=$1
out=$NVMX_LAB_OUT
# a backend without network leaves even the loopback interface down
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up || exit 1
"$nvmxd" --listen 127.0.0.1:9477 --interval 3600 --linger 3 \
	--json "$out/nvmxd.json" --record "$out/record.txt" --ready "$out/nvmxd-ready" &
pid=$!
while [ ! -e "$out/nvmxd-ready" ]; do
	kill -0 "$pid" 2>/dev/null || exit 1
	usleep 100000
done
wget -q -O "$out/scrape-before.txt" http://127.0.0.1:9477/metrics || exit 1
# The workload has ended when the lab sends SIGINT (to the whole group: nvmxd lingers 3 s)
stop() {
	usleep 500000
	wget -q -O "$out/scrape-after.txt" http://127.0.0.1:9477/metrics
	wait "$pid"
	exit $?
}
trap stop INT TERM
touch "$out/ready"
while :; do
	sleep 1
done
