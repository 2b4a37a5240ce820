# SPDX-License-Identifier: GPL-2.0
# What the tests that scrape nvmxd share (sourced by bash, not run; Prometheus for the lab ones):
# ok/bad/check lines and their tally (tests/tally.sh), a free loopback port, and a Prometheus server on the host
# that scrapes 127.0.0.1:PORT every second with nvmx's recording rules loaded.

. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tally.sh"
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# start_prometheus PROMETHEUS DIR RULES TARGET_PORT PROM_PORT: a server scraping
# 127.0.0.1:TARGET_PORT every second, data and log under DIR; its pid in $prom.
start_prometheus() {
	mkdir -p "$2"
	cat >"$2/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $3
scrape_configs:
  - job_name: nvmx
    static_configs:
      - targets: ['127.0.0.1:$4']
EOT
	"$1" --config.file="$2/prometheus.yml" --storage.tsdb.path="$2/data" \
		--web.listen-address="127.0.0.1:$5" >"$2/prometheus.log" 2>&1 &
	prom=$!
}
