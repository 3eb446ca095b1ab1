"""Fault providers: real plugins whose answers follow a script, for routing tests.

Each call of a fault provider takes the next step of its class's ``SCRIPT`` (the last step
repeats). Steps are tuples:

- ``("answer", "chunk", ...)``: yield these text chunks
- ``("fail", "ERROR")``: raise ``ERROR`` (Python source, e.g. ``"RateLimitError('slow', retry_after=1)"``)
  before any chunk
- ``("fail_after", ["chunk", ...], "ERROR")``: yield the chunks, then raise
- ``("empty",)``: end without a chunk; ``("events",)``: yield only a ``Usage`` and a ``FinishReason``
- ``("stall", SECONDS, "chunk", ...)``: wait, then yield the chunks
- ``("stall_after", ["chunk", ...], SECONDS)``: yield the chunks, then wait, then end
- ``("http", URL)``: GET ``URL`` with aiohttp; an error status raises as ``raise_for_status`` says,
  else the body is the answer

Every call is counted in the class's ``calls`` list (the model asked), and appended as
``NAME`` to the file named by ``$PH_FAULT_LOG`` when set (for calls made in other processes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from support.plugins import PluginSite

FAULT_TEMPLATE = """
import asyncio
import os

from providerhub import AsyncGeneratorProvider, FinishReason, ProviderModelMixin, Usage, hookimpl, raise_for_status
from providerhub.errors import *  # the error names a script's steps use


class {cls}(AsyncGeneratorProvider, ProviderModelMixin):
    url = "http://127.0.0.1/{cls}"
    working = True
    priority = {priority}
    default_model = {model!r}
    models = [{model!r}]
    SCRIPT = {script!r}
    calls = []

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        step = cls.SCRIPT[min(len(cls.calls), len(cls.SCRIPT) - 1)]
        cls.calls.append(model)
        log = os.environ.get("PH_FAULT_LOG")
        if log:
            with open(log, "a") as file:
                file.write({cls!r} + "\\n")
        kind, args = step[0], step[1:]
        if kind == "answer":
            for chunk in args:
                yield chunk
        elif kind == "fail":
            raise eval(args[0])
        elif kind == "fail_after":
            for chunk in args[0]:
                yield chunk
            raise eval(args[1])
        elif kind == "empty":
            return
        elif kind == "events":
            yield Usage(1, 0, 1)
            yield FinishReason("stop")
        elif kind == "stall":
            await asyncio.sleep(args[0])
            for chunk in args[1:]:
                yield chunk
        elif kind == "stall_after":
            for chunk in args[0]:
                yield chunk
            await asyncio.sleep(args[1])
        elif kind == "http":
            import aiohttp

            async with aiohttp.ClientSession() as session, session.get(args[0]) as response:
                await raise_for_status(response, cls.name)
                yield await response.text()
        else:
            raise AssertionError(f"unknown step {{kind!r}}")


@hookimpl
def register_providers():
    return [{cls}]
"""

Step = tuple[Any, ...]


def fault_source(cls: str, model: str, script: Sequence[Step], *, priority: int = 0) -> str:
    """A plugin module registering fault provider ``cls`` serving ``model`` by ``script``."""
    return FAULT_TEMPLATE.format(cls=cls, model=model, script=list(script), priority=priority)


def install_faults(site: PluginSite, model: str, scripts: dict[str, Sequence[Step]]) -> list[str]:
    """Install one fault plugin per ``{name: script}``, preferred in the order given; their module names."""
    count = len(scripts)
    return [
        site.add(name.lower(), fault_source(name, model, script, priority=count - i))
        for i, (name, script) in enumerate(scripts.items())
    ]
