"""How the checks reach a provider: its endpoint declaration pointed at a StandIn, and a loopback-only guard.

A provider tells the kit where its requests go through a declaration ``configure`` can
override: the one named by an optional ``endpoint_setting`` class attribute, else the first of
``api_base``, ``base_url`` and ``api_endpoint`` it declares as a string. The kit derives a
provider with that declaration pointed at the StandIn (keeping the path), so the same checks
run against any HTTP provider without patching it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..providers import BaseProvider, settable
from ._standin import Reply, Request

ENDPOINT_SETTINGS = ("api_base", "base_url", "api_endpoint")
"""Declarations looked for, in order, when a provider names none with ``endpoint_setting``."""

AnswerFactory = Callable[[Request, Sequence[str]], Reply]
"""A successful upstream answer, in the provider's wire format, whose text is the given pieces in order."""


class CheckSkipped(Exception):
    """A check does not apply to this provider; the message says why."""


@dataclass(frozen=True)
class Transport:
    """What the checks need to know beyond the provider's declarations (every field optional).

    ``answer`` builds a successful upstream answer in the provider's wire format (default: the
    provider's ``standin_reply`` classmethod, if it has one; without either, the answer checks
    are skipped). ``setting`` names the declaration holding the endpoint (default: detected).
    ``model`` is the model the calls ask for (default: the provider's ``default_model``).
    """

    answer: AnswerFactory | None = None
    setting: str | None = None
    model: str | None = None

    def answer_factory(self, cls: type[BaseProvider]) -> AnswerFactory | None:
        """The explicit ``answer``, else the provider's own ``standin_reply``, else ``None``."""
        if self.answer is not None:
            return self.answer
        hook = getattr(cls, "standin_reply", None)
        return hook if callable(hook) else None

    def endpoint_setting(self, cls: type[BaseProvider]) -> str:
        """The declaration holding the provider's endpoint; ``CheckSkipped`` when it has none."""
        named = self.setting or getattr(cls, "endpoint_setting", None)
        if named is not None:
            if not isinstance(named, str) or named not in settable(cls):
                raise ValueError(
                    f"provider {cls.name}: endpoint setting {named!r} is not a declaration configure() can set"
                )
            return named
        for candidate in ENDPOINT_SETTINGS:
            if isinstance(getattr(cls, candidate, None), str):
                return candidate
        raise CheckSkipped(
            f"provider {cls.name} declares no endpoint ({', '.join(ENDPOINT_SETTINGS)}, or one named by "
            "endpoint_setting), so the kit cannot point it at a StandIn"
        )

    def point(self, cls: type[BaseProvider], base_url: str) -> type[BaseProvider]:
        """``cls`` configured to send its requests to ``base_url`` (its endpoint's path kept)."""
        setting = self.endpoint_setting(cls)
        current = getattr(cls, setting, None)
        path = urlsplit(current).path if isinstance(current, str) else ""
        return cls.configure(cls.name, **{setting: base_url + path})


# -- loopback only ------------------------------------------------------------------------------

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_guard_lock = threading.Lock()
_guard_installed = False
_watchers: list[list[str]] = []


def is_loopback(host: object) -> bool:
    """Whether ``host`` (a name or an address) stays on this machine."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower().rstrip(".") in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").partition("%")[0]).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _watchers or not event.startswith("socket."):
        return
    where: str | None = None
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg") and len(args) >= 2:
        family, address = getattr(args[0], "family", None), args[1]
        inet = family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and address
        if inet and not is_loopback(address[0]):
            where = f"{address[0]}:{address[1]}" if len(address) > 1 else str(address[0])
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex") and args:
        where = None if args[0] is None or is_loopback(args[0]) else str(args[0])
    if where is not None:
        for watcher in list(_watchers):
            watcher.append(where)
        raise ConnectionRefusedError(f"providerhub.testing allows loopback only; blocked {where}")


@contextlib.contextmanager
def loopback_only() -> Iterator[list[str]]:
    """Refuse, in every thread, connections and name lookups outside 127.0.0.0/8 and ::1 while inside.

    Yields the list, filled as it happens, of what was blocked (``host:port`` or a host name).
    Built on an audit hook, installed once per process and idle outside this block.
    """
    global _guard_installed
    seen: list[str] = []
    with _guard_lock:
        if not _guard_installed:
            sys.addaudithook(_audit)
            _guard_installed = True
        _watchers.append(seen)
    try:
        yield seen
    finally:
        with _guard_lock:
            _watchers[:] = [w for w in _watchers if w is not seen]
