"""``providerhub chat`` routed across providers: the answer of the one that answers, or a one-line failure summary."""

from __future__ import annotations

from support.cli import CLI, one_error_line
from support.faults import install_faults
from support.plugins import PluginSite


def routed_cli(cli: CLI, plugin_site: PluginSite, **scripts: list[tuple[object, ...]]) -> CLI:
    install_faults(plugin_site, "fault-1", scripts)
    cli.extra.update(
        PYTHONPATH=str(plugin_site.root),
        PROVIDERHUB_PLUGINS=",".join(name.lower() for name in scripts),
        PROVIDERHUB_DISABLE_PLUGINS="providerhub-dynaspark",
    )
    return cli


def test_chat_falls_back_to_the_next_provider(cli: CLI, plugin_site: PluginSite) -> None:
    routed = routed_cli(
        cli, plugin_site, A=[("fail", "ResponseError('HTTP 503', status=503)")], B=[("answer", "B here")]
    )
    result = routed.run("chat", "-m", "fault-1", "hi", PROVIDERHUB_RETRIES="0")
    assert (result.returncode, result.stdout, result.stderr) == (0, "B here\n", "")


def test_chat_prints_the_failure_summary_on_one_line_and_exits_4(cli: CLI, plugin_site: PluginSite) -> None:
    routed = routed_cli(
        cli,
        plugin_site,
        A=[("fail", "ResponseError('HTTP 503:\\n  overloaded', status=503)")],
        B=[("fail", "RateLimitError('HTTP 429', status=429, retry_after=30)")],
    )
    result = routed.run("chat", "-m", "fault-1", "hi", PROVIDERHUB_RETRIES="0")
    assert result.returncode == 4
    assert result.stdout == ""
    assert one_error_line(result) == (
        "providerhub: error: all 2 providers failed for 'fault-1': "
        "A (fault-1): HTTP 503: overloaded; B (fault-1): HTTP 429"
    )


def test_chat_with_fallback_off_tries_only_the_first(cli: CLI, plugin_site: PluginSite) -> None:
    routed = routed_cli(cli, plugin_site, A=[("fail", "ResponseError('HTTP 500', status=500)")], B=[("answer", "B")])
    result = routed.run("chat", "-m", "fault-1", "hi", PROVIDERHUB_FALLBACK="off", PROVIDERHUB_RETRIES="0")
    assert result.returncode == 4
    assert one_error_line(result) == "providerhub: error: HTTP 500"


def test_a_bad_router_variable_is_one_clear_error(cli: CLI, plugin_site: PluginSite) -> None:
    routed = routed_cli(cli, plugin_site, A=[("answer", "A")])
    result = routed.run("chat", "-m", "fault-1", "hi", PROVIDERHUB_RETRIES="lots")
    assert result.returncode == 2
    assert one_error_line(result) == "providerhub: error: PROVIDERHUB_RETRIES must be a whole number >= 0, not 'lots'"
