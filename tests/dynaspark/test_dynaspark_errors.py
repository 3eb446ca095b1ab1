"""Every upstream fault is a providerhub error that names Dynaspark and the endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from providerhub import (
    AuthenticationError,
    OptionsError,
    ProviderConnectionError,
    ProviderHubError,
    ProviderTimeoutError,
    RateLimitError,
    ResponseError,
)
from providerhub_dynaspark import Dynaspark
from support.dynaspark_standin import Standin

from .helpers import HELLO, closed_endpoint

pytestmark = pytest.mark.installed

ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"
    "<body><h1>Internal Server Error</h1><p>" + "stack frame " * 200 + "</p></body></html>"
)
CHALLENGE_PAGE = (
    "<!DOCTYPE html><html lang='en'><head><title>Just a moment...</title>"
    "<script>window._cf_chl_opt = {}</script></head><body>Checking your browser</body></html>"
)


async def fault(url: str, **kwargs: Any) -> ProviderHubError:
    """The error a request to ``url`` ends in; it must name the provider and the endpoint."""
    with pytest.raises(ProviderHubError) as caught:
        async for _ in Dynaspark.create_async_generator("gemini-1.5-flash", HELLO, api_endpoint=url, **kwargs):
            pass
    message = str(caught.value)
    assert "Dynaspark" in message
    assert url in message
    return caught.value


async def test_html_error_page_is_summarised_not_dumped(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(status=500, body=ERROR_PAGE, content_type="text/html; charset=utf-8")
    error = await fault(dynaspark_server.url)
    assert type(error) is ResponseError
    assert isinstance(error, ResponseError) and error.status == 500
    assert "HTML page, status 500" in str(error)
    assert "<" not in str(error) and "stack frame" not in str(error)
    assert len(str(error)) < 300


async def test_429_is_a_rate_limit(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(status=429, json={"error": "Too many requests"})
    error = await fault(dynaspark_server.url)
    assert isinstance(error, RateLimitError) and error.status == 429
    assert "Too many requests" in str(error)


@pytest.mark.parametrize("status", [401, 403])
async def test_401_and_403_are_authentication_errors(dynaspark_server: Standin, status: int) -> None:
    dynaspark_server.respond_with(status=status, body="denied", content_type="text/plain")
    error = await fault(dynaspark_server.url)
    assert isinstance(error, AuthenticationError) and error.status == status
    assert f"HTTP {status}" in str(error)


async def test_502_text_is_quoted_briefly(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(status=502, body="upstream connect error " * 50, content_type="text/plain")
    error = await fault(dynaspark_server.url)
    assert type(error) is ResponseError and error.status == 502
    assert "HTTP 502" in str(error) and "upstream connect error" in str(error)
    assert len(error.excerpt) <= 203


async def test_the_services_own_400_is_reported(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(status=400, json={"error": "Unsupported model"})
    error = await fault(dynaspark_server.url)
    assert type(error) is ResponseError and error.status == 400
    assert "Unsupported model" in str(error)


async def test_200_that_is_not_json(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(body="Service is waking up, try again", content_type="text/plain")
    error = await fault(dynaspark_server.url)
    assert type(error) is ResponseError and error.status == 200
    assert "not JSON" in str(error) and "Service is waking up" in str(error)


async def test_200_binary_garbage(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(body=b"\xff\xfe\x00garbage", content_type="application/json")
    error = await fault(dynaspark_server.url)
    assert type(error) is ResponseError and "not JSON" in str(error)


async def test_200_html_challenge_page(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(body=CHALLENGE_PAGE, content_type="text/html")
    error = await fault(dynaspark_server.url)
    assert type(error) is ResponseError
    assert "HTML page, status 200" in str(error) and "Just a moment" in str(error)
    assert "<" not in str(error) and "_cf_chl_opt" not in str(error)


async def test_html_served_as_json_is_still_recognised(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(body=CHALLENGE_PAGE, content_type="application/json")
    error = await fault(dynaspark_server.url)
    assert "HTML page, status 200" in str(error)


async def test_a_json_answer_about_html_is_an_answer(dynaspark_server: Standin) -> None:
    text = "<head> holds the <title>; <html> wraps both"
    dynaspark_server.respond_with(json={"response": text})
    chunks = [
        c async for c in Dynaspark.create_async_generator("gemini-1.5-flash", HELLO, api_endpoint=dynaspark_server.url)
    ]
    assert chunks == [text]


async def test_json_without_response_names_the_keys_and_the_error(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(json={"error": "model is overloaded", "code": 503})
    error = await fault(dynaspark_server.url)
    assert type(error) is ResponseError
    assert "no 'response'" in str(error)
    assert "'error', 'code'" in str(error)
    assert "model is overloaded" in str(error)


@pytest.mark.parametrize("payload", [[1, 2], "text", None, {"response": None}, {"response": ["a"]}])
async def test_json_of_the_wrong_shape(dynaspark_server: Standin, payload: object) -> None:
    if payload is None:
        dynaspark_server.respond_with(body="null", content_type="application/json")
    else:
        dynaspark_server.respond_with(json=payload)
    error = await fault(dynaspark_server.url)
    assert type(error) is ResponseError and error.status == 200


async def test_json_with_no_keys(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(json={})
    error = await fault(dynaspark_server.url)
    assert "keys: none" in str(error)


async def test_refused_connection() -> None:
    url = closed_endpoint()
    error = await fault(url)
    assert isinstance(error, ProviderConnectionError) and isinstance(error, ConnectionError)
    assert "cannot reach" in str(error)


async def test_refused_proxy_is_named() -> None:
    proxy = closed_endpoint().removesuffix("/generate_response")
    error = await fault(closed_endpoint(), proxy=proxy)
    assert isinstance(error, ProviderConnectionError)
    assert f"through proxy {proxy}" in str(error)


async def test_proxy_credentials_stay_out_of_messages() -> None:
    proxy = closed_endpoint().removesuffix("/generate_response").replace("http://", "http://user:s3cret@")
    error = await fault(closed_endpoint(), proxy=proxy)
    assert isinstance(error, ProviderConnectionError)
    assert "s3cret" not in str(error) and "through proxy http://127.0.0.1:" in str(error)


async def test_malformed_endpoint_is_a_connection_error_not_a_crash() -> None:
    error = await fault("http://127.0.0.1:notaport/generate_response")
    assert isinstance(error, ProviderConnectionError)


async def test_slow_answer_times_out(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(delay=5.0)
    error = await fault(dynaspark_server.url, timeout=0.2)
    assert isinstance(error, ProviderTimeoutError) and isinstance(error, TimeoutError)
    assert "within 0.2 s" in str(error)


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("-inf"), float("nan"), 10**400, "5", True])
async def test_timeout_must_be_finite_and_positive(timeout: Any) -> None:
    with pytest.raises(OptionsError, match="timeout must be a (finite, positive )?number of seconds"):
        async for _ in Dynaspark.create_async_generator("gemini-1.5-flash", HELLO, timeout=timeout):
            pass


async def test_a_refused_proxy_from_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = closed_endpoint().removesuffix("/generate_response")
    for name in ("http_proxy", "no_proxy", "NO_PROXY", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    error = await fault(closed_endpoint())
    assert isinstance(error, ProviderConnectionError)
    assert f"through proxy {proxy}" in str(error)
