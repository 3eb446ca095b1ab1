"""Dynaspark against the whole contract kit, as any plugin author would run it: no expected failures."""

from __future__ import annotations

from providerhub.testing import Check, parametrize_provider_checks
from providerhub_dynaspark import Dynaspark


@parametrize_provider_checks(Dynaspark)
def test_contract(provider: type[Dynaspark], check: Check) -> None:
    check(provider)
