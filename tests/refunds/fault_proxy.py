"""An HTTP fault proxy: the request reaches the server, the reply never reaches the client.

This is the "provider acted, reply lost" fault: the client cannot tell whether its request
was applied. Each request gets its own upstream connection (sent with `Connection: close`),
so one request maps to one reply and the proxy can drop exactly the replies it is told to.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit


def _read_request(client: socket.socket) -> bytes:
    """Read one HTTP/1.1 request (headers and a Content-Length body) from the client."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    kept = [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() not in (b"connection", b"keep-alive"):
            kept.append(line)
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            break
        body += chunk
    kept.append(b"Connection: close")
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


@dataclass
class _Rule:
    method: str
    path: str
    times: int  # replies still to drop


class ReplyDroppingProxy:
    """Forward 127.0.0.1:<port> to `target`; drop the replies of matching requests.

    `drop(method, path, times)`: the next `times` requests whose request line has that method
    and whose path starts with `path` are forwarded, the server's whole reply is read (so
    it has acted), then the client's connection is closed with nothing sent back.
    """

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", int(parts.port or 80))
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self.requests: list[str] = []  # every request line seen, e.g. "POST /v1/refunds"
        self.dropped: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def drop(self, method: str, path: str, times: int = 1) -> None:
        with self._lock:
            self._rules.append(_Rule(method.upper(), path, times))

    def _should_drop(self, method: str, path: str) -> bool:
        with self._lock:
            for rule in self._rules:
                if rule.method == method and path.startswith(rule.path) and rule.times > 0:
                    rule.times -= 1
                    return True
        return False

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            request = _read_request(client)
            if not request:
                return
            method, path = request.split(b" ", 2)[:2]
            line = f"{method.decode()} {path.decode()}"
            drop = self._should_drop(method.decode(), path.decode())
            with self._lock:
                self.requests.append(line)
                if drop:
                    self.dropped.append(line)
            with socket.create_connection(self.target, timeout=10) as upstream:
                upstream.sendall(request)
                reply = b""
                while chunk := upstream.recv(65536):
                    reply += chunk
            if not drop:
                client.sendall(reply)

    def close(self) -> None:
        self._server.close()
