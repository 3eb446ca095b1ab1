"""A local stand-in for the Dynaspark service: a real aiohttp server on 127.0.0.1.

It speaks the service's wire format (``POST /generate_response``, a multipart form with
``user_input``, ``ai_model`` and an optional ``file`` part), checks the fields the way the
service needs them, answers ``{"response": ...}`` and records every request, so tests
exercise the real client end to end without leaving the machine.

Use ``async with standin() as server`` in async code (same loop as the client), or
``with serve_in_thread() as server`` from sync code and for subprocesses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from aiohttp import BodyPartReader, web

from support.threads import serve_in_thread as _serve_in_thread

PATH = "/generate_response"
HOST = "127.0.0.1"


class Received(NamedTuple):
    """One request as the server read it (missing fields are empty strings)."""

    user_input: str
    ai_model: str
    file: tuple[str, str, bytes] | None
    """``(filename, content_type, data)`` of the ``file`` part, if one came."""
    headers: dict[str, str]
    """Request headers, names lower-cased."""


@dataclass(frozen=True)
class _Reply:
    status: int = 200
    json: object | None = None
    body: str | bytes | None = None
    content_type: str | None = None
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


class Standin:
    """A running stand-in server: its endpoint ``url``, what it ``requests`` it got, and how it answers."""

    def __init__(self) -> None:
        self.url = ""
        """The full endpoint URL, e.g. ``http://127.0.0.1:PORT/generate_response``."""
        self.requests: list[Received] = []
        """Every request that reached the endpoint, oldest first."""
        self.peers: list[tuple[str, int]] = []
        """The client address of each request in ``requests`` (one port per TCP connection)."""
        self.disconnects = 0
        """How many delayed requests the client abandoned before the answer was sent."""
        self._reply = _Reply()
        self._runner: web.AppRunner | None = None

    def respond_with(
        self,
        *,
        status: int = 200,
        json: object | None = None,
        body: str | bytes | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the following requests with this: ``json`` as JSON, else ``body`` as is, else
        the default echo; after waiting ``delay`` seconds (a client that gives up is noticed).
        ``headers`` are added to the answer (``Content-Encoding: gzip`` sends ``body`` as given)."""
        self._reply = _Reply(status, json, body, content_type, delay, tuple((headers or {}).items()))

    @property
    def open_connections(self) -> int:
        """TCP connections from clients the server holds open right now."""
        server = self._runner.server if self._runner is not None else None
        return len(server.connections) if server is not None else 0

    async def start(self, host: str = HOST, port: int = 0) -> Standin:
        """Listen on ``host:port`` (port 0 picks a free one) and set ``url``."""
        app = web.Application()
        app.router.add_post(PATH, self._handle)
        runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        sockname = runner.addresses[0]
        self.url = f"http://{sockname[0]}:{sockname[1]}{PATH}"
        return self

    async def close(self) -> None:
        """Stop listening and close every connection."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Standin:
        """Start (unless already started) for ``async with Standin() as server:``."""
        return self if self._runner is not None else await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @staticmethod
    async def _read_form(request: web.Request) -> tuple[dict[str, str], tuple[str, str, bytes] | None, str]:
        """The text fields, the file part and what is wrong with the form ("" when nothing)."""
        fields: dict[str, str] = {}
        file: tuple[str, str, bytes] | None = None
        problem = ""
        if request.content_type == "application/x-www-form-urlencoded":  # what browsers send without a file
            form = await request.post()
            return {key: str(value) for key, value in form.items()}, None, ""
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    problem = "nested multipart parts are not accepted"
                    continue
                if part.name == "file":
                    content_type = part.headers.get("Content-Type", "")
                    file = (part.filename or "", content_type, bytes(await part.read()))
                    if not part.filename:
                        problem = "the file part has no filename"
                    elif not content_type:
                        problem = "the file part has no content type"
                else:
                    fields[part.name or ""] = await part.text()
        except (AssertionError, ValueError, KeyError) as exc:
            problem = f"expected a multipart/form-data body ({type(exc).__name__}: {exc})"
        return fields, file, problem

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fields, file, problem = await self._read_form(request)
        received = Received(
            fields.get("user_input", ""),
            fields.get("ai_model", ""),
            file,
            {key.lower(): value for key, value in request.headers.items()},
        )
        self.requests.append(received)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.peers.append((str(peer[0]), int(peer[1])) if peer else ("", 0))
        missing = [key for key in ("user_input", "ai_model") if not fields.get(key)]
        if not problem and missing:
            problem = f"missing field {', '.join(missing)}"
        reply = self._reply
        if reply.delay > 0 and not await self._wait(request, reply.delay):
            self.disconnects += 1
            return web.Response(status=499)  # nobody is listening any more
        if problem:
            return web.json_response({"error": problem}, status=400)
        if reply.json is not None:
            return web.json_response(reply.json, status=reply.status, headers=dict(reply.headers))
        if reply.body is not None:
            data = reply.body.encode() if isinstance(reply.body, str) else reply.body
            default = "text/plain; charset=utf-8" if isinstance(reply.body, str) else "application/octet-stream"
            headers = {"Content-Type": reply.content_type or default, **dict(reply.headers)}
            return web.Response(status=reply.status, body=data, headers=headers)
        text = f"echo[{received.ai_model}]: {received.user_input}"
        if file is not None:
            text += f" [file {file[0]}]"
        return web.json_response({"response": text}, status=reply.status)

    @staticmethod
    async def _wait(request: web.Request, delay: float) -> bool:
        """Sleep ``delay`` seconds; ``False`` as soon as the client has closed the connection."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        while loop.time() < deadline:
            transport = request.transport
            if transport is None or transport.is_closing():
                return False
            await asyncio.sleep(min(0.01, max(deadline - loop.time(), 0)))
        return True


async def start_standin(host: str = HOST, port: int = 0) -> Standin:
    """A started stand-in; ``await server.close()`` when done (or use it with ``async with``)."""
    return await Standin().start(host, port)


@contextlib.asynccontextmanager
async def standin(host: str = HOST, port: int = 0) -> AsyncIterator[Standin]:
    """A stand-in for ``async with standin() as server:``, closed on exit."""
    server = await start_standin(host, port)
    try:
        yield server
    finally:
        await server.close()


@contextlib.contextmanager
def serve_in_thread(host: str = HOST, port: int = 0) -> Iterator[Standin]:
    """A stand-in running on its own event loop in a daemon thread, for sync code and subprocesses."""
    with _serve_in_thread(lambda: start_standin(host, port), Standin.close, "dynaspark-standin") as server:
        yield server
