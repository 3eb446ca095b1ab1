"""Exit statuses: the codes, which error gets which, and the one line an error prints."""

from __future__ import annotations

from providerhub.errors import (
    AllProvidersFailedError,
    ConfigError,
    ModelNotFoundError,
    PluginLoadError,
    ProviderHubError,
    ProviderNotFoundError,
    RequestError,
    UserFileError,
)

from ._output import printable

EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_PROVIDER, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_PLUGIN = 5
EXIT_OUTPUT, EXIT_PIPE, EXIT_TERMINATED = 74, 141, 143  # sysexits EX_IOERR; 128 + SIGPIPE; 128 + SIGTERM


class UsageError(ProviderHubError):
    """Input the command cannot use (an empty prompt, a bad option value)."""


class Terminated(Exception):
    """SIGTERM arrived; the answer was cancelled and closed as for Ctrl-C."""


def exit_code(exc: BaseException) -> int:
    """The exit status for an error: 2 bad input, 3 not found, 4 provider or network, 5 a plugin
    that failed to load (strict mode), 1 anything else."""
    if isinstance(exc, (UsageError, RequestError, ConfigError, UserFileError)):
        return EXIT_USAGE
    if isinstance(exc, PluginLoadError):
        return EXIT_PLUGIN
    if isinstance(exc, (ModelNotFoundError, ProviderNotFoundError)):
        return EXIT_NOT_FOUND
    if isinstance(exc, (ProviderHubError, TimeoutError, ConnectionError)):
        return EXIT_PROVIDER
    return EXIT_UNEXPECTED


def describe(exc: BaseException) -> str:
    """One line for an error: whitespace collapsed, URLs without secrets, control characters shown."""
    text = " ".join((exc.summary if isinstance(exc, AllProvidersFailedError) else str(exc)).split())
    if isinstance(exc, TimeoutError) and not text:
        text = "the provider did not answer in time"
    if exit_code(exc) == EXIT_UNEXPECTED or not text:
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    from providerhub.http import redact  # here: only an error needs it

    return printable(redact(text))
