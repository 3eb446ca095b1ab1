"""What a check is, what it returns, and how it fails.

A check is a function of the provider class and a ``Transport`` that returns quietly, raises
``CheckFailed`` with a one-line reason, or ``CheckSkipped`` when what it checks does not apply
(a provider without an endpoint has no HTTP to check). Failures are raised explicitly, never
by ``assert``, so they hold under ``python -O`` and read the same outside pytest.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import NamedTuple

from ..providers import BaseProvider
from ._transport import CheckSkipped, Transport

CheckFunction = Callable[[type[BaseProvider], Transport], None]


class CheckFailed(AssertionError):
    """A provider broke a rule; the message is the one-line reason."""


class CheckResult(NamedTuple):
    """The outcome of one check on one provider."""

    provider: str
    check: str
    outcome: str
    """``passed``, ``failed`` or ``skipped``."""
    reason: str
    """One line: why it failed or was skipped (empty when it passed)."""


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters: a reason fits a table row."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_error(exc: BaseException) -> str:
    """``TypeName: message`` on one line."""
    return one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


@dataclasses.dataclass(frozen=True)
class Check:
    """One named check; call it with a provider class (as ``parametrize_provider_checks`` tests do)."""

    name: str
    function: CheckFunction
    transport: Transport = dataclasses.field(default_factory=Transport)

    def bind(self, transport: Transport) -> Check:
        """This check, run against ``transport``."""
        return dataclasses.replace(self, transport=transport)

    def run(self, provider: type[BaseProvider]) -> CheckResult:
        """Run the check; never raises (but for KeyboardInterrupt and the like)."""
        name = str(getattr(provider, "name", None) or getattr(provider, "__name__", repr(provider)))
        try:
            self.function(provider, self.transport)
        except CheckSkipped as exc:
            return CheckResult(name, self.name, "skipped", one_line(str(exc)))
        except CheckFailed as exc:
            return CheckResult(name, self.name, "failed", one_line(str(exc)))
        except Exception as exc:
            return CheckResult(name, self.name, "failed", f"the check raised {describe_error(exc)}")
        return CheckResult(name, self.name, "passed", "")

    def __call__(self, provider: type[BaseProvider]) -> None:
        """Run the check: return if it passes, raise ``CheckFailed`` if not, skip (pytest) if it does not apply."""
        result = self.run(provider)
        if result.outcome == "failed":
            raise CheckFailed(f"{result.provider}: {self.name}: {result.reason}")
        if result.outcome == "skipped":
            if "pytest" in sys.modules:
                import pytest

                pytest.skip(result.reason)
            raise CheckSkipped(result.reason)

    def __repr__(self) -> str:
        return self.name


def collect(into: list[Check]) -> Callable[[CheckFunction], CheckFunction]:
    """A decorator adding a check function to ``into``, named after the function."""

    def add(function: CheckFunction) -> CheckFunction:
        into.append(Check(function.__name__, function))
        return function

    return add


def fail(reason: str) -> CheckFailed:
    """The failure to raise: ``raise fail("...")``."""
    return CheckFailed(reason)
