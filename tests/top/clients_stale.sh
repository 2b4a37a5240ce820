#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmxtop --connect when nvmxd is slow or absent, without root (label unit): a small Python server
# serves a real nvmxd document (tests/fuzz/corpus/top_nvmxd/real-7.3-lab.json, from a lab run) at
# /api/v1/summary, and stops answering while a file exists.
#   - nothing listens at the first fetch: nvmxtop -b says "stale since HH:MM:SS: ... connection
#     refused", tries again after 1, 2 .. s, and reads nvmxd once it listens (exit 0);
#   - the full-screen display in tmux: the server stops answering, the header says "stale since
#     HH:MM:SS: ... timed out after 1 s" with the last numbers still on screen; it answers
#     again, the header is fresh again; nvmxtop never exits meanwhile;
#   - settings refused before any fetch, exit 2 and one line: a credentials file others can read,
#     a missing --ca-file, an address that is none (nvmxtop and nvmx bitmap --live).
# (tests/top/clients_tls.sh, label bpf, does TLS and basic auth against a real nvmxd.)
#
# usage: clients_stale.sh NVMXTOP NVMX DOC OUT
set -u
NVMXTOP=$1 NVMX=$2 DOC=$3 OUT=$4
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tally.sh"
rm -rf "$OUT"
mkdir -p "$OUT"
dir=$OUT
sock=nvmxtop-stale-$$
tm() { tmux -L "$sock" -f /dev/null "$@" 2>/dev/null; }
srv= top=
cleanup() {
	rm -f "$dir/hang"
	[ -n "$top" ] && kill "$top" 2>/dev/null
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	tm kill-server
}
trap cleanup EXIT

# serve PORT: the document at 127.0.0.1:PORT (0: any free port, written to $dir/port)
serve() {
	rm -f "$dir/port"
	python3 - "$DOC" "$dir" "$1" <<'EOF' &
import http.server, os, sys, time
doc = open(sys.argv[1], "rb").read()
d = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        # while d/hang exists, no answer: a slow nvmxd
        while os.path.exists(os.path.join(d, "hang")):
            time.sleep(0.05)
        self.send_response(200 if self.path == "/api/v1/summary" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(doc)))
        try:
            self.end_headers()
            self.wfile.write(doc)
        except OSError:
            pass  # nvmxtop gave up waiting (its --timeout) and closed the connection
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[3])), H)
s.daemon_threads = True
open(os.path.join(d, "port.tmp"), "w").write(str(s.server_address[1]))
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
s.serve_forever()
EOF
	srv=$!
	for _ in $(seq 100); do [ -f "$dir/port" ] && break; sleep 0.05; done
	port=$(cat "$dir/port" 2>/dev/null)
	[ -n "$port" ] || { bad "the Python server did not start"; finish; }
}

# ---- nothing listens at the first fetch: retried, then read ----
serve 0
kill "$srv"
wait "$srv" 2>/dev/null
srv=
# the port the server had is free now (nothing else binds to it in these few seconds)
"$NVMXTOP" --connect "127.0.0.1:$port" -b -n 2 -d 0.3 >"$dir/first.txt" 2>"$dir/first.err" &
top=$!
sleep 3.5
kill -0 "$top" 2>/dev/null && ok "nothing listens: nvmxtop waits" || bad "nothing listens: nvmxtop exited: $(cat "$dir/first.err")"
check "stale since HH:MM:SS: connection refused, tried again after 1 then 2 s" python3 -c '
import re, sys
lines = open(sys.argv[1]).read().splitlines()
pat = r"^nvmxtop: stale since \d\d:\d\d:\d\d: nvmxd at 127\.0\.0\.1:%s: connection refused \(start it with .*\); trying again in (\d+) s$" % sys.argv[2]
got = [int(re.match(pat, l).group(1)) for l in lines]
assert got[:2] == [1, 2], lines
' "$dir/first.err" "$port"
serve "$port"
for _ in $(seq 100); do kill -0 "$top" 2>/dev/null || break; sleep 0.1; done
wait "$top"
st=$?
top=
[ "$st" = 0 ] && ok "nvmxd listens: nvmxtop reads it, exit 0" || bad "nvmxd listens: exit $st: $(tail -2 "$dir/first.err")"
[ "$(grep -c '^nvmxtop  refresh' "$dir/first.txt")" = 2 ] && grep -q '^nvmx-lab-workload (pid 674)' "$dir/first.txt" &&
	ok "two refreshes with the document's VM" || bad "the output: $(head -5 "$dir/first.txt")"

# ---- the full-screen display: stale, then fresh again ----
tm new-session -d -s top -x 160 -y 30 \
	"TERM=xterm $NVMXTOP --connect 127.0.0.1:$port --timeout 1 -d 0.3 --no-color 2>$dir/tui.err; echo nvmxtop exited \$?; sleep 30"
screen() { tm capture-pane -p -t top; }
wait_for() { # SECONDS TEXT (grep -E)
	for _ in $(seq $(($1 * 10))); do
		screen | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
wait_for 10 "^nvmxtop  refresh [1-9]" && ok "TUI: refreshes" || bad "TUI: no refresh: $(screen | head -3)"
touch "$dir/hang"
wait_for 10 "^nvmxtop  stale since [0-9][0-9]:[0-9][0-9]:[0-9][0-9]: nvmxd at 127\.0\.0\.1:$port: timed out after 1 s  refresh" &&
	ok "TUI: the server stops answering: the header says stale since when and why" ||
	bad "TUI: no stale header: $(screen | head -3)"
screen | grep -q "nvmx-lab-workload" && ok "TUI: the last numbers stay" || bad "TUI: the VM row went away"
sleep 3
screen | grep -q "^nvmxtop exited" && bad "TUI: nvmxtop exited: $(cat "$dir/tui.err")" || ok "TUI: still running, stale"
rm -f "$dir/hang"
wait_for 15 "^nvmxtop  refresh [1-9]" && ok "TUI: the server answers again: fresh (no stale in the header)" ||
	bad "TUI: still stale 15 s after the server answers: $(screen | head -2)"
tm send-keys -t top q
wait_for 5 "^nvmxtop exited 0" && ok "TUI: q: exit 0" || bad "TUI: q: $(screen | tail -3)"
kill "$srv"
srv=

# ---- settings refused before any fetch: exit 2, one line ----
printf 'alice:s3cret\n' >"$dir/cred.open"
chmod 644 "$dir/cred.open"
printf 'alice\n' >"$dir/cred.nocolon"
chmod 600 "$dir/cred.nocolon"
printf 'alice:a\nbob:b\n' >"$dir/cred.two"
chmod 600 "$dir/cred.two"
# refused NAME EXPECTED ADDRESS ARGS...: both clients exit 2 with the one line EXPECTED (grep -E)
refused() {
	local name=$1 expected=$2 addr=$3 st
	shift 3
	"$NVMXTOP" --connect "$addr" -b -n 1 "$@" >/dev/null 2>"$dir/$name.top"
	st=$?
	[ "$st" = 2 ] && [ "$(wc -l <"$dir/$name.top")" = 1 ] && grep -Eq "^nvmxtop: $expected\$" "$dir/$name.top" &&
		ok "$name: nvmxtop exit 2: $(cat "$dir/$name.top")" || bad "$name: nvmxtop exit $st: $(cat "$dir/$name.top")"
	"$NVMX" bitmap --live "$addr" "$@" >/dev/null 2>"$dir/$name.bm"
	st=$?
	[ "$st" = 2 ] && [ "$(wc -l <"$dir/$name.bm")" = 1 ] && grep -Eq "^nvmx bitmap: $expected\$" "$dir/$name.bm" &&
		ok "$name: nvmx bitmap exit 2: $(cat "$dir/$name.bm")" || bad "$name: nvmx bitmap exit $st: $(cat "$dir/$name.bm")"
}
a=127.0.0.1:$port
refused open_credentials "--credentials .*/cred\.open: readable by every user \(mode 0644\): chmod o-r .*" \
	"$a" --credentials "$dir/cred.open"
refused no_colon "--credentials .*/cred\.nocolon: expected one line USER:PASSWORD" "$a" --credentials "$dir/cred.nocolon"
refused two_lines "--credentials .*/cred\.two: more than one line \(expected one line USER:PASSWORD\)" \
	"$a" --credentials "$dir/cred.two"
refused no_credentials_file "--credentials $dir/none: No such file or directory" "$a" --credentials "$dir/none"
refused missing_ca "--ca-file $dir/none\.pem: No such file or directory" "https://$a" --ca-file "$dir/none.pem"
refused scheme "--(connect|live) ftp://$a: expected HOST:PORT, http://HOST:PORT or https://HOST:PORT, e\.g\. 127\.0\.0\.1:9477" "ftp://$a"
refused bare_v6 "--(connect|live) ::1:9477: expected HOST:PORT, http://HOST:PORT or https://HOST:PORT, e\.g\. 127\.0\.0\.1:9477" "::1:9477"
finish
