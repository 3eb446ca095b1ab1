"""The HTTP routes: models, chat completions, health and the API description."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

import providerhub

from .._resolution import Candidate
from ..call import call_provider
from ..errors import ModelNotSupportedError
from ..types import Chunk
from . import _images as images
from . import _keys as keys
from . import _openapi as openapi
from . import _sse as sse
from ._errors import ApiError, bad_request
from ._parse import parse_chat, parse_json, provider_options
from ._settings import Settings
from ._shapes import ChunkWriter, completion, json_response, model

SETTINGS = web.AppKey("providerhub.settings", Settings)
HUB = web.AppKey("providerhub._hub", providerhub.Hub)
"""The hub whose providers the server serves (``providerhub.default_hub()`` unless told)."""


async def read_body(request: web.Request, settings: Settings) -> bytes:
    """The request body, within the size limit and the read timeout."""
    length = request.content_length
    if length is not None and length > settings.max_body:
        raise ApiError(413, f"the request body is larger than {settings.max_body} bytes", code="request_too_large")
    try:
        if sys.version_info >= (3, 11):  # a timeout without a task of its own
            async with asyncio.timeout(settings.read_timeout):
                return await request.read()
        return await asyncio.wait_for(request.read(), settings.read_timeout)
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(
            413, f"the request body is larger than {settings.max_body} bytes", code="request_too_large"
        ) from None
    except asyncio.TimeoutError:
        raise ApiError(
            408, f"the request body did not arrive within {settings.read_timeout:g} s", code="request_timeout"
        ) from None


def _resolve(hub: providerhub.Hub, name: str, images: bool) -> providerhub.Resolution:
    """Who answers ``name``; checked before any image is read or fetched."""
    found = hub.resolve(name)  # a name nobody serves is a 404, with or without images
    if not images:
        return found
    try:
        return hub.resolve(name, media=[(b"", None)])  # resolution asks only whether there are images
    except ModelNotSupportedError as exc:
        raise bad_request(" ".join(str(exc).split()), "messages", "model_not_vision") from None


async def _collect(answer: AsyncIterator[Chunk]) -> tuple[str, sse.Events]:
    events = sse.Events()
    texts = []
    while (text := await sse.next_text(answer, events)) is not None:
        texts.append(text)
    return "".join(texts), events


async def chat_completions(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    hub = request.app[HUB]
    chat = parse_chat(parse_json(await read_body(request, settings), settings), settings)
    request[keys.MODEL] = chat.model
    found = _resolve(hub, chat.model, bool(chat.images))
    media = await images.load(chat.images, settings) if chat.images else None
    request[keys.PROVIDER] = found.provider.name
    headers = {"x-providerhub-provider": found.provider.name, "x-providerhub-model": found.model}
    request[keys.HEADERS] = headers
    first = found.candidates[0]
    checked = provider_options(chat, found.provider.options)  # a bad parameter is a 400 before any attempt

    def attempt(candidate: Candidate, remaining: float | None) -> AsyncIterator[Chunk]:
        """One try of one candidate; the router asks one at a time, so the headers name the one answering.

        A further candidate that cannot take the request's parameters fails as an attempt. The
        router bounds the whole call; providers keep their own timeouts.
        """
        provider = (
            found.provider if candidate is first else hub.resolve(f"{candidate.provider}/{candidate.model}").provider
        )
        options, ignored = checked if candidate is first else provider_options(chat, provider.options)
        request[keys.PROVIDER] = provider.name
        headers.pop("x-providerhub-ignored-params", None)
        headers.update({"x-providerhub-provider": provider.name, "x-providerhub-model": candidate.model})
        if ignored:
            headers["x-providerhub-ignored-params"] = ", ".join(ignored)
        # the request is already checked and in the shape providers take: text messages, image bytes
        return call_provider(
            provider,
            candidate.model,
            chat.messages,  # type: ignore[arg-type]
            media=media,
            options=options,
        )

    answer = hub.router.stream(found, attempt)
    try:
        if chat.stream:
            return await sse.send(request, answer, ChunkWriter(found.model, chat.include_usage), headers)
        text, events = await _collect(answer)
        return json_response(completion(found.model, text, events.reason, events.usage), headers=headers)
    finally:
        await answer.aclose()


def _listing(hub: providerhub.Hub, created: int) -> list[dict[str, Any]]:
    """Every model id that resolves, plus ``provider/model`` for models several providers serve."""
    working = {p.name for p in hub.list_providers() if p.working}
    owners: dict[str, list[str]] = {}
    for row in hub.list_models():
        if row.provider in working:
            owners.setdefault(row.id, []).append(row.provider)
    data = []
    for model_id, names in owners.items():
        data.append(model(model_id, names[0], created))
        if len(names) > 1:
            data.extend(model(f"{owner}/{model_id}", owner, created) for owner in names)
    return data


async def list_models(request: web.Request) -> web.Response:
    return json_response({"object": "list", "data": _listing(request.app[HUB], request.app[SETTINGS].created)})


async def get_model(request: web.Request) -> web.Response:
    wanted = request.match_info["model"]
    created = request.app[SETTINGS].created
    hub = request.app[HUB]
    for item in _listing(hub, created):
        if item["id"] == wanted:
            return json_response(item)
    found = hub.resolve(wanted)  # an alias or another spelling that resolves
    return json_response(model(wanted, found.provider.name, created))


async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "pid": os.getpid()})


async def ready(request: web.Request) -> web.Response:
    plugins = [
        {"name": p.name, "distribution": p.distribution, "version": p.version, "error": p.error}
        for p in request.app[HUB].list_plugins()
    ]
    providers = request.app[HUB].list_providers()
    return json_response(
        {
            "status": "ready",
            "plugins": plugins,
            "providers": [p.name for p in providers],
            "models": sum(len(p.models) for p in providers),
        }
    )


async def openapi_json(request: web.Request) -> web.Response:
    return json_response(openapi.document())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/health", health, allow_head=False)
    app.router.add_get("/health/ready", ready, allow_head=False)
    app.router.add_get("/openapi.json", openapi_json, allow_head=False)
    app.router.add_get("/v1/models", list_models, allow_head=False)
    app.router.add_get("/v1/models/{model:.+}", get_model, allow_head=False)
    app.router.add_post("/v1/chat/completions", chat_completions)
