#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmxd --listen on this host (ctest -L bpf, as root): once attached it runs as nobody with no
# capabilities and still serves scrapes that promtool accepts; OpenMetrics when asked; the JSON
# API; every metric the dashboards and rules name is declared; bad, oversized, slow and flooding
# clients are refused and counted (http_abuse.py); TLS (1.2 at least, AEAD ciphers) with a
# certificate made by openssl and basic auth from a web-config.yml work and a wrong password is
# refused; with basic auth, valid scrapes are answered through 32 trickling connections and a
# wrong-password flood (http_starve.py); a web config with a key twice or a bcrypt cost of 31 is
# refused with exit 2 and one line; listening on 0.0.0.0 without TLS and auth is warned about.
# The exporter conventions: process_* metrics plausible for this nvmxd (its /proc/PID/stat); gzip
# when Accept-Encoding takes it (curl --compressed, a raw request without it, gzip;q=0);
# node_exporter's --web.listen-address, --web.telemetry-path (and /metrics then 404) and
# --web.config.file.
#
# usage: host_serve.sh NVMXD PROMTOOL DASHBOARDS_DIR
set -u
NVMXD=$1 PROMTOOL=$2 DASH=$3
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/prom_harness.sh"

if [ "$(id -u)" -ne 0 ]; then
	bad "needs root to load BPF programs (run ctest -L bpf as root); not skipped on purpose"
	finish
fi
dir=$(mktemp -d /tmp/nvmx_host_serve.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid"
	rm -rf "$dir"
}
trap cleanup EXIT

. "$HERE/../nvmxd_start.sh"

stop() {
	kill -INT "$pid"
	wait "$pid"
	local st=$?
	pid=
	[ "$st" -eq 0 ] && ok "$1: SIGINT: exit 0" || bad "$1: SIGINT: exit $st"
}

# ---- plain HTTP ----
start plain --bpf-stats
field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status" | tr -s ' \t' ' ' | sed 's/ $//'; }
uid=$(field Uid)
[ "$uid" = "65534 65534 65534 65534" ] && ok "after attach, Uid is nobody in every field ($uid)" ||
	bad "after attach, Uid is '$uid'"
[ "$(field Gid)" = "65534 65534 65534 65534" ] && ok "Gid is nogroup" || bad "Gid is '$(field Gid)'"
[ -z "$(field Groups)" ] && ok "no supplementary groups" || bad "Groups: '$(field Groups)'"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
	v=$(field $c)
	[ "$v" = 0000000000000000 ] && ok "$c is empty" || bad "$c is $v"
done
[ "$(field NoNewPrivs)" = 1 ] && ok "NoNewPrivs is 1" || bad "NoNewPrivs is $(field NoNewPrivs)"

curl -sS -D "$dir/h.txt" -o "$dir/scrape.txt" "http://127.0.0.1:$port/metrics"
check "a scrape after the drop reads the maps (12 programs attached)" \
	grep -q '^nvmx_bpf_programs_missing 0$' "$dir/scrape.txt"
check "the scrape has nvmx_bpf_program_attached for kvm_exit" \
	grep -q '^nvmx_bpf_program_attached{tracepoint="kvm_exit",program="nvmx_kvm_exit"} 1$' "$dir/scrape.txt"
check "text format 0.0.4 by default" grep -qi '^Content-Type: text/plain; version=0.0.4' "$dir/h.txt"
check "promtool check metrics passes on the live scrape" \
	sh -c "'$PROMTOOL' check metrics <'$dir/scrape.txt'"
check "nvmx_privileges_dropped is 1" grep -q '^nvmx_privileges_dropped 1$' "$dir/scrape.txt"
# the process_* metrics of the client libraries, read from /proc/self as nobody after the drop
check "process_* metrics present with HELP and TYPE, and plausible for this nvmxd (pid $pid)" python3 -c '
import re, sys, time
t = open(sys.argv[1]).read()
pid = int(sys.argv[2])
def v(name, typ):
    fam = name  # the text format 0.0.4 names a counter family with its _total
    assert re.search(r"^# HELP %s .+$" % fam, t, re.M), "no HELP for " + fam
    assert re.search(r"^# TYPE %s %s$" % (fam, typ), t, re.M), "no TYPE %s %s" % (fam, typ)
    return float(re.search(r"^%s (\S+)$" % name, t, re.M).group(1))
clk = 100.0
st = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
btime = int(next(l.split()[1] for l in open("/proc/stat") if l.startswith("btime ")))
start = v("process_start_time_seconds", "gauge")
want = btime + int(st[19]) / clk
assert abs(start - want) < 0.02, (start, want)
assert time.time() - 600 < start <= time.time(), start
assert v("process_open_fds", "gauge") > 0
assert v("process_max_fds", "gauge") >= v("process_open_fds", "gauge")
rss = v("process_resident_memory_bytes", "gauge")
assert 0 < rss <= v("process_virtual_memory_bytes", "gauge"), rss
assert v("process_cpu_seconds_total", "counter") >= 0
att = float(re.search(r"^nvmx_start_time_seconds (\S+)$", t, re.M).group(1))
assert start <= att + 0.01, ("the process starts before it attaches", start, att)
' "$dir/scrape.txt" "$pid"
check "every metric the dashboards and rules name is declared by the scrape" \
	python3 "$HERE/check_names.py" families "$dir/scrape.txt" "$DASH/nvmx.json" "$DASH/nvmx.rules.yml"
check "promtool check rules passes" "$PROMTOOL" check rules "$DASH/nvmx.rules.yml"

curl -sS -D "$dir/h.txt" -o "$dir/om.txt" \
	-H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
	"http://127.0.0.1:$port/metrics"
check "OpenMetrics when asked" grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0' "$dir/h.txt"
check "OpenMetrics ends with # EOF" sh -c "[ \"\$(tail -n1 '$dir/om.txt')\" = '# EOF' ]"
check "OpenMetrics names the counter family without _total" \
	grep -q '^# TYPE nvmx_l2_exits counter$' "$dir/om.txt"

# gzip when asked (curl --compressed sends Accept-Encoding: deflate, gzip, br, zstd as built)
curl -sS --compressed -D "$dir/hz.txt" -o "$dir/z.txt" "http://127.0.0.1:$port/metrics"
check "Accept-Encoding with gzip: Content-Encoding: gzip" grep -qi '^Content-Encoding: gzip' "$dir/hz.txt"
check "Vary: Accept-Encoding on the gzipped answer" grep -qi '^Vary: Accept-Encoding' "$dir/hz.txt"
check "the gzipped scrape, inflated by curl, passes promtool" sh -c "'$PROMTOOL' check metrics <'$dir/z.txt'"
curl -sS -H 'Accept-Encoding: gzip' -D "$dir/hz2.txt" -o "$dir/z2.gz" "http://127.0.0.1:$port/metrics"
check "the body is a gzip stream (magic 1f 8b) that gzip -t accepts" sh -c "
	[ \"\$(od -An -tx1 -N2 '$dir/z2.gz' | tr -d ' ')\" = 1f8b ] && gzip -t <'$dir/z2.gz'"
zs=$(stat -c %s "$dir/z2.gz") ps=$(gzip -dc <"$dir/z2.gz" | wc -c)
[ "$zs" -gt 0 ] && [ $((zs * 3)) -lt "$ps" ] && ok "gzip: $ps bytes of scrape sent as $zs" ||
	bad "gzip: $ps bytes sent as $zs (less than 3 times smaller)"
# a raw request without Accept-Encoding: plain text, still Vary
python3 - "$port" "$dir/raw.txt" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
open(sys.argv[2], "wb").write(data)
PY
check "raw request without Accept-Encoding: 200, no Content-Encoding, Vary, plain text" python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
head, _, body = d.partition(b"\r\n\r\n")
h = head.decode().lower().split("\r\n")
assert h[0].startswith("http/1.1 200"), h[0]
assert not any(l.startswith("content-encoding:") for l in h), h
assert "vary: accept-encoding" in h, h
assert b"\nnvmx_bpf_programs_missing 0\n" in body, body[:200]
' "$dir/raw.txt"
curl -sS -H 'Accept-Encoding: gzip;q=0, identity' -D "$dir/hz3.txt" -o /dev/null "http://127.0.0.1:$port/metrics"
check "gzip;q=0: not gzipped" sh -c "! grep -qi '^Content-Encoding' '$dir/hz3.txt'"
curl -sS --compressed -D "$dir/hzj.txt" -o "$dir/zsum.json" "http://127.0.0.1:$port/api/v1/summary"
check "/api/v1/summary gzipped when asked, and JSON once inflated" sh -c "
	grep -qi '^Content-Encoding: gzip' '$dir/hzj.txt' && python3 -m json.tool '$dir/zsum.json' >/dev/null"

curl -sS -o "$dir/summary.json" "http://127.0.0.1:$port/api/v1/summary"
check "/api/v1/summary is nvmxd --json's document" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["schema"] == 1 and "vms" in j and "l2_exits" in j, j.keys()
assert j["nvmxd"]["programs_attached"] == 12, j["nvmxd"]
' "$dir/summary.json"
curl -sS -o "$dir/status.json" "http://127.0.0.1:$port/api/v1/status"
check "/api/v1/status: dropped, uid 65534, the kernel's CapEff 0" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
p = j["privileges"]
assert p["dropped"] and p["uid"] == 65534 and p["retained_capabilities"] == "", p
assert p["proc_status"]["CapEff"] == "0000000000000000", p
assert j["programs_missing"] == 0 and len(j["programs"]) == 12, j
' "$dir/status.json"

if timeout 120 python3 "$HERE/http_abuse.py" 127.0.0.1 "$port" >"$dir/abuse.txt" 2>&1; then
	ok "malformed, oversized, slow and flooding clients are refused and counted"
else
	bad "http_abuse.py:"
fi
sed 's/^/    /' "$dir/abuse.txt"
stop plain

# ---- node_exporter's flag names: --web.listen-address, --web.telemetry-path ----
# (start() passes --listen, the older alias; here the new names alone)
"$NVMXD" --interval 3600 --web.listen-address=127.0.0.1:0 --web.telemetry-path /nvmx/metrics \
	>"$dir/path.stdout" 2>"$dir/path.stderr" &
pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's|^nvmxd: serving http://127\.0\.0\.1:\([0-9]*\)/nvmx/metrics as .*|\1|p' "$dir/path.stderr")
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -n "$port" ]; then
	ok "--web.listen-address and --web.telemetry-path: nvmxd says it serves http://127.0.0.1:$port/nvmx/metrics"
	[ "$(curl -s -o "$dir/path.txt" -w '%{http_code}' "http://127.0.0.1:$port/nvmx/metrics")" = 200 ] &&
		grep -q '^nvmx_bpf_programs_missing 0$' "$dir/path.txt" &&
		ok "--web.telemetry-path /nvmx/metrics: the metrics are there" || bad "/nvmx/metrics: no metrics"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")" = 404 ] &&
		ok "--web.telemetry-path /nvmx/metrics: /metrics is 404" || bad "/metrics is not 404"
	check "the index names the telemetry path" sh -c "curl -s 'http://127.0.0.1:$port/' | grep -q '^/nvmx/metrics '"
	stop telemetry_path
else
	bad "--web.listen-address/--web.telemetry-path: nvmxd did not serve: $(cat "$dir/path.stderr")"
	kill -INT "$pid" 2>/dev/null && wait "$pid"
	pid=
fi
"$NVMXD" --web.listen-address 127.0.0.1:0 --web.telemetry-path /api/v1/status --duration 1 \
	>/dev/null 2>"$dir/badpath.err"
st=$?
[ "$st" = 2 ] && [ "$(wc -l <"$dir/badpath.err")" -le 2 ] && grep -q -- '--web.telemetry-path /api/v1/status' "$dir/badpath.err" &&
	ok "--web.telemetry-path /api/v1/status refused: exit 2, $(head -1 "$dir/badpath.err")" ||
	bad "--web.telemetry-path /api/v1/status: exit $st, $(cat "$dir/badpath.err")"

# ---- TLS and basic auth from web-config.yml ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 \
	-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 ||
	{ bad "openssl could not make a certificate"; finish; }
chmod 600 "$dir/key.pem"
web_config_tls_alice
start tls --web-config "$dir/web.yml"
u="https://127.0.0.1:$port/metrics"
code() { curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/cert.pem" "$@"; }
[ "$(code -u 'alice:s3cret pass' "$u")" = 200 ] && ok "TLS + right password: 200" || bad "TLS + right password: $(code -u 'alice:s3cret pass' "$u")"
[ "$(code -u 'alice:wrong' "$u")" = 401 ] && ok "wrong password: 401" || bad "wrong password: $(code -u alice:wrong "$u")"
[ "$(code -u 'bob:s3cret pass' "$u")" = 401 ] && ok "unknown user: 401" || bad "unknown user: not 401"
[ "$(code "$u")" = 401 ] && ok "no credentials: 401" || bad "no credentials: not 401"
check "the 401 asks for basic auth" sh -c "curl -s -D - -o /dev/null --cacert '$dir/cert.pem' '$u' | grep -qi '^WWW-Authenticate: Basic realm=\"nvmx\"'"
check "plain HTTP on the TLS port gets no metrics" \
	sh -c "! curl -s --max-time 5 'http://127.0.0.1:$port/metrics' | grep -q nvmx_"
check "the certificate is the one openssl made" \
	sh -c "curl -s -o /dev/null --cacert '$dir/cert.pem' -u 'alice:s3cret pass' '$u'"
curl -s --cacert "$dir/cert.pem" -u 'alice:s3cret pass' -o "$dir/tls_scrape.txt" "$u"
check "refused passwords are counted" python3 -c '
import re, sys
t = open(sys.argv[1]).read()
n = int(re.search(r"^nvmx_http_bad_requests_total\{reason=\"unauthorized\"\} (\d+)$", t, re.M).group(1))
assert n >= 4, n
' "$dir/tls_scrape.txt"
check "the TLS scrape passes promtool" sh -c "'$PROMTOOL' check metrics <'$dir/tls_scrape.txt'"
# tls ARGS...: the protocol and cipher openssl s_client ends with, "refused" when none
tls() {
	local r
	r=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" "$@" 2>/dev/null |
		sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is \(.*\)/\1 \2/p')
	echo "${r:-refused}"
}
for a in "-tls1" "-tls1_1"; do
	r=$(tls $a -cipher DEFAULT@SECLEVEL=0)
	[ "$r" = refused ] && ok "$a refused" || bad "$a negotiated: $r"
done
for c in AES128-SHA ECDHE-RSA-AES128-SHA; do
	r=$(tls -tls1_2 -cipher "$c@SECLEVEL=0")
	[ "$r" = refused ] && ok "TLS 1.2 with $c refused" || bad "TLS 1.2 with $c negotiated: $r"
done
r=$(tls -tls1_2)
case "$r" in TLSv1.2\ ECDHE-*GCM*|TLSv1.2\ ECDHE-*CHACHA20*) ok "TLS 1.2: $r" ;; *) bad "TLS 1.2: $r" ;; esac
r=$(tls -tls1_3)
case "$r" in TLSv1.3\ *) ok "TLS 1.3: $r" ;; *) bad "TLS 1.3: $r" ;; esac
stop tls

sed 's/^tls_server_config:$/tls_server_config:\n  min_version: TLS13/' "$dir/web.yml" >"$dir/web13.yml"
start tls13 --web.config.file "$dir/web13.yml"  # node_exporter's name; the others use the alias
r=$(tls -tls1_2)
[ "$r" = refused ] && ok "min_version TLS13: TLS 1.2 refused" || bad "min_version TLS13: TLS 1.2 negotiated: $r"
r=$(tls -tls1_3)
case "$r" in TLSv1.3\ *) ok "min_version TLS13: $r" ;; *) bad "min_version TLS13: TLS 1.3: $r" ;; esac
stop tls13

# ---- basic auth without TLS: valid scrapes through trickling clients and a password flood ----
printf "basic_auth_users:\n  alice: '%s'\n" "$hash" >"$dir/auth.yml"
start auth --web-config "$dir/auth.yml"
if timeout 150 python3 "$HERE/http_starve.py" 127.0.0.1 "$port" alice 's3cret pass' "$pid" \
	>"$dir/starve.txt" 2>&1; then
	ok "valid scrapes answered through 32 trickling connections and a wrong-password flood"
else
	bad "http_starve.py:"
fi
sed 's/^/    /' "$dir/starve.txt"
stop auth

# ---- web configs exporter-toolkit's strict YAML refuses: exit 2, one line ----
# refused NAME EXPECTED: nvmxd refuses $dir/NAME.yml before attaching, saying EXPECTED
refused() {
	"$NVMXD" --listen 127.0.0.1:0 --web-config "$dir/$1.yml" --duration 1 >/dev/null 2>"$dir/$1.err"
	local st=$?
	[ "$st" = 2 ] && [ "$(wc -l <"$dir/$1.err")" = 1 ] && grep -q "$2" "$dir/$1.err" &&
		ok "$1 refused: $(cat "$dir/$1.err")" || bad "$1: exit $st, $(cat "$dir/$1.err")"
}
printf "basic_auth_users:\n  a: '%s'\n  b: '%s'\nbasic_auth_users:\n  c: '%s'\n" "$hash" "$hash" "$hash" >"$dir/dup_users_key.yml"
refused dup_users_key "dup_users_key.yml:4: duplicate key 'basic_auth_users'"
printf "basic_auth_users:\n  alice: '%s'\n  alice: '%s'\n" "$hash" "$hash" >"$dir/dup_user.yml"
refused dup_user "dup_user.yml:3: duplicate key 'alice'"
printf "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\ntls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n" >"$dir/dup_tls.yml"
refused dup_tls "dup_tls.yml:4: duplicate key 'tls_server_config'"
printf "basic_auth_users:\n  alice: '%s'\n" "$(echo "$hash" | sed 's/^\$2b\$10\$/$2y$31$/')" >"$dir/cost31.yml"
refused cost31 "cost31.yml:2: the bcrypt cost of alice is 31"

# ---- every address without TLS and auth: one warning at start ----
"$NVMXD" --listen 0.0.0.0:0 --duration 1 >/dev/null 2>"$dir/any.err"
n=$(grep -c 'warning: listening on every address (0.0.0.0:[0-9]*) without TLS or basic auth' "$dir/any.err")
[ "$n" = 1 ] && ok "0.0.0.0 without TLS or auth: warned once" || bad "0.0.0.0: $n warnings: $(cat "$dir/any.err")"
"$NVMXD" --listen 127.0.0.1:0 --duration 1 >/dev/null 2>"$dir/lo.err"
! grep -q warning "$dir/lo.err" && ok "127.0.0.1: no warning" || bad "127.0.0.1 warned: $(grep warning "$dir/lo.err")"

# ---- the systemd unit's capabilities (dist/nvmxd.service) are enough, and each is needed ----
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$HERE/../../dist/nvmxd.service.in")
bset=-all$(for c in $unit_caps; do printf ',+%s' "$(echo "${c#CAP_}" | tr A-Z a-z)"; done)
setpriv --bounding-set "$bset" --inh-caps -all "$NVMXD" --listen 127.0.0.1:0 --duration 2 \
	>/dev/null 2>"$dir/unit.err"
st=$?
[ "$st" = 0 ] && grep -q 'as uid 65534 gid 65534 with no capabilities' "$dir/unit.err" &&
	ok "with the unit's bounding set ($unit_caps) nvmxd attaches, drops and serves" ||
	bad "with the unit's bounding set $bset: exit $st: $(tail -3 "$dir/unit.err")"
for c in $unit_caps; do
	less=$(echo "$bset" | sed "s/,+$(echo "${c#CAP_}" | tr A-Z a-z)//")
	setpriv --bounding-set "$less" --inh-caps -all "$NVMXD" --listen 127.0.0.1:0 --duration 1 \
		>/dev/null 2>"$dir/less.err"
	st=$?
	[ "$st" != 0 ] && ok "without $c nvmxd fails: $(tail -1 "$dir/less.err")" ||
		bad "without $c nvmxd still ran: the unit should not grant it"
done

# ---- a web config that asks for what nvmxd does not do is refused, not ignored ----
printf 'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: RequireAndVerifyClientCert\n' >"$dir/mtls.yml"
"$NVMXD" --listen 127.0.0.1:0 --web-config "$dir/mtls.yml" --duration 1 >/dev/null 2>"$dir/mtls.err"
st=$?
[ "$st" -ne 0 ] && grep -q 'client_auth_type is not supported' "$dir/mtls.err" &&
	ok "client_auth_type refused: $(cat "$dir/mtls.err")" || bad "client_auth_type: exit $st, $(cat "$dir/mtls.err")"
finish
