"""Provider base classes: frozen declarations, model lookup, and the sync bridge."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from providerhub import AsyncGeneratorProvider, ModelNotSupportedError, ProviderModelMixin
from providerhub.types import AsyncResult, MediaListType, Messages


class Echo(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "echo-1"
    models = ["echo-1", "echo-2"]
    model_aliases = {"e2": "echo-2"}
    finished: list[str] = []

    @classmethod
    async def create_async_generator(
        cls, model: str, messages: Messages, proxy: str | None = None, media: MediaListType | None = None, **kwargs: Any
    ) -> AsyncResult:
        try:
            for word in str(messages[-1]["content"]).split():
                await asyncio.sleep(0)
                yield f"{model}:{word}"
            if kwargs.get("fail"):
                raise ValueError("failed on purpose")
        finally:
            cls.finished.append(threading.current_thread().name)


def test_declared_lists_are_frozen_and_not_shared() -> None:
    class Child(Echo):
        models = ["c-1"]

    assert Echo.models == ("echo-1", "echo-2")
    assert Child.models == ("c-1",)
    assert Echo.vision_models == () and Child.vision_models == ()
    with pytest.raises(TypeError):
        Echo.model_aliases["x"] = "echo-1"  # type: ignore[index]


def test_get_model_default_id_alias_and_error() -> None:
    assert Echo.get_model("") == "echo-1"
    assert Echo.get_model(None) == "echo-1"
    assert Echo.get_model("echo-2") == "echo-2"
    assert Echo.get_model("e2") == "echo-2"
    with pytest.raises(
        ModelNotSupportedError, match="Echo does not serve model 'nope'; its models are: echo-1, echo-2"
    ):
        Echo.get_model("nope")


def test_create_completion_from_sync_code() -> None:
    chunks = list(Echo.create_completion("echo-2", [{"role": "user", "content": "a b c"}]))
    assert chunks == ["echo-2:a", "echo-2:b", "echo-2:c"]


async def test_create_completion_inside_a_running_loop() -> None:
    # A sync caller inside a coroutine: the generator runs on a private loop, not this one.
    chunks = list(Echo.create_completion("echo-1", [{"role": "user", "content": "x y"}]))
    assert chunks == ["echo-1:x", "echo-1:y"]
    assert Echo.finished[-1] != threading.current_thread().name


def test_create_completion_propagates_errors() -> None:
    with pytest.raises(ValueError, match="failed on purpose"):
        list(Echo.create_completion("echo-1", [{"role": "user", "content": "x"}], fail=True))


def test_closing_create_completion_early_stops_the_generator() -> None:
    before = len(Echo.finished)
    it = Echo.create_completion("echo-1", [{"role": "user", "content": "a b c d"}])
    assert next(it) == "echo-1:a"
    it.close()  # type: ignore[attr-defined]
    assert len(Echo.finished) == before + 1
    assert not [t for t in threading.enumerate() if t.name == "providerhub-sync"]


def test_abstract_provider_cannot_be_registered() -> None:
    import providerhub

    class Half(AsyncGeneratorProvider):
        default_model = "h"

    with pytest.raises(ValueError, match="does not implement create_async_generator"):
        providerhub.register_provider(Half)
