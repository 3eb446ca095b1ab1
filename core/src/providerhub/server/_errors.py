"""Every failure as an HTTP status and an OpenAI error body: the one place errors are mapped.

OpenAI clients read ``{"error": {"message", "type", "param", "code"}}`` and pick their exception
class from the status, so every error, the server's own and the providers', goes through
``describe`` here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from ..errors import (
    AuthenticationError,
    MediaError,
    MessagesError,
    ModelNotFoundError,
    OptionsError,
    ProviderError,
    ProviderHubError,
    ProviderNotFoundError,
    ProviderNotWorkingError,
    ProviderTimeoutError,
    RateLimitError,
    RequestError,
)

INVALID_REQUEST = "invalid_request_error"


class ApiError(Exception):
    """An error the server itself finds in a request, with its status and OpenAI fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})


def bad_request(message: str, param: str | None = None, code: str = "invalid_value") -> ApiError:
    return ApiError(400, message, param=param, code=code)


class Described(NamedTuple):
    """An error ready to send: status, body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def code(self) -> str | None:
        return self.body["error"]["code"]  # type: ignore[no-any-return]


def _body(
    message: str, type: str, param: str | None, code: str | None, metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": type, "param": param, "code": code}
    if metadata:
        error["metadata"] = metadata
    return {"error": error}


def _attempts(exc: ProviderError) -> list[dict[str, Any]] | None:
    """The attempts of a failed fallback (an error with ``attempts``), each as a small object."""
    attempts = getattr(exc, "attempts", None)
    if not isinstance(attempts, Iterable):
        return None
    described = []
    for attempt in attempts:
        error = getattr(attempt, "error", None)
        status = getattr(attempt, "status", None)
        described.append(
            {
                "provider": getattr(attempt, "provider", None) or getattr(error, "provider", None),
                "model": getattr(attempt, "model", None) or getattr(error, "model", None),
                "status": status if status is not None else getattr(error, "status", None),
                "error": " ".join(str(error).split())[:300] if error is not None else None,
            }
        )
    return described


def _provider_error(exc: ProviderError) -> Described:
    message = " ".join(str(exc).split()) or type(exc).__name__
    metadata: dict[str, Any] = {"provider": exc.provider, "model": exc.model, "retryable": bool(exc.retryable)}
    headers: dict[str, str] = {}
    if not exc.retryable:
        headers["x-should-retry"] = "false"  # the client's own retries would only repeat the failure
    attempts = _attempts(exc)
    if attempts is not None:
        metadata["attempts"] = attempts
        headers["x-providerhub-attempts"] = ", ".join(
            f"{a['provider']}/{a['model']}={a['status'] if a['status'] is not None else 'error'}" for a in attempts
        )
    if isinstance(exc, RateLimitError) or exc.status == 429:
        if exc.retry_after is not None and exc.retry_after >= 0:
            headers["retry-after"] = str(math.ceil(exc.retry_after))
        return Described(429, _body(message, "rate_limit_error", None, "rate_limit_exceeded", metadata), headers)
    if isinstance(exc, ProviderTimeoutError):
        return Described(504, _body(message, "timeout_error", None, "provider_timeout", metadata), headers)
    if isinstance(exc, AuthenticationError):
        # the provider refused the server's credentials: the caller's own key is fine
        code = "provider_authentication_failed"
        return Described(502, _body(message, "upstream_error", None, code, metadata), headers)
    return Described(502, _body(message, "upstream_error", None, "provider_error", metadata), headers)


def _param(exc: RequestError) -> str | None:
    for attr in ("param", "option"):
        value = getattr(exc, attr, None)
        if isinstance(value, str):
            return value
    if isinstance(exc, (MessagesError, MediaError)):
        return "messages"
    return None


def describe(exc: BaseException) -> Described:
    """The status, OpenAI error body and headers for any exception a request may end with."""
    if isinstance(exc, ApiError):
        return Described(exc.status, _body(exc.message, exc.type, exc.param, exc.code), exc.headers)
    message = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, (ModelNotFoundError, ProviderNotFoundError, ProviderNotWorkingError)):
        return Described(404, _body(message, INVALID_REQUEST, "model", "model_not_found"), {})
    if isinstance(exc, OptionsError):
        return Described(400, _body(message, INVALID_REQUEST, _param(exc), "invalid_option"), {})
    if isinstance(exc, RequestError):
        code = "invalid_image" if isinstance(exc, MediaError) else "invalid_value"
        return Described(400, _body(message, INVALID_REQUEST, _param(exc), code), {})
    if isinstance(exc, ProviderError):
        return _provider_error(exc)
    if isinstance(exc, ProviderHubError):
        return Described(500, _body(message, "server_error", None, "internal_error"), {})
    return Described(500, _body("the server failed to answer; see its log", "server_error", None, "internal_error"), {})
