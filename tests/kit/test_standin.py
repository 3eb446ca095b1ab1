"""StandIn answers byte for byte as scripted: statuses, headers, bodies, chunks, SSE, delays, holds, resets."""

from __future__ import annotations

import asyncio
import gc
import http.client
import ipaddress
import socket
import time
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providerhub.testing import Reply, Request, StandIn
from providerhub.testing._transport import is_loopback

Connect = Callable[[StandIn], http.client.HTTPConnection]


@pytest.fixture
def server() -> Iterator[StandIn]:
    with StandIn() as running:
        yield running


@pytest.fixture
def connect() -> Iterator[Callable[[StandIn], http.client.HTTPConnection]]:
    """Opens client connections to a server; closes them after the test."""
    opened: list[http.client.HTTPConnection] = []

    def open_to(server: StandIn) -> http.client.HTTPConnection:
        host, port = server.url.removeprefix("http://").split(":")
        opened.append(http.client.HTTPConnection(host, int(port), timeout=5.0))
        return opened[-1]

    yield open_to
    for conn in opened:
        conn.close()


def test_it_listens_on_loopback_and_records_each_request(server: StandIn, connect: Connect) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    server.respond(Reply.json({"ok": True}))
    conn = connect(server)
    conn.request("POST", "/v1/chat?stream=1", body=b'{"a": 1}', headers={"X-Key": "k", "Content-Type": "json"})
    response = conn.getresponse()
    assert (response.status, response.getheader("Content-Type"), response.read()) == (
        200,
        "application/json",
        b'{"ok": true}',
    )
    conn.request("GET", "/second")  # the same keep-alive connection
    assert conn.getresponse().read()
    conn.close()
    first, second = server.requests
    assert (first.method, first.target, first.path, first.body) == (
        "POST",
        "/v1/chat?stream=1",
        "/v1/chat",
        b'{"a": 1}',
    )
    assert first.headers["x-key"] == "k" and first.text() == '{"a": 1}'
    assert (second.method, second.path, second.body) == ("GET", "/second", b"")
    assert server.connections == 1


def test_a_chunked_request_body_is_read_whole(server: StandIn, connect: Connect) -> None:
    server.respond(Reply(204))
    conn = connect(server)
    conn.request("POST", "/up", body=iter([b"hello ", b"world"]), encode_chunked=True)
    assert conn.getresponse().status == 204
    assert server.requests[0].body == b"hello world"


def test_status_headers_and_body_are_sent_as_given(server: StandIn, connect: Connect) -> None:
    server.respond(Reply(429, {"Retry-After": "7", "Content-Type": "text/plain"}, "slow down"))
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert (response.status, response.reason, response.getheader("Retry-After"), response.read()) == (
        429,
        "Too Many Requests",
        "7",
        b"slow down",
    )


def test_chunks_are_sent_chunked_and_sse_events_as_data_lines(server: StandIn, connect: Connect) -> None:
    server.respond(Reply.sse([{"delta": "Hel"}, {"delta": "lo"}, "[DONE]"]))
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Type") == "text/event-stream"
    assert response.read() == b'data: {"delta": "Hel"}\n\ndata: {"delta": "lo"}\n\ndata: [DONE]\n\n'


def test_an_html_page_is_an_html_page(server: StandIn, connect: Connect) -> None:
    server.respond(Reply.html(502, "Bad Gateway", "upstream down"))
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    body = response.read()
    assert response.status == 502 and body.startswith(b"<!DOCTYPE html>") and b"<title>Bad Gateway</title>" in body


def test_a_script_function_answers_from_the_request_and_its_faults_are_a_500(server: StandIn, connect: Connect) -> None:
    def script(request: Request) -> Reply:
        if request.path == "/boom":
            raise KeyError("boom")
        return Reply(200, body=request.path.upper())

    server.respond(script)
    conn = connect(server)
    conn.request("GET", "/echo")
    assert conn.getresponse().read() == b"/ECHO"
    conn.request("GET", "/boom")
    response = conn.getresponse()
    assert response.status == 500 and b"StandIn script failed: KeyError('boom')" in response.read()


def test_without_a_script_every_request_is_a_404_saying_so(server: StandIn, connect: Connect) -> None:
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 404 and b"no reply scripted" in response.read()


def test_a_delay_comes_before_the_status_line(server: StandIn, connect: Connect) -> None:
    server.respond(Reply(body="late", delay=0.3))
    conn = connect(server)
    started = time.monotonic()
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"late"
    assert time.monotonic() - started >= 0.3


def test_a_reset_resets_the_connection(server: StandIn, connect: Connect) -> None:
    server.respond(Reply(reset=True))
    conn = connect(server)
    conn.request("GET", "/")
    with pytest.raises(ConnectionResetError):
        conn.getresponse()
    assert len(server.requests) == 1


def test_a_held_response_sends_the_rest_on_release(server: StandIn, connect: Connect) -> None:
    server.respond(Reply(chunks=["first ", "second"], hold_after=1))
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.read1(100) == b"first "
    assert server.answering == 1 and server.open_connections == 1
    server.release()
    assert response.read() == b"second"
    assert server.wait(lambda s: s.answering == 0, 5)


def test_a_client_leaving_a_held_or_delayed_response_is_noticed(server: StandIn) -> None:
    for reply in (Reply(chunks=["a", "b"], hold_after=1), Reply(delay=20)):
        server.respond(reply)
        before = server.disconnects
        sock = socket.create_connection(server.url.removeprefix("http://").split(":"), timeout=5)  # type: ignore[arg-type]
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert server.wait(lambda s: s.answering == 1, 5)
        sock.close()
        assert server.wait(lambda s: s.answering == 0 and s.open_connections == 0, 5)
        assert server.disconnects == before + 1


def test_a_waiting_response_never_outlasts_the_server() -> None:
    server = StandIn(Reply(delay=20)).start()
    sock = socket.create_connection(server.url.removeprefix("http://").split(":"), timeout=5)  # type: ignore[arg-type]
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert server.wait(lambda s: s.answering == 1, 5)
    started = time.monotonic()
    server.close()
    assert time.monotonic() - started < 5
    assert sock.recv(100) == b""
    sock.close()


async def test_it_works_from_async_code_and_waits_on_the_caller_s_loop() -> None:
    async with StandIn(Reply(body="hi")) as server:
        reader, writer = await asyncio.open_connection(*server.url.removeprefix("http://").split(":"))
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = await reader.read()
        writer.close()
        await writer.wait_closed()
        assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"\r\n\r\nhi")
        assert await server.until(lambda s: s.open_connections == 0, 5)
        assert not await server.until(lambda s: s.connections > 1, 0.05)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=4096),
    chunks=st.lists(st.binary(min_size=0, max_size=512), max_size=8),
)
def test_any_body_arrives_whole_and_any_chunks_arrive_in_order(
    server: StandIn, connect: Connect, body: bytes, chunks: list[bytes]
) -> None:
    server.respond(lambda request: Reply(200, chunks=[request.body, *chunks]))
    conn = connect(server)
    conn.request("POST", "/", body=body)
    assert conn.getresponse().read() == body + b"".join(chunks)
    assert server.requests[-1].body == body


@given(st.ip_addresses())
def test_only_loopback_addresses_count_as_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    assert is_loopback(str(address)) == address.is_loopback
    assert is_loopback(f"[{address}]") == address.is_loopback


def test_loopback_names_and_what_is_not_an_address() -> None:
    assert is_loopback("localhost") and is_loopback("LOCALHOST.") and is_loopback(b"127.0.0.1")
    assert not is_loopback("relay.invalid") and not is_loopback("") and not is_loopback(None)


def test_a_connection_made_just_before_close_is_closed_too() -> None:
    for _ in range(30):  # the close usually lands while the connection is being accepted
        with StandIn() as server:
            socket.create_connection(server.url.removeprefix("http://").split(":"), timeout=5).close()  # type: ignore[arg-type]
    gc.collect()  # under error::ResourceWarning, a transport leaked by any of them fails the test here
