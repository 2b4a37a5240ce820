#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmxd's clients against a secured nvmxd on this host (ctest -L bpf, as root: nvmxd attaches its
# BPF programs): a throwaway CA and a server certificate made by openssl in OUT, nvmxd --listen
# with a web-config holding TLS and basic auth (bcrypt), then
#   - nvmxtop --connect https://... --ca-file --credentials reads it (batch text and JSON lines);
#   - nvmx bitmap --live reads it;
#   - a wrong password, no credentials, another CA, the system's CAs, plain HTTP to the TLS port,
#     https:// to a plain nvmxd, a credentials file others can read: exit 2 and one line saying
#     what to fix, from both clients;
#   - stale and retry: nvmxd stopped (SIGSTOP) while nvmxtop runs: nvmxtop says "stale since
#     HH:MM:SS: ... timed out after 1 s", backs off 1, 2, 4 s, never exits, and shows refreshes
#     again once nvmxd is continued (SIGCONT); then SIGINT ends it with status 0.
#
# usage: clients_tls.sh NVMXD NVMXTOP NVMX OUT
set -u
NVMXD=$1 NVMXTOP=$2 NVMX=$3 OUT=$4
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tally.sh"

if [ "$(id -u)" -ne 0 ]; then
	bad "needs root: nvmxd attaches BPF programs (run ctest -L bpf as root); not skipped on purpose"
	finish
fi
rm -rf "$OUT"
mkdir -p "$OUT"
dir=$OUT
pid= top=
cleanup() {
	[ -n "$top" ] && kill -INT "$top" 2>/dev/null && wait "$top"
	[ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null
	[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid"
}
trap cleanup EXIT

. "$HERE/../nvmxd_start.sh"

stop() {
	kill -INT "$pid"
	wait "$pid"
	pid=
}

# ---- a throwaway CA, a server certificate it signs (127.0.0.1 and localhost), another CA ----
ssl() { openssl "$@" >>"$dir/openssl.log" 2>&1 || { bad "openssl $1 failed: $(tail -3 "$dir/openssl.log")"; finish; }; }
ssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 1 \
	-subj "/CN=nvmx test CA"
ssl req -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/server.csr" -subj /CN=localhost
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
ssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
	-out "$dir/cert.pem" -days 1 -extfile "$dir/san.ext"
ssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/other.key" -out "$dir/other-ca.pem" -days 1 \
	-subj "/CN=another CA"
chmod 600 "$dir/key.pem"
web_config_tls_alice
printf 'alice:s3cret pass\n' >"$dir/cred"
printf 'alice:wrong\n' >"$dir/cred.wrong"
printf 'alice:s3cret pass\n' >"$dir/cred.open"
chmod 600 "$dir/cred" "$dir/cred.wrong"
chmod 644 "$dir/cred.open"

start tls --web-config "$dir/web.yml"
u=https://127.0.0.1:$port
[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/ca.pem" -u 'alice:s3cret pass' "$u/api/v1/summary")" = 200 ] &&
	ok "curl reads $u/api/v1/summary with the CA and the password" ||
	bad "curl cannot read $u/api/v1/summary: the server side is not as this test expects"

# ---- the clients read it ----
"$NVMXTOP" --connect "$u" --ca-file "$dir/ca.pem" --credentials "$dir/cred" -b -n 1 -d 0.3 \
	>"$dir/top.txt" 2>"$dir/top.err"
st=$?
[ "$st" = 0 ] && ok "nvmxtop --connect $u: exit 0" || bad "nvmxtop --connect $u: exit $st: $(cat "$dir/top.err")"
grep -q "^nvmxtop  refresh 1 .*nvmxd at $u\$" "$dir/top.txt" &&
	ok "nvmxtop shows a refresh of nvmxd at $u" || bad "nvmxtop's output: $(head -3 "$dir/top.txt")"
[ ! -s "$dir/top.err" ] && ok "nvmxtop: nothing on stderr" || bad "nvmxtop's stderr: $(cat "$dir/top.err")"

"$NVMXTOP" --connect "$u" --ca-file "$dir/ca.pem" --credentials "$dir/cred" --json -n 2 -d 0.3 \
	>"$dir/top.json" 2>"$dir/top.json.err"
st=$?
check "nvmxtop --json over TLS: exit $st, 2 refreshes of nvmxd at $u" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert sys.argv[3] == "0", sys.argv[3]
assert [l["refresh"] for l in lines] == [1, 2], lines
assert all(l["source"] == "nvmxd at " + sys.argv[2] for l in lines), lines
' "$dir/top.json" "$u" "$st"

"$NVMX" bitmap --live "$u" --ca-file "$dir/ca.pem" --credentials "$dir/cred" --interval 0.5 --json \
	>"$dir/bitmap.json" 2>"$dir/bitmap.err"
st=$?
check "nvmx bitmap --live $u: exit $st, its JSON names nvmxd at $u" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert sys.argv[3] == "0", sys.argv[3]
assert j["source"].startswith("nvmxd at " + sys.argv[2] + " over "), j["source"]
assert j["rows_total"] == len(j["rows"]), j
' "$dir/bitmap.json" "$u" "$st"

# ---- what the user must fix: exit 2 and one line, from both clients ----
# refused NAME EXPECTED ARGS...: nvmxtop and nvmx bitmap --live with ARGS exit 2 and print one
# line, "nvmxtop: EXPECTED" and "nvmx bitmap: EXPECTED" (a grep -E pattern)
refused() {
	local name=$1 expected=$2 addr=$3 st
	shift 3
	timeout 60 "$NVMXTOP" --connect "$addr" "$@" -b -n 1 -d 0.3 >/dev/null 2>"$dir/$name.top.err"
	st=$?
	[ "$st" = 2 ] && [ "$(wc -l <"$dir/$name.top.err")" = 1 ] &&
		grep -Eq "^nvmxtop: $expected\$" "$dir/$name.top.err" &&
		ok "$name: nvmxtop exit 2: $(cat "$dir/$name.top.err")" ||
		bad "$name: nvmxtop exit $st: $(cat "$dir/$name.top.err") (expected 'nvmxtop: $expected')"
	timeout 60 "$NVMX" bitmap --live "$addr" "$@" --interval 0.3 >/dev/null 2>"$dir/$name.bm.err"
	st=$?
	[ "$st" = 2 ] && [ "$(wc -l <"$dir/$name.bm.err")" = 1 ] &&
		grep -Eq "^nvmx bitmap: $expected\$" "$dir/$name.bm.err" &&
		ok "$name: nvmx bitmap exit 2: $(cat "$dir/$name.bm.err")" ||
		bad "$name: nvmx bitmap exit $st: $(cat "$dir/$name.bm.err") (expected 'nvmx bitmap: $expected')"
}
q=$(echo "$dir" | sed 's/[.[\*^$()+?{|]/\\&/g')
refused wrong_password "401: nvmxd at 127\.0\.0\.1:$port refused the credentials of $q/cred\.wrong \(see --credentials\)" \
	"$u" --ca-file "$dir/ca.pem" --credentials "$dir/cred.wrong"
refused no_credentials "401: nvmxd wants credentials \(see --credentials\)" "$u" --ca-file "$dir/ca.pem"
refused other_ca "TLS certificate of 127\.0\.0\.1 not trusted \(see --ca-file\).*" \
	"$u" --ca-file "$dir/other-ca.pem" --credentials "$dir/cred"
refused system_cas "TLS certificate of 127\.0\.0\.1 not trusted \(see --ca-file\).*" \
	"$u" --credentials "$dir/cred"
refused plain_to_tls "127\.0\.0\.1:$port speaks TLS, not plain HTTP: use https://127\.0\.0\.1:$port .*" \
	"http://127.0.0.1:$port" --credentials "$dir/cred"
refused plain_to_tls_bare "127\.0\.0\.1:$port speaks TLS, not plain HTTP: use https://127\.0\.0\.1:$port .*" \
	"127.0.0.1:$port" --credentials "$dir/cred"
refused open_credentials "--credentials $q/cred\.open: readable by every user \(mode 0644\): chmod o-r .*" \
	"$u" --ca-file "$dir/ca.pem" --credentials "$dir/cred.open"
refused missing_ca "--ca-file $q/nope\.pem: No such file or directory" \
	"$u" --ca-file "$dir/nope.pem" --credentials "$dir/cred"

# ---- stale and retry: nvmxd stopped, then continued ----
"$NVMXTOP" --connect "$u" --ca-file "$dir/ca.pem" --credentials "$dir/cred" --timeout 1 -b -d 0.5 \
	>"$dir/stale.txt" 2>"$dir/stale.err" &
top=$!
blocks() { grep -c '^nvmxtop  refresh' "$dir/stale.txt"; }
for _ in $(seq 100); do [ "$(blocks)" -ge 2 ] && break; sleep 0.1; done
[ "$(blocks)" -ge 2 ] && ok "nvmxtop refreshes every 0.5 s" || bad "nvmxtop: $(blocks) refreshes in 10 s"
kill -STOP "$pid"
stopped_at=$(date +%s)
sleep 9
before=$(blocks)
kill -0 "$top" 2>/dev/null && ok "nvmxd stopped for 9 s: nvmxtop still runs" ||
	bad "nvmxd stopped: nvmxtop exited: $(cat "$dir/stale.err")"
cat "$dir/stale.err"
# the first failure's time, then backoff 1, 2, 4 s (timed out after 1 s each: 1+1+1+2+1+4 < 9)
check "stale since HH:MM:SS: timed out after 1 s, retried after 1, 2 and 4 s" python3 -c '
import re, sys, time
lines = open(sys.argv[1]).read().splitlines()
pat = re.compile(r"^nvmxtop: stale since (\d\d):(\d\d):(\d\d): nvmxd at 127\.0\.0\.1:%s: timed out after 1 s; trying again in (\d+) s$" % sys.argv[2])
m = [pat.match(l) for l in lines]
assert lines and all(m), lines
assert [int(x.group(4)) for x in m][:3] == [1, 2, 4], lines
assert len({x.group(1, 2, 3) for x in m}) == 1, "the stale time moved"
h, mi, s = map(int, m[0].group(1, 2, 3))
t = time.localtime(int(sys.argv[3]))
d = (h * 3600 + mi * 60 + s) - (t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec)
assert 0 <= d % 86400 <= 3, ("stale since", m[0].group(0), "stopped at", time.strftime("%H:%M:%S", t))
' "$dir/stale.err" "$port" "$stopped_at"
kill -CONT "$pid"
# the next try comes at most 8 s (backoff) + 1 s (timeout) later
for _ in $(seq 150); do [ "$(blocks)" -gt "$before" ] && break; sleep 0.1; done
[ "$(blocks)" -gt "$before" ] && ok "nvmxd continued: nvmxtop shows refreshes again" ||
	bad "nvmxd continued: no refresh in 15 s"
n=$(blocks)
sleep 1.5
[ "$(blocks)" -ge $((n + 2)) ] && ok "back to a refresh every 0.5 s" || bad "after recovery: $(($(blocks) - n)) refreshes in 1.5 s"
kill -INT "$top"
wait "$top"
st=$?
top=
[ "$st" = 0 ] && ok "SIGINT: nvmxtop exit 0" || bad "SIGINT: nvmxtop exit $st"
stop

# ---- https:// to an nvmxd without TLS ----
start plain
refused tls_to_plain "127\.0\.0\.1:$port does not speak TLS \(an nvmxd without tls_server_config\?\): use http://127\.0\.0\.1:$port" \
	"https://127.0.0.1:$port"
"$NVMXTOP" --connect "http://127.0.0.1:$port" -b -n 1 -d 0.3 >/dev/null 2>"$dir/plain.err" &&
	ok "http://127.0.0.1:$port: nvmxtop reads a plain nvmxd" || bad "http:// to a plain nvmxd: $(cat "$dir/plain.err")"
stop

# ---- basic auth without TLS ----
printf "basic_auth_users:\n  alice: '%s'\n" "$hash" >"$dir/auth.yml"
start auth --web-config "$dir/auth.yml"
"$NVMXTOP" --connect "127.0.0.1:$port" --credentials "$dir/cred" --json -n 1 -d 0.3 >"$dir/auth.json" 2>"$dir/auth.err" &&
	grep -q "\"source\":\"nvmxd at 127.0.0.1:$port\"" "$dir/auth.json" &&
	ok "basic auth over plain HTTP: nvmxtop reads it" || bad "basic auth over plain HTTP: $(cat "$dir/auth.err")"
"$NVMX" bitmap --live "127.0.0.1:$port" --credentials "$dir/cred" --interval 0.3 >/dev/null 2>"$dir/auth.bm.err" &&
	ok "basic auth over plain HTTP: nvmx bitmap --live reads it" || bad "basic auth over plain HTTP: bitmap: $(cat "$dir/auth.bm.err")"
refused auth_plain_no_credentials "401: nvmxd wants credentials \(see --credentials\)" "127.0.0.1:$port"
stop
finish
