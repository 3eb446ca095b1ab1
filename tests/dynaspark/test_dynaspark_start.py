"""A start that resolves a Dynaspark model imports its provider module and little else: not the HTTP
side, not ``typing``, not ``json`` (the README's start-up figures depend on it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.processes import HEAVY, clean_environ, warm_resolve

pytestmark = pytest.mark.installed


def test_a_warm_start_imports_the_provider_module_without_typing_json_or_the_client(tmp_path: Path) -> None:
    config = tmp_path / "providerhub.toml"
    config.write_text('default_model = "gemini-1.5-flash"\nprefer = ["Dynaspark"]\n')
    warm = warm_resolve("gemini-1.5-flash", clean_environ(tmp_path / "cache", PROVIDERHUB_CONFIG=str(config)))
    assert (warm["provider"], warm["from_index"]) == ("Dynaspark", True)
    assert "providerhub_dynaspark.provider" in warm["imported"]
    heavy = (*HEAVY, "aiohttp", "providerhub_dynaspark.client")
    assert [name for name in heavy if name in warm["imported"]] == []
