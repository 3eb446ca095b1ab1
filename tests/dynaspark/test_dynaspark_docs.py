"""The usage examples in the README and the provider's docstring run as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

import providerhub_dynaspark.provider
from support.dynaspark_standin import Standin
from support.processes import STRICT, run_python

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
def test_usage_example_runs_against_the_standin(threaded_server: Standin, source: Callable[[], str]) -> None:
    blocks = python_blocks(source())
    assert blocks, "no python example found"
    out = run_python(blocks[0], *STRICT, DYNASPARK_API_ENDPOINT=threaded_server.url)
    assert (out.stderr, out.returncode) == ("", 0)
    assert out.stdout == "echo[gemini-2.0-flash]: Name a colour.\n"
    assert [(r.ai_model, r.user_input) for r in threaded_server.requests] == [("gemini-2.0-flash", "Name a colour.")]
