"""The README's setups and the plugin's usage example run as written, against the stand-in."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from support.cli import Script as CLI
from support.openai_standin import OpenAIStandin
from support.processes import run_python

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PLUGIN_README = ROOT / "plugins" / "openai" / "README.md"


def block_after(text: str, heading: str, language: str) -> str:
    """The first fenced block of ``language`` after ``heading``."""
    start = text.index(heading)
    match = re.compile(rf"^```{language}\n(.*?)^```", re.MULTILINE | re.DOTALL).search(text, start)
    assert match, f"no {language} block after {heading!r}"
    return match.group(1)


@pytest.mark.parametrize(
    ("heading", "model"),
    [("### With Ollama", "llama3.2"), ("### With a hosted service", "llama-3.3-70b-versatile")],
)
def test_readme_setup_runs_as_shown(aimed: CLI, threaded_server: OpenAIStandin, heading: str, model: str) -> None:
    lines = block_after(README.read_text(encoding="utf-8"), heading, "sh").splitlines()
    assert len(lines) == 3, "a three-line setup"
    assert lines[0] == "pip install ./core ./plugins/openai"  # done by tox, as a user would
    commands = [shlex.split(line) for line in lines[1:]]
    env = dict(words[1].partition("=")[::2] for words in commands if words[0] == "export")
    (command,) = [words[1:] for words in commands if words[0] == "providerhub"]
    others = [words[:2] for words in commands if words[0] not in ("export", "providerhub")]
    assert all(words == ["ollama", "pull"] for words in others), others  # the user's own server gets the model
    result = aimed.run(*command, **env)
    assert (result.stdout, result.stderr, result.returncode) == ("echo: Why is the sky blue?\n", "", 0)
    (received,) = threaded_server.requests
    assert received.model == model
    assert received.authorization == (f"Bearer {env['GROQ_API_KEY']}" if env else None)


def test_plugin_readme_example_runs(aimed: CLI, threaded_server: OpenAIStandin) -> None:
    code = block_after(PLUGIN_README.read_text(encoding="utf-8"), "## Usage", "python")
    # -W error: an unclosed session or connection would print a ResourceWarning. Not -X dev: its
    # slow-callback notes would flag the first call's plugin discovery, which runs on the loop.
    out = run_python(code, "-W", "error", env=aimed.environ())
    assert (out.stdout, out.stderr, out.returncode) == ("echo: Name a colour.\n", "", 0)
    assert threaded_server.requests[0].model == "llama3.2"
    assert threaded_server.requests[0].options == {"temperature": 0.2}


@pytest.mark.parametrize("readme", [README, PLUGIN_README], ids=["README", "plugin-README"])
def test_readme_configuration_runs_as_shown(
    command: CLI, threaded_server: OpenAIStandin, tmp_path: Path, readme: Path
) -> None:
    source = readme.read_text(encoding="utf-8")
    start = source.index("```toml\n[providers.ollama]")
    text = source[start + len("```toml\n") : source.index("```", start + 3)]
    elsewhere = {"http://gpu-box.lan:11434/v1", "https://llm.example.com/v1"}
    assert set(re.findall(r'api_base = "([^"]+)"', text)) == elsewhere
    for url in elsewhere:
        text = text.replace(url, threaded_server.base)
    path = tmp_path / "providerhub.toml"
    path.write_text(text, encoding="utf-8")
    env = {"PROVIDERHUB_CONFIG": str(path), "WORK_LLM_KEY": "sk-work"}
    for model in ("ollama/llama3.2", "house-7b", "work/house-70b"):
        result = command.run("chat", "-m", model, "Hi", **env)
        assert (result.stdout, result.stderr, result.returncode) == ("echo: Hi\n", "", 0)
    assert [(r.model, r.authorization) for r in threaded_server.requests] == [
        ("llama3.2", None),
        ("house-7b", "Bearer sk-work"),
        ("house-70b", "Bearer sk-work"),
    ]
