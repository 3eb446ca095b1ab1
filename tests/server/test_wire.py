"""The exact bytes on the wire: server-sent events, the held status line, errors for every route."""

from __future__ import annotations

import json
import re
import socket
import time

import pytest

from support.gateway import Gateway
from support.rawhttp import post_json_raw, read_until, request

CHAT = "/v1/chat/completions"
HI = [{"role": "user", "content": "hi"}]


def normalized(body: bytes) -> str:
    """The events with the per-answer id and time stamp replaced by placeholders."""
    text = body.decode()
    ids = set(re.findall(r'"id":"(chatcmpl-[0-9a-f]{24})"', text))
    assert len(ids) == 1, text
    text = text.replace(ids.pop(), "ID")
    return re.sub(r'"created":\d+', '"created":T', text)


def chunk(delta: str, finish: str = "null", usage: str = "") -> str:
    return (
        'data: {"id":"ID","object":"chat.completion.chunk","created":T,"model":"echo-1","system_fingerprint":null,'
        f'"choices":[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]{usage}}}\n\n'
    )


def test_stream_bytes(gateway: Gateway) -> None:
    reply = request(gateway.url, "POST", CHAT, {"model": "echo-1", "messages": HI, "stream": True})
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert reply.headers["x-providerhub-provider"] == "Echo"
    assert normalized(reply.body) == (
        chunk('{"role":"assistant","content":"Hello"}')
        + chunk('{"content":", "}')
        + chunk('{"content":"world"}')
        + chunk("{}", '"stop"')
        + "data: [DONE]\n\n"
    )


def test_stream_bytes_with_usage(gateway: Gateway) -> None:
    body = {"model": "echo-1", "messages": HI, "stream": True, "stream_options": {"include_usage": True}}
    reply = request(gateway.url, "POST", CHAT, body)
    null = ',"usage":null'
    usage = (
        'data: {"id":"ID","object":"chat.completion.chunk","created":T,"model":"echo-1","system_fingerprint":null,'
        '"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n'
    )
    assert normalized(reply.body) == (
        chunk('{"role":"assistant","content":"Hello"}', usage=null)
        + chunk('{"content":", "}', usage=null)
        + chunk('{"content":"world"}', usage=null)
        + chunk("{}", '"stop"', usage=null)
        + usage
        + "data: [DONE]\n\n"
    )


def test_error_after_text_is_one_event_and_no_done(gateway: Gateway) -> None:
    reply = request(gateway.url, "POST", CHAT, {"model": "fail-after", "messages": HI, "stream": True})
    assert reply.status == 200
    events = reply.body.decode().split("\n\n")
    assert events[-1] == ""
    first, error = (json.loads(e.removeprefix("data: ")) for e in events[:-1])
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": "partial "}
    assert error["error"]["code"] == "provider_error"
    assert set(error["error"]) >= {"message", "type", "param", "code"}
    assert b"[DONE]" not in reply.body


def test_status_line_waits_for_the_first_text(gateway: Gateway) -> None:
    sock = post_json_raw(gateway.url, CHAT, {"model": "stall-first", "messages": HI, "stream": True}, timeout=1)
    try:
        with pytest.raises(socket.timeout):
            sock.recv(1)  # nothing at all, not even the status line, while the provider says nothing
    finally:
        sock.close()


def test_status_line_with_the_first_text(gateway: Gateway) -> None:
    sock = post_json_raw(gateway.url, CHAT, {"model": "stall-after", "messages": HI, "stream": True}, timeout=10)
    try:
        data = read_until(sock, b"first ")
        assert data.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b'"content":"first "' in data
    finally:
        sock.close()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/v1/nothing", None, 404, "not_found"),
        ("GET", "/", None, 404, "not_found"),
        ("DELETE", "/v1/models", None, 405, "method_not_allowed"),
        ("GET", CHAT, None, 405, "method_not_allowed"),
        ("POST", CHAT, b"{not json", 400, "invalid_json"),
        ("POST", CHAT, b"", 400, "invalid_json"),
        ("POST", CHAT, b"\xff\xfe", 400, "invalid_json"),
        ("POST", CHAT, b"[1, 2]", 400, "invalid_type"),
        ("POST", CHAT, b"[" * 5000 + b"]" * 5000, 400, "invalid_json"),
        ("POST", CHAT, b'{"model": "echo-1", "messages": ' + b"[" * 40 + b"]" * 40 + b"}", 400, "invalid_json"),
        ("POST", CHAT, json.dumps({"messages": HI}).encode(), 400, "missing_required_parameter"),
        ("POST", CHAT, json.dumps({"model": "echo-1", "messages": HI * 1001}).encode(), 400, "invalid_value"),
        ("POST", CHAT, json.dumps({"model": "echo-1", "messages": HI, "stream": "yes"}).encode(), 400, "invalid_type"),
    ],
)
def test_every_error_has_the_openai_shape(
    gateway: Gateway, method: str, path: str, body: bytes | None, status: int, code: str
) -> None:
    reply = request(gateway.url, method, path, body)
    assert reply.status == status, reply.body
    assert reply.headers["content-type"].startswith("application/json")
    error = reply.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code
    assert error["message"]


def test_lone_surrogates_are_refused_and_pairs_are_text(gateway: Gateway) -> None:
    lone = b'{"model": "echo-1", "messages": [{"role": "user", "content": "a\\ud800b"}]}'
    reply = request(gateway.url, "POST", CHAT, lone)
    assert reply.status == 400
    assert "lone UTF-16 surrogate" in reply.json()["error"]["message"]
    pair = b'{"model": "echo-1", "messages": [{"role": "user", "content": "messages \\ud83d\\ude00"}]}'
    reply = request(gateway.url, "POST", CHAT, pair)
    assert reply.status == 200


def test_where_a_provider_connects_is_never_taken_from_a_request(gateway: Gateway) -> None:
    for name in ("proxy", "api_base", "api_key", "timeout"):
        body = {"model": "echo-1", "messages": HI, name: "http://127.0.0.1:9/"}
        error = request(gateway.url, "POST", CHAT, body).json()["error"]
        assert (error["param"], error["code"]) == (name, "unsupported_parameter")


def test_method_not_allowed_says_which_are(gateway: Gateway) -> None:
    reply = request(gateway.url, "PUT", CHAT, b"{}")
    assert reply.status == 405
    assert reply.headers["allow"] == "POST"


def test_body_over_the_limit_is_a_413(start: object) -> None:
    server = start("--max-body", "4KiB")  # type: ignore[operator]
    big = {"model": "echo-1", "messages": [{"role": "user", "content": "x" * 5000}]}
    reply = request(server.url, "POST", CHAT, big)
    assert reply.status == 413
    assert reply.json()["error"]["code"] == "request_too_large"
    # the same without Content-Length (chunked): cut off at the limit
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    import http.client

    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", CHAT, body=iter([json.dumps(big).encode()]), encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["error"]["code"] == "request_too_large"
    finally:
        connection.close()
    small = request(server.url, "POST", CHAT, {"model": "echo-1", "messages": HI})
    assert small.status == 200


def test_slow_client_gets_a_408(start: object) -> None:
    server = start("--read-timeout", "0.5")  # type: ignore[operator]
    from support.rawhttp import connect

    sock = connect(server.url, timeout=10)
    try:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{")
        data = read_until(sock, b"}}")
        assert data.startswith(b"HTTP/1.1 408 ")
        assert b'"code":"request_timeout"' in data
    finally:
        sock.close()


def test_slow_headers_and_idle_connections_are_closed(start: object) -> None:
    server = start("--read-timeout", "0.5")  # type: ignore[operator]
    from support.rawhttp import connect

    idle, partial = connect(server.url, timeout=10), connect(server.url, timeout=10)
    try:
        partial.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\n")
        started = time.monotonic()
        assert idle.recv(1) == b""  # closed by the server
        assert partial.recv(1) == b""
        assert time.monotonic() - started < 5
    finally:
        idle.close()
        partial.close()


def test_health_and_ready_need_no_key(start: object) -> None:
    server = start("--api-key", "k", PROVIDERHUB_PLUGINS="events,broken")  # type: ignore[operator]
    health = request(server.url, "GET", "/health")
    assert health.status == 200 and health.json()["status"] == "ok"
    ready = request(server.url, "GET", "/health/ready").json()
    assert ready["status"] == "ready"
    plugins = {p["name"]: p for p in ready["plugins"]}
    assert plugins["events"]["error"] is None
    assert "not_a_module_anywhere_xyz" in plugins["broken"]["error"]
    assert ready["providers"] == ["Echo", "Failing", "Plain", "Stall"]
    assert request(server.url, "GET", "/v1/models").status == 401
    assert request(server.url, "GET", "/v1/models", headers={"Authorization": "Bearer k"}).status == 200
    assert request(server.url, "GET", "/openapi.json").status == 200
    for path in ("/v1/nothing", "/v1", "/V1/models", "/v1/./models", "//v1/models", "/health/../v1/models"):
        assert request(server.url, "GET", path).status == 401, path


def test_openapi_describes_the_routes(gateway: Gateway) -> None:
    document = request(gateway.url, "GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) >= {"/v1/models", "/v1/models/{model}", "/v1/chat/completions", "/health"}
    responses = document["paths"]["/v1/chat/completions"]["post"]["responses"]
    assert {"200", "400", "401", "404", "413", "429", "502", "504"} <= set(responses)
