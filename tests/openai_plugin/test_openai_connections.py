"""Connections: one keep-alive session per loop, closed with it; early ends release the connection; proxies."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from providerhub_openai.client import _sessions
from support.net import ForwardProxy, wait_until
from support.openai_standin import OpenAIStandin
from support.sessions import assert_one_session_per_loop

from .helpers import HELLO, aimed_at, collect, texts

WORDS = [{"role": "user", "content": "a b c d"}]


async def test_one_session_serves_every_request_on_a_loop(server: OpenAIStandin) -> None:
    provider = aimed_at(server)
    await collect(provider, "m")
    session = _sessions.peek()
    assert session is not None and not session.closed
    await collect(provider, "m")
    await collect(provider, "m")
    assert _sessions.peek() is session
    assert len(server.peers) == 3
    assert len(set(server.peers)) == 1, "keep-alive: all three requests came over one connection"


async def test_concurrent_answers_do_not_mix(server: OpenAIStandin) -> None:
    provider = aimed_at(server)
    prompts = [f"prompt {i} " + "word " * i for i in range(6)]
    answers = await asyncio.gather(*(collect(provider, "m", [{"role": "user", "content": p}]) for p in prompts))
    assert ["".join(texts(a)) for a in answers] == [f"echo: {p}" for p in prompts]


def test_each_loop_gets_its_own_session_closed_when_the_loop_ends(threaded_server: OpenAIStandin) -> None:
    assert_one_session_per_loop(lambda: collect(aimed_at(threaded_server), "m"), _sessions)


async def test_closing_the_answer_early_releases_the_connection(server: OpenAIStandin) -> None:
    server.respond_with(hold_last=True)
    answer = aimed_at(server).create_async_generator("m", WORDS)
    assert await answer.__anext__() == "echo: "
    await answer.aclose()
    await wait_until(lambda: server.open_connections == 0)
    server.release()
    server.respond_with()
    assert "".join(texts(await collect(aimed_at(server), "m"))) == "echo: Hello there"


async def test_cancelling_the_consumer_releases_the_connection(server: OpenAIStandin) -> None:
    server.respond_with(delay=10)
    task = asyncio.create_task(collect(aimed_at(server), "m"))
    await wait_until(lambda: len(server.requests) == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_until(lambda: server.open_connections == 0)


async def test_a_callers_session_is_used_and_left_open(server: OpenAIStandin) -> None:
    async with aiohttp.ClientSession() as session:
        await collect(aimed_at(server), "m", session=session)
        assert not session.closed
        assert _sessions.peek() is None, "the shared session was not needed"


async def test_requests_go_through_the_proxy_given(server: OpenAIStandin) -> None:
    proxy = await ForwardProxy().start()
    try:
        chunks = await collect(aimed_at(server), "m", proxy=proxy.url)
    finally:
        await proxy.close()
    assert "".join(texts(chunks)) == "echo: Hello there"
    assert proxy.request_lines == [f"POST {server.url} HTTP/1.1"]


async def test_requests_go_through_the_proxy_of_the_environment(
    server: OpenAIStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = await ForwardProxy().start()
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY")
    try:
        chunks = await collect(aimed_at(server), "m")
    finally:
        await proxy.close()
    assert "".join(texts(chunks)) == "echo: Hello there"
    assert proxy.request_lines == [f"POST {server.url} HTTP/1.1"]


async def test_no_proxy_is_honoured(server: OpenAIStandin) -> None:
    # The autouse fixture points HTTP_PROXY at a refused port and exempts only 127.0.0.1.
    assert "".join(texts(await collect(aimed_at(server), "m"))) == "echo: Hello there"


def test_create_completion_from_plain_sync_code(threaded_server: OpenAIStandin) -> None:
    chunks = list(aimed_at(threaded_server).create_completion("m", HELLO))
    assert texts(chunks) == ["echo: ", "Hello ", "there"]
