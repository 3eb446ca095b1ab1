"""The request the provider sends and how it reads the answer, against the stand-in service."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from providerhub import FinishReason, MediaError, MessagesError, OptionsError, Usage
from providerhub_openai import PRESETS, OpenAI
from support.images import JPEG, PNG, data_uri
from support.openai_standin import OpenAIStandin

from .helpers import HELLO, aimed_at, collect, events, texts


async def test_request_shape_system_history_and_stream_options(server: OpenAIStandin) -> None:
    provider = aimed_at(server)
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": [{"type": "text", "text": "Name"}, {"type": "text", "text": "a colour"}]},
    ]
    await collect(provider, "gpt-4o", messages)
    (received,) = server.requests
    assert received.headers["content-type"] == "application/json"
    assert received.body == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Name\na colour"},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert "authorization" not in received.headers


async def test_text_arrives_chunk_by_chunk_then_finish_reason_and_usage(server: OpenAIStandin) -> None:
    chunks = await collect(aimed_at(server), "gpt-4o", [{"role": "user", "content": "one two three"}])
    assert texts(chunks) == ["echo: ", "one ", "two ", "three"] == server.sent
    assert chunks[4:] == [FinishReason("stop"), Usage(3, 4, 7)]


async def test_the_first_chunk_is_yielded_before_the_server_sends_the_last(server: OpenAIStandin) -> None:
    server.respond_with(hold_last=True)
    answer = aimed_at(server).create_async_generator("gpt-4o", [{"role": "user", "content": "a b c d"}])
    try:
        first = await asyncio.wait_for(answer.__anext__(), 10)
        assert first == "echo: "
        assert "d" not in server.sent  # the server is still holding its last chunk
        server.release()
        rest = [chunk async for chunk in answer]
    finally:
        await answer.aclose()
    assert texts(rest) == ["a ", "b ", "c ", "d"]
    assert server.sent[-1] == "d"


async def test_without_stream_usage_no_stream_options_and_no_usage_event(server: OpenAIStandin) -> None:
    chunks = await collect(aimed_at(server, stream_usage=False), "m", HELLO)
    assert "stream_options" not in server.requests[0].body
    assert events(chunks) == [FinishReason("stop")]


async def test_keep_alive_comments_are_ignored(server: OpenAIStandin) -> None:
    server.respond_with(keepalive=True, raw_events=(b": OPENROUTER PROCESSING\n\n", b":\n\n"))
    chunks = await collect(aimed_at(server), "m", HELLO)
    assert "".join(texts(chunks)) == "echo: Hello there"


async def test_done_ends_the_answer_even_if_the_connection_stays_open(server: OpenAIStandin) -> None:
    server.respond_with(hold_open=30)
    chunks = await asyncio.wait_for(collect(aimed_at(server), "m", HELLO), 5)
    assert "".join(texts(chunks)) == "echo: Hello there"


async def test_events_other_than_chunks_are_tolerated(server: OpenAIStandin) -> None:
    empty = {"index": 0, "delta": {"content": None}}
    odd = json.dumps({"id": "x", "object": "chat.completion.chunk", "choices": [empty]})
    server.respond_with(raw_events=(f"data: {odd}\n\n".encode(), b'data: {"choices": "none"}\n\n'))
    chunks = await collect(aimed_at(server), "m", HELLO)
    assert "".join(texts(chunks)) == "echo: Hello there"


async def test_a_stream_ending_after_its_finish_reason_without_done_is_complete(server: OpenAIStandin) -> None:
    server.respond_with(done=False)
    chunks = await collect(aimed_at(server), "m", HELLO)
    assert "".join(texts(chunks)) == "echo: Hello there"
    assert FinishReason("stop") in chunks


@pytest.mark.parametrize("finish", ["length", "content_filter"])
async def test_other_finish_reasons_are_reported(server: OpenAIStandin, finish: str) -> None:
    server.respond_with(finish_reason=finish)
    assert FinishReason(finish) in await collect(aimed_at(server), "m", HELLO)


async def test_a_non_streaming_json_answer_is_handled(server: OpenAIStandin) -> None:
    server.respond_with(stream=False, usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7})
    chunks = await collect(aimed_at(server), "m", HELLO)
    assert chunks == ["echo: Hello there", FinishReason("stop"), Usage(5, 2, 7)]
    assert server.requests[0].stream is True


async def test_declared_options_are_sent_openai_taking_max_completion_tokens(server: OpenAIStandin) -> None:
    await collect(
        aimed_at(server),
        "m",
        HELLO,
        temperature=0,
        top_p=0.5,
        max_tokens=20,
        stop=["\n", "END"],
        seed=7,
        presence_penalty=0.1,
        frequency_penalty=-0.2,
        undeclared_option="not sent",
        logprobs=None,
    )
    assert server.requests[0].options == {
        "temperature": 0.0,
        "top_p": 0.5,
        "max_completion_tokens": 20,
        "stop": ["\n", "END"],
        "seed": 7,
        "presence_penalty": 0.1,
        "frequency_penalty": -0.2,
    }


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
async def test_the_presets_send_max_tokens(server: OpenAIStandin, preset: type[OpenAI]) -> None:
    here = preset.configure(f"{preset.name}-here", api_base=server.base, needs_auth=False)
    await collect(here, preset.default_model, HELLO, max_tokens=9, stop="END", temperature=1)
    assert server.requests[0].options == {"max_tokens": 9, "stop": ["END"], "temperature": 1.0}
    assert server.requests[0].model == preset.default_model
    assert ("stream_options" in server.requests[0].body) is preset.stream_usage


@pytest.mark.parametrize(
    ("option", "value"), [("temperature", "hot"), ("max_tokens", 1.5), ("stop", [1]), ("seed", True)]
)
async def test_an_ill_typed_option_is_an_options_error_before_any_request(
    server: OpenAIStandin, option: str, value: object
) -> None:
    with pytest.raises(OptionsError, match=f"option '{option}' takes"):
        await collect(aimed_at(server), "m", HELLO, **{option: value})
    assert server.requests == []


async def test_images_are_sent_as_data_uri_parts_with_the_last_user_message(server: OpenAIStandin) -> None:
    messages = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "What is in these?"},
    ]
    chunks = await collect(aimed_at(server), "m", messages, media=[(PNG, "a.png"), (JPEG, None)])
    (received,) = server.requests
    assert [(i.content_type, i.data) for i in received.images] == [("image/png", PNG), ("image/jpeg", JPEG)]
    last = received.messages[-1]["content"]
    assert last[0] == {"type": "text", "text": "What is in these?"}
    assert [p["type"] for p in last] == ["text", "image_url", "image_url"]
    assert received.messages[0]["content"] == "first"
    assert "".join(texts(chunks)) == "echo: What is in these? [2 images]"


async def test_an_image_from_a_path_is_read(server: OpenAIStandin, tmp_path: Path) -> None:
    path = tmp_path / "pixel.png"
    path.write_bytes(PNG)
    await collect(aimed_at(server), "m", HELLO, media=[(str(path), None)])
    assert [i.data for i in server.requests[0].images] == [PNG]


async def test_bad_media_and_messages_fail_before_any_request(server: OpenAIStandin) -> None:
    with pytest.raises(MediaError, match="standin: .*not a png, jpeg, gif or webp"):
        await collect(aimed_at(server), "m", HELLO, media=[(b"not an image", None)])
    with pytest.raises(MessagesError):
        await collect(aimed_at(server), "m", [])
    assert server.requests == []


async def test_the_key_is_sent_as_a_bearer_token_whenever_found(
    server: OpenAIStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = aimed_at(server)  # needs_auth False: a key is still sent when one is found
    await collect(local, "m", HELLO, api_key="sk-explicit")
    monkeypatch.setenv("STANDIN_API_KEY", "sk-from-env")
    await collect(local, "m", HELLO)
    await collect(local, "m", HELLO, api_key="sk-wins")
    assert [r.authorization for r in server.requests] == ["Bearer sk-explicit", "Bearer sk-from-env", "Bearer sk-wins"]


async def test_a_service_behind_a_key_answers_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from support.openai_standin import openai_standin

    async with openai_standin(key="sk-right") as server:
        provider = aimed_at(server, needs_auth=True)
        monkeypatch.setenv("STANDIN_API_KEY", "sk-right")
        assert "".join(texts(await collect(provider, "m", HELLO))) == "echo: Hello there"


async def test_unknown_keywords_are_accepted_and_ignored(server: OpenAIStandin) -> None:
    chunks = await collect(aimed_at(server), "m", HELLO, proxy=None, conversation_id="x", web_search=True)
    assert "".join(texts(chunks)) == "echo: Hello there"
    assert server.requests[0].options == {}


async def test_api_base_may_be_given_per_call(server: OpenAIStandin) -> None:
    provider = OpenAI.configure("elsewhere", api_base="http://127.0.0.1:9/v1", needs_auth=False)
    await collect(provider, "gpt-4o", HELLO, api_base=server.base + "/")
    assert len(server.requests) == 1


async def test_image_content_parts_stay_with_their_message(server: OpenAIStandin) -> None:
    png_uri = data_uri(PNG)
    jpeg_uri = data_uri(JPEG, "image/jpeg")
    messages = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "Look:"}, {"type": "image_url", "image_url": {"url": png_uri}}],
        },
        {"role": "assistant", "content": "A pixel."},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": jpeg_uri}}]},
    ]
    await collect(aimed_at(server), "m", messages, media=[(PNG, None)])
    (received,) = server.requests
    first, _, last = received.messages
    assert first["content"] == [{"type": "text", "text": "Look:"}, {"type": "image_url", "image_url": {"url": png_uri}}]
    assert [p["image_url"]["url"] for p in last["content"]] == [jpeg_uri, png_uri]
    assert [i.data for i in received.images] == [PNG, JPEG, PNG]


@pytest.mark.parametrize(
    ("part", "error"),
    [
        ({"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}, MediaError),
        ({"type": "image_url", "image_url": {"url": "data:image/png;base64,bm90IGFuIGltYWdl"}}, MediaError),
        ({"type": "image_url", "image_url": {"detail": "high"}}, MessagesError),
    ],
    ids=["remote-url", "not-an-image", "no-url"],
)
async def test_bad_image_parts_fail_before_any_request(
    server: OpenAIStandin, part: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await collect(aimed_at(server), "m", [{"role": "user", "content": [part]}])
    assert server.requests == []


async def test_usage_groq_reports_in_x_groq_is_read(server: OpenAIStandin) -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": 3}
    server.respond_with(
        raw_events=(("data: " + json.dumps({"choices": [], "x_groq": {"usage": usage}}) + "\n\n").encode(),)
    )
    chunks = await collect(aimed_at(server, stream_usage=False), "m", HELLO)
    assert events(chunks) == [FinishReason("stop"), Usage(11, 3, 14)]
