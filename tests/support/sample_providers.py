"""Plugin sources for the call API's tests: a sync-only provider, one leaking raw aiohttp errors, one with events.

Install with ``plugin_site.add("samples", SAMPLES_SOURCE)``; the command-line tests pass the
same source to a subprocess through ``PYTHONPATH``.
"""

from __future__ import annotations

SAMPLES_SOURCE = '''
import os
import threading

from providerhub import AsyncGeneratorProvider, BaseProvider, FinishReason, ProviderModelMixin, Usage, hookimpl

GATE = threading.Event()
"""plain-gate waits for this before its first chunk (at most two seconds)."""
STARTED = threading.Event()
"""Set when a Plain answer starts."""
CLOSED = []
"""The name of the thread each Plain answer ended on, however it ended."""


class Plain(BaseProvider, ProviderModelMixin):
    """Sync only (create_completion): plain-1 yields the prompt's words one by one; plain-fail
    yields one word, then raises a KeyError; plain-gate waits for GATE first.

    When an answer ends, however it ends, it is recorded in CLOSED and in $PLAIN_CLOSED_FILE.
    """

    default_model = "plain-1"
    models = ["plain-1", "plain-fail", "plain-gate"]

    @classmethod
    def create_completion(cls, model, messages, **kwargs):
        STARTED.set()
        try:
            if model == "plain-gate" and not GATE.wait(2):
                yield "the gate was never opened "
            for word in str(messages[-1]["content"]).split():
                yield word + " "
                if model == "plain-fail":
                    raise KeyError("no such thing")
        finally:
            CLOSED.append(threading.current_thread().name)
            if os.environ.get("PLAIN_CLOSED_FILE"):
                with open(os.environ["PLAIN_CLOSED_FILE"], "a") as f:
                    f.write("closed")


class Leaky(AsyncGeneratorProvider, ProviderModelMixin):
    """Posts the prompt to $LEAKY_URL with aiohttp and wraps nothing: every fault escapes raw."""

    default_model = "leaky-1"
    models = ["leaky-1"]

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        import aiohttp

        form = {"user_input": str(messages[-1]["content"]), "ai_model": model}
        async with aiohttp.ClientSession() as session:
            async with session.post(os.environ["LEAKY_URL"], data=form) as response:
                data = await response.json()
        yield data["response"]


class Metered(AsyncGeneratorProvider, ProviderModelMixin):
    """Text with events: "metered ", Usage(3, 2, 5), "answer", FinishReason("stop")."""

    default_model = "metered-1"
    models = ["metered-1"]

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        yield "metered "
        yield Usage(3, 2, 5)
        yield "answer"
        yield FinishReason("stop")


@hookimpl
def register_providers():
    return [Plain, Leaky, Metered]
'''
