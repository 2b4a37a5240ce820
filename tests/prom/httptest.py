# SPDX-License-Identifier: GPL-2.0
"""What the HTTP test and measurement scripts of tests/prom share: reading an answer to its end,
and counting the connections the server refused."""


def read_all(s):
    """Everything the server sends until it closes (socket errors are the caller's)."""
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b


def refused(socks):
    """How many of socks (connected, nothing sent) the server closed: a request on each gets no
    answer. The caller closes them."""
    n = 0
    for s in socks:
        try:
            s.sendall(b"GET /-/healthy HTTP/1.0\r\n\r\n")
            if not s.recv(100):
                n += 1
        except OSError:
            n += 1
    return n
