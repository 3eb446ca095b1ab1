"""Every error providerhub raises, so callers can catch one base class.

Two families matter to a caller that routes: ``RequestError`` (the caller's own input is wrong;
no other provider would fix it) and ``ProviderError`` (a provider failed to answer; another, or
a retry, may succeed, as ``retryable`` says).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ._records import NamedTuple

__all__ = [
    "AllProvidersFailedError",
    "Attempt",
    "AuthenticationError",
    "ConfigError",
    "ConfigWarning",
    "CooldownError",
    "MAX_LISTED",
    "MAX_QUOTED",
    "MediaError",
    "MessagesError",
    "MissingCredentialsError",
    "ModelNotFoundError",
    "ModelNotSupportedError",
    "OptionsError",
    "PluginLoadError",
    "PluginLoadWarning",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderHubError",
    "ProviderNotFoundError",
    "ProviderNotWorkingError",
    "ProviderTimeoutError",
    "RateLimitError",
    "RequestError",
    "ResponseError",
    "UserFileError",
    "name_list",
    "quoted",
]

MAX_LISTED = 20
"""How many names an error message lists before it says how many more there are."""


def name_list(names: Iterable[object], limit: int = MAX_LISTED, *, sep: str = ", ") -> str:
    """``names`` joined by ``sep``, at most ``limit`` of them and then how many more.

    Use it wherever an error message lists names (models, options, plugins): a plugin declaring
    thousands of models still gets a message of a few lines."""
    items = [str(name) for name in names]
    shown = sep.join(items[:limit])
    more = len(items) - limit
    return f"{shown} and {more} more" if more > 0 else shown


MAX_QUOTED = 100
"""How many characters of a caller's text (a model or provider name) an error message quotes."""


def quoted(text: str, limit: int = MAX_QUOTED) -> str:
    """``repr(text)``, or its first ``limit`` characters and how long it was.

    Use it wherever an error message quotes a name a caller gave: a name can be any length, and
    the message stays a line."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


class ProviderHubError(Exception):
    """Base class of every error raised by providerhub and its providers."""


class ModelNotFoundError(ProviderHubError, LookupError):
    """No installed provider serves the requested model name."""

    def __init__(self, message: str, *, requested: str | None = None, suggestions: Sequence[str] = ()):
        super().__init__(message)
        self.requested = requested
        self.suggestions = tuple(suggestions)


class ModelNotSupportedError(ModelNotFoundError):
    """A provider was asked for a model (or a use of it, such as an image) that it does not serve."""


class ProviderNotFoundError(ProviderHubError, LookupError):
    """No registered provider has the requested name."""


class ProviderNotWorkingError(ProviderHubError):
    """Only providers marked ``working = False`` serve the requested model."""


class PluginLoadError(ProviderHubError):
    """A plugin could not be loaded (raised instead of warning under ``PROVIDERHUB_STRICT_PLUGINS=1``)."""

    def __init__(self, message: str, *, plugin: str | None = None):
        super().__init__(message)
        self.plugin = plugin


class PluginLoadWarning(UserWarning):
    """A plugin or one of its providers was left out; the rest still load."""


class ConfigError(ProviderHubError, ValueError):
    """The configuration file cannot be used at all (it is not valid TOML, or not readable)."""

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.path = path


class ConfigWarning(PluginLoadWarning):
    """Part of the configuration file was left out (a bad provider table, an unknown key); the rest applies."""


# -- the caller's own request -------------------------------------------------------------------


class RequestError(ProviderHubError, ValueError):
    """The caller's request is invalid; no other provider would answer it either."""


class UserFileError(RequestError):
    """A file of the user's (stored keys, conversations) cannot be read, or does not hold what it should.

    A ``RequestError``: a damaged key file is the caller's to fix; no other provider would do better.
    """

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.path = path


class MessagesError(RequestError):
    """A message list is malformed."""


class MediaError(RequestError):
    """A media input cannot be read, or is not a valid image."""


class OptionsError(RequestError):
    """An option is unknown to the provider, or of the wrong type."""


# -- a provider failing to answer ---------------------------------------------------------------


class ProviderError(ProviderHubError):
    """A provider failed to answer.

    ``retryable`` says whether the same provider may succeed on a retry (timeouts, connection
    failures, 429 and 5xx); ``partial`` is true once text has reached the caller, after which
    nothing may be retried or replaced without duplicating the answer.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
        partial: bool = False,
    ):
        super().__init__(message)
        self.provider = provider
        self.model = model
        self.status = status
        self.retry_after = retry_after
        self.retryable = self._retryable(status) if retryable is None else retryable
        self.partial = partial

    @classmethod
    def _retryable(cls, status: int | None) -> bool:
        """Whether an error of this class with this status is worth retrying, when not said."""
        return False


class ResponseError(ProviderError):
    """The upstream service answered with an error, or with something that is not an answer."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        excerpt: str = "",
        url: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
        partial: bool = False,
    ):
        super().__init__(
            message,
            provider=provider,
            model=model,
            status=status,
            retry_after=retry_after,
            retryable=retryable,
            partial=partial,
        )
        self.excerpt = excerpt
        self.url = url

    @classmethod
    def _retryable(cls, status: int | None) -> bool:
        return status is not None and (status == 429 or status >= 500)


class RateLimitError(ResponseError):
    """The upstream service refused the request for rate limiting (HTTP 429)."""

    @classmethod
    def _retryable(cls, status: int | None) -> bool:
        return True


class AuthenticationError(ResponseError):
    """The upstream service refused the request's credentials (HTTP 401 or 403)."""

    @classmethod
    def _retryable(cls, status: int | None) -> bool:
        return False


class MissingCredentialsError(AuthenticationError):
    """A provider that needs a key has none; raised before any request is made."""


class ProviderTimeoutError(ProviderError, TimeoutError):
    """The upstream service did not answer in time."""

    @classmethod
    def _retryable(cls, status: int | None) -> bool:
        return True


class ProviderConnectionError(ProviderError, ConnectionError):
    """The upstream service could not be reached (refused connection, DNS failure, reset)."""

    @classmethod
    def _retryable(cls, status: int | None) -> bool:
        return True


# -- routing across providers ---------------------------------------------------------------------


class CooldownError(ProviderError):
    """A candidate was skipped, untried: it failed recently and is cooling down for ``retry_after`` seconds.

    Its ``status`` is 429, as a gateway answers a caller it asks to come back later.
    """

    def __init__(self, message: str, *, retry_after: float, provider: str | None = None, model: str | None = None):
        super().__init__(message, provider=provider, model=model, status=429, retry_after=retry_after)

    @classmethod
    def _retryable(cls, status: int | None) -> bool:
        return True


class Attempt(NamedTuple):
    """One try of one candidate during a routed call (a skipped, cooling candidate is one too)."""

    provider: str
    model: str
    error: BaseException
    status: int | None
    retry_after: float | None
    elapsed: float
    """Seconds the attempt took (0 for a skipped candidate)."""


def _rate_limited(attempt: Attempt) -> bool:
    return attempt.status == 429 or isinstance(attempt.error, (RateLimitError, CooldownError))


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class AllProvidersFailedError(ProviderError):
    """Every candidate for a model failed (or was cooling down); ``attempts`` says how each one did.

    The status keeps the failures' kind: 429 with the smallest ``retry_after`` when every attempt was
    rate limited (or skipped while cooling down), 502 otherwise.
    """

    def __init__(self, requested: str | None, attempts: Sequence[Attempt], *, model: str | None = None):
        self.attempts = list(attempts)
        self.requested = requested
        limited = bool(self.attempts) and all(_rate_limited(a) for a in self.attempts)
        waits = [a.retry_after for a in self.attempts if a.retry_after is not None]
        retryable = limited or any(getattr(a.error, "retryable", False) for a in self.attempts)
        super().__init__(
            self._message(),
            model=model,
            status=429 if limited else 502,
            retry_after=min(waits) if limited and waits else None,
            retryable=retryable,
        )

    def _head(self) -> str:
        tried = sorted({a.provider for a in self.attempts}, key=str.lower)
        what = f" for {self.requested!r}" if self.requested else ""
        if len(tried) == 1:
            return f"{len(self.attempts)} attempts with provider {tried[0]} failed{what}"
        return f"all {len(tried)} providers failed{what}"

    @staticmethod
    def _line(attempt: Attempt) -> str:
        detail = _one_line(str(attempt.error)) or type(attempt.error).__name__
        return f"{attempt.provider} ({attempt.model}): {detail}"

    def _lines(self) -> list[str]:
        lines = [self._line(a) for a in self.attempts[:MAX_LISTED]]
        if len(self.attempts) > MAX_LISTED:
            lines.append(f"and {len(self.attempts) - MAX_LISTED} more attempts")
        return lines

    def _message(self) -> str:
        return "\n".join([self._head() + ":", *("  " + line for line in self._lines())])

    @property
    def summary(self) -> str:
        """The whole failure on one line: each attempt's provider and error, separated by ``;``."""
        return self._head() + ": " + "; ".join(self._lines())
