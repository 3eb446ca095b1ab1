"""``providerhub chat`` through the call API: sync-only providers, typed events, leaked aiohttp errors."""

from __future__ import annotations

from pathlib import Path

from support.cli import CLI, one_error_line
from support.dynaspark_standin import serve_in_thread


def test_chat_with_a_sync_only_provider(samples: CLI, tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    result = samples.run("chat", "-m", "plain-1", "one two", PLAIN_CLOSED_FILE=str(closed))
    assert (result.returncode, result.stdout, result.stderr) == (0, "one two \n", "")
    assert closed.read_text() == "closed"


def test_chat_prints_text_and_leaves_events_out(samples: CLI) -> None:
    result = samples.run("chat", "-m", "metered-1", "hi")
    assert (result.returncode, result.stdout, result.stderr) == (0, "metered answer\n", "")


def test_a_sync_only_provider_failing_midway_exits_4_after_its_text(samples: CLI) -> None:
    result = samples.run("chat", "-m", "plain-fail", "one two")
    assert result.returncode == 4
    assert result.stdout == "one \n"
    assert one_error_line(result) == "providerhub: error: provider Plain failed: KeyError: 'no such thing'"


def test_a_raw_aiohttp_connection_error_exits_4_in_one_line(samples: CLI) -> None:
    from support.dynaspark_standin import HOST

    with serve_in_thread() as server:
        url = server.url
    # the server is closed now: its port refuses connections
    result = samples.run("chat", "-m", "leaky-1", "hi", LEAKY_URL=url)
    assert result.returncode == 4
    line = one_error_line(result)
    assert line.startswith(
        f"providerhub: error: provider Leaky failed: ClientConnectorError: Cannot connect to host {HOST}"
    )
    assert result.stdout == ""


def test_a_raw_aiohttp_decoding_error_exits_4_in_one_line(samples: CLI) -> None:
    with serve_in_thread() as server:
        server.respond_with(body="plain text, not JSON")
        result = samples.run("chat", "-m", "leaky-1", "hi", LEAKY_URL=server.url)
        assert len(server.requests) == 1
    assert result.returncode == 4
    assert one_error_line(result).startswith("providerhub: error: provider Leaky failed: ContentTypeError: ")
