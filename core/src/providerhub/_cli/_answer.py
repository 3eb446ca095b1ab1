"""One answer of a model: routed through the default hub, streamed to stdout as it arrives (a
spinner on a terminal until the first chunk), every attempt recorded, cancelled cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any, NamedTuple, TextIO

import providerhub

from ._output import CONTROL_IN_ANSWER, OutputError, isatty, printable
from ._status import Terminated, describe

SPINNER = "|/-\\"


class Stream:
    """The answer's way to stdout: a spinner on a terminal's stderr until the first chunk, then the chunks.

    ``quiet``: nothing is shown (``--json`` prints the whole answer at the end).
    """

    def __init__(self, out: TextIO, err: TextIO, *, quiet: bool = False):
        self.out, self.err, self.quiet = out, err, quiet
        self.spinner: asyncio.Task[None] | None = None
        self.ended_line = True
        self.terminal = isatty(out)  # on a terminal, control characters in the answer are neutralised

    async def _spin(self) -> None:
        frame = 0
        while True:
            self.err.write(f"\r{SPINNER[frame % len(SPINNER)]}")
            self.err.flush()
            frame += 1
            await asyncio.sleep(0.1)

    def start(self) -> None:
        if isatty(self.err) and not self.quiet:
            self.spinner = asyncio.get_running_loop().create_task(self._spin())

    def stop(self) -> None:
        """Cancel and erase the spinner (safe to call more than once)."""
        if self.spinner is not None:
            self.spinner.cancel()
            self.spinner = None
            self.err.write("\r \r")
            self.err.flush()

    def write(self, chunk: str) -> None:
        self.stop()
        if chunk and not self.quiet:
            self.ended_line = chunk.endswith("\n")  # first: Ctrl-C can land right after the write
            self.out.write(printable(chunk, CONTROL_IN_ANSWER) if self.terminal else chunk)
            self.out.flush()

    def end_line(self) -> None:
        """Leave the cursor at the start of a line, so the shell prompt (or an error) starts clean."""
        if not self.ended_line:
            self.ended_line = True
            try:
                self.out.write("\n")
                self.out.flush()
            except (OSError, ValueError, OutputError):  # stdout is gone; nothing to tidy
                pass


class Request(NamedTuple):
    """What every turn of a chat sends besides its messages."""

    found: providerhub.Resolution
    options: dict[str, Any]
    media: providerhub.MediaListType | None
    timeout: float | None


class Attempt:
    """One try of one candidate, as the router made it."""

    def __init__(self, provider: str, model: str):
        self.provider, self.model = provider, model
        self.error: BaseException | None = None
        self.started = time.monotonic()
        self.seconds: float | None = None

    def as_json(self) -> dict[str, Any]:
        error = None if self.error is None else describe(self.error)
        return {"provider": self.provider, "model": self.model, "error": error, "seconds": self.seconds}


class Reply:
    """One answer as it arrives: its text, its events, and the attempts the router made for it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.usage: providerhub.Usage | None = None
        self.finish_reason: str | None = None
        self.attempts: list[Attempt] = []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def label(self) -> str:
        """``provider/model`` of the candidate that answered: how a stored conversation names it."""
        answered = self.attempts[-1]
        return f"{answered.provider}/{answered.model}"

    def as_json(self) -> dict[str, Any]:
        answered = self.attempts[-1]
        return {
            "text": self.text,
            "provider": answered.provider,
            "model": answered.model,
            "usage": self.usage._asdict() if self.usage is not None else None,
            "finish_reason": self.finish_reason,
            "attempts": [attempt.as_json() for attempt in self.attempts],
        }


def _routed(
    request: Request, messages: providerhub.Messages, media: providerhub.MediaListType | None, reply: Reply
) -> AsyncIterator[providerhub.Chunk]:
    """The answer as ``providerhub.stream`` gives it (routed by the default hub), each attempt recorded in ``reply``."""
    from providerhub.call import call_provider
    from providerhub.media import off_loop

    hub = providerhub.default_hub()
    first = request.found.candidates[0]

    async def attempt(candidate: providerhub.Candidate, remaining: float | None) -> AsyncIterator[providerhub.Chunk]:
        tried = Attempt(candidate.provider, candidate.model)
        reply.attempts.append(tried)
        chunks: AsyncIterator[providerhub.Chunk] | None = None
        try:
            if candidate is first:
                provider = request.found.provider
            else:  # loading a further candidate's plugin may import it: off the loop
                provider = (await off_loop(hub.resolve, f"{candidate.provider}/{candidate.model}")).provider
            chunks = call_provider(
                provider, candidate.model, messages, media=media, timeout=remaining, options=request.options
            )
            async for chunk in chunks:
                yield chunk
        except Exception as exc:
            tried.error = exc
            raise
        finally:
            tried.seconds = round(time.monotonic() - tried.started, 3)
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()

    return hub.router.stream(request.found, attempt, timeout=request.timeout)


async def _answer(chunks: AsyncIterator[providerhub.Chunk], stream: Stream, reply: Reply) -> None:
    """Show one answer's text as it arrives and keep it with its events; closed however this ends."""
    stream.start()
    try:
        async for chunk in chunks:
            if isinstance(chunk, str):
                reply.parts.append(chunk)
                stream.write(chunk)
            elif isinstance(chunk, providerhub.Usage):
                reply.usage = chunk
            elif isinstance(chunk, providerhub.FinishReason):
                reply.finish_reason = chunk.reason
    finally:
        stream.stop()
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


def ask(request: Request, messages: providerhub.Messages, stream: Stream) -> Reply:
    from providerhub.call import prepare

    reply = Reply()
    messages, media = prepare(messages, request.media)
    try:
        asyncio.run(_until_terminated(_answer(_routed(request, messages, media, reply), stream, reply)))
    finally:
        stream.end_line()
    return reply


async def _until_terminated(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work``, cancelling it (so its ``finally`` blocks run) if SIGTERM arrives."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, terminate)
    except (NotImplementedError, RuntimeError, ValueError):  # no signal handlers here (Windows, not the main thread)
        return await task
    try:
        await task
    except asyncio.CancelledError:
        if terminated:
            raise Terminated() from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
