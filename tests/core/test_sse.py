"""Events from an event stream: fields, comments and line ends, however the bytes arrive; every event bounded."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providerhub import ResponseError
from providerhub.http import iter_lines
from providerhub.sse import Event, EventAssembler, EventStreamError


class _Content:
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def iter_any(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


class Body:
    """An answer's body arriving in ``pieces``: what ``iter_lines`` reads from an aiohttp response."""

    status, method, url = 200, "POST", "http://127.0.0.1/v1/chat/completions"

    def __init__(self, pieces: list[bytes]) -> None:
        self.content = _Content(pieces)


async def read(pieces: list[bytes], **caps: int) -> list[Event]:
    assembler = EventAssembler(**caps)
    events = [assembler.line(line) async for line in iter_lines(Body(pieces))]
    return [e for e in [*events, assembler.close()] if e is not None]


async def test_events_comments_and_fields() -> None:
    stream = (
        b": keep-alive\n\n"
        b'data: {"a": 1}\n\n'
        b"event: error\ndata: first\ndata:second\nid: 7\nretry: 10\n\n"
        b"data\n\n"
        b"unknown: field\n\n"
        b"data: [DONE]\n\n"
    )
    assert await read([stream]) == [
        Event("message", '{"a": 1}'),
        Event("error", "first\nsecond"),
        Event("message", ""),
        Event("message", "[DONE]"),
    ]


async def test_crlf_line_ends() -> None:
    stream = b"data: one\r\n\r\n: comment\r\ndata: two\r\n\r\n"
    assert await read([stream]) == [Event("message", "one"), Event("message", "two")]


async def test_an_unterminated_last_event_still_counts() -> None:
    assert await read([b"data: [DONE]"]) == [Event("message", "[DONE]")]


def test_an_event_comes_out_at_its_blank_line() -> None:
    assembler = EventAssembler()
    assert assembler.line(b"data: one") is None
    assert assembler.line(b"") == Event("message", "one")
    assert assembler.line(b"") is None


def test_an_event_over_the_cap_is_an_error() -> None:
    assembler = EventAssembler(max_event=250)
    with pytest.raises(EventStreamError, match="more than 250 bytes"):
        for _ in range(10):
            assembler.line(b"data: " + b"z" * 50)


def test_comments_do_not_grow_the_event() -> None:
    assembler = EventAssembler(max_event=100)
    for _ in range(50):
        assert assembler.line(b": " + b"k" * 90) is None
    assert assembler.line(b"data: ok") is None
    assert assembler.close() == Event("message", "ok")


async def test_a_line_over_the_cap_is_a_response_error() -> None:
    with pytest.raises(ResponseError, match="longer than"):
        await read([b"data: " + b"x" * (1 << 20) + b"\n\n"])


_text = st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=30)


@given(
    datas=st.lists(st.lists(_text, min_size=1, max_size=3), max_size=6),
    eol=st.sampled_from([b"\n", b"\r\n"]),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
)
async def test_splitting_the_bytes_anywhere_gives_the_same_events(
    datas: list[list[str]], eol: bytes, cuts: list[int]
) -> None:
    stream = b""
    for lines in datas:
        stream += b": ping" + eol
        for line in lines:
            stream += b"data: " + line.encode() + eol
        stream += eol
    bounds = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    pieces = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    expected = [Event("message", "\n".join(lines)) for lines in datas]
    assert await read([stream]) == expected
    assert await read(pieces) == expected
