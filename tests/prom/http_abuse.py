#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""http_abuse.py HOST PORT: nvmxd's HTTP server refuses what it must, with the right status,
counts it in nvmx_http_bad_requests_total, and keeps serving scrapes meanwhile.

One check per line (ok/FAIL); exit 1 if any failed.
"""
import re
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from httptest import refused

HOST, PORT = sys.argv[1], int(sys.argv[2])
failed = 0


def check(what, cond, detail=""):
    global failed
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else f" ({detail})"))
    failed += not cond


def raw(data, src=None, timeout=15):
    s = socket.socket()
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((HOST, PORT))
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


def status(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp)
    return int(m.group(1)) if m else None


def scrape():
    return raw(b"GET /metrics HTTP/1.0\r\n\r\n")


def counter(text, reason):
    m = re.search(rb'^nvmx_http_bad_requests_total\{reason="%s"\} (\d+)$' % reason.encode(),
                  text, re.M)
    return int(m.group(1)) if m else -1


before = scrape()
check("a plain scrape answers 200", status(before) == 200, before[:80])
r = raw(b"THIS IS NOT HTTP\r\n\r\n")
check("a malformed request line gets 400", status(r) == 400, r[:80])
r = raw(b"GET /metrics HTTP/1.1\r\nHost: x\r\nBroken header without colon\r\n\r\n")
check("a malformed header gets 400", status(r) == 400, r[:80])
r = raw(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
check("20 KB of headers get 431", status(r) == 431, r[:80])
r = raw(b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
check("a 20 KB URL gets 414", status(r) == 414, r[:80])
r = raw(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
check("a request with a body gets 413", status(r) == 413, r[:80])
r = raw(b"DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
check("DELETE gets 405", status(r) == 405 and b"Allow: GET, HEAD" in r, r[:200])
r = raw(b"GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
check("an unknown path gets 404", status(r) == 404, r[:80])

# A slow client (slowloris): half a request line, then nothing. The server closes it after its
# 10 s timeout; scrapes from elsewhere are served meanwhile.
slow = socket.socket()
slow.settimeout(30)
slow.connect((HOST, PORT))
slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
t0 = time.monotonic()
mid = scrape()
check("a scrape is served while a slow client holds a connection", status(mid) == 200)
try:
    got = slow.recv(100)
except (socket.timeout, ConnectionResetError):
    got = b"(still open after 30 s)"
elapsed = time.monotonic() - t0
check("the slow client is disconnected within 9-20 s", got == b"" and 9 <= elapsed <= 20,
      f"after {elapsed:.1f} s: {got!r}")
slow.close()

# A flood of idle connections from one address (127.0.0.2) is capped per address: a scrape from
# 127.0.0.1 still gets through while they are open.
flood = []
for _ in range(40):
    s = socket.socket()
    s.settimeout(5)
    s.bind(("127.0.0.2", 0))
    try:
        s.connect((HOST, PORT))
    except OSError:
        pass
    flood.append(s)
time.sleep(0.5)
n_refused = refused(flood)
check("a flood of 40 connections from one address is capped at 16", n_refused >= 20,
      f"{n_refused} refused")
mid2 = scrape()
m = re.search(rb"^nvmx_http_connections_refused_total (\d+)$", mid2, re.M)
check("the refused connections are counted in nvmx_http_connections_refused_total",
      m is not None and int(m.group(1)) >= 20, m.group(0) if m else "not exported")
during = scrape()
check("a scrape from another address is served during the flood", status(during) == 200)
for s in flood:
    s.close()

time.sleep(0.5)
after = scrape()
check("scrapes work after all of it", status(after) == 200)
for reason, n in (("malformed", 2), ("too_large", 3), ("method", 1), ("not_found", 1),
                  ("timeout", 1)):
    got = counter(after, reason) - max(counter(before, reason), 0)
    check(f'nvmx_http_bad_requests_total{{reason="{reason}"}} grew by >= {n}', got >= n,
          f"grew by {got}")
print(f"{failed} failed")
sys.exit(1 if failed else 0)
