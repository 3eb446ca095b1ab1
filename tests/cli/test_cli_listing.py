"""The listing commands (plugins, providers, models, resolve, --version) in text and JSON, and usage errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import providerhub
from support.cli import CLI, WITH_BROKEN, one_error_line
from support.plugins import PluginSite

BROKEN = "plugin 'broken' failed to import"


def warning_lines(stderr: str) -> list[str]:
    """Plugin warnings must be one plain line each, not Python's warning format."""
    assert "PluginLoadWarning" not in stderr and "warnings.warn" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("providerhub: warning: ")]


def test_plugins_lists_each_plugin_and_a_broken_one_with_its_error(catalog: CLI) -> None:
    result = catalog.run("plugins", PROVIDERHUB_PLUGINS=WITH_BROKEN)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the broken plugin's warning is the error column, not noise
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["PLUGIN", "DISTRIBUTION", "VERSION", "PROVIDERS", "ERROR"]
    assert [row.split()[:4] for row in rows] == [
        ["alpha", "ph-test-alpha", "1.0", "Alpha"],
        ["beta", "ph-test-beta", "2.1", "Beta"],
        ["broken", "ph-test-broken", "1.0", "-"],
        ["gamma", "ph-test-gamma", "1.0", "Gamma"],
        ["slow", "ph-test-slow", "1.0", "Slow,"],
    ]
    error_column = header.index("ERROR")
    assert rows[2][error_column:].startswith(BROKEN) and "not_a_module_anywhere_xyz" in rows[2]
    assert rows[0][error_column:] == "-"


def test_plugins_json(catalog: CLI) -> None:
    result = catalog.run("plugins", "--json", PROVIDERHUB_PLUGINS=WITH_BROKEN)
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert list(plugins) == ["alpha", "beta", "broken", "gamma", "slow"]
    for plugin in plugins.values():
        assert list(plugin) == ["name", "distribution", "version", "value", "providers", "error"]
    assert plugins["beta"]["distribution"] == "ph-test-beta"
    assert plugins["beta"]["version"] == "2.1"
    assert plugins["beta"]["providers"] == ["Beta"]
    assert plugins["beta"]["error"] is None
    assert plugins["slow"]["providers"] == ["Slow", "Faulty"]
    assert plugins["broken"]["providers"] == []
    assert plugins["broken"]["error"].startswith(BROKEN)


def test_providers_text_is_aligned(catalog: CLI) -> None:
    result = catalog.run("providers", "--debug")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "PROVIDER  MODELS  PRIORITY  WORKING  AUTH  KEY  STREAM  URL",
        "Alpha     2       5         yes      no    -    yes     http://127.0.0.1/Alpha",
        "Beta      2       1         yes      no    -    yes     http://127.0.0.1/Beta",
        "Faulty    1       0         yes      no    -    yes     -",
    ]
    assert lines[4].split() == ["Gamma", "1", "9", "no", "no", "-", "yes", "http://127.0.0.1/Gamma"]


def test_providers_json(catalog: CLI) -> None:
    result = catalog.run("providers", "--json")
    assert result.returncode == 0, result.stderr
    providers = {p["name"]: p for p in json.loads(result.stdout)}
    assert list(providers) == ["Alpha", "Beta", "Faulty", "Gamma", "Slow"]
    assert providers["Alpha"] == {
        "name": "Alpha",
        "label": None,
        "plugin": "alpha",
        "url": "http://127.0.0.1/Alpha",
        "working": True,
        "needs_auth": False,
        "supports_stream": True,
        "priority": 5,
        "default_model": "gpt-4o",
        "default_vision_model": None,
        "models": ["gpt-4o", "gpt-4o-mini"],
        "vision_models": ["gpt-4o"],
        "aliases": {"4o": "gpt-4o"},
        "any_model": False,
        "api_key_env": None,
        "options": {},
        "key_found": False,
        "key_source": None,
    }
    assert providers["Gamma"]["working"] is False


def test_other_commands_warn_once_per_broken_plugin_in_one_line(catalog: CLI) -> None:
    for _ in range(2):  # the second run reads the model index and retries the failed plugin
        result = catalog.run("providers", PROVIDERHUB_PLUGINS=WITH_BROKEN)
        assert result.returncode == 0
        (line,) = warning_lines(result.stderr)
        assert line.startswith(f"providerhub: warning: {BROKEN}")
        assert result.stderr == line + "\n"


def test_models_text(catalog: CLI) -> None:
    result = catalog.run("models")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "MODEL        PROVIDER  ALIASES  VISION",
        "faulty-1     Faulty    -        no",
        "gpt-4o       Gamma     -        no",
        "gpt-4o       Alpha     4o       yes",
        "gpt-4o       Beta      -        no",
        "gpt-4o-mini  Alpha     -        no",
        "llama-3      Beta      llama    no",
        "slow-1       Slow      -        no",
        "slow-gap     Slow      -        no",
    ]


def test_models_json_filtered_by_provider_and_vision(catalog: CLI) -> None:
    result = catalog.run("models", "--json", "--provider", "beta")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"id": "gpt-4o", "provider": "Beta", "plugin": "beta", "aliases": [], "vision": False},
        {"id": "llama-3", "provider": "Beta", "plugin": "beta", "aliases": ["llama"], "vision": False},
    ]
    result = catalog.run("models", "--vision", "--json")
    assert json.loads(result.stdout) == [
        {"id": "gpt-4o", "provider": "Alpha", "plugin": "alpha", "aliases": ["4o"], "vision": True}
    ]


def test_models_of_an_unknown_provider_is_not_found(catalog: CLI) -> None:
    result = catalog.run("models", "--provider", "alfa")
    assert result.returncode == 3
    assert "no provider named 'alfa'; did you mean 'Alpha'?" in one_error_line(result)


def test_a_long_name_is_quoted_in_part(catalog: CLI) -> None:
    long = "alfa" * 1000
    for command in (("models", "--provider", long), ("resolve", long)):
        result = catalog.run(*command)
        assert result.returncode == 3
        line = one_error_line(result)
        assert "... (4,000 characters)" in line and len(line) < 400, command


def test_resolve_text_shows_match_and_candidates_by_priority(catalog: CLI) -> None:
    result = catalog.run("resolve", "gpt-4o")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "requested  gpt-4o",
        "provider   Alpha",
        "model      gpt-4o",
        "plugin     alpha",
        "match      id",
        "",
        "#  PROVIDER  MODEL   PRIORITY  PLUGIN",
        "1  Alpha     gpt-4o  5         alpha",
        "2  Beta      gpt-4o  1         beta",
    ]


@pytest.mark.parametrize(
    ("name", "match", "provider", "model"),
    [
        ("llama", "alias", "Beta", "llama-3"),
        ("Beta/gpt-4o", "prefix", "Beta", "gpt-4o"),
        ("beta/llama", "prefix", "Beta", "llama-3"),
        ("alpha", "provider", "Alpha", "gpt-4o"),
        ("GPT-4O-Mini", "case-insensitive", "Alpha", "gpt-4o-mini"),
    ],
)
def test_resolve_json_names_how_it_matched(catalog: CLI, name: str, match: str, provider: str, model: str) -> None:
    result = catalog.run("resolve", name, "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert list(found) == ["requested", "provider", "model", "plugin", "match", "candidates"]
    assert (found["requested"], found["match"], found["provider"], found["model"]) == (name, match, provider, model)
    priority = {"Alpha": 5, "Beta": 1}[provider]
    assert found["candidates"][0] == {
        "provider": provider,
        "model": model,
        "plugin": provider.lower(),
        "priority": priority,
    }


def test_resolve_json_candidates_in_preference_order(catalog: CLI) -> None:
    found = json.loads(catalog.run("resolve", "gpt-4o", "--json").stdout)
    assert found["candidates"] == [
        {"provider": "Alpha", "model": "gpt-4o", "plugin": "alpha", "priority": 5},
        {"provider": "Beta", "model": "gpt-4o", "plugin": "beta", "priority": 1},
    ]
    preferred = json.loads(catalog.run("resolve", "gpt-4o", "--json", PROVIDERHUB_PREFER="beta").stdout)
    assert [c["provider"] for c in preferred["candidates"]] == ["Beta", "Alpha"]


def test_resolve_with_an_image_keeps_vision_providers(catalog: CLI) -> None:
    found = json.loads(catalog.run("resolve", "gpt-4o", "--image", "photo.png", "--json").stdout)
    assert [c["provider"] for c in found["candidates"]] == ["Alpha"]
    result = catalog.run("resolve", "llama", "--image", "photo.png")
    assert result.returncode == 3
    assert "with image input" in one_error_line(result)


def test_resolve_unknown_model_is_one_line_with_a_suggestion(catalog: CLI) -> None:
    result = catalog.run("resolve", "gpt-4")
    assert result.returncode == 3
    assert result.stdout == ""
    assert (
        one_error_line(result)
        == "providerhub: error: no installed provider serves model 'gpt-4'; did you mean 'gpt-4o', 'gpt-4o-mini'?"
    )


def test_resolve_with_no_plugins_says_how_to_install_one(cli: CLI) -> None:
    result = cli.run("resolve", "gemini-1.5-flash")
    assert result.returncode == 3
    assert "pip install providerhub-dynaspark" in one_error_line(result)


def test_strict_plugins_turns_a_broken_plugin_into_its_own_exit_code(catalog: CLI) -> None:
    for command in ("models", "providers", "resolve gpt-4o", "chat -m gpt-4o hi"):
        result = catalog.run(*command.split(), PROVIDERHUB_STRICT_PLUGINS="1", PROVIDERHUB_PLUGINS=WITH_BROKEN)
        assert result.returncode == 5, command
        assert BROKEN in one_error_line(result)


def test_version_names_the_core_and_each_plugin(catalog: CLI) -> None:
    result = catalog.run("--version", PROVIDERHUB_PLUGINS=WITH_BROKEN)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"providerhub {providerhub.__version__}",
        "ph-test-alpha 1.0 (plugin alpha)",
        "ph-test-beta 2.1 (plugin beta)",
        "ph-test-broken 1.0 (plugin broken, failed to load)",
        "ph-test-gamma 1.0 (plugin gamma)",
        "ph-test-slow 1.0 (plugin slow)",
    ]


def test_no_command_prints_help_and_exits_2(cli: CLI) -> None:
    result = cli.run()
    assert result.returncode == 2
    assert "usage: providerhub" in result.stderr
    for command in ("plugins", "providers", "models", "resolve", "chat"):
        assert command in result.stderr


def test_help_documents_the_json_keys(cli: CLI) -> None:
    result = cli.run("--help")
    assert result.returncode == 0
    assert "{id, provider, plugin, aliases, vision}" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("frobnicate",),
        ("resolve",),
        ("models", "--bogus"),
        ("chat", "--timeout", "soon", "hi"),
        ("chat", "--timeout", "0"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(cli: CLI, args: tuple[str, ...]) -> None:
    result = cli.run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    one_error_line(result)


def test_python_dash_m_runs_the_same_command(catalog: CLI) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "providerhub", "resolve", "llama"],
        env=catalog.environ(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "provider   Beta" in result.stdout


def test_importing_providerhub_leaves_the_command_line_out(cli: CLI) -> None:
    code = "import sys, providerhub; print('providerhub._cli' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], env=cli.environ(), capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize("command", ["plugins", "providers", "models"])
def test_empty_listings_say_so_on_stderr_and_print_empty_json(cli: CLI, command: str) -> None:
    result = cli.run(command)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr.startswith("providerhub: no ")
    result = cli.run(command, "--json")
    assert (result.returncode, json.loads(result.stdout), result.stderr) == (0, [], "")


def test_a_plugin_error_of_several_lines_stays_on_one_row(catalog: CLI, plugin_site: PluginSite) -> None:
    plugin_site.add("multiline", "raise ImportError('first line\\nsecond line\\r\\n\\tthird line')\n")
    result = catalog.run("plugins", PROVIDERHUB_PLUGINS="alpha,multiline")
    assert result.returncode == 0, result.stderr
    _, *rows = result.stdout.splitlines()
    assert [row.split()[0] for row in rows] == ["alpha", "multiline"]
    assert rows[1].endswith("ImportError: first line second line third line")


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(max_size=8)),
            st.one_of(st.none(), st.integers(-5, 500), st.text(max_size=8)),
            st.one_of(st.booleans(), st.text(max_size=3)),
        ),
        max_size=12,
    )
)
def test_a_table_shows_every_cell_aligned(rows: list[tuple[object, object, object]]) -> None:
    from providerhub._cli._output import write_table

    out = io.StringIO()
    write_table(("A", "BB", "C"), rows, out)
    shown = [["-" if c is None or c == "" else str(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in shown)]) for i, h in enumerate(("A", "BB"))]
    expected = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in [("A", "BB", "C"), *map(tuple, shown)]]
    assert out.getvalue() == "".join(line + "\n" for line in expected)
