#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""http_latency.py OPEN_PORT AUTH_PORT USER PASSWORD: latencies of nvmxd's /metrics for
docs/perf.md, side by side in one run (a measurement, not a test: nothing is asserted).

OPEN_PORT: an nvmxd without basic auth; AUTH_PORT: one with basic auth, both on 127.0.0.1, plain
HTTP. Each row: N sequential requests (HTTP/1.0, a new connection each), median and p90 in ms:
  open            /metrics without auth
  auth cached     the right password, verified once before (the cache answers)
  auth uncached   a new wrong password each time for the known user: a bcrypt check, as the
                  right password's first request costs
  unknown user    a new password each time for an unknown user (should match the row above)
  auth cached, flood  the right password while 24 clients from 127.0.0.2..5 send new wrong
                  passwords (bounded: 15 s)
"""
import base64
import socket
import statistics
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from httptest import read_all

OPEN, AUTH, USER, PASS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]


def get(port, user=None, password=None, src=None):
    s = socket.socket()
    s.settimeout(60)
    if src:
        s.bind((src, 0))
    t0 = time.perf_counter()
    s.connect(("127.0.0.1", port))
    hdr = b""
    if user is not None:
        hdr = b"Authorization: Basic " + base64.b64encode(f"{user}:{password}".encode()) + b"\r\n"
    s.sendall(b"GET /metrics HTTP/1.0\r\n" + hdr + b"\r\n")
    out = read_all(s)
    s.close()
    return (time.perf_counter() - t0) * 1000, out[9:12]


def row(name, samples, want):
    ms = [t for t, st in samples]
    bad = sum(st != want for t, st in samples)
    q = statistics.quantiles(ms, n=10)
    print(f"| {name} | {len(ms)} | {statistics.median(ms):.2f} | {q[8]:.2f} |"
          + (f" {bad} not {want.decode()} |" if bad else f" all {want.decode()} |"))


print("| request | n | median ms | p90 ms | status |\n|---|---|---|---|---|")
get(AUTH, USER, PASS)
row("open /metrics", [get(OPEN) for _ in range(200)], b"200")
row("auth, cached", [get(AUTH, USER, PASS) for _ in range(200)], b"200")
row("auth, uncached (bcrypt)", [get(AUTH, USER, f"w{i}") for i in range(40)], b"401")
row("unknown user (dummy bcrypt)", [get(AUTH, "nobody", f"u{i}") for i in range(40)], b"401")

stop = threading.Event()
flood_n = [0]


def flood(k):
    i = 0
    while not stop.is_set():
        try:
            get(AUTH, USER, f"flood-{k}-{i}", src=f"127.0.0.{2 + k % 4}")
            flood_n[0] += 1
        except OSError:
            time.sleep(0.05)
        i += 1


ts = [threading.Thread(target=flood, args=(k,), daemon=True) for k in range(24)]
for t in ts:
    t.start()
time.sleep(1)
samples = []
t_end = time.monotonic() + 14
while time.monotonic() < t_end:
    samples.append(get(AUTH, USER, PASS))
    time.sleep(0.05)
stop.set()
row(f"auth, cached, 24-client wrong-password flood ({flood_n[0]} refused in 15 s)", samples,
    b"200")
for t in ts:
    t.join(70)
