"""The Dynaspark stand-in server from the test suite, run in a process of its own for benchmarks."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

MODEL = "gemini-1.5-flash"
MESSAGES: list[Any] = [{"role": "user", "content": "How fast is this?"}]
# What the service expects from a browser; the raw-aiohttp baselines send the same.
HEADERS = {
    "accept": "*/*",
    "accept-language": "en-US,en;q=0.9",
    "origin": "https://dynaspark.onrender.com",
    "referer": "https://dynaspark.onrender.com/",
    "user-agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36"
    ),
    "x-requested-with": "XMLHttpRequest",
}
TESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")

SERVE = """
import asyncio, sys
sys.path.insert(0, {tests!r})
from support.dynaspark_standin import start_standin

async def main():
    server = await start_standin()
    server.respond_with(json={{"response": "fast enough"}}, delay={delay})
    server.requests = _Dropped()  # a long benchmark would otherwise keep every request
    print(server.url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.close()

class _Dropped(list):
    def append(self, item):
        pass

asyncio.run(main())
"""


# The HTTP/1.1 framing both lean servers share (a script's tail, appended after its own
# ``respond(head, body)`` and ``PATH``): whole requests with a Content-Length body, answered at once.
RESPONDER = """
class Responder(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        self.buffer += data
        while True:
            head, sep, rest = self.buffer.partition(b"\\r\\n\\r\\n")
            if not sep:
                return
            length = 0
            for line in head.split(b"\\r\\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return
            body, self.buffer = rest[:length], rest[length:]
            self.transport.write(respond(head, body))

async def main():
    server = await asyncio.get_running_loop().create_server(Responder, "127.0.0.1", 0)
    print("http://127.0.0.1:%d%s" % (server.sockets[0].getsockname()[1], PATH), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    server.close()

asyncio.run(main())
"""

# A lean HTTP/1.1 responder for throughput runs: it checks that both form fields came and answers
# Dynaspark's JSON, at a fraction of the full stand-in's cost, so the client is what gets measured.
LEAN = (
    """
import asyncio, sys

PATH = "/generate_response"
BODY = b'{"response": "fast enough"}'
OK = b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n%s" % (len(BODY), BODY)
BAD = b"HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\n\\r\\n"

def respond(head, body):
    fields = b'name="user_input"' in body and b'name="ai_model"' in body
    return OK if head.startswith(b"POST /generate_response ") and fields else BAD
"""
    + RESPONDER
)


def raw_session() -> Any:
    """A raw aiohttp session carrying the browser headers, as Dynaspark's shared session does."""
    import aiohttp

    return aiohttp.ClientSession(headers=HEADERS)


def raw_form() -> tuple[bytes, dict[str, str]]:
    """The body and headers Dynaspark sends, written directly: the form encoded into one buffer,
    with a fresh random boundary."""
    boundary = os.urandom(16).hex()
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="user_input"\r\n\r\n{MESSAGES[0]["content"]}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="ai_model"\r\n\r\n{MODEL}\r\n--{boundary}--\r\n'
    ).encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


async def raw_post(session: Any, url: str) -> None:
    """The same bytes Dynaspark sends, posted directly with aiohttp on a ``raw_session()``; the JSON answer read."""
    body, headers = raw_form()
    async with session.post(url, data=body, headers=headers) as response:
        response.raise_for_status()
        assert json.loads(await response.read())["response"]


async def raw_stream(session: Any, url: str) -> AsyncIterator[str]:
    """``raw_post`` in the shape of a provider's ``create_async_generator``: an async generator
    that yields the answer's text. What that shape costs, and nothing more."""
    body, headers = raw_form()
    async with session.post(url, data=body, headers=headers) as response:
        response.raise_for_status()
        text = json.loads(await response.read())["response"]
    yield text


async def formdata_post(session: Any, url: str) -> None:
    """What a person would write with aiohttp: ``FormData`` (streamed part by part: other bytes, more writes)."""
    import aiohttp

    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("user_input", MESSAGES[0]["content"])
    form.add_field("ai_model", MODEL)
    async with session.post(url, data=form, headers=HEADERS) as response:
        response.raise_for_status()
        assert (await response.json(content_type=None))["response"]


def providerhub_send(url: str) -> Callable[[], Awaitable[None]]:
    """One request the way a providerhub user makes it: resolve the model, then stream the answer."""
    from providerhub import get_provider

    os.environ["DYNASPARK_API_ENDPOINT"] = url
    provider = get_provider(MODEL)

    async def send() -> None:
        async for chunk in provider.create_async_generator(MODEL, MESSAGES):
            assert chunk

    return send


@contextmanager
def serving(delay: float = 0.0, lean: bool = False) -> Iterator[str]:
    """Run the stand-in (or the lean responder) in a child process on its own core; yield its endpoint URL."""
    with serving_code(LEAN if lean else SERVE.format(tests=TESTS, delay=delay)) as url:
        yield url


@contextmanager
def serving_code(code: str) -> Iterator[str]:
    """Run a server's ``code`` in a child process; it prints its URL (``http://127.0.0.1:...``) and
    stops when its stdin closes. Yield that URL."""
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the stand-in server did not start (said {url!r})")
        yield url
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def wire_bytes(*sends: Callable[[str], Awaitable[None]]) -> list[bytes]:
    """The bytes each ``send(url)`` puts on the wire (to one server), the random boundary replaced by ``BOUNDARY``."""
    got: list[bytes] = []
    writers: list[asyncio.StreamWriter] = []
    answer = b'{"response": "fast enough"}'

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        while not reader.at_eof():
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            request = head + await reader.readexactly(length)
            boundary = re.search(rb"boundary=([0-9a-f]+)", request)
            got.append(request.replace(boundary.group(1), b"BOUNDARY") if boundary else request)
            ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(answer)
            writer.write(ok + answer)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/generate_response"
    async with server:
        for send in sends:
            await send(url)
        for writer in writers:  # the clients keep their connections alive; end them before the server closes
            writer.close()
        await asyncio.sleep(0.05)
    return got
