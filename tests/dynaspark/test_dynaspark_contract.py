"""Dynaspark against the whole contract kit, as any plugin author would run it."""

from __future__ import annotations

from providerhub.testing import Check, parametrize_provider_checks
from providerhub_dynaspark import Dynaspark

EXPECTED_FAILURES = {
    "check_get_model_agrees": "get_model does not accept the '<name>/<model>' and provider-name forms yet",
}


@parametrize_provider_checks(Dynaspark, expected_failures=EXPECTED_FAILURES)
def test_contract(provider: type[Dynaspark], check: Check) -> None:
    check(provider)
