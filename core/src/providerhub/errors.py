"""Every error providerhub raises, so callers can catch one base class."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MAX_LISTED = 20
"""How many names an error message lists before it says how many more there are."""


def name_list(names: Iterable[object], limit: int = MAX_LISTED, *, sep: str = ", ") -> str:
    """``names`` joined by ``sep``, at most ``limit`` of them and then how many more: a plugin
    declaring thousands of models still gets a message of a few lines."""
    items = [str(name) for name in names]
    shown = sep.join(items[:limit])
    more = len(items) - limit
    return f"{shown} and {more} more" if more > 0 else shown


class ProviderHubError(Exception):
    """Base class of every error raised by providerhub and its providers."""


class ModelNotFoundError(ProviderHubError, LookupError):
    """No installed provider serves the requested model name."""

    def __init__(self, message: str, *, requested: str | None = None, suggestions: Sequence[str] = ()):
        super().__init__(message)
        self.requested = requested
        self.suggestions = tuple(suggestions)


class ModelNotSupportedError(ModelNotFoundError):
    """A provider was asked for a model (or a use of it) that it does not serve."""


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


class MessagesError(ProviderHubError, ValueError):
    """A message list is malformed."""


class MediaError(ProviderHubError, ValueError):
    """A media input cannot be read, or is of a kind the provider does not take."""


class ResponseError(ProviderHubError):
    """The upstream service answered with an error, or with something that is not an answer."""

    def __init__(self, message: str, *, status: int | None = None, excerpt: str = "", url: str | None = None):
        super().__init__(message)
        self.status = status
        self.excerpt = excerpt
        self.url = url


class RateLimitError(ResponseError):
    """The upstream service refused the request for rate limiting (HTTP 429)."""


class AuthenticationError(ResponseError):
    """The upstream service refused the request's credentials (HTTP 401 or 403)."""


class ProviderTimeoutError(ProviderHubError, TimeoutError):
    """The upstream service did not answer in time."""


class ProviderConnectionError(ProviderHubError, ConnectionError):
    """The upstream service could not be reached (refused connection, DNS failure, reset)."""
