"""Plugins written from the README alone pass the kit, and its three ways of running the checks work as shown."""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

import pytest

from providerhub.testing import check_provider
from support.plugins import PluginSite
from support.processes import run_script

from .test_checks import CALL_CHECKS

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n### {title}\n")
    ends = [i for i in (text.find(h, start + 1) for h in ("\n## ", "\n### ")) if i != -1]
    return text[start : min(ends, default=len(text))]


def blocks(title: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(section(title)) if lang == language]


def echo_http_source() -> str:
    (source,) = [b for b in blocks("Testing your plugin", "python") if b.startswith("# echo_http.py")]
    return source


def test_the_plugin_of_writing_a_plugin_passes(plugin_site: PluginSite) -> None:
    source = blocks("Writing a plugin", "python")[0]
    toml = blocks("Writing a plugin", "toml")[0]
    (entry_point,) = re.findall(r'^\[project\.entry-points\.providerhub\]\n(\w+) = "my_provider"$', toml, re.MULTILINE)
    module = importlib.import_module(plugin_site.add(entry_point, source))
    results = check_provider(module.Echo)
    assert [r for r in results if r.outcome == "failed"] == []
    passed = {r.check for r in results if r.outcome == "passed"}
    assert {"check_declarations", "check_registration", "check_import_is_light", "check_get_model_agrees"} <= passed
    assert all("declares no endpoint" in r.reason for r in results if r.check in CALL_CHECKS)  # it has no HTTP


def test_the_http_plugin_of_testing_your_plugin_passes_every_call_check(plugin_site: PluginSite) -> None:
    module = importlib.import_module(plugin_site.add("echo", echo_http_source()))
    results = {r.check: r for r in check_provider(module.EchoHTTP)}
    assert [r for r in results.values() if r.outcome == "failed"] == []
    skipped = {name for name, r in results.items() if r.outcome == "skipped"}
    assert skipped == {"check_media_error_before_request", "check_missing_key_before_request"}


@pytest.mark.parametrize("way", [0, 1], ids=["parametrize", "subclass"])
def test_the_pytest_ways_run_as_written(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, way: int) -> None:
    pytester.makepyfile(echo_http=echo_http_source(), test_echo=blocks("Testing your plugin", "python")[way])
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the ways need no pytest plugin but the kit's
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs", timeout=300)
    result.assert_outcomes(passed=13, skipped=7)  # no plugin installed: the registration checks skip too


def test_the_command_line_way_runs_as_written(plugin_site: PluginSite, tmp_path: Path) -> None:
    (shown,) = blocks("Testing your plugin", "console")
    command = re.search(r"^\$ (providerhub check .*)$", shown, re.MULTILINE)
    assert command is not None
    plugin_site.add("echo", echo_http_source())
    env = {**os.environ, "PYTHONPATH": str(plugin_site.root), "PROVIDERHUB_PLUGINS": "echo"}
    args = command.group(1).split()[1:]
    table = run_script(*args, env=env, timeout=240, cwd=tmp_path)
    assert table.returncode == 0, table.stdout + table.stderr
    shown_rows = [line.split() for line in shown.splitlines() if not line.startswith(("#", "$", "..."))]
    printed_rows = [row.split() for row in table.stdout.splitlines()]
    assert shown_rows, "the README shows the table"
    assert [row for row in shown_rows if row not in printed_rows] == []
    header, *rows = printed_rows
    assert header[3] == "RESULT" and {row[3] for row in rows} == {"passed", "skipped"}  # --json: test_cli_check.py
