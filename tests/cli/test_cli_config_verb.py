"""``providerhub config``: the effective configuration, secrets masked."""

from __future__ import annotations

import json

from clitools import CLI


def test_config_shows_files_variables_and_state_with_secrets_masked(echo: CLI) -> None:
    env = {
        "PROVIDERHUB_PREFER": "Echo",
        "PROVIDERHUB_API_KEY": "sk-config-secret",
        "PROVIDERHUB_STATE_URL": "redis://user:pw-secret@127.0.0.1:6379/0",
    }
    result = echo.run("config", "--json", **env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    environ = echo.environ()
    assert shown["keys_file"] == f"{environ['XDG_CONFIG_HOME']}/providerhub/keys.json"
    assert shown["history_file"] == f"{environ['XDG_DATA_HOME']}/providerhub/conversations.json"
    assert shown["cache_dir"] == environ["PROVIDERHUB_CACHE_DIR"]
    assert shown["environment"]["PROVIDERHUB_PREFER"] == "Echo"
    assert shown["environment"]["PROVIDERHUB_API_KEY"] == "***"
    assert shown["environment"]["PROVIDERHUB_STATE_URL"] == "redis://127.0.0.1:6379/0"
    text = echo.run("config", **env)
    assert text.returncode == 0
    assert "  PROVIDERHUB_PREFER=Echo\n" in text.stdout
    for output in (result.stdout, text.stdout, text.stderr):
        assert "sk-config-secret" not in output and "pw-secret" not in output
