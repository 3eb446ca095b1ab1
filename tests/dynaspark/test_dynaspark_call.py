"""Dynaspark through the call API: images in content parts arrive as the ``file`` field, errors route."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

import providerhub
from providerhub import MediaError, OptionsError, ProviderError
from support.dynaspark_standin import Standin
from support.images import JPEG, PNG
from support.processes import STRICT, run_python

pytestmark = pytest.mark.installed


@pytest.fixture(autouse=True)
def endpoint(dynaspark_server: Standin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNASPARK_API_ENDPOINT", dynaspark_server.url)


def parts(text: str, *images: bytes) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    for data in images:
        url = f"data:image/png;base64,{base64.b64encode(data).decode()}"
        content.append({"type": "image_url", "image_url": {"url": url}})
    return [{"role": "user", "content": content}]


async def answer(model: str, messages: Any, **kwargs: Any) -> list[Any]:
    return [chunk async for chunk in providerhub.stream(model, messages, **kwargs)]


async def test_an_image_in_a_content_part_is_sent_as_the_file_field(dynaspark_server: Standin) -> None:
    assert await answer("gemini-flash", parts("What is this?", PNG)) == [
        "echo[gemini-1.5-flash]: What is this? [file image.png]"
    ]
    (request,) = dynaspark_server.requests
    assert request.user_input == "What is this?"
    assert request.file == ("image.png", "image/png", PNG)


async def test_a_jpeg_sent_as_a_png_data_uri_goes_with_its_real_type(dynaspark_server: Standin) -> None:
    await answer("gemini-2-flash", parts("and this?", JPEG))
    assert dynaspark_server.requests[0].file == ("image.jpg", "image/jpeg", JPEG)


async def test_two_images_are_a_provider_error_a_router_may_take_elsewhere(dynaspark_server: Standin) -> None:
    with pytest.raises(ProviderError, match="Dynaspark takes one image per request; got 2") as caught:
        await answer("gemini-flash", parts("compare", PNG), media=[(JPEG, "b.jpg")])
    assert (caught.value.provider, caught.value.model, caught.value.retryable, caught.value.partial) == (
        "Dynaspark",
        "gemini-1.5-flash",
        False,
        False,
    )
    assert dynaspark_server.requests == []


async def test_a_remote_image_url_is_refused_before_any_request(dynaspark_server: Standin) -> None:
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]
    with pytest.raises(MediaError, match="remote image 'https://example.com/a.png' is not fetched"):
        await answer("gemini-flash", messages)
    assert dynaspark_server.requests == []


async def test_proxy_and_timeout_go_through_and_a_bad_timeout_is_an_options_error(dynaspark_server: Standin) -> None:
    assert await answer("gemini-flash", [{"role": "user", "content": "hi"}], timeout=5, proxy=None) == [
        "echo[gemini-1.5-flash]: hi"
    ]
    with pytest.raises(OptionsError, match="timeout must be a finite, positive number of seconds"):
        await answer("gemini-flash", [{"role": "user", "content": "hi"}], timeout=-1)
    with pytest.raises(OptionsError, match="provider Dynaspark takes no option 'temperature'"):
        await answer("gemini-flash", [{"role": "user", "content": "hi"}], temperature=0.1)
    assert len(dynaspark_server.requests) == 1


def test_the_readme_example_of_the_call_api_runs(threaded_server: Standin) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Calling a model\n", 1)[1]
    found = re.search(r"^```python\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert found is not None, "no python example under 'Calling a model'"
    out = run_python(found.group(1), *STRICT, DYNASPARK_API_ENDPOINT=threaded_server.url)
    assert (out.stderr, out.returncode, out.stdout) == ("", 0, "echo[gemini-2.0-flash]: Name a colour.\n")
    assert [r.ai_model for r in threaded_server.requests] == ["gemini-2.0-flash"]
