"""Plain HTTP/1.1 exchanges over a socket, for tests that check exact bytes, timing or disconnects."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any, NamedTuple


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str,
    method: str,
    path: str,
    body: bytes | str | dict[str, Any] | list[Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    """One request on a new connection; the whole reply."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    if isinstance(data, str):
        data = data.encode()
    try:
        connection.request(method, path, body=data, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def connect(url: str, timeout: float = 10) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=timeout)


def post_json_raw(url: str, path: str, body: dict[str, Any], timeout: float = 10) -> socket.socket:
    """A socket on which a JSON POST has been sent (the reply is left to read)."""
    data = json.dumps(body).encode()
    sock = connect(url, timeout)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    sock.sendall(head.encode() + data)
    return sock


def read_until(sock: socket.socket, marker: bytes, limit: int = 1 << 20) -> bytes:
    """Bytes from ``sock`` until ``marker`` has arrived (or the peer closed)."""
    data = b""
    while marker not in data and len(data) < limit:
        block = sock.recv(65536)
        if not block:
            break
        data += block
    return data
