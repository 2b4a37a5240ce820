#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""http_starve.py HOST PORT USER PASSWORD PID: nvmxd with basic auth keeps answering valid
scrapes while 32 connections trickle one byte every 2 s (8 each from 127.0.0.2..127.0.0.5) and
4 clients from 127.0.0.1 send wrong passwords, each a new one (issue 16, item 9).

Checked: every valid scrape from 127.0.0.1 is answered 200; the trickling connections are closed
by the server (the request deadline; an idle timeout never closes them); connections over the
per-address limit are refused and counted in nvmx_http_connections_refused_total; nvmxd's RSS
stays flat over 1500 more requests. No latency is asserted (docs/perf.md has the figures).
Loopback only, bounded in count and time (about 40 s); stops by itself.

One check per line (ok/FAIL); exit 1 if any failed.
"""
import base64
import re
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from httptest import read_all, refused

HOST, PORT, USER, PASS, PID = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
TRICKLE_FROM = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
PER_ADDR = 8  # trickling connections from each address
PER_ADDR_LIMIT = 16  # nvmxd's (NVMXD_HTTP_PER_IP_LIMIT)
failed = 0


def check(what, cond, detail=""):
    global failed
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else f" ({detail})"))
    sys.stdout.flush()
    failed += not cond


def auth(user, password):
    return b"Authorization: Basic " + base64.b64encode(f"{user}:{password}".encode()) + b"\r\n"


def get(path=b"/metrics", user=USER, password=PASS, src=None, timeout=30):
    """One request; the status (None when refused or unanswered) and the body."""
    s = socket.socket()
    s.settimeout(timeout)
    try:
        if src:
            s.bind((src, 0))
        s.connect((HOST, PORT))
        s.sendall(b"GET " + path + b" HTTP/1.0\r\n" + auth(user, password) + b"\r\n")
        out = read_all(s)
    except OSError:
        return None, b""
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", out)
    return (int(m.group(1)) if m else None), out


def counter(text, name):
    m = re.search(rb"^%s (\d+)$" % name.encode(), text, re.M)
    return int(m.group(1)) if m else -1


def rss_kib():
    with open(f"/proc/{PID}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M).group(1))


st, before = get()
check("a valid scrape answers 200 before", st == 200, st)
refused_before = counter(before, "nvmx_http_connections_refused_total")
check("nvmx_http_connections_refused_total is exported", refused_before >= 0)

# ---- 32 trickling connections ----
stop = threading.Event()
closed_by_server = []
lock = threading.Lock()


def trickle_loop(src):
    # one byte, then wait for 2 s (the recv timeout is short: 2 s between bytes)
    s = socket.socket()
    s.settimeout(2)
    try:
        s.bind((src, 0))
        s.connect((HOST, PORT))
    except OSError:
        return
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    for i in range(len(req)):
        if stop.is_set():
            break
        try:
            s.sendall(req[i:i + 1])
            if s.recv(1) == b"":
                with lock:
                    closed_by_server.append(src)
                break
        except socket.timeout:
            continue
        except OSError:
            with lock:
                closed_by_server.append(src)
            break
    s.close()


tricklers = [threading.Thread(target=trickle_loop, args=(src,), daemon=True)
             for src in TRICKLE_FROM for _ in range(PER_ADDR)]
for t in tricklers:
    t.start()
time.sleep(1)

# ---- past the per-address limit while the tricklers hold theirs: refused and counted ----
extra = []
for _ in range(PER_ADDR_LIMIT - PER_ADDR + 4):
    s = socket.socket()
    s.settimeout(5)
    s.bind((TRICKLE_FROM[0], 0))
    try:
        s.connect((HOST, PORT))
        extra.append(s)
    except OSError:
        pass
time.sleep(0.5)
over = refused(extra)
for s in extra:
    s.close()
check("connections past 16 from an address with 8 trickling are refused (4)", over == 4,
      f"{over} refused")

# ---- a wrong-password flood from 4 clients, each password new ----
flood_n = [0]


def flood(k):
    i = 0
    while not stop.is_set() and i < 2000:
        st, _ = get(b"/metrics", USER, f"wrong-{k}-{i}")
        if st == 401:
            with lock:
                flood_n[0] += 1
        i += 1


flooders = [threading.Thread(target=flood, args=(k,), daemon=True) for k in range(4)]
for t in flooders:
    t.start()

# ---- valid scrapes meanwhile, for 20 s ----
answered = unanswered = 0
statuses = []
t_end = time.monotonic() + 20
while time.monotonic() < t_end:
    st, _ = get()
    statuses.append(st)
    if st == 200:
        answered += 1
    else:
        unanswered += 1
    time.sleep(0.2)
check(f"every valid scrape during the trickle and the flood is answered 200 "
      f"({answered} of {len(statuses)})", unanswered == 0 and answered > 0,
      f"statuses {sorted(set(map(str, statuses)))}")
check("the wrong passwords were refused with 401 meanwhile", flood_n[0] > 0, flood_n[0])
with lock:
    n_closed = len(closed_by_server)
check("the 32 trickling connections were closed by the server (request deadline)",
      n_closed == 32, f"{n_closed} closed")
stop.set()
for t in flooders + tricklers:
    t.join(15)

st, after = get()
check("a valid scrape answers 200 after", st == 200, st)
refused_after = counter(after, "nvmx_http_connections_refused_total")
check("the refused connections are counted", refused_after - refused_before >= 4,
      f"{refused_before} -> {refused_after}")

# ---- RSS flat: 300 requests to warm up, then 1500 more ----
for _ in range(300):
    get()
r0 = rss_kib()
for i in range(1500):
    # one in 20 a wrong password: a bcrypt check each (refusals are not cached)
    get() if i % 20 else get(b"/metrics", USER, "wrong")
r1 = rss_kib()
check(f"RSS flat over 1500 requests ({r0} -> {r1} KiB)", r1 - r0 < 4096, f"{r1 - r0} KiB more")
print(f"{failed} failed")
sys.exit(1 if failed else 0)
