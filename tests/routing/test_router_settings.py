"""Router settings: defaults, then a [router] table, then arguments; PROVIDERHUB_* variables give arguments."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from providerhub._settings import ROUTING_ENVIRONMENT, RouterSettings, environment_settings, load_settings
from providerhub.errors import ConfigError, ConfigWarning

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| `(\w+)` \| `?([^`|]+?)`? \|", re.MULTILINE)


def shown(value: object) -> str:
    """A setting's value as the README writes it."""
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else f"{value:g}"


def test_the_defaults_are_the_documented_ones() -> None:
    table = README.split("| setting | default | what it does |", 1)[1].split("\n\n", 1)[0]
    documented = dict(ROW.findall(table))
    assert documented == {name: shown(value) for name, value in load_settings()._asdict().items()}


SAMPLES = {
    "fallback": ("off", False),
    "retries": ("2", 2),
    "allowed_fails": ("4", 4),
    "window": ("2.5", 2.5),
    "cooldown": ("9", 9.0),
    "first_chunk_timeout": ("none", None),
    "timeout": ("15", 15.0),
    "state_url": ("redis://127.0.0.1:6390/0", "redis://127.0.0.1:6390/0"),
}


@pytest.mark.parametrize("name", RouterSettings._fields)
def test_each_setting_has_its_documented_variable(name: str) -> None:
    variable = f"PROVIDERHUB_{name.upper()}"
    text, value = SAMPLES[name]
    assert environment_settings({variable: text}) == {name: value}
    assert ROUTING_ENVIRONMENT[name] == variable and f"`{variable}`" in README


def test_arguments_override_the_file() -> None:
    table = {"retries": 4, "cooldown": 12, "window": 5.5, "fallback": False}
    settings = load_settings({"retries": 0, "window": None}, table=table)
    assert settings.retries == 0  # argument over file
    assert settings.cooldown == 12.0  # file over default
    assert settings.window == 5.5  # None argument: not given
    assert settings.fallback is False


def test_the_variables_give_checked_settings() -> None:
    environ = {
        "PROVIDERHUB_RETRIES": "2",
        "PROVIDERHUB_STATE_URL": "redis://127.0.0.1:6390/0",
        "PROVIDERHUB_FALLBACK": "off",
        "PROVIDERHUB_COOLDOWN": " ",
        "PROVIDERHUB_WINDOW": "2.5",
    }
    assert environment_settings(environ) == {
        "retries": 2,
        "state_url": "redis://127.0.0.1:6390/0",
        "fallback": False,
        "window": 2.5,
    }


@pytest.mark.parametrize("off", ["none", "off", " None "])
def test_a_timeout_can_be_turned_off(off: str) -> None:
    given = environment_settings({"PROVIDERHUB_TIMEOUT": off, "PROVIDERHUB_FIRST_CHUNK_TIMEOUT": off})
    assert given == {"timeout": None, "first_chunk_timeout": None}
    assert load_settings({"timeout": math.inf}).timeout is None
    assert load_settings(table={"first_chunk_timeout": "none"}).first_chunk_timeout is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PROVIDERHUB_RETRIES", "two", r"^PROVIDERHUB_RETRIES must be a whole number >= 0, not 'two'$"),
        ("PROVIDERHUB_RETRIES", "-1", r"^PROVIDERHUB_RETRIES must be a whole number >= 0, not '-1'$"),
        ("PROVIDERHUB_ALLOWED_FAILS", "0", r"^PROVIDERHUB_ALLOWED_FAILS must be a whole number >= 1, not '0'$"),
        ("PROVIDERHUB_COOLDOWN", "0", r"^PROVIDERHUB_COOLDOWN must be a number of seconds > 0, not '0'$"),
        ("PROVIDERHUB_WINDOW", "nan", r"^PROVIDERHUB_WINDOW must be a number of seconds > 0, not 'nan'$"),
        ("PROVIDERHUB_TIMEOUT", "soon", r"^PROVIDERHUB_TIMEOUT must be a number of seconds > 0 \(or none\)"),
        ("PROVIDERHUB_FALLBACK", "maybe", r"^PROVIDERHUB_FALLBACK must be true or false, not 'maybe'$"),
        ("PROVIDERHUB_STATE_URL", "localhost:6379", r"^PROVIDERHUB_STATE_URL must be a redis://"),
    ],
)
def test_a_bad_variable_is_a_config_error_naming_it(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        environment_settings({variable: value})


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"retries": 1.5},
            r"^/etc/ph\.toml: \[router\]: retries must be a whole number >= 0, not 1\.5; it is ignored$",
        ),
        ({"cooldown": True}, r"^/etc/ph\.toml: \[router\]: cooldown must be a number of seconds > 0, not True; it is"),
        ({"retry": 2}, r"^/etc/ph\.toml: \[router\]: unknown setting 'retry' is ignored; the settings are: fallback, "),
    ],
)
def test_a_bad_table_entry_is_left_out_with_a_warning_naming_its_file(table: dict[str, Any], message: str) -> None:
    with pytest.warns(ConfigWarning, match=message):
        settings = load_settings(table={**table, "window": 9}, where="/etc/ph.toml: [router]")
    assert settings == RouterSettings(window=9.0)  # the rest of the table applies


def test_a_bad_argument_is_named() -> None:
    with pytest.raises(ValueError, match=r"^window=-3 must be a number of seconds > 0, not -3$"):
        load_settings({"window": -3})
    with pytest.raises(ValueError, match=r"^unknown router setting 'retry'; the settings are: "):
        load_settings({"retry": 1})
