"""The aiohttp application: routes, the gateway key, CORS, and OpenAI-shaped errors for everything."""

from __future__ import annotations

import asyncio
import hmac
import logging
import traceback
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from .._default import default_hub
from .._hub import Hub
from . import _keys as keys
from . import _routes as routes
from ._errors import ApiError, Described, describe
from ._settings import Settings
from ._shapes import json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SETTINGS = routes.SETTINGS
EXPOSED = (
    "x-providerhub-provider, x-providerhub-model, x-providerhub-ignored-params, x-providerhub-attempts, retry-after"
)

OPEN = frozenset({"/health", "/health/ready", "/openapi.json"})
"""The paths that need no key (with ``--api-key``, every other path does, unknown ones included)."""

log = logging.getLogger("providerhub.server")


def _http_error(exc: web.HTTPException, request: web.Request) -> Described:
    if exc.status == 404:
        return describe(ApiError(404, f"no route {request.method} {request.path[:200]}", code="not_found"))
    if exc.status == 405:
        allowed = exc.headers.get(hdrs.ALLOW, "")
        error = ApiError(
            405,
            f"{request.path[:200]} does not take {request.method}; it takes {allowed}",
            code="method_not_allowed",
            headers={hdrs.ALLOW: allowed},
        )
        return describe(error)
    if exc.status == 413:
        return describe(ApiError(413, "the request body is too large", code="request_too_large"))
    return describe(ApiError(exc.status, exc.reason or f"HTTP {exc.status}", code=None))


def _guard(settings: Settings) -> Middleware:
    key = settings.api_key.encode() if settings.api_key else None

    def check_key(request: web.Request) -> None:
        given = request.headers.get(hdrs.AUTHORIZATION, "")
        scheme, _, token = given.partition(" ")
        assert key is not None
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode("utf-8", "surrogateescape"), key):
            what = "no API key was sent" if not given else "the API key is not valid"
            raise ApiError(
                401,
                f"{what}: send the server's key as 'Authorization: Bearer <key>'",
                type="authentication_error",
                code="invalid_api_key",
                headers={hdrs.WWW_AUTHENTICATE: "Bearer"},
            )

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            if key is not None and request.path not in OPEN:
                check_key(request)
            return await handler(request)
        except asyncio.CancelledError:
            raise
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            described = _http_error(exc, request)
        except Exception as exc:
            described = describe(exc)
            if described.status >= 500 and described.code == "internal_error":
                log.error("unexpected error answering %s %s\n%s", request.method, request.path, traceback.format_exc())
        request[keys.ERROR] = described.code
        headers = {**request.get(keys.HEADERS, {}), **described.headers}
        response = json_response(described.body, status=described.status, headers=headers)
        if described.status == 408:
            response.force_close()
        return response

    return guard


def _cors(settings: Settings) -> tuple[Middleware, Callable[[web.Request, web.StreamResponse], Awaitable[None]]]:
    origins = set(settings.cors_origins)
    any_origin = "*" in origins

    def allowed(request: web.Request) -> str | None:
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None:
            return None
        if any_origin:
            return "*"
        return origin if origin.rstrip("/") in origins else None

    @web.middleware
    async def preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != hdrs.METH_OPTIONS or hdrs.ACCESS_CONTROL_REQUEST_METHOD not in request.headers:
            return await handler(request)
        origin = allowed(request)
        if origin is None:
            refused = describe(ApiError(403, f"origin {request.headers[hdrs.ORIGIN][:100]!r} is not allowed"))
            return json_response(refused.body, status=403)
        headers = {
            hdrs.ACCESS_CONTROL_ALLOW_ORIGIN: origin,
            hdrs.ACCESS_CONTROL_ALLOW_METHODS: "GET, POST, OPTIONS",
            hdrs.ACCESS_CONTROL_ALLOW_HEADERS: request.headers.get(
                hdrs.ACCESS_CONTROL_REQUEST_HEADERS, "Authorization, Content-Type"
            ),
            hdrs.ACCESS_CONTROL_MAX_AGE: "600",
            hdrs.VARY: "Origin",
        }
        return web.Response(status=204, headers=headers)

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        origin = allowed(request)
        if origin is not None:
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
            response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = EXPOSED
            response.headers[hdrs.VARY] = "Origin"

    return preflight, on_prepare


def create_app(settings: Settings, hub: Hub | None = None) -> web.Application:
    """The gateway as an aiohttp application serving ``hub``'s providers (default: ``providerhub.default_hub()``)."""
    middlewares: list[Middleware] = []
    if settings.cors_origins:
        preflight, on_prepare = _cors(settings)
        middlewares.append(preflight)
    middlewares.append(_guard(settings))
    app = web.Application(middlewares=middlewares, client_max_size=settings.max_body)
    if settings.cors_origins:
        app.on_response_prepare.append(on_prepare)
    app[SETTINGS] = settings
    app[routes.HUB] = hub if hub is not None else default_hub()
    routes.add_routes(app)
    return app
