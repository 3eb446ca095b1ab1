"""The stand-in server itself: other test suites rely on its wire format and its API."""

from __future__ import annotations

import aiohttp
import pytest

from support.dynaspark_standin import Received, Standin, serve_in_thread, start_standin
from support.images import PNG

pytestmark = pytest.mark.installed

BOUNDARY = "standin-boundary"


def raw_form(*parts: tuple[str, str]) -> bytes:
    """A multipart body from ``(part headers, body)`` pairs, for parts aiohttp would not produce."""
    chunks = [f"--{BOUNDARY}\r\n{headers}\r\n\r\n{body}\r\n" for headers, body in parts]
    return ("".join(chunks) + f"--{BOUNDARY}--\r\n").encode()


async def post(url: str, data: object, headers: dict[str, str] | None = None) -> tuple[int, object]:
    async with aiohttp.ClientSession() as session, session.post(url, data=data, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def test_default_answer_echoes_the_model_and_prompt(dynaspark_server: Standin) -> None:
    form = aiohttp.FormData()
    form.add_field("user_input", "hi there")
    form.add_field("ai_model", "gemini-2.0-flash")
    form.add_field("file", PNG, filename="p.png", content_type="image/png")
    status, body = await post(dynaspark_server.url, form, {"X-Probe": "1"})
    assert (status, body) == (200, {"response": "echo[gemini-2.0-flash]: hi there [file p.png]"})
    (received,) = dynaspark_server.requests
    assert isinstance(received, Received)
    assert received[:3] == ("hi there", "gemini-2.0-flash", ("p.png", "image/png", PNG))
    assert received.headers["x-probe"] == "1"
    assert dynaspark_server.url.startswith("http://127.0.0.1:") and dynaspark_server.url.endswith("/generate_response")


async def test_a_url_encoded_form_is_accepted(dynaspark_server: Standin) -> None:
    status, body = await post(dynaspark_server.url, {"user_input": "x", "ai_model": "m"})
    assert (status, body) == (200, {"response": "echo[m]: x"})


@pytest.mark.parametrize(
    ("parts", "problem"),
    [
        ([('Content-Disposition: form-data; name="ai_model"', "m")], "missing field user_input"),
        ([('Content-Disposition: form-data; name="user_input"', "x")], "missing field ai_model"),
        (
            [
                ('Content-Disposition: form-data; name="user_input"', "x"),
                ('Content-Disposition: form-data; name="ai_model"', "m"),
                ('Content-Disposition: form-data; name="file"', "data"),
            ],
            "the file part has no filename",
        ),
        (
            [
                ('Content-Disposition: form-data; name="user_input"', "x"),
                ('Content-Disposition: form-data; name="ai_model"', "m"),
                ('Content-Disposition: form-data; name="file"; filename="a.png"', "data"),
            ],
            "the file part has no content type",
        ),
    ],
)
async def test_malformed_forms_get_a_400_and_are_recorded(
    dynaspark_server: Standin, parts: list[tuple[str, str]], problem: str
) -> None:
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    status, body = await post(dynaspark_server.url, raw_form(*parts), headers)
    assert (status, body) == (400, {"error": problem})
    assert len(dynaspark_server.requests) == 1


async def test_a_body_that_is_not_a_form_gets_a_400(dynaspark_server: Standin) -> None:
    status, body = await post(dynaspark_server.url, b"{}", {"Content-Type": "application/json"})
    assert status == 400 and "multipart/form-data" in str(body)


async def test_respond_with_sets_what_follows(dynaspark_server: Standin) -> None:
    form = {"user_input": "x", "ai_model": "m"}
    dynaspark_server.respond_with(status=503, json={"error": "busy"})
    assert await post(dynaspark_server.url, form) == (503, {"error": "busy"})
    dynaspark_server.respond_with(body='{"response": "raw"}', content_type="application/json")
    assert await post(dynaspark_server.url, form) == (200, {"response": "raw"})
    dynaspark_server.respond_with(status=201)
    assert await post(dynaspark_server.url, form) == (201, {"response": "echo[m]: x"})


async def test_start_and_close_by_hand() -> None:
    server = await start_standin()
    try:
        assert await post(server.url, {"user_input": "x", "ai_model": "m"}) == (200, {"response": "echo[m]: x"})
    finally:
        await server.close()
    async with Standin() as again:
        assert again.url != server.url or again.requests == []


def test_serve_in_thread_stops_cleanly() -> None:
    with serve_in_thread() as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.open_connections == 0
