"""providerhub.testing: the contract kit that tells a plugin author their provider is right.

Nothing here is imported by ``import providerhub``. Three ways to use it:

- ``check_provider(cls)`` returns one ``CheckResult`` per check (passed, failed or skipped, with
  a one-line reason);
- ``@parametrize_provider_checks(cls)`` over ``def test_contract(provider, check): check(provider)``
  gives one pytest test per (provider, check); or subclass ``ProviderContract``;
- ``providerhub check`` runs the checks on installed plugins from the command line.

Calls go to a ``StandIn``, a loopback HTTP server each check scripts, never to the network.
The pytest parts need pytest (``pip install 'providerhub[testing]'``); enable the ``standin``
fixture with ``pytest_plugins = ["providerhub.testing"]``.
"""

from __future__ import annotations

from ._checks import CHECKS, Check, CheckFailed, CheckResult, check_provider
from ._standin import Reply, Request, StandIn
from ._transport import ENDPOINT_SETTINGS, CheckSkipped, Transport, loopback_only

__all__ = [
    "CHECKS",
    "ENDPOINT_SETTINGS",
    "Check",
    "CheckFailed",
    "CheckResult",
    "CheckSkipped",
    "ProviderContract",
    "Reply",
    "Request",
    "StandIn",
    "Transport",
    "check_provider",
    "loopback_only",
    "parametrize_provider_checks",
]

try:
    import pytest  # noqa: F401  # only to know whether the pytest parts can load
except ImportError:  # the checks, the StandIn and `providerhub check` work without pytest

    def __getattr__(name: str) -> object:
        if name in ("ProviderContract", "parametrize_provider_checks", "standin"):
            raise ImportError(f"providerhub.testing.{name} needs pytest: pip install 'providerhub[testing]'")
        raise AttributeError(f"module 'providerhub.testing' has no attribute {name!r}")

else:
    from ._contract import ProviderContract, parametrize_provider_checks, standin  # noqa: F401
