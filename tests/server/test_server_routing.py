"""The gateway routes each request: fallback, the failure of every provider in the OpenAI error shape, shared Redis."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.faults import Step, install_faults
from support.gateway import Gateway
from support.plugins import PluginSite
from support.redis_server import RedisServer


@pytest.fixture
def routed(start: Callable[..., Gateway], plugin_site: PluginSite, tmp_path: Path) -> Callable[..., Gateway]:
    """Start a gateway serving fault providers of ``fault-1``: ``routed({"A": [...], "B": [...]}, *flags, **env)``."""

    def starter(scripts: dict[str, list[Step]], *flags: str, **env: str) -> Gateway:
        install_faults(plugin_site, "fault-1", scripts)
        return start(
            *flags,
            PYTHONPATH=str(plugin_site.root),
            PROVIDERHUB_PLUGINS=",".join(name.lower() for name in scripts),
            PROVIDERHUB_RETRIES="0",
            PH_FAULT_LOG=str(tmp_path / "calls.log"),
            **env,
        )

    return starter


def post(gateway: Gateway) -> tuple[int, dict[str, str], dict[str, Any]]:
    body = json.dumps({"model": "fault-1", "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(
        gateway.url + "/v1/chat/completions", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), json.loads(exc.read())


def test_the_next_provider_answers_and_is_named(routed: Callable[..., Gateway]) -> None:
    gateway = routed({"A": [("fail", "ResponseError('HTTP 503', status=503)")], "B": [("answer", "B here")]})
    status, headers, body = post(gateway)
    assert status == 200
    assert body["choices"][0]["message"]["content"] == "B here"
    assert headers["x-providerhub-provider"] == "B"


def test_every_provider_failing_is_502_with_the_attempts(routed: Callable[..., Gateway]) -> None:
    gateway = routed(
        {
            "A": [("fail", "ResponseError('HTTP 503', status=503)")],
            "B": [("fail", "ResponseError('HTTP 500', status=500)")],
        }
    )
    status, headers, body = post(gateway)
    assert status == 502
    assert headers["x-providerhub-attempts"] == "A/fault-1=503, B/fault-1=500"
    error = body["error"]
    assert error["message"].startswith("all 2 providers failed for 'fault-1': A (fault-1): HTTP 503")
    attempts = error["metadata"]["attempts"]
    assert [(a["provider"], a["model"], a["status"]) for a in attempts] == [
        ("A", "fault-1", 503),
        ("B", "fault-1", 500),
    ]


def test_every_provider_rate_limited_is_429_with_the_soonest_retry_after(routed: Callable[..., Gateway]) -> None:
    gateway = routed(
        {
            "A": [("fail", "RateLimitError('HTTP 429', status=429, retry_after=40)")],
            "B": [("fail", "RateLimitError('HTTP 429', status=429, retry_after=25)")],
        }
    )
    status, headers, body = post(gateway)
    assert status == 429
    assert headers["retry-after"] == "25"
    assert body["error"]["type"] == "rate_limit_error"


def test_two_gateways_on_one_redis_share_a_cooldown(
    routed: Callable[..., Gateway], redis_server: RedisServer, tmp_path: Path
) -> None:
    scripts: dict[str, list[Step]] = {
        "A": [("fail", "RateLimitError('HTTP 429', status=429, retry_after=30)"), ("answer", "A here")],
        "B": [("answer", "B here")],
    }
    first = routed(scripts, "--state-url", redis_server.url)
    second = routed(scripts, PROVIDERHUB_STATE_URL=redis_server.url)
    assert post(first)[2]["choices"][0]["message"]["content"] == "B here"
    status, headers, _ = post(second)
    assert (status, headers["x-providerhub-provider"]) == (200, "B")  # A is cooling for both gateways
    assert (tmp_path / "calls.log").read_text().split() == ["A", "B", "B"]
