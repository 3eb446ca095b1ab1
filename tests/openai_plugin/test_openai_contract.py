"""The OpenAI plugin's providers (OpenAI and every preset) against the whole contract kit: no expected failures."""

from __future__ import annotations

from providerhub import BaseProvider
from providerhub.testing import Check, parametrize_provider_checks
from providerhub_openai import PRESETS, OpenAI


@parametrize_provider_checks(OpenAI, *PRESETS)
def test_contract(provider: type[BaseProvider], check: Check) -> None:
    check(provider)
