"""Discovery, model names and what goes over the wire: prompt, model id, the image part, the endpoint."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import providerhub
from providerhub import MediaError, MessagesError, ModelNotSupportedError, ProviderError
from providerhub_dynaspark import Dynaspark
from support.dynaspark_standin import Standin
from support.images import GIF, IMAGES, JPEG, PNG, WEBP, data_uri

from .helpers import HELLO

pytestmark = pytest.mark.installed


async def ask(model: str, messages: Any, **kwargs: Any) -> list[str]:
    return [chunk async for chunk in Dynaspark.create_async_generator(model, messages, **kwargs)]


@pytest.mark.parametrize("model", Dynaspark.models)
async def test_every_listed_model_takes_an_image_and_is_sent_as_its_id(dynaspark_server: Standin, model: str) -> None:
    providerhub.reload()
    assert providerhub.resolve(model, media=[(PNG, "a.png")]).provider is Dynaspark
    answer = await ask(model, HELLO, media=[(PNG, "a.png")], api_endpoint=dynaspark_server.url)
    assert answer == [f"echo[{model}]: Hello [file a.png]"]
    assert dynaspark_server.requests[0].file == ("a.png", "image/png", PNG)


@pytest.mark.installed
@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("gemini-1.5-flash", "gemini-1.5-flash"),
        ("gemini-2.0-flash-lite", "gemini-2.0-flash-lite"),
        ("gemini-flash", "gemini-1.5-flash"),
        ("gemini-flash-8b", "gemini-1.5-flash-8b"),
        ("gemini-2-flash", "gemini-2.0-flash"),
        ("gemini-2-flash-lite", "gemini-2.0-flash-lite"),
    ],
)
def test_discovered_through_the_entry_point(name: str, model: str) -> None:
    providerhub.reload()
    assert providerhub.get_provider(name) is Dynaspark
    resolution = providerhub.resolve(name)
    assert (resolution.provider, resolution.model, resolution.plugin) == (Dynaspark, model, "dynaspark")


@pytest.mark.installed
def test_plugin_lists_its_provider() -> None:
    providerhub.reload()
    plugin = next(p for p in providerhub.list_plugins() if p.name == "dynaspark")
    assert (plugin.distribution, plugin.providers, plugin.error) == ("providerhub-dynaspark", ("Dynaspark",), None)


def test_get_model_maps_aliases_and_rejects_unknown_names() -> None:
    assert Dynaspark.get_model("gemini-2-flash") == "gemini-2.0-flash"
    assert Dynaspark.get_model("") == "gemini-1.5-flash"
    with pytest.raises(ModelNotSupportedError, match="gpt-4o"):
        Dynaspark.get_model("gpt-4o")


async def test_single_message_is_sent_as_its_own_text(dynaspark_server: Standin) -> None:
    answer = await ask("gemini-1.5-flash", HELLO, api_endpoint=dynaspark_server.url)
    assert answer == ["echo[gemini-1.5-flash]: Hello"]
    (received,) = dynaspark_server.requests
    assert (received.user_input, received.ai_model, received.file) == ("Hello", "gemini-1.5-flash", None)
    assert received.headers["content-type"].startswith("multipart/form-data")
    assert received.headers["origin"] == "https://dynaspark.onrender.com"
    assert received.headers["x-requested-with"] == "XMLHttpRequest"


async def test_conversation_is_flattened_into_one_prompt(dynaspark_server: Standin) -> None:
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": [{"type": "text", "text": "Tell me"}, {"type": "text", "text": "a joke"}]},
    ]
    await ask("gemini-2.0-flash", messages, api_endpoint=dynaspark_server.url)
    assert dynaspark_server.requests[0].user_input == (
        "User: Hi\nAssistant: Hello! How can I help?\nUser: Tell me\na joke\nAssistant:"
    )


async def test_an_alias_sends_the_model_id(dynaspark_server: Standin) -> None:
    assert await ask("gemini-2-flash-lite", HELLO, api_endpoint=dynaspark_server.url) == [
        "echo[gemini-2.0-flash-lite]: Hello"
    ]
    assert dynaspark_server.requests[0].ai_model == "gemini-2.0-flash-lite"


async def test_unknown_model_fails_before_any_request(dynaspark_server: Standin) -> None:
    with pytest.raises(ModelNotSupportedError, match=r"Dynaspark does not serve model 'gpt-4o'"):
        await ask("gpt-4o", HELLO, api_endpoint=dynaspark_server.url)
    assert dynaspark_server.requests == []


@pytest.mark.parametrize(
    ("messages", "fault"),
    [
        ([], "messages is empty"),
        ("Hello", "must be a list"),
        ([{"role": "user"}], r"messages\[0\] has no 'content'"),
        ([{"content": "Hi"}], r"messages\[0\] has no 'role'"),
        ([{"role": "user", "content": 42}], "must be a string or a list of text parts"),
    ],
)
async def test_malformed_messages_fail_before_any_request(dynaspark_server: Standin, messages: Any, fault: str) -> None:
    with pytest.raises(MessagesError, match=fault):
        await ask("gemini-1.5-flash", messages, api_endpoint=dynaspark_server.url)
    assert dynaspark_server.requests == []


@pytest.mark.parametrize("kind", sorted(IMAGES))
async def test_image_bytes_are_sent_with_their_sniffed_type(dynaspark_server: Standin, kind: str) -> None:
    data, content_type = IMAGES[kind]
    answer = await ask("gemini-1.5-flash", HELLO, media=[(data, f"photo.{kind}")], api_endpoint=dynaspark_server.url)
    assert answer == [f"echo[gemini-1.5-flash]: Hello [file photo.{kind}]"]
    assert dynaspark_server.requests[0].file == (f"photo.{kind}", content_type, data)


async def test_image_bytes_without_a_name_get_one(dynaspark_server: Standin) -> None:
    await ask("gemini-1.5-flash", HELLO, media=[(JPEG, None)], api_endpoint=dynaspark_server.url)
    assert dynaspark_server.requests[0].file == ("image.jpg", "image/jpeg", JPEG)


async def test_image_from_a_path(dynaspark_server: Standin, tmp_path: Path) -> None:
    path = tmp_path / "cat.gif"
    path.write_bytes(GIF)
    await ask("gemini-1.5-flash", HELLO, media=[(path, None)], api_endpoint=dynaspark_server.url)
    await ask("gemini-1.5-flash", HELLO, media=[(str(path), "renamed.gif")], api_endpoint=dynaspark_server.url)
    assert [r.file for r in dynaspark_server.requests] == [
        ("cat.gif", "image/gif", GIF),
        ("renamed.gif", "image/gif", GIF),
    ]


async def test_image_from_a_data_uri(dynaspark_server: Standin) -> None:
    uri = data_uri(WEBP, "image/webp")
    await ask("gemini-1.5-flash", HELLO, media=[(uri, None)], api_endpoint=dynaspark_server.url)
    assert dynaspark_server.requests[0].file == ("image.webp", "image/webp", WEBP)


async def test_image_from_a_file_object(dynaspark_server: Standin, tmp_path: Path) -> None:
    path = tmp_path / "shot.png"
    path.write_bytes(PNG)
    with path.open("rb") as f:
        await ask("gemini-1.5-flash", HELLO, media=[(f, None)], api_endpoint=dynaspark_server.url)
    await ask("gemini-1.5-flash", HELLO, media=[(io.BytesIO(PNG), "mem.png")], api_endpoint=dynaspark_server.url)
    assert [r.file for r in dynaspark_server.requests] == [
        ("shot.png", "image/png", PNG),
        ("mem.png", "image/png", PNG),
    ]


async def test_a_bare_image_counts_as_one(dynaspark_server: Standin) -> None:
    await ask("gemini-1.5-flash", HELLO, media=PNG, api_endpoint=dynaspark_server.url)
    assert dynaspark_server.requests[0].file == ("image.png", "image/png", PNG)


async def test_no_media_and_an_empty_list_send_no_file(dynaspark_server: Standin) -> None:
    await ask("gemini-1.5-flash", HELLO, media=None, api_endpoint=dynaspark_server.url)
    await ask("gemini-1.5-flash", HELLO, media=[], api_endpoint=dynaspark_server.url)
    assert [r.file for r in dynaspark_server.requests] == [None, None]


async def test_two_images_are_refused_before_any_request(dynaspark_server: Standin) -> None:
    with pytest.raises(ProviderError, match="Dynaspark takes one image per request; got 2") as caught:
        await ask("gemini-1.5-flash", HELLO, media=[(PNG, "a.png"), (JPEG, "b.jpg")], api_endpoint=dynaspark_server.url)
    assert dynaspark_server.requests == []
    # a valid request this service cannot take: not the caller's fault, and not worth retrying here
    assert (caught.value.provider, caught.value.retryable) == ("Dynaspark", False)
    assert not isinstance(caught.value, providerhub.RequestError)


async def test_a_missing_file_fails_before_any_request(dynaspark_server: Standin, tmp_path: Path) -> None:
    missing = tmp_path / "nope.png"
    with pytest.raises(MediaError, match=r"cannot read file .*nope\.png"):
        await ask("gemini-1.5-flash", HELLO, media=[(missing, None)], api_endpoint=dynaspark_server.url)
    assert dynaspark_server.requests == []


@pytest.mark.parametrize("data", [b"%PDF-1.7 not an image", b"hello world"])
async def test_bytes_that_are_not_an_image_fail_before_any_request(dynaspark_server: Standin, data: bytes) -> None:
    with pytest.raises(MediaError, match="is not a png, jpeg, gif or webp image"):
        await ask("gemini-1.5-flash", HELLO, media=[(data, "x.png")], api_endpoint=dynaspark_server.url)
    assert dynaspark_server.requests == []


async def test_endpoint_keyword_wins_over_the_environment(
    dynaspark_server: Standin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DYNASPARK_API_ENDPOINT", "http://127.0.0.1:9/elsewhere")
    assert await ask("gemini-1.5-flash", HELLO, api_endpoint=dynaspark_server.url) == ["echo[gemini-1.5-flash]: Hello"]


async def test_endpoint_from_the_environment_is_read_at_call_time(
    dynaspark_server: Standin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DYNASPARK_API_ENDPOINT", dynaspark_server.url)
    assert await ask("gemini-1.5-flash", HELLO) == ["echo[gemini-1.5-flash]: Hello"]
    assert len(dynaspark_server.requests) == 1


def test_endpoint_defaults_to_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DYNASPARK_API_ENDPOINT")
    assert Dynaspark.endpoint() == "https://dynaspark.onrender.com/generate_response"
    monkeypatch.setenv("DYNASPARK_API_ENDPOINT", "  ")
    assert Dynaspark.endpoint() == "https://dynaspark.onrender.com/generate_response"
    assert Dynaspark.endpoint("http://127.0.0.1:1/x") == "http://127.0.0.1:1/x"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=200))
def test_any_prompt_text_arrives_unchanged(threaded_server: Standin, text: str) -> None:
    before = len(threaded_server.requests)
    answer = list(
        Dynaspark.create_completion(
            "gemini-1.5-flash", [{"role": "user", "content": text}], api_endpoint=threaded_server.url
        )
    )
    assert threaded_server.requests[before].user_input == text
    assert answer == [f"echo[gemini-1.5-flash]: {text}"]
