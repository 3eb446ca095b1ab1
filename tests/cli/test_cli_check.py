"""``providerhub check``: the kit's checks on installed plugins, as a table or JSON, exit 0 only when all pass."""

from __future__ import annotations

import inspect
import json

from providerhub.testing import CHECKS
from support import relay
from support.cli import CLI, one_error_line
from support.plugins import PluginSite


def test_the_installed_dynaspark_plugin_passes(cli: CLI) -> None:
    result = cli.run("check", "dynaspark", "--json", timeout=240, PROVIDERHUB_PLUGINS="providerhub-dynaspark")
    rows = json.loads(result.stdout)
    assert [r["check"] for r in rows] == [c.name for c in CHECKS]
    assert {(r["plugin"], r["provider"]) for r in rows} == {("dynaspark", "Dynaspark")}
    assert [r for r in rows if r["outcome"] == "failed"] == []
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_a_table_and_a_summary_and_exit_1_when_a_check_fails(cli: CLI, plugin_site: PluginSite) -> None:
    source = inspect.getsource(relay)
    plugin_site.add("relay", source)
    heavy = source.replace("class Relay(", "import aiohttp\n\n\nclass Heavy(").replace("[Relay]", "[Heavy]")
    plugin_site.add("heavy", heavy)
    cli.extra.update(PYTHONPATH=str(plugin_site.root), PROVIDERHUB_PLUGINS="relay,heavy")
    result = cli.run("check", timeout=240)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PLUGIN", "PROVIDER", "CHECK", "RESULT", "REASON"]
    light = [line for line in lines if line.startswith("heavy ") and "check_import_is_light" in line]
    assert len(light) == 1 and "Heavy" in light[0] and "failed" in light[0] and "imports aiohttp" in light[0]
    assert len(lines) == 1 + 2 * len(CHECKS)
    assert result.stderr.startswith(f"providerhub: {2 * len(CHECKS)} checks: ")
    assert result.returncode == 1
    only_relay = cli.run("check", "RELAY", "--json", timeout=240, PROVIDERHUB_PLUGINS="relay,heavy")
    assert {r["provider"] for r in json.loads(only_relay.stdout)} == {"Relay"}


def test_a_plugin_that_does_not_load_is_a_failed_row(cli: CLI, plugin_site: PluginSite) -> None:
    plugin_site.add("broken", "import not_a_module_anywhere_xyz\n")
    cli.extra.update(PYTHONPATH=str(plugin_site.root), PROVIDERHUB_PLUGINS="broken")
    result = cli.run("check", "--json")
    (row,) = json.loads(result.stdout)
    assert row["plugin"] == "broken" and row["provider"] is None and row["outcome"] == "failed"
    assert "No module named 'not_a_module_anywhere_xyz'" in row["reason"]
    assert result.returncode == 1


def test_an_unknown_name_is_not_found_and_lists_what_is_installed(cli: CLI) -> None:
    result = cli.run("check", "nothing-here", PROVIDERHUB_PLUGINS="providerhub-dynaspark")
    assert result.returncode == 3
    line = one_error_line(result)
    assert "no installed plugin or provider named 'nothing-here'; installed: dynaspark, Dynaspark" in line


def test_with_no_plugins_there_is_nothing_to_check(cli: CLI) -> None:
    result = cli.run("check")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "providerhub: no plugins are installed, nothing to check\n"


def test_a_provider_name_taken_by_another_plugin_is_a_failed_row(cli: CLI, plugin_site: PluginSite) -> None:
    source = inspect.getsource(relay)
    plugin_site.add("first", source)
    plugin_site.add("second", source)
    cli.extra.update(PYTHONPATH=str(plugin_site.root), PROVIDERHUB_PLUGINS="first,second")
    result = cli.run("check", "second", "--json", timeout=240)
    (row,) = json.loads(result.stdout)
    assert (row["plugin"], row["provider"], row["outcome"]) == ("second", None, "failed")
    assert "provider name 'Relay' is already registered by plugin 'first'" in row["reason"]
    assert result.returncode == 1
