"""``providerhub chat`` routed: which provider answered and each attempt in --json, images and fallback."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import CLI, one_error_line
from support.faults import install_faults
from support.plugins import PluginSite, provider_source


def test_json_names_the_provider_that_answered_and_every_attempt(cli: CLI, plugin_site: PluginSite) -> None:
    install_faults(
        plugin_site, "fault-1", {"A": [("fail", "ResponseError('HTTP 503', status=503)")], "B": [("answer", "B here")]}
    )
    cli.extra.update(PYTHONPATH=str(plugin_site.root), PROVIDERHUB_PLUGINS="a,b", PROVIDERHUB_RETRIES="0")
    result = cli.run("chat", "-m", "fault-1", "--json", "hi")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["text"], shown["provider"], shown["model"]) == ("B here", "B", "fault-1")
    assert [(a["provider"], a["model"], a["error"]) for a in shown["attempts"]] == [
        ("A", "fault-1", "HTTP 503"),
        ("B", "fault-1", None),
    ]
    assert all(a["seconds"] >= 0 for a in shown["attempts"])
    stored = json.loads(cli.run("history", "--json").stdout)
    assert stored[0]["model"] == "B/fault-1"  # a continued conversation goes on with the one that answered


def test_more_images_than_the_first_takes_go_to_one_that_takes_them(
    cli: CLI, plugin_site: PluginSite, png: Path
) -> None:
    plugin_site.add("one", provider_source("One", ["pix-1"], vision=["pix-1"], priority=2, body="max_images = 1"))
    plugin_site.add("many", provider_source("Many", ["pix-1"], vision=["pix-1"], priority=1))
    cli.extra.update(PYTHONPATH=str(plugin_site.root), PROVIDERHUB_PLUGINS="one,many")
    images = ("--image", str(png), "--image", str(png))
    assert cli.run("chat", "-m", "pix-1", *images, "hi").returncode == 0  # the router may fall back to Many
    for args, env in ((("--provider", "One"), {}), ((), {"PROVIDERHUB_FALLBACK": "off"})):
        result = cli.run("chat", "-m", "pix-1", *args, *images, "hi", **env)
        assert result.returncode == 2
        assert one_error_line(result) == "providerhub: error: provider One takes at most 1 image per request; got 2"
