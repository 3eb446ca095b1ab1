"""The call API: options, keys, both calling styles, typed events, error wrapping, closing."""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any, ClassVar

import aiohttp
import pytest

import providerhub
from providerhub import (
    AsyncGeneratorProvider,
    BaseProvider,
    FinishReason,
    MissingCredentialsError,
    OptionsError,
    ProviderConnectionError,
    ProviderError,
    ProviderModelMixin,
    RateLimitError,
    Usage,
)
from providerhub.call import call_provider
from support.dynaspark_standin import standin
from support.net import wait_until
from support.plugins import PluginSite
from support.sample_providers import SAMPLES_SOURCE

HI: providerhub.Messages = [{"role": "user", "content": "one two three"}]


class Scripted(AsyncGeneratorProvider, ProviderModelMixin):
    """Plays ``script`` (text and events are yielded, an exception raised, ``...`` waits), recording each call."""

    default_model = "scripted-1"
    models = ["scripted-1"]
    options = {"temperature": float, "max_tokens": int, "stream": bool, "stop": list[str], "style": str}
    api_key_env = "SCRIPTED_KEY"
    script: ClassVar[list[Any]] = ["a", "b"]
    calls: ClassVar[list[dict[str, Any]]] = []
    closed: ClassVar[list[str]] = []

    @classmethod
    async def create_async_generator(
        cls, model: str, messages: Any, proxy: str | None = None, media: Any = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        cls.calls.append({"model": model, "proxy": proxy, "media": media, **kwargs})
        try:
            for step in cls.script:
                if isinstance(step, BaseException):
                    raise step
                if step is ...:
                    await asyncio.sleep(60)
                yield step
        finally:
            cls.closed.append("closed")


@pytest.fixture(autouse=True)
def fresh_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Scripted, "script", ["a", "b"])
    monkeypatch.setattr(Scripted, "calls", [])
    monkeypatch.setattr(Scripted, "closed", [])
    monkeypatch.delenv("SCRIPTED_KEY", raising=False)


@pytest.fixture
def samples(plugin_site: PluginSite) -> ModuleType:
    """The sample plugin (Plain: sync only, Leaky: raw aiohttp, Metered: events), installed; its module."""
    return importlib.import_module(plugin_site.add("samples", SAMPLES_SOURCE))


async def collect(chunks: AsyncIterator[Any]) -> list[Any]:
    return [chunk async for chunk in chunks]


async def failure(chunks: AsyncIterator[Any]) -> tuple[list[Any], BaseException]:
    """The chunks that came before the error, and the error."""
    got = []
    with pytest.raises(Exception) as caught:
        async for chunk in chunks:
            got.append(chunk)
    return got, caught.value


# -- options ------------------------------------------------------------------------------------


async def test_declared_options_are_converted_and_passed_as_keywords() -> None:
    options = {"temperature": "0.5", "max_tokens": "12", "stream": "no", "stop": "a, b,,c", "style": "terse"}
    assert await collect(call_provider(Scripted, "scripted-1", HI, options=options)) == ["a", "b"]
    (call,) = Scripted.calls
    assert {k: call[k] for k in options} == {
        "temperature": 0.5,
        "max_tokens": 12,
        "stream": False,
        "stop": ["a", "b", "c"],
        "style": "terse",
    }
    assert type(call["temperature"]) is float and type(call["max_tokens"]) is int


async def test_values_of_the_declared_type_pass_unchanged_and_none_means_not_given() -> None:
    options = {"temperature": 1, "max_tokens": 7, "stream": True, "stop": ("x",), "style": None, "proxy": None}
    await collect(call_provider(Scripted, "scripted-1", HI, options=options))
    (call,) = Scripted.calls
    assert (call["temperature"], call["max_tokens"], call["stream"], call["stop"]) == (1.0, 7, True, ["x"])
    assert "style" not in call and call["proxy"] is None


async def test_proxy_is_an_option_of_every_provider() -> None:
    await collect(call_provider(Scripted, "scripted-1", HI, options={"proxy": "http://127.0.0.1:9"}))
    assert Scripted.calls[0]["proxy"] == "http://127.0.0.1:9"


async def test_an_unknown_option_names_it_and_lists_the_valid_ones_before_any_call() -> None:
    with pytest.raises(OptionsError) as caught:
        await collect(call_provider(Scripted, "scripted-1", HI, options={"temprature": 0.5}))
    assert str(caught.value) == (
        "provider Scripted takes no option 'temprature'; its options are: api_key (str), max_tokens (int), "
        "proxy (str), stop (list[str]), stream (bool), style (str), temperature (float)"
    )
    assert isinstance(caught.value, providerhub.RequestError) and isinstance(caught.value, ValueError)
    assert Scripted.calls == []


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("max_tokens", "12.5", "an integer, not '12.5'"),
        ("max_tokens", True, "an integer, not True"),
        ("max_tokens", 3.0, "an integer, not 3.0"),
        ("temperature", "warm", "a finite number, not 'warm'"),
        ("temperature", "nan", "a finite number, not 'nan'"),
        ("stream", "maybe", "a bool (true/false, yes/no, on/off, 1/0), not 'maybe'"),
        ("stream", 1, "a bool (true/false, yes/no, on/off, 1/0), not 1"),
        ("stop", ["a", 2], "a list of strings (or comma-separated text), not ['a', 2]"),
        ("style", 5, "a string, not 5"),
    ],
)
async def test_an_ill_typed_option_names_it_the_type_and_the_value(option: str, value: Any, expected: str) -> None:
    with pytest.raises(OptionsError) as caught:
        await collect(call_provider(Scripted, "scripted-1", HI, options={option: value}))
    assert str(caught.value) == f"option {option!r} takes {expected}"
    assert Scripted.calls == []


async def test_a_provider_declaring_an_unsupported_option_type_is_a_provider_error() -> None:
    class Odd(Scripted):
        options = {"when": complex}

    with pytest.raises(ProviderError, match=r"provider Odd declares option 'when' with type <class 'complex'>") as e:
        await collect(call_provider(Odd, "scripted-1", HI, options={"when": 1}))
    assert e.value.retryable is False


@pytest.mark.parametrize("timeout", [0, -1.5, float("inf"), "10", True])
async def test_timeout_must_be_a_positive_number(timeout: Any) -> None:
    with pytest.raises(OptionsError, match="timeout must be a (finite, positive )?number of seconds"):
        await collect(call_provider(Scripted, "scripted-1", HI, timeout=timeout))
    assert Scripted.calls == []


async def test_timeout_and_media_are_passed_when_given() -> None:
    await collect(call_provider(Scripted, "scripted-1", HI))
    await collect(call_provider(Scripted, "scripted-1", HI, timeout=2, media=[(b"x", "x.png")]))
    assert "timeout" not in Scripted.calls[0] and Scripted.calls[0]["media"] is None
    assert (Scripted.calls[1]["timeout"], Scripted.calls[1]["media"]) == (2.0, [(b"x", "x.png")])


# -- keys ---------------------------------------------------------------------------------------


async def test_a_missing_key_fails_before_the_provider_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    keyed = Scripted.configure("Keyed", needs_auth=True)
    with pytest.raises(MissingCredentialsError) as caught:
        await collect(call_provider(keyed, "scripted-1", HI))
    assert "provider Keyed needs a key" in str(caught.value) and "SCRIPTED_KEY" in str(caught.value)
    assert (caught.value.provider, caught.value.model, caught.value.retryable) == ("Keyed", "scripted-1", False)
    assert Scripted.calls == []


async def test_the_key_found_is_passed_on_as_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    keyed = Scripted.configure("Keyed", needs_auth=True)
    monkeypatch.setenv("SCRIPTED_KEY", "from-env")
    await collect(call_provider(keyed, "scripted-1", HI))
    await collect(call_provider(keyed, "scripted-1", HI, api_key="explicit"))
    await collect(call_provider(keyed, "scripted-1", HI, options={"api_key": "as-option"}))
    assert [call["api_key"] for call in Scripted.calls] == ["from-env", "explicit", "as-option"]


async def test_no_key_is_passed_to_a_provider_without_one() -> None:
    await collect(call_provider(Scripted, "scripted-1", HI))
    assert "api_key" not in Scripted.calls[0]


async def test_missing_key_reaches_no_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """Against the Dynaspark stand-in: the request is refused here, and the server sees nothing."""
    from providerhub_dynaspark import Dynaspark

    async with standin() as server:
        keyed = Dynaspark.configure("KeyedSpark", needs_auth=True, api_key_env="KEYED_SPARK_KEY")
        monkeypatch.setenv("DYNASPARK_API_ENDPOINT", server.url)
        monkeypatch.delenv("KEYED_SPARK_KEY", raising=False)
        with pytest.raises(MissingCredentialsError, match="set KEYED_SPARK_KEY"):
            await collect(call_provider(keyed, "gemini-1.5-flash", HI))
        assert server.requests == []
        monkeypatch.setenv("KEYED_SPARK_KEY", "k")
        assert await collect(call_provider(keyed, "gemini-1.5-flash", HI)) == ["echo[gemini-1.5-flash]: one two three"]
        assert len(server.requests) == 1


# -- events -------------------------------------------------------------------------------------


async def test_events_pass_through_between_text_and_empty_text_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Scripted, "script", ["", "a", Usage(1, 2, 3), "", FinishReason("length")])
    assert await collect(call_provider(Scripted, "scripted-1", HI)) == ["a", Usage(1, 2, 3), FinishReason("length")]


async def test_a_chunk_that_is_neither_text_nor_an_event_is_a_provider_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Scripted, "script", ["a", {"text": "b"}])
    got, error = await failure(call_provider(Scripted, "scripted-1", HI))
    assert got == ["a"]
    assert isinstance(error, ProviderError)
    assert str(error) == "provider Scripted yielded dict, not text, Usage or FinishReason"
    assert (error.provider, error.partial, error.retryable) == ("Scripted", True, False)
    assert Scripted.closed == ["closed"]


# -- errors -------------------------------------------------------------------------------------


async def test_a_stray_exception_becomes_a_provider_error_naming_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    cause = RuntimeError("boom")
    monkeypatch.setattr(Scripted, "script", [cause])
    got, error = await failure(call_provider(Scripted, "scripted-1", HI))
    assert got == []
    assert type(error) is ProviderError
    assert str(error) == "provider Scripted failed: RuntimeError: boom"
    assert (error.provider, error.model, error.partial, error.retryable) == ("Scripted", "scripted-1", False, False)
    assert error.__cause__ is cause


@pytest.mark.parametrize(
    ("cause", "kind", "retryable"),
    [
        (TimeoutError(), providerhub.ProviderTimeoutError, True),
        (asyncio.TimeoutError(), providerhub.ProviderTimeoutError, True),
        (ConnectionResetError("reset"), ProviderConnectionError, True),
        (KeyError("response"), ProviderError, False),
    ],
)
async def test_stray_timeouts_and_connection_failures_are_retryable(
    monkeypatch: pytest.MonkeyPatch, cause: Exception, kind: type[ProviderError], retryable: bool
) -> None:
    monkeypatch.setattr(Scripted, "script", ["a", cause])
    got, error = await failure(call_provider(Scripted, "scripted-1", HI))
    assert got == ["a"]
    assert type(error) is kind
    assert (error.retryable, error.partial, error.__cause__) == (retryable, True, cause)  # type: ignore[attr-defined]


async def test_provider_errors_get_provider_model_and_partial_filled(monkeypatch: pytest.MonkeyPatch) -> None:
    raised = RateLimitError("slow down", status=429, retry_after=3)
    monkeypatch.setattr(Scripted, "script", ["a", raised])
    got, error = await failure(call_provider(Scripted, "scripted-1", HI))
    assert (got, error) == (["a"], raised)
    assert (raised.provider, raised.model, raised.partial, raised.retryable, raised.retry_after) == (
        "Scripted",
        "scripted-1",
        True,
        True,
        3,
    )


async def test_events_alone_do_not_make_an_answer_partial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Scripted, "script", [Usage(1, 0, 1), ProviderError("down", provider="Elsewhere")])
    got, error = await failure(call_provider(Scripted, "scripted-1", HI))
    assert got == [Usage(1, 0, 1)]
    assert isinstance(error, ProviderError)
    assert (error.provider, error.partial) == ("Elsewhere", False)  # a provider already named is kept


async def test_request_errors_from_a_provider_pass_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    raised = providerhub.MessagesError("bad messages")
    monkeypatch.setattr(Scripted, "script", [raised])
    _, error = await failure(call_provider(Scripted, "scripted-1", HI))
    assert error is raised


async def test_a_provider_with_neither_calling_style_is_a_provider_error() -> None:
    class Hollow(BaseProvider):
        default_model = "h-1"

    with pytest.raises(ProviderError, match="provider Hollow implements neither create_async_generator nor"):
        await collect(call_provider(Hollow, "h-1", HI))


async def test_a_create_async_generator_that_is_a_coroutine_is_a_provider_error() -> None:
    class Awaitable(Scripted):
        @classmethod
        async def create_async_generator(  # type: ignore[override]
            cls, model: str, messages: Any, proxy: str | None = None, media: Any = None, **kwargs: Any
        ) -> str:
            return "not streamed"

    with pytest.raises(ProviderError, match="create_async_generator returned coroutine, not an async iterator"):
        await collect(call_provider(Awaitable, "scripted-1", HI))


# -- closing ------------------------------------------------------------------------------------


async def test_the_provider_is_closed_on_end_error_and_early_close(monkeypatch: pytest.MonkeyPatch) -> None:
    await collect(call_provider(Scripted, "scripted-1", HI))
    assert Scripted.closed == ["closed"]
    monkeypatch.setattr(Scripted, "script", ["a", ValueError("x")])
    await failure(call_provider(Scripted, "scripted-1", HI))
    assert Scripted.closed == ["closed"] * 2
    monkeypatch.setattr(Scripted, "script", ["a", "b", "c"])
    answer = call_provider(Scripted, "scripted-1", HI)
    assert await answer.__anext__() == "a"
    await answer.aclose()
    assert Scripted.closed == ["closed"] * 3


async def test_cancelling_the_consumer_closes_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Scripted, "script", ["a", ...])
    seen: list[Any] = []

    async def consume() -> None:
        async for chunk in call_provider(Scripted, "scripted-1", HI):
            seen.append(chunk)

    task = asyncio.create_task(consume())
    await wait_until(lambda: bool(seen))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert Scripted.closed == ["closed"]


# -- stream() and complete() with installed plugins ---------------------------------------------


async def test_a_sync_only_provider_streams_chunk_by_chunk_in_a_worker_thread(samples: ModuleType) -> None:
    assert await collect(providerhub.stream("plain-1", HI)) == ["one ", "two ", "three "]
    (thread,) = samples.CLOSED
    assert thread != threading.current_thread().name


async def test_a_sync_only_provider_does_not_block_the_loop(samples: ModuleType) -> None:
    samples.GATE.clear()

    async def open_the_gate() -> None:
        await asyncio.sleep(0.05)  # runs only if the loop is free while the provider waits
        samples.GATE.set()

    opener = asyncio.create_task(open_the_gate())
    assert await collect(providerhub.stream("plain-gate", HI)) == ["one ", "two ", "three "]
    await opener


async def test_closing_a_sync_only_answer_early_closes_it_in_its_thread(samples: ModuleType) -> None:
    answer = providerhub.stream("plain-1", HI)
    assert await answer.__anext__() == "one "
    await answer.aclose()  # type: ignore[attr-defined]
    (thread,) = samples.CLOSED
    assert thread.startswith("providerhub-sync-provider")


async def test_cancelling_a_blocked_sync_provider_closes_it_once_it_returns(samples: ModuleType) -> None:
    samples.GATE.clear()
    task = asyncio.create_task(collect(providerhub.stream("plain-gate", HI)))
    await wait_until(samples.STARTED.is_set)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert samples.CLOSED == []  # still blocked inside the provider
    samples.GATE.set()
    await wait_until(lambda: bool(samples.CLOSED))
    assert len(samples.CLOSED) == 1  # closed after its first chunk, which nobody receives


async def test_a_sync_only_provider_error_is_a_partial_provider_error(samples: ModuleType) -> None:
    got, error = await failure(providerhub.stream("plain-fail", HI))
    assert got == ["one "]
    assert isinstance(error, ProviderError)
    assert (str(error), error.provider, error.model, error.partial) == (
        "provider Plain failed: KeyError: 'no such thing'",
        "Plain",
        "plain-fail",
        True,
    )
    assert isinstance(error.__cause__, KeyError)
    assert len(samples.CLOSED) == 1


def test_complete_drives_a_sync_only_provider_and_an_async_one(samples: ModuleType) -> None:
    assert list(providerhub.complete("plain-1", HI)) == ["one ", "two ", "three "]
    assert list(providerhub.complete("metered-1", HI)) == ["metered ", Usage(3, 2, 5), "answer", FinishReason("stop")]


async def test_complete_inside_a_running_loop(samples: ModuleType) -> None:
    assert list(providerhub.complete("plain-1", HI)) == ["one ", "two ", "three "]


def test_an_async_only_provider_is_usable_from_sync_code(samples: ModuleType) -> None:
    metered = providerhub.get_provider("metered-1")
    assert list(metered.create_completion("metered-1", HI)) == [
        "metered ",
        Usage(3, 2, 5),
        "answer",
        FinishReason("stop"),
    ]


async def test_a_raw_aiohttp_connection_error_becomes_a_provider_connection_error(
    samples: ModuleType, monkeypatch: pytest.MonkeyPatch, unused_tcp_port: int
) -> None:
    monkeypatch.setenv("LEAKY_URL", f"http://127.0.0.1:{unused_tcp_port}/generate_response")
    _, error = await failure(providerhub.stream("leaky-1", HI))
    assert isinstance(error, ProviderConnectionError)
    assert isinstance(error.__cause__, aiohttp.ClientConnectionError)
    assert (error.provider, error.model, error.retryable, error.partial) == ("Leaky", "leaky-1", True, False)
    assert str(error).startswith("provider Leaky failed: ClientConnectorError: Cannot connect to host 127.0.0.1")


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        ({"body": "not json"}, aiohttp.ContentTypeError),
        ({"json": {"answer": "misnamed"}}, KeyError),
        ({"json": ["not", "an", "object"]}, TypeError),
    ],
    ids=["text-body", "missing-key", "not-an-object"],
)
async def test_raw_errors_from_a_real_exchange_become_provider_errors(
    samples: ModuleType, monkeypatch: pytest.MonkeyPatch, reply: dict[str, Any], cause: type[Exception]
) -> None:
    async with standin() as server:
        server.respond_with(**reply)
        monkeypatch.setenv("LEAKY_URL", server.url)
        _, error = await failure(providerhub.stream("leaky-1", HI))
        assert len(server.requests) == 1
    assert type(error) is ProviderError
    assert isinstance(error.__cause__, cause)
    assert error.provider == "Leaky" and error.retryable is False


async def test_stream_checks_options_against_the_resolved_provider(samples: ModuleType) -> None:
    with pytest.raises(OptionsError, match="provider Metered takes no option 'temperature'; its options are: api_key"):
        await collect(providerhub.stream("metered-1", HI, temperature=0.2))
