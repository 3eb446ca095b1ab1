"""Connections: one keep-alive session per loop, closed at loop shutdown; cancellation; proxies; sync use."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import pytest

from providerhub._sync import iterate
from providerhub_dynaspark import Dynaspark
from providerhub_dynaspark.client import _sessions
from providerhub_dynaspark.provider import DEFAULT_TIMEOUT
from support.dynaspark_standin import Standin
from support.net import ForwardProxy, wait_until
from support.processes import STRICT, run_python
from support.sessions import assert_one_session_per_loop

from .helpers import HELLO

pytestmark = pytest.mark.installed


async def ask(**kwargs: Any) -> list[str]:
    return [chunk async for chunk in Dynaspark.create_async_generator("gemini-1.5-flash", HELLO, **kwargs)]


async def test_one_session_serves_every_request_on_a_loop(dynaspark_server: Standin) -> None:
    assert _sessions.peek() is None
    await ask(api_endpoint=dynaspark_server.url)
    session = _sessions.peek()
    assert session is not None and not session.closed
    await ask(api_endpoint=dynaspark_server.url)
    await ask(api_endpoint=dynaspark_server.url)
    assert _sessions.peek() is session
    assert len(dynaspark_server.peers) == 3
    assert len(set(dynaspark_server.peers)) == 1, "keep-alive: all three requests came over one connection"


async def test_concurrent_requests_share_the_session(dynaspark_server: Standin) -> None:
    answers = await asyncio.gather(*(ask(api_endpoint=dynaspark_server.url) for _ in range(5)))
    assert answers == [["echo[gemini-1.5-flash]: Hello"]] * 5
    assert len(_sessions) >= 1 and _sessions.peek() is not None


async def test_a_callers_session_is_used_and_left_open(dynaspark_server: Standin) -> None:
    async with aiohttp.ClientSession() as session:
        await ask(api_endpoint=dynaspark_server.url, session=session)
        await ask(api_endpoint=dynaspark_server.url, session=session)
        assert not session.closed
        assert _sessions.peek() is None, "the shared session was not needed"
    assert len(set(dynaspark_server.peers)) == 1


async def test_a_callers_session_gets_the_request_timeout_not_its_own(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(delay=0.5)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.1)) as session:
        assert await ask(api_endpoint=dynaspark_server.url, session=session) == ["echo[gemini-1.5-flash]: Hello"]
        with pytest.raises(TimeoutError):
            await ask(api_endpoint=dynaspark_server.url, session=session, timeout=0.2)


async def test_the_shared_session_times_out_at_the_default_timeout(dynaspark_server: Standin) -> None:
    await ask(api_endpoint=dynaspark_server.url)  # a request with the default timeout passes none: the session's holds
    session = _sessions.peek()
    assert session is not None and session.timeout == aiohttp.ClientTimeout(total=DEFAULT_TIMEOUT)
    dynaspark_server.respond_with(delay=5.0)
    with pytest.raises(TimeoutError):  # another timeout is passed with its request
        await ask(api_endpoint=dynaspark_server.url, timeout=0.2)


def test_each_loop_gets_its_own_session_closed_when_the_loop_ends(threaded_server: Standin) -> None:
    assert_one_session_per_loop(lambda: ask(api_endpoint=threaded_server.url), _sessions)


async def test_cancelling_the_consumer_closes_its_request(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(delay=10.0)
    task = asyncio.create_task(ask(api_endpoint=dynaspark_server.url))
    await wait_until(lambda: len(dynaspark_server.requests) == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_until(lambda: dynaspark_server.disconnects == 1)
    await wait_until(lambda: dynaspark_server.open_connections == 0)
    dynaspark_server.respond_with()
    assert await ask(api_endpoint=dynaspark_server.url) == ["echo[gemini-1.5-flash]: Hello"]


async def test_a_timed_out_request_does_not_linger(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(delay=10.0)
    with pytest.raises(TimeoutError):
        await ask(api_endpoint=dynaspark_server.url, timeout=0.2)
    await wait_until(lambda: dynaspark_server.disconnects == 1)
    await wait_until(lambda: dynaspark_server.open_connections == 0)


async def test_the_proxy_variables_are_read_for_each_request_without_a_worker_thread(
    dynaspark_server: Standin, forward_proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted: list[object] = []

    class Counting(ThreadPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            submitted.append(fn)
            return super().submit(fn, *args, **kwargs)

    with Counting(max_workers=1) as executor:
        asyncio.get_running_loop().set_default_executor(executor)
        for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        await ask(api_endpoint=dynaspark_server.url)
        await ask(api_endpoint=dynaspark_server.url)
        assert submitted == [], "a request with no proxy to find costs no worker thread"
        monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)  # the same loop and session: read per request
        await ask(api_endpoint=dynaspark_server.url)
        assert forward_proxy.request_lines == [f"POST {dynaspark_server.url} HTTP/1.1"]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        await ask(api_endpoint=dynaspark_server.url)
        assert len(forward_proxy.request_lines) == 1
        assert len(dynaspark_server.requests) == 4


async def test_requests_go_through_a_proxy(dynaspark_server: Standin, forward_proxy: ForwardProxy) -> None:
    answer = await ask(api_endpoint=dynaspark_server.url, proxy=forward_proxy.url)
    assert answer == ["echo[gemini-1.5-flash]: Hello"]
    assert forward_proxy.request_lines == [f"POST {dynaspark_server.url} HTTP/1.1"]
    assert dynaspark_server.requests[0].user_input == "Hello"


def test_create_completion_from_plain_sync_code(threaded_server: Standin) -> None:
    chunks = Dynaspark.create_completion("gemini-2-flash", HELLO, api_endpoint=threaded_server.url)
    assert list(chunks) == ["echo[gemini-2.0-flash]: Hello"]


async def test_create_completion_inside_a_running_loop(threaded_server: Standin) -> None:
    chunks = Dynaspark.create_completion("gemini-flash-8b", HELLO, api_endpoint=threaded_server.url)
    assert list(chunks) == ["echo[gemini-1.5-flash-8b]: Hello"]
    assert _sessions.peek() is None, "the calling loop was not used"


def test_create_completion_raises_the_providers_error() -> None:
    with pytest.raises(ConnectionError, match="Dynaspark: cannot reach"):
        list(Dynaspark.create_completion("gemini-1.5-flash", HELLO))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open sockets through /proc/self/fd")
def test_a_script_leaves_nothing_open(threaded_server: Standin) -> None:
    code = """
        import asyncio, os
        from providerhub_dynaspark import Dynaspark

        async def main():
            for i in range(3):
                async for chunk in Dynaspark.create_async_generator(
                    "gemini-flash", [{"role": "user", "content": f"question {i}"}]
                ):
                    print(chunk)

        asyncio.run(main())
        import gc
        gc.collect()
        links = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                links.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                pass
        print("sockets", sum(link.startswith("socket:") for link in links))
    """
    out = run_python(code, *STRICT, DYNASPARK_API_ENDPOINT=threaded_server.url)
    assert out.stderr == ""
    assert out.returncode == 0
    assert out.stdout.splitlines() == [*(f"echo[gemini-1.5-flash]: question {i}" for i in range(3)), "sockets 0"]
    assert len(set(threaded_server.peers)) == 1, "the three requests shared one connection"


def test_a_sync_script_leaves_nothing_open(threaded_server: Standin) -> None:
    code = """
        from providerhub_dynaspark import Dynaspark

        for i in range(2):
            print("".join(Dynaspark.create_completion("gemini-1.5-flash", [{"role": "user", "content": str(i)}])))
    """
    out = run_python(code, *STRICT, DYNASPARK_API_ENDPOINT=threaded_server.url)
    assert (out.stderr, out.returncode) == ("", 0)
    assert out.stdout.splitlines() == ["echo[gemini-1.5-flash]: 0", "echo[gemini-1.5-flash]: 1"]
    assert len(set(threaded_server.peers)) == 1, "sequential sync calls shared one connection"


def test_sync_calls_from_many_threads_keep_a_connection_per_thread(threaded_server: Standin) -> None:
    def one(i: int) -> list[str]:
        messages = [{"role": "user", "content": f"q{i}"}]
        return list(Dynaspark.create_completion("gemini-1.5-flash", messages, api_endpoint=threaded_server.url))

    before = {t.name for t in threading.enumerate()}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(32)))
        made = {t.name for t in threading.enumerate()} - before
    assert answers == [[f"echo[gemini-1.5-flash]: q{i}"] for i in range(32)]
    assert not [name for name in made if name.startswith("providerhub-sync")], "no thread made for sync calls"
    assert len(set(threaded_server.peers)) <= 8, "each thread's loop kept its connection across its calls"


def test_a_sync_call_inside_an_answer_on_the_sync_loop_does_not_wait_forever(threaded_server: Standin) -> None:
    async def nested() -> AsyncIterator[str]:
        # runs on the shared sync loop; a sync call here must not queue behind itself
        yield "".join(Dynaspark.create_completion("gemini-flash", HELLO, api_endpoint=threaded_server.url))

    assert list(iterate(nested)) == ["echo[gemini-1.5-flash]: Hello"]


def test_importing_the_plugin_does_not_import_aiohttp() -> None:
    out = run_python(
        "import sys, providerhub_dynaspark; print(sorted(m for m in sys.modules if 'aiohttp' in m))", *STRICT
    )
    assert (out.stdout.strip(), out.stderr) == ("[]", "")
