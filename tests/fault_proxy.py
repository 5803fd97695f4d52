"""A fault-injecting HTTP/1.1 proxy for the EHR tests (our own; loopback only).

Sits between Scribe's FHIR client and a real server and, per request, by a seeded random script:

* ``pass``  — forward untouched
* ``slow``  — wait a little (less than the client timeout), then forward
* ``drop``  — close the connection without forwarding (nothing reaches the server)
* ``hold``  — keep the connection open past the client's timeout, never forward
* ``500`` / ``503`` / ``429`` — answer by itself (HTML error page, OperationOutcome, Retry-After)
* ``cut``   — forward, let the server commit, then send only half of its answer and close
* ``late``  — forward, let the server commit, then hold the answer past the client timeout and close

``cut`` and ``late`` are the dangerous ones: the server has filed the note but the client never
learns it, so only conditional create keeps the retry from filing it twice. The proxy counts what
it did (``stats``) including how many POSTs the server answered 201 whose answer was lost.

One request per client connection (the proxy answers ``Connection: close``), a fresh upstream
connection per forwarded request.
"""

from __future__ import annotations

import random
import socket
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Callable

FAULTS = ("pass", "slow", "drop", "hold", "500", "503", "429", "cut", "late")


def _read_request(sock: socket.socket) -> tuple[bytes, bytes, bytes] | None:
    """(request line, header block, body) or None if the client closed."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    line, _, headers = head.partition(b"\r\n")
    length = 0
    for h in headers.split(b"\r\n"):
        k, _, v = h.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return line, headers, rest[:length]


def _canned(status: int, reason: str, body: bytes, ctype: str, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        f"{extra}Connection: close\r\n\r\n"
    ).encode() + body


CANNED = {
    "500": _canned(
        500,
        "Internal Server Error",
        b'{"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"exception",'
        b'"diagnostics":"database connection pool exhausted"}]}',
        "application/fhir+json",
    ),
    "503": _canned(
        503,
        "Service Unavailable",
        b"<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>"
        b"<body><h1>Service Temporarily Unavailable</h1><hr>nginx</body></html>",
        "text/html",
    ),
    "429": _canned(
        429,
        "Too Many Requests",
        b'{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"throttled",'
        b'"diagnostics":"rate limit exceeded"}]}',
        "application/fhir+json",
        "Retry-After: 0\r\n",
    ),
}


class FaultProxy:
    """``FaultProxy(upstream_host, upstream_port, weights, hold_s, seed)``; ``.url_for(base)`` maps a base URL."""

    def __init__(
        self,
        upstream: tuple[str, int],
        weights: dict[str, float],
        *,
        hold_s: float = 1.0,
        slow_s: float = 0.05,
        seed: int = 5,
        decide: Callable[[bytes], str] | None = None,
    ):
        self.upstream = upstream
        self.weights = weights
        self.hold_s = hold_s
        self.slow_s = slow_s
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.stats: Counter = Counter()
        self._decide = decide
        self.enabled = True
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                proxy._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 64

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url_for(self, base_url: str) -> str:
        path = base_url.split("/", 3)[3] if base_url.count("/") >= 3 else ""
        return f"http://127.0.0.1:{self.port}/{path}"

    def choose(self, line: bytes) -> str:
        if not self.enabled:
            return "pass"
        if self._decide is not None:
            return self._decide(line)
        with self.lock:
            names = list(self.weights)
            return self.rng.choices(names, [self.weights[n] for n in names])[0]

    def _count(self, *keys: str) -> None:
        with self.lock:
            for k in keys:
                self.stats[k] += 1

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(30)
        try:
            req = _read_request(client)
        except OSError:
            return
        if req is None:
            return
        line, headers, body = req
        method = line.split(b" ", 1)[0].decode()
        fault = self.choose(line)
        self._count("requests", f"fault:{fault}", f"{method}:{fault}")
        try:
            if fault == "drop":
                return
            if fault == "hold":
                time.sleep(self.hold_s)
                return
            if fault in CANNED:
                client.sendall(CANNED[fault])
                return
            if fault == "slow":
                time.sleep(self.slow_s)
            answer = self._forward(line, headers, body)
            status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "?"
            if fault == "cut":
                head, _, rest = answer.partition(b"\r\n\r\n")
                client.sendall(head + b"\r\n\r\n" + rest[: max(1, len(rest) // 2)])
                self._count(f"lost-answer:{method}:{status}")
                return
            if fault == "late":
                time.sleep(self.hold_s)
                self._count(f"lost-answer:{method}:{status}")
                return
            client.sendall(answer)
        except OSError:
            pass
        finally:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()

    def _forward(self, line: bytes, headers: bytes, body: bytes) -> bytes:
        kept = [h for h in headers.split(b"\r\n") if h and h.split(b":", 1)[0].strip().lower() != b"connection"]
        request = line + b"\r\n" + b"\r\n".join(kept + [b"Connection: close"]) + b"\r\n\r\n" + body
        with socket.create_connection(self.upstream, timeout=30) as up:
            up.sendall(request)
            chunks = []
            while True:
                data = up.recv(65536)
                if not data:
                    break
                chunks.append(data)
        answer = b"".join(chunks)
        head, sep, rest = answer.partition(b"\r\n\r\n")
        lines = [h for h in head.split(b"\r\n") if h.split(b":", 1)[0].strip().lower() != b"connection"]
        return b"\r\n".join(lines + [b"Connection: close"]) + sep + rest
