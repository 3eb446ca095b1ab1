"""Running the gateway: access log, CORS, remote images, stopping gracefully, workers, the command line."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from support.gateway import Gateway
from support.net import wait_until_blocking
from support.processes import run_python, run_script
from support.rawhttp import connect, post_json_raw, read_until, request

CHAT = "/v1/chat/completions"
HI = [{"role": "user", "content": "hi"}]
Start = Callable[..., Gateway]


def closed(path: Path, prompt: str) -> bool:
    """Whether the stalling provider has closed its answer to ``prompt``."""
    return path.exists() and f"closed {prompt}" in path.read_text().splitlines()


def unique() -> list[dict[str, str]]:
    return [{"role": "user", "content": f"hi {uuid.uuid4().hex}"}]


# -- access log ---------------------------------------------------------------------------------


def test_access_log_line_per_request(gateway: Gateway) -> None:
    request(gateway.url, "POST", CHAT, {"model": "echo-1", "messages": HI})
    line = gateway.wait_for_line(r"POST /v1/chat/completions 200 model=echo-1 provider=Echo")
    assert line.split()[1] == "127.0.0.1"
    assert line.split()[-1].endswith("ms")
    request(gateway.url, "POST", CHAT, {"model": "fail-upstream", "messages": HI})
    gateway.wait_for_line(
        r"POST /v1/chat/completions 502 model=fail-upstream provider=Failing \S+ms error=provider_error"
    )


def test_access_log_as_json(start: Start) -> None:
    server = start("--log-format", "json")
    assert json.loads(server.wait_for_line("serving on"))["event"].startswith("serving on http://127.0.0.1:")
    request(server.url, "POST", CHAT, {"model": "plain-1", "messages": HI, "stream": True})
    line = server.wait_for_line('"path": "/v1/chat/completions"')
    entry = json.loads(line)
    assert entry["method"] == "POST" and entry["status"] == 200
    assert (entry["model"], entry["provider"]) == ("plain-1", "Plain")
    assert entry["duration_ms"] >= 0


# -- CORS ---------------------------------------------------------------------------------------


def test_no_cors_by_default(gateway: Gateway) -> None:
    reply = request(gateway.url, "GET", "/v1/models", headers={"Origin": "https://evil.example"})
    assert reply.status == 200
    assert "access-control-allow-origin" not in reply.headers
    preflight = request(
        gateway.url,
        "OPTIONS",
        CHAT,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_for_named_origins_only(start: Start) -> None:
    server = start("--cors-origin", "https://app.example", "--cors-origin", "http://localhost:3000", "--api-key", "k")
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
    preflight = request(server.url, "OPTIONS", CHAT, headers={"Origin": "https://app.example", **asked})
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in preflight.headers
    reply = request(
        server.url,
        "POST",
        CHAT,
        {"model": "echo-1", "messages": HI},
        headers={"Origin": "http://localhost:3000", "Authorization": "Bearer k"},
    )
    assert reply.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "x-providerhub-provider" in reply.headers["access-control-expose-headers"]
    other = request(
        server.url, "GET", "/v1/models", headers={"Origin": "https://evil.example", "Authorization": "Bearer k"}
    )
    assert "access-control-allow-origin" not in other.headers
    refused = request(server.url, "OPTIONS", CHAT, headers={"Origin": "https://evil.example", **asked})
    assert refused.status == 403
    assert "access-control-allow-origin" not in refused.headers


# -- remote images ------------------------------------------------------------------------------


def image_request(url: str) -> dict[str, object]:
    content = [{"type": "text", "text": "media"}, {"type": "image_url", "image_url": {"url": url}}]
    return {"model": "echo-vision", "messages": [{"role": "user", "content": content}]}


def test_remote_images_refused_by_default(gateway: Gateway) -> None:
    reply = request(gateway.url, "POST", CHAT, image_request("https://example.com/cat.png"))
    assert reply.status == 400
    error = reply.json()["error"]
    assert error["code"] == "remote_images_disabled"
    assert error["param"] == "messages[0].content[1].image_url.url"


def test_no_image_is_read_for_a_model_without_vision(gateway: Gateway) -> None:
    body = image_request("https://example.com/cat.png")
    body["model"] = "echo-1"
    error = request(gateway.url, "POST", CHAT, body).json()["error"]
    assert (error["code"], error["param"]) == ("model_not_vision", "messages")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "127.1.2.3"])
def test_remote_images_never_from_this_machine(start: Start, host: str) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    try:
        server = start("--allow-remote-images")
        reply = request(server.url, "POST", CHAT, image_request(f"http://{host}:{port}/cat.png"))
        assert reply.status == 400
        error = reply.json()["error"]
        assert error["code"] == "invalid_image_url"
        assert "not a public address" in error["message"]
        with pytest.raises(socket.timeout):
            listener.accept()  # nothing ever connected
    finally:
        listener.close()


# -- stopping -----------------------------------------------------------------------------------


def test_sigterm_lets_streams_in_flight_finish(start: Start) -> None:
    server = start()
    sock = post_json_raw(server.url, CHAT, {"model": "slow", "messages": HI, "stream": True})
    try:
        first = read_until(sock, b'"content":"a"')
        assert b"200 OK" in first
        server.proc.send_signal(signal.SIGTERM)
        server.wait_for_line("stopping")

        def refused() -> bool:
            try:
                connect(server.url, timeout=1).close()
            except ConnectionRefusedError:
                return True
            return False

        wait_until_blocking(refused, 5)  # no new connections while the answer finishes
        rest = read_until(sock, b"data: [DONE]\n\n")
        assert b'"content":"b"' in rest
        assert b"data: [DONE]\n\n" in rest
    finally:
        sock.close()
    assert server.proc.wait(10) == 0


def test_shutdown_timeout_cuts_stalled_streams(start: Start, closed_file: Path) -> None:
    server = start("--shutdown-timeout", "1")
    messages = unique()
    sock = post_json_raw(server.url, CHAT, {"model": "stall-after", "messages": messages, "stream": True})
    try:
        read_until(sock, b"first ")
        started = time.monotonic()
        assert server.stop(signal.SIGINT, timeout=15) == 0
        assert time.monotonic() - started < 8
    finally:
        sock.close()
    wait_until_blocking(lambda: closed(closed_file, messages[0]["content"]))


@pytest.mark.parametrize("model", ["stall-first", "stall-after"])
def test_client_going_away_closes_the_provider_call(gateway: Gateway, closed_file: Path, model: str) -> None:
    messages = unique()
    sock = post_json_raw(gateway.url, CHAT, {"model": model, "messages": messages, "stream": True})
    if model == "stall-after":
        read_until(sock, b"first ")
    else:
        time.sleep(0.3)
    assert not closed(closed_file, messages[0]["content"])
    sock.close()
    wait_until_blocking(lambda: closed(closed_file, messages[0]["content"]))


# -- workers and the command line ---------------------------------------------------------------


def test_workers_share_the_port(start: Start) -> None:
    server = start("--workers", "2")
    assert "workers=2" in server.wait_for_line("serving on")
    pids = set()
    for _ in range(200):
        pids.add(request(server.url, "GET", "/health").json()["pid"])
        if len(pids) == 2:
            break
    assert len(pids) == 2
    assert server.proc.pid not in pids
    reply = request(server.url, "POST", CHAT, {"model": "echo-1", "messages": HI})
    assert reply.json()["choices"][0]["message"]["content"] == "Hello, world"
    sock = post_json_raw(server.url, CHAT, {"model": "slow", "messages": HI, "stream": True})
    try:
        read_until(sock, b'"content":"a"')
        server.proc.send_signal(signal.SIGINT)  # as Ctrl-C: the workers finish what is in flight
        assert b"data: [DONE]\n\n" in read_until(sock, b"data: [DONE]\n\n")
    finally:
        sock.close()
    assert server.proc.wait(15) == 0


def test_python_m_providerhub_serve(start: Start) -> None:
    server = start(module=True)
    assert request(server.url, "GET", "/health").status == 200


@pytest.mark.parametrize("workers", ["1", "2"])
def test_busy_port_is_one_error_line(start: Start, server_env: dict[str, str], workers: str) -> None:
    server = start()
    result = run_script("serve", "--port", str(server.port), "--workers", workers, env=server_env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"providerhub: error: cannot listen on {server.url}")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--port", "70000"], "not a port number"),
        (["--max-body", "20 parsecs"], "is not a size"),
        (["--workers", "0"], "not a positive number"),
        (["--shutdown-timeout", "-1"], "not a positive number"),
        (["--log-format", "xml"], "invalid choice"),
    ],
)
def test_bad_flags_exit_2(server_env: dict[str, str], flags: list[str], fragment: str) -> None:
    result = run_script("serve", *flags, env=server_env)
    assert result.returncode == 2
    assert result.stderr.startswith("providerhub: error: ")
    assert fragment in result.stderr


def test_importing_providerhub_leaves_the_server_out() -> None:
    code = (
        "import sys, providerhub; print(sorted(m for m in sys.modules if m.startswith(('aiohttp', 'providerhub.s'))))"
    )
    result = run_python(code)
    assert result.stdout.strip() == "[]", result.stderr


def test_many_streams_at_once(gateway: Gateway) -> None:
    results: list[bytes] = []

    def one() -> None:
        results.append(request(gateway.url, "POST", CHAT, {"model": "slow", "messages": HI, "stream": True}).body)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 20
    assert all(body.endswith(b"data: [DONE]\n\n") for body in results)
