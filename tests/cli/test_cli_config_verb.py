"""``providerhub config``: the configuration file and what it changed, the variables in effect, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import CLI, one_error_line

FILE = """\
default_model = "echo-1"
prefer = ["Single", "Echo"]

[providers.Mine]
from = "Echo"
api_endpoint = "http://user:pw-secret@127.0.0.1:1/v1?key=query-secret"
priority = 7

[providers.Locked]
priority = 2

[providers.Other]
from = "Echo"
api_key = "sk-file-secret"

[providers.Ghost]
from = "Nowhere"
"""


def test_config_without_a_file_says_where_it_would_be(echo: CLI) -> None:
    result = echo.run("config", "--json", PROVIDERHUB_CONFIG="")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    environ = echo.environ()
    assert shown["file"] == f"{environ['XDG_CONFIG_HOME']}/providerhub/providerhub.toml"
    assert (shown["file_found"], shown["providers"], shown["default_model"], shown["prefer"]) == (False, [], None, [])
    assert shown["keys_file"] == f"{environ['XDG_CONFIG_HOME']}/providerhub/keys.json"
    assert shown["history_file"] == f"{environ['XDG_DATA_HOME']}/providerhub/conversations.json"
    assert shown["cache_dir"] == environ["PROVIDERHUB_CACHE_DIR"]
    assert shown["state_backend"] == "memory"
    assert shown["plugins"] == ["echo"] and shown["strict"] is False
    text = echo.run("config", PROVIDERHUB_CONFIG="")
    assert text.stdout.splitlines()[0] == f"file            {shown['file']} (none there)"
    assert json.loads(echo.run("config", "--json", PROVIDERHUB_NO_CACHE="1").stdout)["cache_dir"] is None


def test_config_shows_the_file_its_providers_and_variables_with_secrets_masked(echo: CLI, tmp_path: Path) -> None:
    path = tmp_path / "providerhub.toml"
    path.write_text(FILE)
    env = {
        "PROVIDERHUB_CONFIG": str(path),
        "PROVIDERHUB_API_KEY": "sk-env-secret",
        "PROVIDERHUB_STATE_URL": "redis://user:pw-secret@127.0.0.1:6379/0",
    }
    result = echo.run("config", "--json", **env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["file"], shown["file_found"]) == (str(path), True)
    assert (shown["default_model"], shown["prefer"]) == ("echo-1", ["Single", "Echo"])
    assert shown["providers"] == [
        {
            "name": "Mine",
            "from": "Echo",
            "status": "added",
            "settings": {"api_endpoint": "http://127.0.0.1:1/v1?key=***", "priority": 7},
        },
        {"name": "Locked", "from": None, "status": "adjusted", "settings": {"priority": 2}},
        {"name": "Other", "from": "Echo", "status": "left out", "settings": {"api_key": "***"}},
        {"name": "Ghost", "from": "Nowhere", "status": "left out", "settings": {}},
    ]
    assert shown["environment"]["PROVIDERHUB_CONFIG"] == str(path)
    assert shown["environment"]["PROVIDERHUB_API_KEY"] == "***"
    assert shown["environment"]["PROVIDERHUB_STATE_URL"] == "redis://127.0.0.1:6379/0"
    assert shown["state_backend"] == "redis://127.0.0.1:6379/0"
    assert "[providers.Ghost]: no installed provider is named 'Nowhere'" in result.stderr
    text = echo.run("config", **env)
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0] == f"file            {path}"
    assert "  PROVIDERHUB_API_KEY=***" in lines
    table = lines[lines.index("providers in the file:") + 1 :]
    assert table[0].split() == ["PROVIDER", "FROM", "STATUS", "SETTINGS"]
    assert table[1].split()[:3] == ["Mine", "Echo", "added"]
    for output in (result.stdout, result.stderr, text.stdout, text.stderr):
        for secret in ("sk-env-secret", "sk-file-secret", "pw-secret", "query-secret"):
            assert secret not in output


def test_config_with_a_file_that_is_not_toml_exits_2(echo: CLI, tmp_path: Path) -> None:
    path = tmp_path / "providerhub.toml"
    path.write_text("[providers.Mine\n")
    result = echo.run("config", PROVIDERHUB_CONFIG=str(path))
    assert result.returncode == 2
    assert f"configuration file {path} is not valid TOML" in one_error_line(result)
