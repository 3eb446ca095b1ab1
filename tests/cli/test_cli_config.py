"""The command with a configuration file: derived providers listed and used, bad parts warned, bad TOML exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import CLI, one_error_line


def test_invalid_toml_is_one_error_line_and_exit_2(catalog: CLI, tmp_path: Path) -> None:
    path = tmp_path / "providerhub.toml"
    path.write_text("[providers.Local\nfrom = 'Alpha'\n")
    for command in ("providers", "models", "resolve gpt-4o", "chat -m gpt-4o hi"):
        result = catalog.run(*command.split(), PROVIDERHUB_CONFIG=str(path))
        assert result.returncode == 2, result.stderr
        assert f"configuration file {path} is not valid TOML" in one_error_line(result)


def test_derived_provider_is_listed_resolved_and_answers(catalog: CLI, tmp_path: Path) -> None:
    path = tmp_path / "providerhub.toml"
    path.write_text(
        '[providers.Mine]\nfrom = "Alpha"\nmodels = ["gpt-4o-mini"]\npriority = 20\n'
        'any_model = true\napi_key_env = "MINE_KEY"\n'
    )
    for _ in range(2):  # the second start reads the model index
        result = catalog.run("providers", "--json", PROVIDERHUB_CONFIG=str(path))
        assert result.returncode == 0, result.stderr
        mine = {p["name"]: p for p in json.loads(result.stdout)}["Mine"]
        assert (mine["plugin"], mine["models"], mine["priority"]) == ("alpha", ["gpt-4o-mini"], 20)
        assert (mine["any_model"], mine["api_key_env"], mine["options"]) == (True, "MINE_KEY", {})
        resolved = json.loads(catalog.run("resolve", "--json", "gpt-4o-mini", PROVIDERHUB_CONFIG=str(path)).stdout)
        assert [c["provider"] for c in resolved["candidates"]] == ["Mine", "Alpha"]
        chat = catalog.run("chat", "-m", "mine", "hi", PROVIDERHUB_CONFIG=str(path))
        assert (chat.returncode, chat.stdout) == (0, "Mine:gpt-4o-mini\n")
        chat = catalog.run("chat", "-m", "mine/any-thing", "hi", PROVIDERHUB_CONFIG=str(path))
        assert (chat.returncode, chat.stdout) == (0, "Mine:any-thing\n")


def test_a_bad_table_is_a_warning_line_naming_the_file_and_table(catalog: CLI, tmp_path: Path) -> None:
    path = tmp_path / "providerhub.toml"
    path.write_text('[providers.Mine]\nfrom = "Nowhere"\n')
    result = catalog.run("providers", PROVIDERHUB_CONFIG=str(path))
    assert result.returncode == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("providerhub: warning: ")]
    assert warnings == [
        f"providerhub: warning: {path}: [providers.Mine]: no installed provider is named 'Nowhere'; "
        "the provider is left out"
    ]
    assert "Mine" not in result.stdout
