"""Every way an answer can fail becomes the providerhub error a caller (or a router) can act on."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time

import pytest

from providerhub import (
    AuthenticationError,
    MissingCredentialsError,
    ModelNotSupportedError,
    OptionsError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ResponseError,
)
from providerhub_openai import OpenAI
from support.net import closed_url
from support.openai_standin import OpenAIStandin, error_body, openai_standin

from .helpers import HELLO, aimed_at, collect

WORDS: list[dict[str, str]] = [{"role": "user", "content": "a b c d e"}]


async def partial_answer(provider: type, messages: list[dict[str, str]] = WORDS, **kwargs: object) -> list[str]:
    """The text yielded before the answer failed (the failure is re-raised by the caller's ``pytest.raises``)."""
    got: list[str] = []
    async for chunk in provider.create_async_generator("m", messages, **kwargs):
        if isinstance(chunk, str):
            got.append(chunk)
    return got


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_credentials(server: OpenAIStandin, status: int) -> None:
    message = "Incorrect API key provided: sk-abc***xyz."
    server.respond_with(status=status, error=error_body(message, code="invalid_api_key"))
    with pytest.raises(AuthenticationError) as caught:
        await collect(aimed_at(server), "m", HELLO, api_key="sk-abc123xyz")
    error = caught.value
    assert (error.status, error.retryable, error.provider, error.model, error.partial) == (
        status,
        False,
        "standin",
        "m",
        False,
    )
    assert f"answered HTTP {status}: {message}" in str(error)
    assert "STANDIN_API_KEY" in str(error)
    assert "sk-abc123xyz" not in str(error)


async def test_a_wrong_key_against_a_service_that_checks_it() -> None:
    async with openai_standin(key="sk-right") as server:
        with pytest.raises(AuthenticationError, match="Incorrect API key provided"):
            await collect(aimed_at(server), "m", HELLO, api_key="sk-wrong")


async def test_a_missing_key_fails_before_any_request(server: OpenAIStandin) -> None:
    with pytest.raises(MissingCredentialsError, match="standin needs a key.*STANDIN_API_KEY") as caught:
        await collect(aimed_at(server, needs_auth=True), "m", HELLO)
    assert server.requests == []
    assert caught.value.provider == "standin"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"x-ratelimit-reset-requests": "1m30s", "x-ratelimit-reset-tokens": "6s"}, 90.0),
        (
            {
                "x-ratelimit-reset-requests": "1m30s",
                "x-ratelimit-remaining-requests": "12",
                "x-ratelimit-reset-tokens": "250ms",
                "x-ratelimit-remaining-tokens": "0",
            },
            0.25,
        ),
        ({}, None),
        ({"Retry-After": "soon"}, None),
    ],
)
async def test_rate_limits_carry_retry_after(server: OpenAIStandin, headers: dict[str, str], expected: object) -> None:
    body = error_body("Rate limit reached for requests", type="requests", code="rate_limit_exceeded")
    server.respond_with(status=429, error=body, headers=headers)
    with pytest.raises(RateLimitError, match="HTTP 429: Rate limit reached for requests") as caught:
        await collect(aimed_at(server), "m", HELLO)
    assert (caught.value.retry_after, caught.value.retryable, caught.value.status) == (expected, True, 429)


async def test_retry_after_as_an_http_date(server: OpenAIStandin) -> None:
    server.respond_with(status=429, headers={"Retry-After": email.utils.formatdate(time.time() + 120, usegmt=True)})
    with pytest.raises(RateLimitError) as caught:
        await collect(aimed_at(server), "m", HELLO)
    assert caught.value.retry_after is not None and 100 <= caught.value.retry_after <= 121


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retryable(server: OpenAIStandin, status: int) -> None:
    server.respond_with(status=status, headers={"Retry-After": "3"})
    with pytest.raises(ResponseError, match=f"HTTP {status}: The server had an error") as caught:
        await collect(aimed_at(server), "m", HELLO)
    assert type(caught.value) is ResponseError
    assert (caught.value.retryable, caught.value.status, caught.value.retry_after) == (True, status, 3.0)


async def test_an_html_error_page_is_named_not_dumped(server: OpenAIStandin) -> None:
    page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 5000 + b"</body></html>"
    server.respond_with(status=502, body=page, content_type="text/html")
    with pytest.raises(ResponseError, match="HTML page, status 502: '502 Bad Gateway'") as caught:
        await collect(aimed_at(server), "m", HELLO)
    assert "<" not in str(caught.value)


async def test_a_long_error_message_is_bounded(server: OpenAIStandin) -> None:
    server.respond_with(status=400, error=error_body("bad " * 100_000))
    with pytest.raises(ResponseError) as caught:
        await collect(aimed_at(server), "m", HELLO)
    assert len(str(caught.value)) < 500
    assert caught.value.retryable is False


@pytest.mark.parametrize("status", [400, 404])
async def test_an_unknown_model_is_model_not_supported(status: int) -> None:
    async with openai_standin(models={"known-1"}, unknown_status=status) as server:
        with pytest.raises(ModelNotSupportedError, match="standin does not serve model 'gone-1'.*does not exist"):
            await collect(aimed_at(server), "gone-1", HELLO)
        assert [r.model for r in server.requests] == ["gone-1"]


async def test_a_bad_request_about_something_else_is_a_response_error(server: OpenAIStandin) -> None:
    server.respond_with(status=400, error=error_body("'temperature' must be at most 2", param="temperature"))
    with pytest.raises(ResponseError, match="HTTP 400: 'temperature' must be at most 2"):
        await collect(aimed_at(server), "m", HELLO)


async def test_an_error_in_the_stream_before_any_text(server: OpenAIStandin) -> None:
    server.respond_with(error_after=0)
    with pytest.raises(ProviderError, match="answered with an error: The server had an error") as caught:
        await partial_answer(aimed_at(server))
    assert (caught.value.partial, caught.value.retryable, caught.value.provider) == (False, True, "standin")


async def test_an_error_in_the_stream_after_text_is_partial(server: OpenAIStandin) -> None:
    server.respond_with(error_after=2)
    got: list[str] = []
    with pytest.raises(ProviderError, match="The server had an error") as caught:
        async for chunk in aimed_at(server).create_async_generator("m", WORDS):
            got.append(str(chunk))
    assert got == ["echo: ", "a "]
    assert caught.value.partial is True


async def test_an_in_stream_error_with_an_http_code_maps_like_a_status(server: OpenAIStandin) -> None:
    event = json.dumps({"error": {"message": "Provider returned error", "code": 429}})
    server.respond_with(raw_events=(f"data: {event}\n\n".encode(),))
    with pytest.raises(RateLimitError, match="Provider returned error"):
        await collect(aimed_at(server), "m", HELLO)


async def test_a_connection_dropped_mid_answer_is_partial_and_retryable(server: OpenAIStandin) -> None:
    server.respond_with(break_after=2)
    got: list[str] = []
    with pytest.raises(ProviderConnectionError, match="connection closed in the middle of the answer") as caught:
        async for chunk in aimed_at(server).create_async_generator("m", WORDS):
            got.append(str(chunk))
    assert got == ["echo: ", "a "]
    assert (caught.value.partial, caught.value.retryable) == (True, True)


async def test_a_stream_that_ends_early_is_not_a_complete_answer(server: OpenAIStandin) -> None:
    server.respond_with(finish_reason=None, done=False)
    with pytest.raises(ProviderConnectionError, match="stream ended before the answer did") as caught:
        await collect(aimed_at(server), "m", WORDS)
    assert caught.value.partial is True


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "text/event-stream", "HTTP 200 with no events: empty body"),
        (b"<html><head><title>Sign in</title></head></html>", "text/html", "HTTP 200 with an HTML page"),
        (b"data: not json\n\n", "text/event-stream", "with an event that is not JSON: not json"),
        (b"data: [1, 2]\n\n", "text/event-stream", "with JSON list where an object was expected"),
        (b"data: " + b"[" * 100_000 + b"\n\n", "text/event-stream", "with an event that is not JSON"),
        (b"data: " + b"x" * (2 << 20), "text/event-stream", "sent a line longer than 1,048,576 bytes"),
        (
            (b"data: " + b"y" * 1000 + b"\n") * 1100,
            "text/event-stream",
            "with a malformed event stream: an event carries more than",
        ),
        (b'{"object": "chat.completion"}', "application/json", "with JSON that has no 'choices'"),
        (b"{not json", "application/json", "with a body that is not JSON"),
    ],
    ids=[
        "empty",
        "html",
        "not-json",
        "not-object",
        "too-deep",
        "endless-line",
        "endless-event",
        "no-choices",
        "bad-json",
    ],
)
async def test_answers_that_are_not_answers(
    server: OpenAIStandin, body: bytes, content_type: str, message: str
) -> None:
    server.respond_with(body=body, content_type=content_type)
    with pytest.raises(ResponseError, match=message) as caught:
        await collect(aimed_at(server), "m", HELLO)
    assert len(str(caught.value)) < 600


async def test_an_answer_over_the_size_cap(server: OpenAIStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDERHUB_MAX_RESPONSE_BYTES", "2000")
    server.respond_with(text="word " * 1000)
    with pytest.raises(ResponseError, match="answered more than 2,000 bytes") as caught:
        await collect(aimed_at(server), "m", HELLO)
    assert (caught.value.partial, caught.value.provider, caught.value.model) == (True, "standin", "m")
    server.respond_with(text="word " * 1000, stream=False)
    with pytest.raises(ResponseError, match="answered more than 2,000 bytes"):
        await collect(aimed_at(server), "m", HELLO)


async def test_a_service_that_never_starts_fails_at_the_first_chunk_timeout(server: OpenAIStandin) -> None:
    server.respond_with(delay=5)
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError, match=r"did not start answering within 0\.3 s") as caught:
        await collect(aimed_at(server), "m", HELLO, first_chunk_timeout=0.3)
    assert time.monotonic() - started < 3
    assert (caught.value.retryable, caught.value.partial) == (True, False)


async def test_keep_alives_alone_do_not_count_as_a_start(server: OpenAIStandin) -> None:
    server.respond_with(stall=5, stall_keepalive=0.05)
    with pytest.raises(ProviderTimeoutError, match="did not start answering"):
        await collect(aimed_at(server, first_chunk_timeout=0.4), "m", HELLO)


async def test_the_first_chunk_timeout_does_not_cut_a_slow_answer_once_started(server: OpenAIStandin) -> None:
    server.respond_with(hold_last=True)
    provider = aimed_at(server)
    answer = provider.create_async_generator("m", WORDS, first_chunk_timeout=0.2)
    try:
        assert await answer.__anext__() == "echo: "
        await asyncio.sleep(0.5)
        server.release()
        assert [c async for c in answer if isinstance(c, str)] == ["a ", "b ", "c ", "d ", "e"]
    finally:
        await answer.aclose()


async def test_the_whole_request_timeout_covers_the_stream(server: OpenAIStandin) -> None:
    server.respond_with(hold_last=True)
    with pytest.raises(ProviderTimeoutError, match=r"did not answer within 0\.5 s") as caught:
        await partial_answer(aimed_at(server), timeout=0.5)
    assert caught.value.partial is True
    server.release()


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), "10", True])
async def test_bad_timeouts_are_options_errors(server: OpenAIStandin, value: object) -> None:
    with pytest.raises(OptionsError, match="timeout must be a (finite, positive )?number of seconds"):
        await collect(aimed_at(server), "m", HELLO, timeout=value)
    with pytest.raises(OptionsError, match="first_chunk_timeout must be"):
        await collect(aimed_at(server), "m", HELLO, first_chunk_timeout=value)
    assert server.requests == []


async def test_an_unreachable_service_is_a_connection_error() -> None:
    unreachable = OpenAI.configure("standin", api_base=closed_url() + "/v1", needs_auth=False, any_model=True)
    with pytest.raises(ProviderConnectionError, match="standin: cannot reach http://127.0.0.1:") as caught:
        await collect(unreachable, "m", HELLO)
    assert (caught.value.retryable, caught.value.partial) == (True, False)


async def test_credentials_in_the_url_never_reach_a_message(server: OpenAIStandin) -> None:
    host = server.base.split("//", 1)[1]
    secret_base = f"http://user:hunter2@{host}?key=sk-query-secret"
    server.respond_with(status=500)
    with pytest.raises(ResponseError) as caught:
        await collect(aimed_at(server), "m", HELLO, api_base=secret_base)
    text = f"{caught.value} {caught.value.url}"
    assert "hunter2" not in text and "sk-query-secret" not in text
    assert f"http://{host}/chat/completions" in text
    closed = closed_url().split("//", 1)[1]
    with pytest.raises(ProviderConnectionError) as unreachable:
        await collect(aimed_at(server), "m", HELLO, api_base=f"http://user:hunter2@{closed}/v1")
    assert "hunter2" not in str(unreachable.value)


async def test_an_unsupported_scheme_is_a_connection_error(server: OpenAIStandin) -> None:
    with pytest.raises(ProviderConnectionError, match="standin: cannot reach ftp://127.0.0.1"):
        await collect(aimed_at(server), "m", HELLO, api_base="ftp://127.0.0.1:21/v1")
