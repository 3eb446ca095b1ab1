"""A start that resolves an OpenAI-plugin model imports its provider module and little else: not the
HTTP client, not ``typing``, not ``json``."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.processes import HEAVY, clean_environ, warm_resolve

pytestmark = pytest.mark.installed


def test_a_warm_start_imports_the_provider_module_without_typing_json_or_the_client(tmp_path: Path) -> None:
    warm = warm_resolve("gpt-4o", clean_environ(tmp_path / "cache"))
    assert (warm["provider"], warm["from_index"]) == ("OpenAI", True)
    assert "providerhub_openai.provider" in warm["imported"]
    heavy = (*HEAVY, "aiohttp", "providerhub_openai.client")
    assert [name for name in heavy if name in warm["imported"]] == []
