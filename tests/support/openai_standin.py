"""A local stand-in for an OpenAI-compatible chat service: a real aiohttp server on 127.0.0.1.

It speaks the chat-completions wire format: ``POST /v1/chat/completions`` with a JSON body,
answered as a server-sent-event stream chunk by chunk (role first, then one chunk per word,
then the finish reason, a usage chunk when ``stream_options.include_usage`` asks for it, and
``data: [DONE]``), or as one JSON body when the request says ``"stream": false`` (or the reply
is told to ignore ``stream``). Errors have OpenAI's shape, ``{"error": {"message", "type",
"param", "code"}}``. It records every request: headers, the JSON body, messages, image parts and
options.

By default it echoes: the answer is ``echo: <the last user message's text>`` (plus ``[N images]``
when images came). ``respond_with(...)`` changes how the following requests are answered.

Use ``async with OpenAIStandin() as server`` (same loop as the client), or ``with
serve_in_thread() as server`` from sync code and for subprocesses. ``server.base`` is what a
provider's ``api_base`` should be.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from aiohttp import web

from support.threads import serve_in_thread as _serve_in_thread

HOST = "127.0.0.1"
PREFIX = "/v1"
PATH = f"{PREFIX}/chat/completions"
_WORDS = re.compile(r"\S+\s*")
_BASE_FIELDS = ("model", "messages", "stream", "stream_options")


class Image(NamedTuple):
    """One ``image_url`` part as received: content type and decoded bytes (other URLs kept whole in ``url``)."""

    content_type: str
    data: bytes
    url: str


class Received(NamedTuple):
    """One request as the server read it."""

    headers: dict[str, str]
    """Request headers, names lower-cased."""
    body: dict[str, Any]
    """The JSON body (``{}`` when it was not a JSON object)."""

    @property
    def model(self) -> Any:
        return self.body.get("model")

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages = self.body.get("messages")
        return messages if isinstance(messages, list) else []

    @property
    def stream(self) -> Any:
        return self.body.get("stream")

    @property
    def options(self) -> dict[str, Any]:
        """Every body field other than model, messages, stream and stream_options."""
        return {k: v for k, v in self.body.items() if k not in _BASE_FIELDS}

    @property
    def images(self) -> list[Image]:
        """The ``image_url`` parts of every message, in order."""
        found = []
        for message in self.messages:
            content = message.get("content")
            for part in content if isinstance(content, list) else ():
                if isinstance(part, dict) and part.get("type") == "image_url":
                    url = str((part.get("image_url") or {}).get("url", ""))
                    header, _, payload = url.partition(",")
                    if url.startswith("data:") and header.endswith(";base64"):
                        found.append(Image(header[5:-7], base64.b64decode(payload), url))
                    else:
                        found.append(Image("", b"", url))
        return found

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


def text_of(content: Any) -> str:
    """The text of a message content: a string, or the text parts of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def error_body(message: str, *, type: str = "invalid_request_error", code: Any = None, param: Any = None) -> dict:
    """An error body in OpenAI's shape."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


@dataclass(frozen=True)
class Reply:
    """How to answer; every field has the plain echo's default."""

    text: str | None = None
    """The answer (``None``: the echo); sent one word per chunk unless ``chunks`` is given."""
    chunks: tuple[str, ...] | None = None
    finish_reason: str | None = "stop"
    usage: dict[str, int] | None = None
    """The usage to report (``None``: counted from the request and the chunks)."""
    status: int = 200
    error: dict[str, Any] | None = None
    """An error body to answer with, with ``status``."""
    headers: dict[str, str] = field(default_factory=dict)
    stream: bool | None = None
    """``None`` streams when the request asks; ``False`` always answers with one JSON body."""
    body: bytes | None = None
    """A raw body to send as is (with ``content_type``), instead of an answer."""
    content_type: str = "text/event-stream"
    raw_events: tuple[bytes, ...] = ()
    """Bytes written into the event stream before the answer's chunks (e.g. odd events)."""
    keepalive: bool = False
    """Send a ``: keep-alive`` comment before every chunk."""
    delay: float = 0.0
    """Seconds to wait before answering (the status line too)."""
    stall: float = 0.0
    """Seconds to wait after the headers, before the first event."""
    stall_keepalive: float = 0.0
    """While stalling, send a keep-alive comment this often (0: none)."""
    break_after: int | None = None
    """Drop the connection after this many text chunks."""
    error_after: int | None = None
    """Send an in-stream error event after this many text chunks."""
    hold_last: bool = False
    """Wait for ``release()`` before sending the last text chunk."""
    done: bool = True
    """Send ``data: [DONE]`` at the end."""
    hold_open: float = 0.0
    """Seconds to keep the connection open after the answer (after ``[DONE]``)."""


class OpenAIStandin:
    """A running stand-in: its ``base`` URL, what ``requests`` it got, and how it answers."""

    def __init__(self, *, key: str | None = None, models: set[str] | None = None, unknown_status: int = 404) -> None:
        self.base = ""
        """The API base URL, e.g. ``http://127.0.0.1:PORT/v1``."""
        self.key = key
        """When set, a request without ``Authorization: Bearer <key>`` gets 401."""
        self.models = models
        """When set, a request for another model gets ``unknown_status`` with code ``model_not_found``."""
        self.unknown_status = unknown_status
        self.requests: list[Received] = []
        self.peers: list[tuple[str, int]] = []
        """The client address of each request in ``requests`` (one port per TCP connection)."""
        self.sent: list[str] = []
        """Every text chunk written to a client, in order (recorded as it is written)."""
        self.reply = Reply()
        self._gate: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None

    def respond_with(self, **fields: Any) -> None:
        """Answer the following requests as ``Reply(**fields)`` says."""
        self.reply = replace(Reply(), **fields)

    def release(self) -> None:
        """Let a reply with ``hold_last`` send its last chunk (safe from any thread)."""
        assert self._loop is not None and self._gate is not None
        self._loop.call_soon_threadsafe(self._gate.set)

    @property
    def url(self) -> str:
        """The chat endpoint's full URL."""
        return self.base + "/chat/completions"

    @property
    def open_connections(self) -> int:
        server = self._runner.server if self._runner is not None else None
        return len(server.connections) if server is not None else 0

    async def start(self, host: str = HOST, port: int = 0) -> OpenAIStandin:
        app = web.Application(client_max_size=64 << 20)
        app.router.add_post(PATH, self._chat)
        app.router.add_get(f"{PREFIX}/models", self._models)
        runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._loop = asyncio.get_running_loop()
        self._gate = asyncio.Event()
        address = runner.addresses[0]
        self.base = f"http://{address[0]}:{address[1]}{PREFIX}"
        return self

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> OpenAIStandin:
        return self if self._runner is not None else await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- answering ---------------------------------------------------------------------------------

    async def _models(self, request: web.Request) -> web.Response:
        ids = sorted(self.models or {"standin-1"})
        data = [{"id": i, "object": "model", "created": 0, "owned_by": "standin"} for i in ids]
        return web.json_response({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        received = Received({k.lower(): v for k, v in request.headers.items()}, body if isinstance(body, dict) else {})
        self.requests.append(received)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.peers.append((str(peer[0]), int(peer[1])) if peer else ("", 0))
        reply = self.reply
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if not isinstance(body, dict):
            return web.json_response(error_body("We could not parse the JSON body of your request."), status=400)
        if self.key is not None and received.authorization != f"Bearer {self.key}":
            message = "Incorrect API key provided. You can find your API key at https://platform.openai.com."
            return web.json_response(error_body(message, code="invalid_api_key"), status=401)
        if self.models is not None and received.model not in self.models:
            message = f"The model `{received.model}` does not exist or you do not have access to it."
            return web.json_response(error_body(message, code="model_not_found"), status=self.unknown_status)
        if reply.body is not None:
            return web.Response(
                body=reply.body, status=reply.status, headers={**reply.headers, "Content-Type": reply.content_type}
            )
        if reply.error is not None or reply.status >= 400:
            error = reply.error or error_body("The server had an error.", type="server_error")
            return web.json_response(error, status=reply.status, headers=reply.headers)
        chunks = self._chunks(received, reply)
        usage = reply.usage or self._usage(received, chunks)
        if reply.stream is False or received.stream is not True:
            return self._whole(received, reply, chunks, usage)
        return await self._stream(request, received, reply, chunks, usage)

    @staticmethod
    def _chunks(received: Received, reply: Reply) -> list[str]:
        if reply.chunks is not None:
            return list(reply.chunks)
        text = reply.text
        if text is None:
            users = [m for m in received.messages if isinstance(m, dict) and m.get("role") == "user"]
            text = "echo: " + (text_of(users[-1].get("content")) if users else "")
            if received.images:
                text += f" [{len(received.images)} images]"
        return _WORDS.findall(text) or [text]

    @staticmethod
    def _usage(received: Received, chunks: list[str]) -> dict[str, int]:
        prompt = sum(len(text_of(m.get("content")).split()) for m in received.messages if isinstance(m, dict))
        return {"prompt_tokens": prompt, "completion_tokens": len(chunks), "total_tokens": prompt + len(chunks)}

    def _whole(self, received: Received, reply: Reply, chunks: list[str], usage: dict[str, int]) -> web.Response:
        self.sent.extend(chunks)
        answer = {
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(received.model),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(chunks)},
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": usage,
        }
        return web.json_response(answer, status=reply.status, headers=reply.headers)

    async def _stream(
        self, request: web.Request, received: Received, reply: Reply, chunks: list[str], usage: dict[str, int]
    ) -> web.StreamResponse:
        include_usage = bool((received.body.get("stream_options") or {}).get("include_usage"))
        response = web.StreamResponse(
            status=reply.status, headers={**reply.headers, "Content-Type": reply.content_type}
        )
        response.enable_chunked_encoding()
        await response.prepare(request)

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
            data = {
                "id": "chatcmpl-standin",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": str(received.model),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **({"usage": None} if include_usage else {}),
                **extra,
            }
            return b"data: " + json.dumps(data).encode() + b"\n\n"

        if reply.stall:
            loop = asyncio.get_running_loop()
            end = loop.time() + reply.stall
            while loop.time() < end:
                step = min(reply.stall_keepalive or reply.stall, end - loop.time())
                await asyncio.sleep(step)
                if reply.stall_keepalive:
                    await response.write(b": keep-alive\n\n")
        for event in reply.raw_events:
            await response.write(event)
        await response.write(chunk({"role": "assistant", "content": ""}))
        for i, text in enumerate(chunks):
            if reply.break_after is not None and i == reply.break_after:
                await asyncio.sleep(0.2)  # lets the client read what was sent before the connection drops
                assert request.transport is not None
                request.transport.close()
                return response
            if reply.error_after is not None and i == reply.error_after:
                error = error_body("The server had an error while processing your request.", type="server_error")
                await response.write(b"data: " + json.dumps(error).encode() + b"\n\n")
                return response
            if reply.hold_last and i == len(chunks) - 1:
                assert self._gate is not None
                await self._gate.wait()
            if reply.keepalive:
                await response.write(b": keep-alive\n\n")
            await response.write(chunk({"content": text}))
            self.sent.append(text)
            await asyncio.sleep(0)
        if reply.finish_reason is not None:
            await response.write(chunk({}, reply.finish_reason))
        if include_usage:
            data = {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 0}
            data.update(model=str(received.model), choices=[], usage=usage)
            await response.write(b"data: " + json.dumps(data).encode() + b"\n\n")
        if reply.done:
            await response.write(b"data: [DONE]\n\n")
        if reply.hold_open:
            await asyncio.sleep(reply.hold_open)
        await response.write_eof()
        return response


@contextlib.asynccontextmanager
async def openai_standin(**settings: Any) -> Any:
    """A started stand-in for ``async with openai_standin() as server:``, closed on exit."""
    server = await OpenAIStandin(**settings).start()
    try:
        yield server
    finally:
        await server.close()


@contextlib.contextmanager
def serve_in_thread(**settings: Any) -> Iterator[OpenAIStandin]:
    """A stand-in on its own event loop in a daemon thread, for sync code and subprocesses."""

    async def start() -> OpenAIStandin:
        return await OpenAIStandin(**settings).start()

    with _serve_in_thread(start, OpenAIStandin.close, "openai-standin") as server:
        yield server
