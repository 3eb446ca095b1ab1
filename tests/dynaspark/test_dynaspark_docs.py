"""The usage examples in the README and the provider's docstring run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import providerhub_dynaspark.provider
from support.dynaspark_standin import Standin

pytestmark = pytest.mark.installed

README = Path(__file__).resolve().parents[2] / "plugins" / "dynaspark" / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[str]:
    return FENCE.findall(text)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(lambda: README.read_text(encoding="utf-8"), id="README"),
        pytest.param(lambda: providerhub_dynaspark.provider.__doc__ or "", id="docstring"),
    ],
)
def test_usage_example_runs_against_the_standin(threaded_server: Standin, source: object) -> None:
    assert callable(source)
    blocks = python_blocks(source())
    assert blocks, "no python example found"
    env = {**os.environ, "DYNASPARK_API_ENDPOINT": threaded_server.url}
    env.pop("PYTHONWARNINGS", None)
    out = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", blocks[0]],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert (out.stderr, out.returncode) == ("", 0)
    assert out.stdout == "echo[gemini-2.0-flash]: Name a colour.\n"
    assert [(r.ai_model, r.user_input) for r in threaded_server.requests] == [("gemini-2.0-flash", "Name a colour.")]
