"""Properties of request parsing and event writing, for any input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from providerhub import Usage
from providerhub.server._errors import ApiError
from providerhub.server._parse import RESERVED, STANDARD, ChatRequest, parse_chat, parse_json, provider_options
from providerhub.server._settings import Settings
from providerhub.server._shapes import ChunkWriter

SETTINGS = Settings()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
keys = st.sampled_from([*STANDARD, "model", "messages", "stream", "n", "tools", "top_k", "frobnicate", *RESERVED])
bodies = st.dictionaries(keys, json_values, max_size=8).map(
    lambda d: {"model": "m", "messages": [{"role": "user", "content": "hi"}], **d}
)


def outcome(call: Callable[[], Any]) -> Any:
    """What ``call`` returns, or the ``ApiError`` it raises."""
    try:
        return call()
    except ApiError as exc:
        return exc


def refused(result: Any) -> bool:
    return isinstance(result, ApiError) and result.status == 400 and bool(result.message and result.code)


@given(bodies)
def test_a_request_is_parsed_or_refused_with_a_400(body: dict[str, Any]) -> None:
    result = outcome(lambda: parse_chat(body, SETTINGS))
    assert refused(result) or (isinstance(result, ChatRequest) and result.messages and result.model)


@given(bodies, st.dictionaries(st.sampled_from(["temperature", "max_tokens", "stop", "top_k", "seed"]), st.just(int)))
def test_only_declared_options_reach_a_provider(body: dict[str, Any], declared: dict[str, Any]) -> None:
    result = outcome(lambda: provider_options(parse_chat(body, SETTINGS), declared))
    options, ignored = ({}, []) if refused(result) else result
    assert set(options) <= set(declared)
    assert not set(ignored) & set(options)
    assert set(ignored) <= set(STANDARD)


@given(st.binary(max_size=200))
def test_any_bytes_are_json_or_a_400(body: bytes) -> None:
    result = outcome(lambda: parse_json(body, SETTINGS))
    assert not isinstance(result, ApiError) or (refused(result) and result.code == "invalid_json")


@given(st.lists(st.text(min_size=1), min_size=1, max_size=5), st.booleans())
def test_events_carry_the_text_exactly(texts: list[str], include_usage: bool) -> None:
    writer = ChunkWriter("m", include_usage)
    data = writer.first(texts[0]) + b"".join(writer.text(t) for t in texts[1:]) + writer.end("stop", Usage(1, 2, 3))
    events = data.decode().split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    chunks = [json.loads(e.removeprefix("data: ")) for e in events[:-2]]
    assert all("\n" not in e for e in events)  # one line per event, whatever the text holds
    answer = [c for c in chunks if c["choices"]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in answer) == "".join(texts)
    assert answer[0]["choices"][0]["delta"]["role"] == "assistant"
    assert answer[-1]["choices"][0]["finish_reason"] == "stop"
    usage = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    assert [c.get("usage", "absent") for c in chunks] == (
        [None] * len(answer) + [usage] if include_usage else ["absent"] * len(answer)
    )
