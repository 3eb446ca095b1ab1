"""The checks catch the bugs they are for: a correct provider passes, and each broken variant of it
(one bug each) fails the check named for that bug, with a reason that says what went wrong."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from providerhub import RateLimitError, ResponseError, to_image, validate_messages
from providerhub.testing import CHECKS, CheckResult, Transport, _calls, check_provider
from support.relay import Relay, _sessions

CALL_CHECKS = {
    "check_answer",
    "check_rate_limit_error",
    "check_authentication_error",
    "check_html_error_page",
    "check_error_is_not_an_answer",
    "check_timeout_error",
    "check_connection_reset",
    "check_media_error_before_request",
    "check_missing_key_before_request",
    "check_cancel_releases_connection",
    "check_aclose_releases_connection",
    "check_concurrent_calls",
}
REGISTRATION_CHECKS = {
    "check_registration",
    "check_registration_is_static",
    "check_import_is_offline",
    "check_import_is_light",
    "check_import_is_fast",
}


def results(cls: Any, transport: Transport | None = None) -> dict[str, CheckResult]:
    return {r.check: r for r in check_provider(cls, transport=transport)}


def only(cls: Any, *names: str, transport: Transport | None = None) -> dict[str, CheckResult]:
    """Run just the named checks (the others are covered by the full runs)."""
    bound = transport or Transport()
    return {c.name: c.bind(bound).run(cls) for c in CHECKS if c.name in names}


def failed(found: dict[str, CheckResult], name: str, *words: str) -> str:
    result = found[name]
    assert result.outcome == "failed", result
    for word in words:
        assert word in result.reason, result
    assert "\n" not in result.reason and len(result.reason) <= 300
    return result.reason


def test_every_check_is_known_by_name_and_documented() -> None:
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names))
    assert set(names) >= CALL_CHECKS | REGISTRATION_CHECKS
    assert all(n.startswith("check_") and c.function.__doc__ for n, c in zip(names, CHECKS, strict=True))


def test_a_correct_provider_passes_every_call_and_declaration_check() -> None:
    found = results(Relay)
    assert [r for r in found.values() if r.outcome == "failed"] == []
    assert {n for n, r in found.items() if r.outcome == "skipped"} == REGISTRATION_CHECKS  # registered in code
    assert all("no installed plugin" in found[n].reason for n in REGISTRATION_CHECKS)
    assert {n for n, r in found.items() if r.outcome == "passed"} >= CALL_CHECKS


# -- declarations -------------------------------------------------------------------------------


class BadDefault(Relay):
    default_model = "relay-2"


class Shadowing(Relay):
    model_aliases = {"relay-vision": "relay-1", "relay": "relay-1"}


class StubbornModel(Relay):
    @classmethod
    def get_model(cls, model: str | None) -> str:
        return cls.default_model


def test_invalid_declarations_fail_with_the_registry_s_reason_and_the_dependent_checks_skip() -> None:
    found = only(BadDefault, "check_declarations", "check_aliases_do_not_shadow_ids", "check_get_model_agrees")
    failed(found, "check_declarations", "default_model 'relay-2' is not in its models")
    for name in ("check_aliases_do_not_shadow_ids", "check_get_model_agrees"):
        assert found[name].outcome == "skipped" and "check_declarations" in found[name].reason


def test_an_alias_that_is_a_model_id_fails() -> None:
    failed(only(Shadowing, "check_aliases_do_not_shadow_ids"), "check_aliases_do_not_shadow_ids", "'relay-vision'")


def test_get_model_disagreeing_with_resolution_fails() -> None:
    reason = failed(only(StubbornModel, "check_get_model_agrees"), "check_get_model_agrees")
    assert "get_model('relay-vision') is 'relay-1', resolution gives 'relay-vision'" in reason


# -- calls --------------------------------------------------------------------------------------


class ErrorAsText(Relay):
    """Turns every failure into answer text."""

    @classmethod
    async def create_async_generator(cls, model: str, messages: Any, *args: Any, **kwargs: Any) -> AsyncIterator[str]:
        try:
            async for text in super().create_async_generator(model, messages, *args, **kwargs):
                yield text
        except Exception as exc:
            yield f"Error: {exc}"


class Unwrapped(Relay):
    """Lets aiohttp's own exceptions escape."""

    @classmethod
    async def post(cls, url: str, body: Any, key: Any, proxy: Any, timeout: float) -> AsyncIterator[str]:
        import aiohttp

        async with _sessions.get().post(url, json=body, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            await cls.check_status(response)
            async for text in cls.events(response):
                yield text


class HtmlInMessage(Relay):
    """Puts the whole error body in the message."""

    @classmethod
    async def check_status(cls, response: Any) -> None:
        if response.status >= 400:
            raise ResponseError(f"{cls.name}: HTTP {response.status}: {await response.text()}", status=response.status)
        await super().check_status(response)


class DropsRetryAfter(Relay):
    @classmethod
    async def check_status(cls, response: Any) -> None:
        try:
            await super().check_status(response)
        except RateLimitError as exc:
            exc.retry_after = None
            raise


class LateMedia(Relay):
    """Reads the images only after the answer."""

    @classmethod
    def request_body(cls, model: str, messages: Any, media: Any) -> dict[str, Any]:
        return {"model": model, "messages": validate_messages(messages), "images": []}

    @classmethod
    async def create_async_generator(cls, model: str, messages: Any, proxy: Any = None, media: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
        try:
            async for text in super().create_async_generator(model, messages, proxy, media, **kw):
                yield text
        finally:
            for source, name in media or []:
                to_image(source, name)


class KeyOptional(Relay):
    """Declares that it needs a key, and sends requests without one."""

    @classmethod
    def require_api_key(cls, api_key: str | None = None) -> str | None:
        return cls.get_api_key(api_key)


class IgnoresEndpoint(Relay):
    """Posts to a fixed address whatever its api_base says (a documentation address, never reached)."""

    @classmethod
    async def create_async_generator(cls, model: str, messages: Any, proxy: Any = None, media: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
        body = cls.request_body(cls.get_model(model), messages, media)
        async for text in cls.post("http://192.0.2.1/v1/answer", body, kw.get("api_key"), proxy, kw["timeout"]):
            yield text


_inflight: list[Any] = []


class HoldsResponses(Relay):
    """Keeps each response in a list of requests in flight, and forgets to drop it when the caller leaves."""

    @classmethod
    async def post(cls, url: str, body: Any, key: Any, proxy: Any, timeout: float) -> AsyncIterator[str]:
        response = await _sessions.get().post(url, json=body, headers={"Authorization": f"Bearer {key}"})
        _inflight.append(response)
        await cls.check_status(response)
        async for text in cls.events(response):
            yield text
        _inflight.remove(response)
        response.release()


class SessionPerCall(Relay):
    """Opens a session for every call and never closes it."""

    @classmethod
    async def post(cls, url: str, body: Any, key: Any, proxy: Any, timeout: float) -> AsyncIterator[str]:
        import aiohttp

        session = aiohttp.ClientSession()
        async with session.post(url, json=body, headers={"Authorization": f"Bearer {key}"}) as response:
            await cls.check_status(response)
            async for text in cls.events(response):
                yield text


class Remembers(Relay):
    """Keeps the last model asked for on the class."""

    last_model = ""

    @classmethod
    async def create_async_generator(cls, model: str, messages: Any, *args: Any, **kwargs: Any) -> AsyncIterator[str]:
        cls.last_model = model
        async for text in super().create_async_generator(model, messages, *args, **kwargs):
            yield text


class SharedBuffer(Relay):
    """Collects the answer in a buffer shared by every call."""

    buffer: list[str] = []

    @classmethod
    async def create_async_generator(cls, model: str, messages: Any, *args: Any, **kwargs: Any) -> AsyncIterator[str]:
        cls.buffer.clear()
        async for text in super().create_async_generator(model, messages, *args, **kwargs):
            cls.buffer.append(text)
            await asyncio.sleep(0.01)
        yield "".join(cls.buffer)


def test_error_text_yielded_as_an_answer_fails() -> None:
    found = only(ErrorAsText, "check_error_is_not_an_answer", "check_rate_limit_error", "check_answer")
    failed(found, "check_error_is_not_an_answer", "was yielded as answer text", "HTTP 400")
    failed(found, "check_rate_limit_error", "ended without an error", "Error: ")
    assert found["check_answer"].outcome == "passed"


def test_unwrapped_client_errors_fail_the_timeout_and_reset_checks() -> None:
    found = only(Unwrapped, "check_timeout_error", "check_connection_reset")
    failed(found, "check_timeout_error", "expected ProviderTimeoutError, got TimeoutError")
    failed(found, "check_connection_reset", "expected ProviderConnectionError, got Client")


def test_html_in_an_error_message_fails() -> None:
    found = only(HtmlInMessage, "check_html_error_page", "check_rate_limit_error")
    failed(found, "check_html_error_page", "the error message holds HTML", "<")
    failed(found, "check_rate_limit_error", "expected RateLimitError, got ResponseError")


def test_a_lost_retry_after_fails() -> None:
    failed(only(DropsRetryAfter, "check_rate_limit_error"), "check_rate_limit_error", "retry_after=None, not 7")


def test_media_checked_after_the_request_fails() -> None:
    found = only(LateMedia, "check_media_error_before_request")
    failed(found, "check_media_error_before_request", "a request reached the upstream before")


def test_a_missing_key_noticed_by_the_upstream_only_fails() -> None:
    found = only(KeyOptional, "check_missing_key_before_request")
    failed(found, "check_missing_key_before_request", "a request reached the upstream without a key")


def test_a_provider_ignoring_its_endpoint_is_stopped_and_named() -> None:
    found = only(IgnoresEndpoint, "check_answer", "check_connection_reset")
    failed(found, "check_answer", "tried to reach 192.0.2.1:80 instead of its configured endpoint")
    failed(found, "check_connection_reset", "192.0.2.1:80")


def test_a_response_kept_after_cancel_or_aclose_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_calls, "RELEASE_WITHIN", 0.5)  # a held response never closes: no need to wait 5 s for it
    found = only(HoldsResponses, "check_cancel_releases_connection", "check_aclose_releases_connection")
    failed(found, "check_cancel_releases_connection", "still open 0.5 s later")
    failed(found, "check_aclose_releases_connection", "after aclose()", "still open")
    _inflight.clear()


def test_an_unclosed_session_fails_as_a_resource_left_open() -> None:
    found = only(SessionPerCall, "check_answer", "check_aclose_releases_connection")
    for name in found:
        failed(found, name, "left a resource unclosed", "Unclosed client session")


def test_class_state_written_by_calls_fails() -> None:
    failed(only(Remembers, "check_concurrent_calls"), "check_concurrent_calls", "changed class state", "last_model")


def test_answers_mixed_between_concurrent_calls_fail() -> None:
    reason = failed(only(SharedBuffer, "check_concurrent_calls"), "check_concurrent_calls", "concurrent calls got")
    assert "not 'answer" in reason


# -- what applies -------------------------------------------------------------------------------


class Offline(Relay):
    """No endpoint declaration at all."""

    api_base = None


class KeylessTextOnly(Relay):
    needs_auth = False
    vision_models = ()


def test_without_an_endpoint_declaration_the_call_checks_skip_saying_why() -> None:
    found = results(Offline)
    for name in CALL_CHECKS:
        assert found[name].outcome == "skipped", found[name]
        assert "declares no endpoint (api_base, base_url, api_endpoint" in found[name].reason


def test_endpoint_setting_names_the_declaration_to_point() -> None:
    class Elsewhere(Offline):
        endpoint_setting = "service_url"
        service_url = "https://relay.invalid/v1"
        api_base = None

        @classmethod
        async def create_async_generator(cls, model: str, messages: Any, *args: Any, **kw: Any) -> AsyncIterator[str]:
            body = cls.request_body(cls.get_model(model), messages, kw.get("media"))
            async for text in cls.post(f"{cls.service_url}/answer", body, kw.get("api_key"), None, kw["timeout"]):
                yield text

    assert only(Elsewhere, "check_answer")["check_answer"].outcome == "passed"
    assert only(Relay, "check_answer", transport=Transport(setting="api_base"))["check_answer"].outcome == "passed"
    bad = only(Relay, "check_answer", transport=Transport(setting="no_such_thing"))["check_answer"]
    assert bad.outcome == "failed" and "'no_such_thing' is not a declaration configure() can set" in bad.reason


def test_without_an_answer_factory_only_the_answer_checks_skip() -> None:
    class Plain(Relay):
        standin_reply = None

    found = results(Plain)
    needing = {"check_answer", "check_aclose_releases_connection", "check_concurrent_calls"}
    for name in needing:
        assert found[name].outcome == "skipped" and "standin_reply" in found[name].reason, found[name]
    assert all(found[n].outcome == "passed" for n in CALL_CHECKS - needing), found


def test_an_answer_factory_given_by_the_transport_is_used() -> None:
    from providerhub.testing import Reply

    def wrong_format(request: Any, pieces: Any) -> Reply:
        return Reply.json({"text": "".join(pieces)})

    failed(only(Relay, "check_answer", transport=Transport(answer=wrong_format)), "check_answer", "ResponseError")


def test_key_and_media_checks_skip_for_providers_without_them() -> None:
    found = only(KeylessTextOnly, "check_missing_key_before_request", "check_media_error_before_request")
    assert "does not need a key" in found["check_missing_key_before_request"].reason
    assert "declares no vision_models" in found["check_media_error_before_request"].reason


def test_the_model_the_calls_use_can_be_chosen() -> None:
    seen: list[str] = []

    class Recording(Relay):
        @classmethod
        def request_body(cls, model: str, messages: Any, media: Any) -> dict[str, Any]:
            seen.append(model)
            return super().request_body(model, messages, media)

    assert only(Recording, "check_answer", transport=Transport(model="relay"))["check_answer"].outcome == "passed"
    assert seen == ["relay-1"]


async def test_checks_run_from_inside_a_running_event_loop_too() -> None:
    assert only(Relay, "check_answer")["check_answer"].outcome == "passed"


@pytest.mark.parametrize("name", sorted(CALL_CHECKS))
def test_a_check_never_raises_from_run_even_when_the_provider_is_not_a_provider(name: str) -> None:
    (result,) = only(object, name).values()
    assert result.outcome in ("failed", "skipped")
