"""The registration checks, on real plugins (dist-info folders on sys.path): the correct one passes,
each broken one fails the check for its fault."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from providerhub.testing import CHECKS, CheckResult, Transport, check_provider
from support import relay
from support.plugins import PluginSite

from .test_checks import REGISTRATION_CHECKS, failed

RELAY_SOURCE = inspect.getsource(relay)


def installed(plugin_site: PluginSite, name: str, source: str) -> Any:
    """The Relay class of a plugin installed with ``source``."""
    module = importlib.import_module(plugin_site.add(name, source))
    return module.Relay


def registration(cls: Any) -> dict[str, CheckResult]:
    return {c.name: c.bind(Transport()).run(cls) for c in CHECKS if c.name in REGISTRATION_CHECKS}


def test_a_correct_plugin_passes_every_check(plugin_site: PluginSite) -> None:
    cls = installed(plugin_site, "relay", RELAY_SOURCE)
    found = {r.check: r for r in check_provider(cls)}
    assert {n: r for n, r in found.items() if r.outcome != "passed"} == {}


def test_an_http_client_imported_with_the_plugin_fails(plugin_site: PluginSite) -> None:
    cls = installed(plugin_site, "heavy", RELAY_SOURCE + "\nimport aiohttp  # noqa\n")
    found = registration(cls)
    failed(found, "check_import_is_light", "imports aiohttp", "inside the request")
    assert found["check_import_is_offline"].outcome == "passed"


def test_network_io_at_import_fails(plugin_site: PluginSite) -> None:
    source = RELAY_SOURCE + (
        "\nimport socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 9), timeout=0.2).close()\n"
        "except OSError:\n"
        "    pass\n"
    )
    found = registration(installed(plugin_site, "chatty", source))
    failed(found, "check_import_is_offline", "tried network I/O", "socket.getaddrinfo", "127.0.0.1")
    assert found["check_import_is_light"].outcome == "passed"


def test_a_slow_import_fails(plugin_site: PluginSite) -> None:
    source = (
        RELAY_SOURCE
        + "\nimport time\n_start = time.process_time()\nwhile time.process_time() - _start < 0.7:\n    pass\n"
    )
    found = registration(installed(plugin_site, "slow", source))
    failed(found, "check_import_is_fast", "CPU s; the budget is 0.5 s")


def test_a_hook_making_new_classes_on_each_call_fails(plugin_site: PluginSite) -> None:
    source = RELAY_SOURCE.replace("    return [Relay]", "    return [Relay.configure('Relay', priority=1)]")
    cls = installed(plugin_site, "fresh", source)
    failed(registration(cls), "check_registration_is_static", "different classes on a second call")


def test_a_hook_whose_declarations_change_between_calls_fails(plugin_site: PluginSite) -> None:
    source = RELAY_SOURCE.replace(
        "    return [Relay]", "    Relay.priority += 1\n    return [Relay]"
    )  # the plugin's own class, reconfigured on every call
    cls = installed(plugin_site, "drifting", source)
    failed(registration(cls), "check_registration_is_static", "declarations changed between two calls")


def test_a_hook_with_an_argument_the_spec_does_not_declare_fails(plugin_site: PluginSite) -> None:
    source = RELAY_SOURCE.replace("def register_providers()", "def register_providers(config)")
    found = registration(installed(plugin_site, "greedy", source))
    failed(found, "check_registration", "'config'")


def test_a_class_the_plugin_does_not_register_skips_the_registration_check(plugin_site: PluginSite) -> None:
    cls = installed(plugin_site, "relay", RELAY_SOURCE).configure("Derived", priority=3)
    found = registration(cls)
    assert found["check_registration"].outcome == "skipped"
    assert "does not register this class (it registers: Relay)" in found["check_registration"].reason
