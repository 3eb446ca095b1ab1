"""The HTTP exchange with an OpenAI-compatible service, imported on the first request.

Keeping it apart keeps ``import providerhub_openai`` (which model resolution may do) free of
asyncio and aiohttp. Requests share one ``aiohttp.ClientSession`` per event loop (keep-alive),
closed when the loop shuts down; it honours ``HTTP(S)_PROXY`` and ``NO_PROXY``.

The answer is read incrementally: an event stream is parsed as its lines arrive, so each text
delta reaches the caller as soon as the service sends it. Everything read is bounded (a line, an
event, the whole answer, an error body), with the core's readers of ``providerhub.http``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import importlib
import json
import math
import re
import sys
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeGuard

from providerhub import (
    AuthenticationError,
    FinishReason,
    MediaError,
    MessagesError,
    ModelNotSupportedError,
    ProviderConnectionError,
    ProviderError,
    ProviderHubError,
    ProviderTimeoutError,
    RateLimitError,
    ResponseError,
    Usage,
    to_image,
)
from providerhub.http import (
    is_html,
    iter_lines,
    loads_json,
    proxy_for,
    read_body,
    read_excerpt_body,
    redact,
    redact_url,
    summarize,
)
from providerhub.http import retry_after as retry_after_header
from providerhub.loop_local import LoopLocal
from providerhub.messages import content_text
from providerhub.sse import Event, EventAssembler, EventStreamError

if TYPE_CHECKING:
    from aiohttp import ClientResponse, ClientSession, ClientTimeout

    from providerhub import Chunk, MediaListType, Messages

_MESSAGE_CHARS = 300
_DONE = "[DONE]"


class Request(NamedTuple):
    """One chat request, as the provider prepared it."""

    provider: str
    model: str
    url: str
    key: str | None
    key_env: str | None
    messages: Messages
    media: MediaListType | None
    message_images: Mapping[int, list[str]]
    """The URLs of image parts taken out of ``messages``, by message index."""
    options: Mapping[str, Any]
    stream_usage: bool
    proxy: str | None
    timeout: float
    first_chunk_timeout: float | None


def _new_session() -> ClientSession:
    import aiohttp

    from . import __version__

    # No trust_env: it costs two worker-thread hops per request; ``chat`` reads the proxy variables
    # itself, per request (``providerhub.http.proxy_for``).
    return aiohttp.ClientSession(headers={"User-Agent": f"providerhub-openai/{__version__}"})


async def _close_session(session: ClientSession) -> None:
    await session.close()
    await asyncio.sleep(0)  # lets the closed transports run their connection_lost callbacks


_sessions: LoopLocal[ClientSession] = LoopLocal(_new_session, _close_session)


@functools.lru_cache(maxsize=16)
def _timeout(seconds: float) -> ClientTimeout:
    import aiohttp

    return aiohttp.ClientTimeout(total=seconds)


# -- what is sent ---------------------------------------------------------------------------------


def split_images(messages: Any) -> tuple[Any, dict[int, list[str]]]:
    """``messages`` without their ``image_url`` content parts, and those parts' URLs by message index."""
    if not isinstance(messages, list):
        return messages, {}
    kept: list[Any] = []
    found: dict[int, list[str]] = {}
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(isinstance(p, dict) and p.get("type") == "image_url" for p in content):
            rest = []
            for j, part in enumerate(content):
                if not (isinstance(part, dict) and part.get("type") == "image_url"):
                    rest.append(part)
                    continue
                image_url = part.get("image_url")
                url = image_url.get("url") if isinstance(image_url, dict) else image_url
                if not isinstance(url, str):
                    raise MessagesError(f"messages[{i}]['content'][{j}] is an image_url part without a URL string")
                found.setdefault(i, []).append(url)
            message = {**message, "content": rest}
        kept.append(message)
    return kept, found


def _image_part(source: Any, filename: str | None = None) -> dict[str, Any]:
    """An ``image_url`` content part with a ``data:`` URI; the image is read and checked (``MediaError``)."""
    image = to_image(source, filename)
    uri = f"data:{image.content_type};base64,{base64.b64encode(image.data).decode('ascii')}"
    return {"type": "image_url", "image_url": {"url": uri}}


def _image_parts(request: Request) -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """The parts for ``media`` (with the last user message) and for the messages' own image parts."""
    media = request.media
    items: Sequence[Any] = media if isinstance(media, (list, tuple)) else [media] if media else []
    loose = []
    for item in items:
        source, filename = item if isinstance(item, tuple) and len(item) == 2 else (item, None)
        loose.append(_image_part(source, filename))
    placed = {i: [_image_part(url) for url in urls] for i, urls in request.message_images.items()}
    return loose, placed


def wire_messages(
    messages: Messages, images: list[dict[str, Any]], placed: Mapping[int, list[dict[str, Any]]] | None = None
) -> list[dict[str, Any]]:
    """The messages as the API takes them: ``placed`` images stay with their message, ``images`` go
    with the last user message (else the last one)."""
    wire: list[dict[str, Any]] = [
        {"role": m["role"], "content": content_text(m["content"], f"messages[{i}]['content']")}
        for i, m in enumerate(messages)
    ]
    extra = {i: list(parts) for i, parts in (placed or {}).items()}
    if images:
        users = [i for i, m in enumerate(wire) if m["role"] == "user"]
        extra.setdefault(users[-1] if users else len(wire) - 1, []).extend(images)
    for i, parts in extra.items():
        text = wire[i]["content"]
        wire[i]["content"] = [{"type": "text", "text": text}, *parts] if text else parts
    return wire


async def _payload(request: Request) -> bytes:
    images: list[dict[str, Any]] = []
    placed: dict[int, list[dict[str, Any]]] = {}
    if request.media or request.message_images:  # files are read off the loop
        loop = asyncio.get_running_loop()
        images, placed = await loop.run_in_executor(None, _image_parts, request)
    payload: dict[str, Any] = {
        "model": request.model,
        "messages": wire_messages(request.messages, images, placed),
        **request.options,
        "stream": True,
    }
    if request.stream_usage:
        payload["stream_options"] = {"include_usage": True}
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


# -- what comes back --------------------------------------------------------------------------------


def _one_line(text: str, limit: int = _MESSAGE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def service_message(data: Any) -> tuple[str, Any, Any]:
    """The message, ``code`` and ``type`` of an OpenAI-shaped error (``{"error": {"message", ...}}``)."""
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or error.get("msg")
        text = message if isinstance(message, str) else json.dumps(error, default=str)[: _MESSAGE_CHARS * 2]
        return _one_line(text), error.get("code"), error.get("type")
    return _one_line(str(error)), None, None


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(text: str) -> float | None:
    """Seconds in a reset header: ``"20"``, ``"1.5s"``, ``"6m0s"``, ``"250ms"``, ``"1h2m3s"``."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    found = _DURATION.findall(text)
    if not found or "".join(n + u for n, u in found) != text:
        return None
    return sum(float(n) * _UNIT[u] for n, u in found)


_MAX_WAIT = 7 * 24 * 3600.0


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait before retrying: ``retry-after-ms``, ``Retry-After`` (seconds or an HTTP date),
    else the ``x-ratelimit-reset-*`` header of the exhausted limit (the longest when unsure)."""
    ms = _duration(headers.get("retry-after-ms") or "")
    seconds = ms / 1000 if ms is not None else retry_after_header(headers)
    if seconds is None:
        resets: dict[str, float] = {}
        for kind in ("requests", "tokens"):
            wait = _duration(headers.get(f"x-ratelimit-reset-{kind}") or "")
            if wait is not None:
                resets[kind] = wait
        exhausted = [v for k, v in resets.items() if headers.get(f"x-ratelimit-remaining-{k}", "").strip() == "0"]
        pool = exhausted or list(resets.values())
        seconds = max(pool) if pool else None
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), _MAX_WAIT)


_UNKNOWN_MODEL = re.compile(
    r"model\b.{0,200}\b(not found|does not exist|doesn't exist|not exist|unknown|invalid|not supported|"
    r"not available|no such)|\b(unknown|invalid|unsupported) model",
    re.IGNORECASE,
)


def _count(value: Any) -> TypeGuard[int]:
    """Whether a usage field is a token count."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class _Answer:
    """What one answer has produced so far (for the final events, and for ``partial`` on an error)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.where = redact_url(request.url)
        self.text = False
        self.finish: str | None = None
        self.usage: Usage | None = None
        self.done = False
        self.events = 0

    def fail(
        self, what: str, *, status: int | None = None, excerpt: str = "", retryable: bool | None = None
    ) -> ResponseError:
        who = self.request.provider
        code = f"HTTP {status} " if status is not None else ""
        return ResponseError(
            f"{who}: POST {self.where} answered {code}{what}",
            status=status,
            excerpt=excerpt,
            url=self.where,
            provider=who,
            model=self.request.model,
            retryable=retryable,
        )

    def service_error(self, data: Any, status: int | None) -> ProviderHubError:
        """The error an OpenAI-shaped error object stands for."""
        message, code, kind = service_message(data)
        if status is None and isinstance(code, int) and 400 <= code <= 599:
            status = code  # some services put an HTTP status in the code of an in-stream error
        said = f"with an error: {message}" if status is None else f"{message}"
        if status is None:
            retryable = isinstance(kind, str) and ("server" in kind or "overloaded" in kind)
            return self.fail(said, excerpt=message, retryable=retryable)
        return self.status_error(status, message, code, {})

    def status_error(self, status: int, message: str, code: Any, headers: Mapping[str, str]) -> ProviderHubError:
        who, model = self.request.provider, self.request.model
        text = f"{who}: POST {self.where} answered HTTP {status}: {message}"
        if status in (400, 404) and (code == "model_not_found" or _UNKNOWN_MODEL.search(message)):
            return ModelNotSupportedError(f"{who} does not serve model {model!r}: {message}", requested=model)
        cls = ResponseError
        if status == 429:
            cls = RateLimitError
        elif status in (401, 403):
            cls = AuthenticationError
            if self.request.key_env:
                text += f" (the key is read from {self.request.key_env}, or given as api_key=)"
        return cls(
            text,
            status=status,
            excerpt=message,
            url=self.where,
            provider=who,
            model=model,
            retry_after=retry_after(headers),
        )

    def chunks(self, data: Any) -> list[str]:
        """The text one answer object (a stream chunk or a whole answer) adds; records finish and usage."""
        if not isinstance(data, dict):
            raise self.fail(f"with JSON {type(data).__name__} where an object was expected")
        if data.get("error") is not None:
            raise self.service_error(data, None)
        texts = []
        choices = data.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                delta = choice.get("message")
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str) and content:
                texts.append(content)
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason:
                self.finish = reason
        extra = data.get("x_groq")
        usage = data.get("usage") or (extra.get("usage") if isinstance(extra, dict) else None)
        if isinstance(usage, dict):
            prompt, completion, total = (usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens"))
            if _count(prompt) and _count(completion):
                self.usage = Usage(prompt, completion, total if _count(total) else prompt + completion)
        return texts

    def parse(self, text: str | bytes, what: str) -> Any:
        try:
            return loads_json(text)
        except ValueError:
            raw = text.encode("utf-8", "replace") if isinstance(text, str) else text
            raise self.fail(f"with {what} that is not JSON: {summarize(raw, None)}") from None

    def ending(self) -> list[Chunk]:
        events: list[Chunk] = []
        if self.finish is not None:
            events.append(FinishReason(self.finish))
        if self.usage is not None:
            events.append(self.usage)
        return events


class _NotStarted(Exception):
    """The answer did not start within the first-chunk timeout."""


async def _within(deadline: float | None, step: Any) -> Any:
    """Await ``step``, failing with ``_NotStarted`` past ``deadline`` (loop time; ``None``: no limit)."""
    if deadline is None:
        return await step
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(step, max(deadline - loop.time(), 0))
    except asyncio.TimeoutError:
        if loop.time() >= deadline:
            raise _NotStarted from None
        raise


async def _error_for(answer: _Answer, response: ClientResponse) -> ProviderHubError:
    body = await read_excerpt_body(response)
    content_type = response.headers.get("Content-Type")
    message, code = summarize(body, response.status, content_type), None
    if not is_html(body, content_type):
        try:
            data = loads_json(body)
        except ValueError:
            pass
        else:
            message, code, _ = service_message(data)
    return answer.status_error(response.status, message, code, response.headers)


async def _json_answer(answer: _Answer, response: ClientResponse) -> AsyncGenerator[Chunk, None]:
    """A whole answer in one JSON body (a service that does not stream)."""
    body = await read_body(response, provider=answer.request.provider)
    data = answer.parse(body, "a body")
    texts = answer.chunks(data)
    if not isinstance(data.get("choices"), list):
        raise answer.fail(f"with JSON that has no 'choices': {summarize(body, response.status)}")
    answer.done = True
    for text in texts:
        answer.text = True
        yield text


def _event_texts(answer: _Answer, event: Event) -> list[str] | None:
    """The text one event adds; ``None`` at ``[DONE]``, which ends the answer."""
    answer.events += 1
    data = event.data
    if data == _DONE or (len(data) <= 64 and data.strip() == _DONE):  # only a short event can be the end
        answer.done = True
        return None
    return answer.chunks(answer.parse(data, "an event"))


async def _event_answer(
    answer: _Answer, response: ClientResponse, deadline: float | None
) -> AsyncGenerator[Chunk, None]:
    """An answer streamed as server-sent events, yielded as they arrive."""
    assembler = EventAssembler()
    head = bytearray()

    def take(raw: bytes) -> Event | None:
        if len(head) < 512:
            head.extend(raw[: 512 - len(head)] + b"\n")
        try:
            return assembler.line(raw)
        except EventStreamError as exc:
            raise answer.fail(f"with a malformed event stream: {exc}") from None

    lines = iter_lines(response, provider=answer.request.provider)
    try:
        ended = False
        while deadline is not None and not answer.events:  # the first event must come by the deadline
            try:
                raw = await _within(deadline, anext(lines))
            except StopAsyncIteration:
                ended = True
                break
            event = take(raw)
            if event is not None:
                for text in _event_texts(answer, event) or ():
                    answer.text = True
                    yield text
        if not ended and not answer.done:
            line = assembler.line
            async for raw in lines:  # the rest, without a timer per line
                if len(head) < 512:
                    head.extend(raw[: 512 - len(head)] + b"\n")
                try:
                    event = line(raw)
                except EventStreamError as exc:
                    raise answer.fail(f"with a malformed event stream: {exc}") from None
                if event is not None:
                    texts = _event_texts(answer, event)
                    if texts is None:
                        break
                    for text in texts:
                        answer.text = True
                        yield text
            else:
                ended = True
        if ended and not answer.done:
            event = assembler.close()
            if event is not None:
                for text in _event_texts(answer, event) or ():
                    answer.text = True
                    yield text
    finally:
        aclose = getattr(lines, "aclose", None)
        if aclose is not None:
            await aclose()
    if answer.done or answer.finish is not None:
        return
    if not answer.events:
        raise answer.fail(f"with no events: {summarize(bytes(head), response.status)}", status=response.status)
    raise ProviderConnectionError(
        f"{answer.request.provider}: POST {answer.where}: the answer stream ended before the answer did",
        provider=answer.request.provider,
        model=answer.request.model,
    )


async def chat(request: Request, session: ClientSession | None = None) -> AsyncGenerator[Chunk, None]:
    """Send one chat request and yield the answer's text chunks, then its ``FinishReason`` and ``Usage``.

    Every fault is a ``providerhub`` error naming the provider; one raised after text was yielded
    has ``partial=True``.
    """
    if "aiohttp" not in sys.modules:  # first request: import off the loop, which must not stall
        await asyncio.get_running_loop().run_in_executor(None, importlib.import_module, "aiohttp")
    import aiohttp

    answer = _Answer(request)
    try:
        body = await _payload(request)
    except MediaError as exc:
        raise MediaError(f"{request.provider}: {exc}") from None
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream, application/json"}
    if request.key:
        headers["Authorization"] = f"Bearer {request.key}"
    client = session if session is not None else _sessions.get()
    loop = asyncio.get_running_loop()
    first = request.first_chunk_timeout
    deadline = loop.time() + first if first is not None and first < request.timeout else None
    proxy = request.proxy
    via = f" through proxy {redact_url(proxy)}" if proxy else ""
    who = request.provider
    response: ClientResponse | None = None
    try:
        proxy, proxy_auth = await proxy_for(request.url, proxy)
        via = f" through proxy {redact_url(proxy)}" if proxy else ""
        post = client.post(
            request.url,
            data=body,
            headers=headers,
            proxy=proxy,
            proxy_auth=proxy_auth,
            timeout=_timeout(request.timeout),
        )
        response = await (post if deadline is None else _within(deadline, post))
        assert response is not None
        if response.status >= 400:
            raise await _error_for(answer, response)
        content_type = response.headers.get("Content-Type", "")
        if "json" in content_type.lower():
            parts = _json_answer(answer, response)
        elif is_html(b"", content_type):
            raise answer.fail("with an HTML page instead of an answer", status=response.status)
        else:
            parts = _event_answer(answer, response, deadline)
        async with contextlib.aclosing(parts):
            async for text in parts:
                yield text
        for event in answer.ending():
            yield event
    except ProviderError as exc:
        exc.provider = exc.provider or who
        exc.model = exc.model or request.model
        exc.partial = exc.partial or answer.text
        raise
    except ProviderHubError:
        raise
    except _NotStarted:
        raise ProviderTimeoutError(
            f"{who}: POST {answer.where}{via} did not start answering within {first:g} s",
            provider=who,
            model=request.model,
        ) from None
    except (asyncio.TimeoutError, TimeoutError) as exc:
        raise ProviderTimeoutError(
            f"{who}: POST {answer.where}{via} did not answer within {request.timeout:g} s",
            provider=who,
            model=request.model,
            partial=answer.text,
        ) from exc
    except (aiohttp.ClientError, OSError) as exc:
        if isinstance(exc, aiohttp.InvalidURL):
            detail = f"invalid URL {redact_url(exc.url)!r}"
        elif isinstance(exc, aiohttp.ClientPayloadError):
            detail = "the connection closed in the middle of the answer"
        else:
            detail = redact(str(exc) or type(exc).__name__)
        what = "lost the connection to" if response is not None else "cannot reach"
        raise ProviderConnectionError(
            f"{who}: {what} {answer.where}{via}: {detail}", provider=who, model=request.model, partial=answer.text
        ) from exc
    finally:
        if response is not None:
            response.release()
