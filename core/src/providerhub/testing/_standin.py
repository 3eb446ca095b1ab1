"""StandIn: a loopback HTTP/1.1 server that answers each request the way a check scripted it.

It runs on its own event loop in a daemon thread, so sync code, any event loop and
subprocesses can all talk to it, and it outlives the loop of the client under test (which is
how a check sees whether that client closed its connections). It speaks plain HTTP on the
standard library alone: statuses, headers, bodies, chunked bodies (SSE is a chunked body),
delays, held connections and resets are whatever the script says, byte for byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Union

HOST = "127.0.0.1"
MAX_HEAD = 64 * 1024
"""Bytes a request line and its headers may take."""
MAX_BODY = 16 * 1024 * 1024
"""Bytes a request body may take."""
MAX_WAIT = 30.0
"""Seconds any delay or hold lasts at most, so a forgotten script never hangs a test run."""

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class Request(NamedTuple):
    """One request as the server read it."""

    method: str
    target: str
    """The request target as sent, e.g. ``/v1/chat/completions?x=1``."""
    headers: Mapping[str, str]
    """Header names lower-cased (a repeated header keeps its last value)."""
    body: bytes

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.partition("?")[0]

    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class Reply:
    """How to answer one request.

    ``body`` is sent with a ``Content-Length``; ``chunks``, when given, with
    ``Transfer-Encoding: chunked``, one HTTP chunk each, ``chunk_delay`` seconds apart.
    ``delay`` waits before the status line; ``reset`` resets the connection (TCP RST) instead of
    answering; ``hold_after=n`` sends the first ``n`` chunks, then holds the response open
    until ``StandIn.release()`` or the client leaves. Every wait ends early when the client
    goes away, and after ``MAX_WAIT`` seconds at most.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | str = b""
    chunks: Sequence[bytes | str] | None = None
    chunk_delay: float = 0.0
    delay: float = 0.0
    reset: bool = False
    hold_after: int | None = None

    @classmethod
    def json(cls, data: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """``data`` as an ``application/json`` body."""
        return cls(status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(data))

    @classmethod
    def sse(
        cls,
        events: Sequence[object],
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        chunk_delay: float = 0.0,
    ) -> Reply:
        """Server-sent events, one ``data:`` event per chunk; a non-string event is sent as JSON."""
        chunks = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
        all_headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **(headers or {})}
        return cls(status, all_headers, chunks=chunks, chunk_delay=chunk_delay)

    @classmethod
    def html(cls, status: int, title: str, text: str) -> Reply:
        """An HTML error page, as a proxy or a web server in front of an API sends one."""
        page = (
            f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n"
            f"<body><h1>{title}</h1><p>{text}</p></body></html>\n"
        )
        return cls(status, {"Content-Type": "text/html; charset=utf-8"}, page)


Script = Union[Reply, Callable[[Request], Reply]]
"""What answers a request: a fixed reply, or a function of the request."""

_DEFAULT = Reply(404, {"Content-Type": "application/json"}, '{"error": "no reply scripted for this request"}')


def _bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)


def _accepting(task: asyncio.Task[object]) -> bool:
    """Whether ``task`` is asyncio accepting a connection (``_accept_connection2``)."""
    return str(getattr(task.get_coro(), "__qualname__", "")).endswith("_accept_connection2")


class _Gone(Exception):
    """The client went away while the server waited."""


class StandIn:
    """A running loopback server: its base ``url``, the ``requests`` it got, and how it answers.

    ``with StandIn() as server:`` (or ``async with``) starts it; ``server.respond(script)`` sets
    how the following requests are answered (a ``Reply``, or a function of the ``Request``).
    """

    def __init__(self, script: Script = _DEFAULT, *, host: str = HOST, port: int = 0) -> None:
        self.url = ""
        """The base URL, ``http://127.0.0.1:PORT``, without a trailing slash."""
        self.requests: list[Request] = []
        """Every complete request received, oldest first."""
        self.connections = 0
        """TCP connections ever accepted."""
        self.disconnects = 0
        """Responses the client abandoned before they were complete."""
        self._script: Script = script
        self._host, self._port = host, port
        self._open: set[asyncio.StreamWriter] = set()
        self._answering = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._release: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    # -- scripting and state ---------------------------------------------------------------------

    def respond(self, script: Script) -> None:
        """Answer the following requests with ``script``."""
        self._script = script

    def release(self) -> None:
        """Let every held response (``hold_after``) send the rest of its chunks."""
        loop, event = self._loop, self._release
        if loop is not None and event is not None:
            loop.call_soon_threadsafe(event.set)

    @property
    def open_connections(self) -> int:
        """TCP connections open right now."""
        return len(self._open)

    @property
    def answering(self) -> int:
        """Responses started and not finished (held, delayed or being sent) right now."""
        return self._answering

    async def until(self, condition: Callable[[StandIn], bool], timeout: float) -> bool:
        """Wait (polling, on the caller's loop) until ``condition(self)`` holds; ``False`` after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def wait(self, condition: Callable[[StandIn], bool], timeout: float) -> bool:
        """``until`` for sync code."""
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> StandIn:
        """Start serving in a daemon thread; returns once ``url`` is set."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self._main(ready))
            except BaseException as exc:  # handed to the starting thread below
                failure.append(exc)
            finally:
                ready.set()

        self._thread = threading.Thread(target=run, name="providerhub-standin", daemon=True)
        self._thread.start()
        ready.wait()
        if failure or not self.url:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"the StandIn server did not start: {failure[0] if failure else 'unknown'!r}")
        return self

    def close(self) -> None:
        """Stop serving and close every connection."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=MAX_WAIT)

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> StandIn:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop, self._release = asyncio.Event(), asyncio.Event()
        server = await asyncio.start_server(self._serve, self._host, self._port, limit=MAX_HEAD)
        host, port = server.sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        ready.set()
        try:
            await self._stop.wait()
        finally:
            # A connection still being accepted when the server closes is leaked by asyncio (its
            # transport cannot attach to a closed server): let those finish first.
            for _ in range(100):
                if not any(_accepting(task) for task in asyncio.all_tasks()):
                    break
                await asyncio.sleep(0)
            server.close()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 2.0

            def handlers() -> list[asyncio.Task[object]]:
                return [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]

            while handlers() and loop.time() < deadline:  # a connection accepted just now is caught next round
                for writer in list(self._open):
                    writer.transport.abort()
                await asyncio.sleep(0.01)
            for task in handlers():
                task.cancel()
            await asyncio.gather(*handlers(), return_exceptions=True)
            await server.wait_closed()

    # -- serving ---------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._open.add(writer)
        try:
            while True:
                request = await self._read(reader, writer)
                if request is None:
                    break
                self.requests.append(request)
                script = self._script
                try:
                    reply = script(request) if callable(script) else script
                except Exception as exc:  # a faulty script answers 500 and says why
                    reply = Reply(500, {"Content-Type": "text/plain"}, f"StandIn script failed: {exc!r}")
                if reply.reset:
                    self._reset(writer)
                    return
                self._answering += 1
                try:
                    await self._send(reply, reader, writer)
                except (_Gone, ConnectionError):
                    self.disconnects += 1
                    return
                finally:
                    self._answering -= 1
                if request.headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:  # the server is shutting down; ending quietly is the point
            pass
        finally:
            self._open.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request | None:
        """The next request on the connection; ``None`` at a clean end of the connection."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._read_chunked(reader)
        else:
            length = int(headers.get("content-length", "0") or 0)
            if not 0 <= length <= MAX_BODY:
                raise ValueError(f"request body of {length} bytes")
            body = await reader.readexactly(length)
        return Request(method, target, headers, body)

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                return bytes(body)
            if len(body) + size > MAX_BODY:
                raise ValueError("request body too large")
            body += await reader.readexactly(size)
            await reader.readexactly(2)

    @staticmethod
    def _reset(writer: asyncio.StreamWriter) -> None:
        """Close with a TCP RST: linger on, zero seconds."""
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    @staticmethod
    def _gone(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        return writer.transport.is_closing() or reader.at_eof() or reader.exception() is not None

    async def _pause(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seconds: float | None) -> None:
        """Wait ``seconds`` (``None``: until released); raise ``_Gone`` as soon as the client leaves."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(MAX_WAIT if seconds is None else seconds, MAX_WAIT)
        release = self._release
        while loop.time() < deadline:
            if self._gone(reader, writer):
                raise _Gone
            if seconds is None and release is not None and release.is_set():
                return
            await asyncio.sleep(min(0.01, max(deadline - loop.time(), 0)))
        if self._gone(reader, writer):
            raise _Gone

    async def _send(self, reply: Reply, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if reply.delay > 0:
            await self._pause(reader, writer, reply.delay)
        headers = {key.lower(): (key, value) for key, value in reply.headers.items()}
        chunked = reply.chunks is not None
        body = b"" if chunked else _bytes(reply.body)
        if chunked:
            headers.setdefault("transfer-encoding", ("Transfer-Encoding", "chunked"))
        else:
            headers.setdefault("content-length", ("Content-Length", str(len(body))))
        reason = _REASONS.get(reply.status, "Status")
        head = [f"HTTP/1.1 {reply.status} {reason}", *(f"{k}: {v}" for k, v in headers.values())]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if not chunked:
            writer.write(body)
            await writer.drain()
            return
        await writer.drain()
        for i, chunk in enumerate(reply.chunks or ()):
            if reply.hold_after is not None and i == reply.hold_after:
                await self._pause(reader, writer, None)
            elif i and reply.chunk_delay > 0:
                await self._pause(reader, writer, reply.chunk_delay)
            data = _bytes(chunk)
            if data:
                writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                await writer.drain()
        if reply.hold_after is not None and reply.hold_after >= len(reply.chunks or ()):
            await self._pause(reader, writer, None)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
