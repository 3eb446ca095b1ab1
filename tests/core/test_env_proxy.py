"""``providerhub.http.env_proxy``: the proxy variables read per request, as aiohttp's ``trust_env`` reads them."""

from __future__ import annotations

import os
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providerhub.http import env_proxy

aiohttp_helpers = pytest.importorskip("aiohttp.helpers")
yarl = pytest.importorskip("yarl")

_NAMES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "REQUEST_METHOD")
_PROXIES = st.sampled_from(["http://proxy-a:3128", "http://user:pw@proxy-b:8080", ""])
_NO_PROXY = st.sampled_from(["", "*", "127.0.0.1", "example.com", ".example.com", "other.org, example.com"])


def _aiohttp_choice(url: str) -> str | None:
    try:
        proxy, _ = aiohttp_helpers.get_env_proxy_for_url(yarl.URL(url))
    except LookupError:
        return None
    return str(proxy.host)


@settings(max_examples=150, deadline=None)
@given(
    env=st.fixed_dictionaries(
        {},
        optional={
            "http_proxy": _PROXIES,
            "HTTP_PROXY": _PROXIES,
            "https_proxy": _PROXIES,
            "HTTPS_PROXY": _PROXIES,
            "no_proxy": _NO_PROXY,
            "NO_PROXY": _NO_PROXY,
            "REQUEST_METHOD": st.just("GET"),
        },
    ),
    scheme=st.sampled_from(["http", "https"]),
    host=st.sampled_from(["example.com", "api.example.com", "127.0.0.1", "other.org"]),
)
def test_env_proxy_chooses_as_aiohttp_trust_env_does(env: dict[str, str], scheme: str, host: str) -> None:
    url = f"{scheme}://{host}:8000/v1/chat?key=1"
    clean = {name: value for name, value in os.environ.items() if not name.lower().endswith("_proxy")}
    clean.pop("REQUEST_METHOD", None)
    with mock.patch.dict(os.environ, {**clean, **env, "NETRC": os.devnull}, clear=True):
        ours = env_proxy(url)
        theirs = _aiohttp_choice(url)
    assert (ours and yarl.URL(ours).host) == theirs


def test_env_proxy_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _NAMES:
        monkeypatch.delenv(name, raising=False)
    assert env_proxy("http://example.com/") is None
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    assert env_proxy("http://example.com/") == "http://proxy:3128"
    assert env_proxy("https://example.com/") is None  # HTTPS_PROXY is the one for https
    monkeypatch.setenv("http_proxy", "")  # the lower-case variable wins, even empty
    assert env_proxy("http://example.com/") is None
    monkeypatch.delenv("http_proxy")
    monkeypatch.setenv("NO_PROXY", "example.com")
    assert env_proxy("http://api.example.com/") is None
    assert env_proxy("http://example.org/") == "http://proxy:3128"
    assert env_proxy("not a url") is None


async def test_proxy_for_prefers_the_named_proxy_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from providerhub.http import proxy_for

    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert await proxy_for("http://example.com/") == (None, None)
    assert await proxy_for("http://example.com/", "http://named:1") == ("http://named:1", None)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    assert await proxy_for("http://example.com/") == ("http://proxy:3128", None)
    assert await proxy_for("http://example.com/", "http://named:1") == ("http://named:1", None)
    monkeypatch.setenv("NO_PROXY", "example.com")
    assert await proxy_for("http://example.com/") == (None, None)
