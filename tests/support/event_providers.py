"""Plugin source with providers that yield events, fail before and after the first chunk, and stall.

Install it with ``PluginSite.add("events", SOURCE)``; the providers run wherever the plugin is
discovered (in a ``providerhub serve`` subprocess, for example).

- ``Echo`` (``echo-1``; ``echo-vision`` takes images; options ``temperature``, ``max_tokens``,
  ``stop``, ``top_k``): answers "Hello, world" in three chunks with ``Usage(3, 2, 5)`` and
  ``FinishReason("stop")``; asked "options", it answers the options it got as JSON; asked
  "media", the size and type of each image; asked "length", it finishes with ``"length"``.
- ``Plain`` (``plain-1``, and ``echo-1`` too, after ``Echo``; no options): one chunk, no events.
- ``Failing``: ``fail-rate`` (``RateLimitError``, retry after 7 s), ``fail-timeout``,
  ``fail-auth`` (the upstream refused the key), ``fail-upstream`` (HTTP 500), ``fail-raw`` (a
  stray ``RuntimeError``), ``fail-request`` (``MessagesError``), all before any text;
  ``fail-after`` yields "partial " and then fails with HTTP 503; ``fail-all`` fails as a
  router does when every candidate failed (a ``ProviderError`` with ``attempts``).
- ``Stall``: ``stall-first`` waits 60 s before anything; ``stall-after`` yields "first " and
  waits 60 s; ``slow`` yields "a", waits 1 s, yields "b". However an answer of ``Stall`` ends,
  it appends "closed PROMPT" (its last message's text) as a line to the file named by
  ``$STALL_CLOSED_FILE``.
"""

SOURCE = """
import asyncio
import json
import os

from providerhub import (
    AsyncGeneratorProvider,
    AuthenticationError,
    FinishReason,
    MessagesError,
    ProviderError,
    ProviderModelMixin,
    ProviderTimeoutError,
    RateLimitError,
    ResponseError,
    Usage,
    hookimpl,
    image_type,
    to_bytes,
)


def last_text(messages):
    content = messages[-1]["content"]
    return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)


class Echo(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "echo-1"
    models = ["echo-1", "echo-vision"]
    vision_models = ["echo-vision"]
    options = {"temperature": float, "max_tokens": int, "stop": list[str], "top_k": int}

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        prompt = last_text(messages)
        if prompt == "options":
            yield json.dumps(kwargs, sort_keys=True)
        elif prompt == "media":
            yield json.dumps([[len(to_bytes(m)), image_type(to_bytes(m))] for m, _ in media or []])
        elif prompt == "messages":
            yield json.dumps(messages)
        else:
            yield "Hello"
            yield ""
            yield ", "
            yield "world"
        yield Usage(3, 2, 5)
        yield FinishReason("length" if prompt == "length" else "stop")


class Plain(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "plain-1"
    models = ["plain-1", "echo-1"]

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        yield "plain answer"


class Attempt:
    def __init__(self, provider, model, error):
        self.provider, self.model, self.error = provider, model, error


class AllFailed(ProviderError):
    # what a router raises when every candidate failed: a ProviderError with its attempts

    def __init__(self, attempts):
        super().__init__("every provider failed: Alpha (429), Beta (500)", status=502)
        self.attempts = attempts


class Failing(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "fail-rate"
    models = [
        "fail-rate", "fail-timeout", "fail-auth", "fail-upstream", "fail-raw", "fail-request", "fail-after",
        "fail-all",
    ]

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        if model == "fail-after":
            yield "partial "
            raise ResponseError("upstream answered HTTP 503 mid-answer", status=503)
        if model == "fail-rate":
            raise RateLimitError("upstream answered HTTP 429: slow down", status=429, retry_after=6.2)
        if model == "fail-timeout":
            raise ProviderTimeoutError("upstream did not answer within 1 s")
        if model == "fail-auth":
            raise AuthenticationError("upstream answered HTTP 401: bad key", status=401)
        if model == "fail-upstream":
            raise ResponseError("upstream answered HTTP 500: oops", status=500)
        if model == "fail-all":
            raise AllFailed([
                Attempt("Alpha", "m-1", RateLimitError("Alpha: HTTP 429", status=429, provider="Alpha")),
                Attempt("Beta", "m-1", ResponseError("Beta: HTTP 500", status=500, provider="Beta")),
            ])
        if model == "fail-request":
            raise MessagesError("the provider cannot take an empty system message")
        raise RuntimeError("the provider broke")
        yield ""


class Stall(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "stall-first"
    models = ["stall-first", "stall-after", "slow"]

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        try:
            if model == "stall-first":
                await asyncio.sleep(60)
            if model == "slow":
                yield "a"
                await asyncio.sleep(1)
                yield "b"
                return
            yield "first "
            await asyncio.sleep(60)
            yield "never"
        finally:
            if os.environ.get("STALL_CLOSED_FILE"):
                with open(os.environ["STALL_CLOSED_FILE"], "a") as f:
                    f.write(f"closed {last_text(messages)}\\n")


@hookimpl
def register_providers():
    return [Echo, Plain, Failing, Stall]
"""
