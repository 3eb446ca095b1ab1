"""``providerhub keys``: storing keys privately, listing names only, the lookup order, damaged files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from support.cli import CLI, Terminal, one_error_line

SECRET = "sk-test-0123456789abcdef"


def key_file(cli: CLI) -> Path:
    return Path(cli.environ()["XDG_CONFIG_HOME"]) / "providerhub" / "keys.json"


def test_keys_path_is_in_the_user_config_directory(echo: CLI) -> None:
    result = echo.run("keys", "path")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{key_file(echo)}\n", "")


def test_set_from_stdin_stores_a_private_file_and_list_shows_names_only(echo: CLI) -> None:
    result = echo.run("keys", "set", "locked", stdin=f"{SECRET}\n")  # any case: stored as the provider spells it
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"providerhub: the key for Locked is stored in {key_file(echo)}\n"
    assert SECRET not in result.stdout + result.stderr
    file = key_file(echo)
    assert json.loads(file.read_text()) == {"Locked": SECRET}
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    assert [p.name for p in file.parent.iterdir()] == ["keys.json"]  # no temporary file left behind
    listed = echo.run("keys", "list")
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "Locked\n", "")
    listed = echo.run("keys", "list", "--json")
    assert json.loads(listed.stdout) == ["Locked"]
    echo.run("keys", "set", "LOCKED", stdin="sk-second")  # replaces, whatever the case given
    assert json.loads(file.read_text()) == {"Locked": "sk-second"}


def test_set_reads_the_key_without_echo_on_a_terminal(echo: CLI) -> None:
    terminal = Terminal(echo, "keys", "set", "Locked")
    terminal.expect("Key for Locked: ")
    terminal.send(f"{SECRET}\n")
    assert terminal.finish() == 0
    assert SECRET not in terminal.seen.decode()  # not echoed
    assert json.loads(key_file(echo).read_text()) == {"Locked": SECRET}


def test_a_name_no_provider_has_is_stored_with_a_warning(echo: CLI) -> None:
    result = echo.run("keys", "set", "Lockd", stdin=SECRET)
    assert result.returncode == 0
    assert result.stderr.splitlines()[0] == (
        "providerhub: warning: the key is stored under 'Lockd', but there is no provider named 'Lockd'; "
        "did you mean 'Locked'?"
    )
    assert json.loads(key_file(echo).read_text()) == {"Lockd": SECRET}


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "the key for Locked is empty"),
        ("  \n", "the key for Locked is empty"),
        ("two words", "the key for Locked holds spaces or control characters"),
        ("x" * 20000, "the key for Locked is longer than 16,384 characters"),
    ],
)
def test_a_key_that_cannot_be_one_exits_2_and_stores_nothing(echo: CLI, stdin: str, message: str) -> None:
    result = echo.run("keys", "set", "Locked", stdin=stdin)
    assert result.returncode == 2
    assert one_error_line(result) == f"providerhub: error: {message}"
    assert not key_file(echo).exists()


def test_remove_then_remove_again_exits_3(echo: CLI) -> None:
    echo.run("keys", "set", "Locked", stdin=SECRET)
    echo.run("keys", "set", "Other", stdin="sk-other")
    result = echo.run("keys", "remove", "locked")
    assert (result.returncode, result.stderr) == (0, "providerhub: the key for Locked is removed\n")
    assert json.loads(key_file(echo).read_text()) == {"Other": "sk-other"}
    result = echo.run("keys", "remove", "Locked")
    assert result.returncode == 3
    assert one_error_line(result) == "providerhub: error: no key is stored for 'Locked'; keys are stored for: Other"


def test_list_with_no_keys_says_so_on_stderr(echo: CLI) -> None:
    result = echo.run("keys", "list")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == f"providerhub: no keys are stored (in {key_file(echo)})\n"
    assert json.loads(echo.run("keys", "list", "--json").stdout) == []


def test_keys_without_an_action_is_a_usage_error(echo: CLI) -> None:
    result = echo.run("keys")
    assert result.returncode == 2
    assert "the following arguments are required: ACTION" in one_error_line(result)


def test_the_key_is_looked_up_flag_then_file_then_variable(echo: CLI) -> None:
    result = echo.run("chat", "-m", "locked-1", "hi")
    assert result.returncode == 4
    assert one_error_line(result) == (
        "providerhub: error: provider Locked needs a key and none was found: set LOCKED_KEY, "
        "store one with 'providerhub keys set Locked' or pass api_key="
    )
    assert echo.run("chat", "-m", "locked-1", "hi", LOCKED_KEY="from-env").stdout == "key=from-env\n"
    echo.run("keys", "set", "Locked", stdin="from-file")
    assert echo.run("chat", "-m", "locked-1", "hi", LOCKED_KEY="from-env").stdout == "key=from-file\n"
    result = echo.run("chat", "-m", "locked-1", "--key", "from-flag", "hi", LOCKED_KEY="from-env")
    assert result.stdout == "key=from-flag\n"


def test_providers_shows_whether_a_key_is_needed_and_found_never_the_key(echo: CLI) -> None:
    def key_column(**env: str) -> dict[str, tuple[str, str]]:
        result = echo.run("providers", **env)
        assert result.returncode == 0, result.stderr
        assert SECRET not in result.stdout + result.stderr
        rows = [line.split() for line in result.stdout.splitlines()]
        assert rows[0][4:6] == ["AUTH", "KEY"]
        return {row[0]: (row[4], row[5]) for row in rows[1:]}

    assert key_column() == {"Echo": ("no", "-"), "Locked": ("yes", "missing"), "Single": ("no", "-")}
    assert key_column(LOCKED_KEY=SECRET)["Locked"] == ("yes", "$LOCKED_KEY")
    echo.run("keys", "set", "Locked", stdin=SECRET)
    assert key_column(LOCKED_KEY=SECRET)["Locked"] == ("yes", "stored")
    result = echo.run("providers", "--json")
    assert SECRET not in result.stdout
    listed = {p["name"]: (p["needs_auth"], p["key_found"], p["key_source"]) for p in json.loads(result.stdout)}
    assert listed == {"Echo": (False, False, None), "Locked": (True, True, "file"), "Single": (False, False, None)}


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        ("not json", "is not valid JSON"),
        ('["a list"]', "must hold a JSON object of provider names to keys"),
        ('{"Locked": 5}', "the key for 'Locked' is not a string"),
        ('{"Locked": "a b"}', "the key for 'Locked' holds spaces or control characters"),
        (None, "cannot be read: Is a directory"),
        ("{}" + " " * 300_000, "is larger than 262,144 bytes"),
    ],
    ids=["not-json", "not-an-object", "not-a-string", "bad-key", "a-directory", "too-large"],
)
def test_a_damaged_key_file_is_one_clear_error_and_is_left_alone(echo: CLI, content: str | None, fault: str) -> None:
    file = key_file(echo)
    file.parent.mkdir(parents=True)
    if content is None:
        file.mkdir()
    else:
        file.write_text(content)
    for command in ("keys list", "keys set Locked", "keys remove Locked", "providers", "chat -m locked-1 hi"):
        result = echo.run(*command.split(), stdin=SECRET)
        assert result.returncode == 2, (command, result.stderr)
        assert one_error_line(result) == f"providerhub: error: key file {file} {fault}".replace(
            f"{file} the", f"{file}: the"
        )
    assert content is None or file.read_text() == content
    assert SECRET not in (file.read_text() if content is not None else "")
    assert os.path.isdir(file) == (content is None)
