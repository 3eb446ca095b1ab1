"""A start that resolves an OpenAI-plugin model imports its provider module and little else: not the
HTTP client, not ``typing``, not ``json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.processes import clean_environ, run_python

pytestmark = pytest.mark.installed

RESOLVE = """
import sys
started_with = set(sys.modules)
from providerhub import _default, get_provider
provider = get_provider("gpt-4o")
imported = sorted(set(sys.modules) - started_with)
import json
print(json.dumps({"provider": provider.__name__, "from_index": _default.registry().from_index, "imported": imported}))
"""


def test_a_warm_start_imports_the_provider_module_without_typing_json_or_the_client(tmp_path: Path) -> None:
    env = clean_environ(tmp_path / "cache")
    outcomes = []
    for _ in range(2):  # the first start writes the model index, the second is served by it
        out = run_python(RESOLVE, env=env)
        assert (out.returncode, out.stderr) == (0, "")
        outcomes.append(json.loads(out.stdout))
    warm = outcomes[1]
    assert (warm["provider"], warm["from_index"]) == ("OpenAI", True)
    assert "providerhub_openai.provider" in warm["imported"]
    heavy = ("typing", "re", "json", "enum", "threading", "aiohttp", "providerhub_openai.client")
    assert [name for name in heavy if name in warm["imported"]] == []
