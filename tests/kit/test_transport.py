"""The loopback guard and how the kit points a provider at a StandIn."""

from __future__ import annotations

import socket
import threading

import pytest

from providerhub.testing import StandIn, Transport, loopback_only
from providerhub.testing._transport import CheckSkipped
from support.net import free_port
from support.relay import Relay


def test_inside_the_guard_other_addresses_and_names_are_refused_in_every_thread() -> None:
    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            socket.getaddrinfo("relay.invalid", 443)
        except OSError as exc:
            errors.append(exc)

    with loopback_only() as blocked:
        with (
            socket.socket() as sock,
            pytest.raises(ConnectionRefusedError, match="blocked 192.0.2.1:80"),
        ):
            sock.connect(("192.0.2.1", 80))
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
        with StandIn() as server:  # loopback stays open
            host, port = server.url.removeprefix("http://").split(":")
            socket.create_connection((host, int(port)), timeout=1).close()
            assert socket.getaddrinfo("localhost", int(port))
    assert [str(e) for e in errors] == ["providerhub.testing allows loopback only; blocked relay.invalid"]
    assert blocked == ["192.0.2.1:80", "relay.invalid"]


def test_outside_the_guard_nothing_changes() -> None:
    with loopback_only():
        pass
    with pytest.raises(ConnectionRefusedError) as refused:
        socket.create_connection(("127.0.0.1", free_port()), timeout=1)
    assert "providerhub.testing" not in str(refused.value)


def test_the_endpoint_is_pointed_with_its_path_kept() -> None:
    pointed = Transport().point(Relay, "http://127.0.0.1:9")
    assert pointed.api_base == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]
    assert issubclass(pointed, Relay) and pointed.name == "Relay" and Relay.api_base == "https://relay.invalid/v1"


def test_detection_order_and_a_provider_without_an_endpoint() -> None:
    class Both(Relay):
        base_url = "https://b.invalid"
        api_endpoint = "https://c.invalid/x"

    class Named(Both):
        endpoint_setting = "api_endpoint"

    class Nothing(Relay):
        api_base = None

    assert Transport().endpoint_setting(Both) == "api_base"
    assert Transport().endpoint_setting(Named) == "api_endpoint"
    assert Transport(setting="base_url").endpoint_setting(Named) == "base_url"
    with pytest.raises(CheckSkipped, match="provider Nothing declares no endpoint"):
        Transport().endpoint_setting(Nothing)
