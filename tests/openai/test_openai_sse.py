"""The event-stream reader: events however the bytes are split, comments dropped, every line and event bounded."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providerhub_openai.sse import Event, EventStreamError, EventStreamReader


def read(pieces: list[bytes], **caps: int) -> list[Event]:
    reader = EventStreamReader(**caps)
    events = [event for piece in pieces for event in reader.feed(piece)]
    return events + reader.close()


def test_events_comments_and_fields() -> None:
    stream = (
        b": keep-alive\n\n"
        b'data: {"a": 1}\n\n'
        b"event: error\ndata: first\ndata:second\nid: 7\nretry: 10\n\n"
        b"data\n\n"
        b"unknown: field\n\n"
        b"data: [DONE]\n\n"
    )
    assert read([stream]) == [
        Event("message", '{"a": 1}'),
        Event("error", "first\nsecond"),
        Event("message", ""),
        Event("message", "[DONE]"),
    ]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(eol: bytes) -> None:
    stream = b"data: one" + eol + eol + b": comment" + eol + b"data: two" + eol + eol
    assert read([stream]) == [Event("message", "one"), Event("message", "two")]


def test_a_crlf_split_between_pieces_ends_one_line() -> None:
    assert read([b"data: one\r", b"\n\r", b"\ndata: two\r\n\r\n"]) == [Event("message", "one"), Event("message", "two")]


def test_an_unterminated_last_event_still_counts() -> None:
    assert read([b"data: [DONE]"]) == [Event("message", "[DONE]")]


def test_events_come_out_as_soon_as_their_blank_line_arrives() -> None:
    reader = EventStreamReader()
    assert reader.feed(b"data: one\n") == []
    assert reader.feed(b"\ndata: tw") == [Event("message", "one")]
    assert reader.feed(b"o\n\n") == [Event("message", "two")]


def test_a_line_over_the_cap_is_an_error_even_before_it_ends() -> None:
    reader = EventStreamReader(max_line=100)
    with pytest.raises(EventStreamError, match="longer than 100 bytes"):
        for _ in range(20):
            reader.feed(b"x" * 10)
    with pytest.raises(EventStreamError, match="longer than 100 bytes"):
        EventStreamReader(max_line=100).feed(b"data: " + b"y" * 200 + b"\n\n")


def test_an_event_over_the_cap_is_an_error() -> None:
    reader = EventStreamReader(max_line=100, max_event=250)
    with pytest.raises(EventStreamError, match="more than 250 bytes"):
        for _ in range(10):
            reader.feed(b"data: " + b"z" * 50 + b"\n")


def test_long_comments_do_not_grow_the_event() -> None:
    reader = EventStreamReader(max_line=100, max_event=100)
    for _ in range(50):
        assert reader.feed(b": " + b"k" * 90 + b"\n") == []
    assert reader.feed(b"data: ok\n\n") == [Event("message", "ok")]


_text = st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=30)


@given(
    datas=st.lists(st.lists(_text, min_size=1, max_size=3), max_size=6),
    eol=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
)
def test_splitting_the_bytes_anywhere_gives_the_same_events(
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
    assert read([stream]) == expected
    assert read(pieces) == expected
