"""Every check, in the order they run, and ``check_provider`` which runs them all."""

from __future__ import annotations

from ..providers import BaseProvider
from . import _calls as calls
from . import _declarations as declarations
from . import _registration as registration
from ._base import Check, CheckFailed, CheckResult
from ._transport import Transport

__all__ = ["CHECKS", "Check", "CheckFailed", "CheckResult", "check_provider"]

CHECKS: list[Check] = [*declarations.CHECKS, *registration.CHECKS, *calls.CHECKS]
"""Every check: declarations, then registration, then calls."""


def check_provider(cls: type[BaseProvider], *, transport: Transport | None = None) -> list[CheckResult]:
    """Run every check on ``cls`` (calls go to a StandIn on loopback) and return the results, in order."""
    bound = transport or Transport()
    return [check.bind(bound).run(cls) for check in CHECKS]
