"""The gateway as the official ``openai`` client sees it: models, answers streamed and not, images, errors."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from support.dynaspark_standin import Standin
from support.gateway import Gateway
from support.images import PNG, data_uri

PNG_URI = data_uri(PNG)


def ask(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def test_models_lists_every_model_with_its_provider(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    assert models["echo-1"].owned_by == "Echo"
    assert models["gemini-1.5-flash"].owned_by == "Dynaspark"
    assert models["echo-1"].object == "model"
    assert isinstance(models["echo-1"].created, int)
    assert "stall-first" in models and "fail-rate" in models


def test_models_served_by_several_providers_are_listed_per_provider(client: openai.OpenAI) -> None:
    owners = {m.id: m.owned_by for m in client.models.list()}
    assert owners["echo-1"] == "Echo"  # the preferred one
    assert owners["Echo/echo-1"] == "Echo"
    assert owners["Plain/echo-1"] == "Plain"
    assert "Plain/plain-1" not in owners  # served by one provider: its id alone
    assert client.models.retrieve("Plain/echo-1").owned_by == "Plain"
    raw = client.chat.completions.with_raw_response.create(model="Plain/echo-1", messages=ask("hi"))
    assert raw.parse().choices[0].message.content == "plain answer"
    assert (raw.headers["x-providerhub-provider"], raw.headers["x-providerhub-model"]) == ("Plain", "echo-1")


def test_model_retrieve_and_unknown_model(client: openai.OpenAI) -> None:
    assert client.models.retrieve("echo-vision").owned_by == "Echo"
    assert client.models.retrieve("gemini-flash").owned_by == "Dynaspark"  # an alias resolves
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("no-such-model")
    assert caught.value.body["code"] == "model_not_found"  # type: ignore[index]


def test_answer_not_streamed(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="echo-1", messages=ask("hi"))
    answer = raw.parse()
    assert answer.object == "chat.completion"
    assert answer.model == "echo-1"
    assert answer.choices[0].message.role == "assistant"
    assert answer.choices[0].message.content == "Hello, world"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens) == (3, 2, 5)
    assert raw.headers["x-providerhub-provider"] == "Echo"
    assert raw.headers["x-providerhub-model"] == "echo-1"


def test_usage_is_null_without_a_usage_event(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(model="plain-1", messages=ask("hi"))
    assert answer.choices[0].message.content == "plain answer"
    assert answer.usage is None
    assert answer.choices[0].finish_reason == "stop"


def test_finish_reason_from_the_provider(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(model="echo-1", messages=ask("length"))
    assert answer.choices[0].finish_reason == "length"


def test_streamed_answer(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="echo-1", messages=ask("hi"), stream=True))
    assert all(c.object == "chat.completion.chunk" and c.model == "echo-1" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.choices[0].delta.role is None for c in chunks[1:])
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello, world"
    assert [c.choices[0].finish_reason for c in chunks] == [None, None, None, "stop"]
    assert all(c.usage is None for c in chunks)


def test_streamed_answer_with_usage(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="echo-1", messages=ask("hi"), stream=True, stream_options={"include_usage": True}
        )
    )
    *answer, last = chunks
    assert last.choices == []
    assert last.usage is not None and last.usage.total_tokens == 5
    assert all(c.usage is None for c in answer)
    assert answer[-1].choices[0].finish_reason == "stop"


async def test_async_client_streamed_and_not(gateway: Gateway) -> None:
    async with openai.AsyncOpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0) as client:
        answer = await client.chat.completions.create(model="echo-1", messages=ask("hi"))
        assert answer.choices[0].message.content == "Hello, world"
        stream = await client.chat.completions.create(model="plain-1", messages=ask("hi"), stream=True)
        texts = [chunk.choices[0].delta.content async for chunk in stream if chunk.choices]
        assert "".join(t or "" for t in texts) == "plain answer"
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model="fail-rate", messages=ask("hi"), stream=True)


def test_image_data_uri_reaches_the_provider(client: openai.OpenAI) -> None:
    content = [{"type": "text", "text": "media"}, {"type": "image_url", "image_url": {"url": PNG_URI}}]
    answer = client.chat.completions.create(model="echo-vision", messages=[{"role": "user", "content": content}])
    assert json.loads(answer.choices[0].message.content or "") == [[len(PNG), "image/png"]]


def test_image_reaches_dynaspark_as_its_file_field(client: openai.OpenAI, standin_server: Standin) -> None:
    before = len(standin_server.requests)
    content = [{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": PNG_URI}}]
    answer = client.chat.completions.create(model="gemini-1.5-flash", messages=[{"role": "user", "content": content}])
    assert answer.choices[0].message.content == "echo[gemini-1.5-flash]: what is this? [file image.png]"
    received = standin_server.requests[before:]
    assert len(received) == 1
    assert received[0].file == ("image.png", "image/png", PNG)


def test_image_for_a_model_without_vision_is_a_400(client: openai.OpenAI) -> None:
    content = [{"type": "image_url", "image_url": {"url": PNG_URI}}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="echo-1", messages=[{"role": "user", "content": content}])
    assert caught.value.body["param"] == "messages"  # type: ignore[index]


def test_options_reach_the_provider_and_unsupported_ones_are_named(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="echo-1",
        messages=ask("options"),
        temperature=1,
        max_completion_tokens=20,
        stop="END",
        presence_penalty=0.5,
        seed=3,
        extra_body={"top_k": 4},
    )
    got = json.loads(raw.parse().choices[0].message.content or "")
    assert got == {"max_tokens": 20, "stop": ["END"], "temperature": 1.0, "top_k": 4}
    assert isinstance(got["temperature"], float)
    assert raw.headers["x-providerhub-ignored-params"] == "presence_penalty, seed"


@pytest.mark.parametrize(
    ("extra", "param"), [({"top_k": "4"}, "top_k"), ({"top_k": True}, "top_k"), ({"top_k": 1.5}, "top_k")]
)
def test_declared_options_of_the_wrong_type_are_a_400(client: openai.OpenAI, extra: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="echo-1", messages=ask("options"), extra_body=extra)
    assert caught.value.body["param"] == param  # type: ignore[index]
    assert "must be an integer" in caught.value.body["message"]  # type: ignore[index]


def test_max_tokens_by_either_name(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="echo-1", messages=ask("options"), max_completion_tokens=7, max_tokens=9
    )
    assert json.loads(raw.parse().choices[0].message.content or "") == {"max_tokens": 9}
    assert raw.headers["x-providerhub-ignored-params"] == "max_completion_tokens"


def test_no_ignored_params_header_when_nothing_is_ignored(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="echo-1", messages=ask("hi"), temperature=0.2)
    assert "x-providerhub-ignored-params" not in raw.headers


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"n": 2}, "n"),
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "tools"),
        ({"extra_body": {"frobnicate": True}}, "frobnicate"),
        ({"extra_body": {"top_k": 4}}, "top_k"),  # declared by Echo, not by Plain
        ({"temperature": 3}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
        ({"extra_body": {"proxy": "http://127.0.0.1:9"}}, "proxy"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client: openai.OpenAI, kwargs: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="plain-1", messages=ask("hi"), **kwargs)
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["param"] == param
    assert body["type"] == "invalid_request_error"
    assert param in body["message"]


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([], "messages"),
        ([{"role": "robot", "content": "hi"}], "messages[0].role"),
        ([{"role": "user"}], "messages[0].content"),
        ([{"role": "tool", "content": "x", "tool_call_id": "1"}], "messages[0].role"),
        ([{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}], "messages[0].content[0].type"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "/etc/passwd"}}]}],
            "messages[0].content[0].image_url.url",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}],
            "messages[0].content[0].image_url.url",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}],
            "messages[0].content[0].image_url.url",
        ),
    ],
)
def test_bad_messages_are_a_400_naming_the_place(client: openai.OpenAI, messages: Any, param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="echo-vision", messages=messages)
    assert caught.value.body["param"] == param  # type: ignore[index]


def test_developer_role_and_parts_become_plain_messages(client: openai.OpenAI) -> None:
    messages = [
        {"role": "developer", "content": "be brief"},
        {"role": "assistant", "content": None},
        {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
        {"role": "user", "content": "messages"},
    ]
    answer = client.chat.completions.create(model="echo-1", messages=messages)  # type: ignore[arg-type]
    assert json.loads(answer.choices[0].message.content or "") == [
        {"role": "system", "content": "be brief"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "one\ntwo"},
        {"role": "user", "content": "messages"},
    ]


# -- provider failures, as the client's exception classes -----------------------------------------


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("model", "exception", "status", "code"),
    [
        ("no-such-model", openai.NotFoundError, 404, "model_not_found"),
        ("fail-rate", openai.RateLimitError, 429, "rate_limit_exceeded"),
        ("fail-timeout", openai.InternalServerError, 504, "provider_timeout"),
        ("fail-auth", openai.InternalServerError, 502, "provider_authentication_failed"),
        ("fail-upstream", openai.InternalServerError, 502, "provider_error"),
        ("fail-raw", openai.InternalServerError, 502, "provider_error"),
        ("fail-request", openai.BadRequestError, 400, "invalid_value"),
    ],
)
def test_failures_before_text_have_a_real_status(
    client: openai.OpenAI, model: str, exception: type[Exception], status: int, code: str, stream: bool
) -> None:
    with pytest.raises(exception) as caught:
        client.chat.completions.create(model=model, messages=ask("hi"), stream=stream)
    error = caught.value
    assert isinstance(error, openai.APIStatusError)
    assert error.status_code == status
    assert isinstance(error.body, dict) and error.body["code"] == code
    assert set(error.body) >= {"message", "type", "param", "code"}


def test_rate_limit_says_when_to_retry(start: Any) -> None:
    server = start()  # a gateway of its own: the shared one may be cooling this provider down after another test
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
    with client, pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="fail-rate", messages=ask("hi"))
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.response.headers["x-providerhub-provider"] == "Failing"
    assert "slow down" in caught.value.message


def test_upstream_auth_failure_is_not_the_callers_key(client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="fail-auth", messages=ask("hi"))
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert caught.value.body["metadata"] == {"provider": "Failing", "model": "fail-auth", "retryable": False}  # type: ignore[index]


def test_failed_fallback_names_every_attempt(client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="fail-all", messages=ask("hi"))
    assert caught.value.status_code == 502
    assert caught.value.response.headers["x-providerhub-attempts"] == "Alpha/m-1=429, Beta/m-1=500"
    attempts = caught.value.body["metadata"]["attempts"]  # type: ignore[index]
    assert [(a["provider"], a["model"], a["status"]) for a in attempts] == [("Alpha", "m-1", 429), ("Beta", "m-1", 500)]
    assert attempts[0]["error"] == "Alpha: HTTP 429"


def test_body_over_the_limit_is_the_clients_status_error(start: Any) -> None:
    server = start("--max-body", "2KiB")
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
    with client, pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="echo-1", messages=ask("x" * 3000))
    assert caught.value.status_code == 413
    assert caught.value.body["code"] == "request_too_large"  # type: ignore[index]


def test_failure_after_text_raises_in_the_stream(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="fail-after", messages=ask("hi"), stream=True)
    texts = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            texts.append(chunk.choices[0].delta.content)
    assert texts == ["partial "]
    assert "HTTP 503 mid-answer" in caught.value.message


def test_gateway_key_required_when_set(start: Any) -> None:
    server = start("--api-key", "s3cret")
    with openai.OpenAI(base_url=server.url + "/v1", api_key="wrong", max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError) as caught:
            bad.models.list()
        assert caught.value.body["code"] == "invalid_api_key"  # type: ignore[index]
        with pytest.raises(openai.AuthenticationError):
            bad.chat.completions.create(model="echo-1", messages=ask("hi"))
    with openai.OpenAI(base_url=server.url + "/v1", api_key="s3cret", max_retries=0) as good:
        assert good.chat.completions.create(model="echo-1", messages=ask("hi")).choices[0].message.content


def test_gateway_key_from_the_environment(start: Any) -> None:
    server = start(PROVIDERHUB_API_KEY="from-env")
    with (
        openai.OpenAI(base_url=server.url + "/v1", api_key="nope", max_retries=0) as bad,
        pytest.raises(openai.AuthenticationError),
    ):
        bad.models.list()
    with openai.OpenAI(base_url=server.url + "/v1", api_key="from-env", max_retries=0) as good:
        assert any(m.id == "echo-1" for m in good.models.list())
