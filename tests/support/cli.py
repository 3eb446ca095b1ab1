"""Running the command line in tests: in-process through ``main(argv)`` (``CLI.run``), or as the
installed console script in a subprocess (``Script``, ``CLI.process``, ``Terminal``) where a real
process is the point: a terminal, signals, a closed or full stdout, the script itself. Also the
stand-in plugins the command-line tests install.
"""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from support.processes import script

SLOW_SOURCE = '''
import asyncio
import os

from providerhub import AsyncGeneratorProvider, ProviderModelMixin, hookimpl


class Slow(AsyncGeneratorProvider, ProviderModelMixin):
    """slow-1: two chunks after half a second; slow-gap: one chunk, then a long wait.

    When the answer ends, however it ends, it appends "closed" to $SLOW_CLOSED_FILE.
    """

    default_model = "slow-1"
    models = ["slow-1", "slow-gap"]

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        try:
            if model == "slow-1":
                await asyncio.sleep(0.5)
            yield "first "
            await asyncio.sleep(60 if model == "slow-gap" else 0.1)
            yield "second"
        finally:
            if os.environ.get("SLOW_CLOSED_FILE"):
                with open(os.environ["SLOW_CLOSED_FILE"], "a") as f:
                    f.write("closed")


class Faulty(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "faulty-1"
    models = ["faulty-1"]

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        raise RuntimeError("the provider broke")
        yield ""


@hookimpl
def register_providers():
    return [Slow, Faulty]
'''

ECHO_SOURCE = '''
import asyncio
import json
import os

from providerhub import AsyncGeneratorProvider, FinishReason, ProviderModelMixin, Usage, hookimpl


class Echo(AsyncGeneratorProvider, ProviderModelMixin):
    """Answers with what it received (messages, options, proxy, number of images, whether a key
    came; not the timeout, which a routed call sets) as JSON in two chunks, then Usage(3, 5, 8) and
    FinishReason("stop"). echo-wait: "waiting " after half a second, then a long wait. However an
    answer ends, "closed" is appended to $ECHO_CLOSED_FILE."""

    default_model = "echo-1"
    models = ["echo-1", "echo-vision", "echo-wait"]
    vision_models = ["echo-vision"]
    options = {"temperature": float, "max_tokens": int, "stop": list[str], "verbose": bool}

    @classmethod
    async def create_async_generator(
        cls, model, messages, proxy=None, media=None, api_key=None, timeout=None, **kwargs
    ):
        try:
            if model == "echo-wait":
                await asyncio.sleep(0.5)
                yield "waiting "
                await asyncio.sleep(60)
            seen = {
                "messages": messages,
                "options": kwargs,
                "proxy": proxy,
                "images": len(media or []),
                "key": api_key is not None,
            }
            text = json.dumps(seen, sort_keys=True)
            yield text[: len(text) // 2]
            yield text[len(text) // 2 :]
            yield Usage(3, 5, 8)
            yield FinishReason("stop")
        finally:
            if os.environ.get("ECHO_CLOSED_FILE"):
                with open(os.environ["ECHO_CLOSED_FILE"], "a") as f:
                    f.write("closed")


class Locked(AsyncGeneratorProvider, ProviderModelMixin):
    """Needs a key ($LOCKED_KEY); answers with the key it was given."""

    default_model = "locked-1"
    models = ["locked-1"]
    needs_auth = True
    api_key_env = "LOCKED_KEY"

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, api_key=None, **kwargs):
        yield f"key={api_key}"


class Single(Echo):
    """Takes one image per request."""

    default_model = "single-vision"
    models = ["single-vision"]
    vision_models = ["single-vision"]
    max_images = 1


@hookimpl
def register_providers():
    return [Echo, Locked, Single]
'''

WITH_BROKEN = "alpha,beta,broken,gamma,slow"


class Result(NamedTuple):
    """A finished command: its exit status and what it wrote (named as ``subprocess`` names them)."""

    returncode: int
    stdout: str
    stderr: str


def _text(data: bytes) -> str:
    """Captured bytes as ``subprocess.run(text=True)`` gives them: UTF-8, universal newlines."""
    return data.decode().replace("\r\n", "\n").replace("\r", "\n")


def run_main(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, stdin: str = "") -> Result:
    """``main(argv)`` in this process, as the script would run it in a fresh one: exactly ``env`` as
    the environment, ``cwd`` as the working folder, ``stdin`` piped in, stdout and stderr captured;
    the process-wide state a fresh interpreter starts without (the default hub, the key-file cache,
    settings read once) is reset before, and everything is put back after."""
    from providerhub import _default, _discovery, _index
    from providerhub import _keys as keys
    from providerhub._cli import main

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr, sys.__stdout__
    out, err = io.BytesIO(), io.BytesIO()
    with tempfile.TemporaryFile() as piped:
        piped.write(stdin.encode())
        piped.seek(0)
        fake_in = io.TextIOWrapper(piped, encoding="utf-8", errors="surrogateescape")
        fake_out = io.TextIOWrapper(out, encoding="utf-8", errors="surrogateescape", write_through=True)
        fake_err = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True)
        try:
            os.environ.clear()
            os.environ.update(env)
            os.chdir(cwd)
            _default._default = None
            keys.forget()
            _discovery._timeout = None
            _index._warned.clear()
            sys.stdin, sys.stdout, sys.stderr = fake_in, fake_out, fake_err
            sys.__stdout__ = fake_out  # the help's width: a pipe's, not the terminal pytest runs in
            code = main(list(argv))
            fake_out.flush()
            fake_err.flush()
        finally:
            sys.stdin, sys.stdout, sys.stderr, sys.__stdout__ = saved_streams
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            _default._default = None
            keys.forget()
            _discovery._timeout = None
            for stream in (fake_in, fake_out, fake_err):
                stream.detach()
    return Result(code, _text(out.getvalue()), _text(err.getvalue()))


@dataclass
class Script:
    """The installed console script with a fixed environment; ``run`` returns the finished process."""

    env: dict[str, str]
    cwd: Path
    extra: dict[str, str] = field(default_factory=dict)

    def argv(self, *args: str) -> list[str]:
        return [script(), *args]

    def environ(self, **env: str) -> dict[str, str]:
        return {**self.env, **self.extra, **env}

    def run(
        self, *args: str, stdin: str | None = "", timeout: float = 60, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return self.process(*args, stdin=stdin, timeout=timeout, **env)

    def process(
        self, *args: str, stdin: str | None = "", timeout: float = 60, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """The script in a subprocess, to its end."""
        return subprocess.run(
            self.argv(*args),
            input=stdin,
            env=self.environ(**env),
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.argv(*args), env=self.environ(), cwd=self.cwd, **kwargs)


class CLI(Script):
    """The same command run in-process through ``main(argv)`` (``run``); ``process``, ``popen`` and
    ``Terminal`` still start the script where a real process is the point. Plugins the test installs
    are found through ``sys.path`` (the ``plugin_site`` fixture), so ``PYTHONPATH`` is the subprocess's."""

    def run(  # type: ignore[override]
        self, *args: str, stdin: str | None = "", timeout: float = 60, **env: str
    ) -> Result:
        assert stdin is not None, "an inherited stdin needs a real process: use process()"
        return run_main(args, env=self.environ(**env), cwd=self.cwd, stdin=stdin)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``providerhub: error:`` line a failed command must print, and nothing else."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("providerhub: error: "), lines[0]
    return lines[0]


def run_on_terminal(cli: Script, *args: str, stream: str) -> tuple[int, str, str]:
    """Run the script to its end with ``stream`` (``"stdout"`` or ``"stderr"``) on a pseudo-terminal,
    the other in a pipe and stdin from /dev/null; the exit code, what the terminal got, what the pipe got."""
    master, slave = pty.openpty()
    on_terminal = {"stdout": slave, "stderr": subprocess.PIPE}
    if stream == "stderr":
        on_terminal = {"stdout": subprocess.PIPE, "stderr": slave}
    proc = cli.popen(*args, stdin=subprocess.DEVNULL, **on_terminal)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            data = os.read(master, 1024)
        except OSError:  # the terminal's other end closed
            break
        if not data:
            break
        seen += data
    os.close(master)
    pipe = proc.stderr if stream == "stdout" else proc.stdout
    assert pipe is not None
    piped = pipe.read().decode()
    pipe.close()
    return proc.wait(timeout=10), seen.decode(), piped


class Terminal:
    """The command on a pseudo-terminal (stdin and stderr, stdout too unless ``stdout`` is given), in
    a session of its own, as a user at a terminal runs it; its output is read as it comes."""

    def __init__(self, cli: CLI, *args: str, stdout: int | None = None):
        self.master, slave = pty.openpty()
        self.proc = cli.popen(
            *args, stdin=slave, stdout=slave if stdout is None else stdout, stderr=slave, start_new_session=True
        )
        os.close(slave)
        self.seen = b""
        self._read = 0

    def _pump(self, wait: float) -> bytes | None:
        """What arrives within ``wait`` seconds (``b""``: nothing); ``None`` once the other end is closed."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return b""
        try:
            data = os.read(self.master, 4096)
        except OSError:  # the other end closed
            return None
        self.seen += data
        return data or None

    def expect(self, text: str, timeout: float = 20) -> str:
        """Wait for ``text`` after what was already expected; returns the output up to and including it."""
        wanted = text.encode()
        deadline = time.monotonic() + timeout
        while (at := self.seen.find(wanted, self._read)) < 0:
            data = self._pump(0.05)
            if time.monotonic() > deadline or data is None or (not data and self.proc.poll() is not None):
                shown = self.seen.decode(errors="replace")
                self.proc.kill()  # a failed test leaves no process behind
                self.finish()
                raise AssertionError(f"{text!r} did not appear; the terminal shows {shown!r}")
        part = self.seen[self._read : at + len(wanted)]
        self._read = at + len(wanted)
        return part.decode(errors="replace")

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 20) -> int:
        """Read until the command exits; its exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._pump(0.05)
        while self._pump(0.05):  # what it wrote last
            pass
        os.close(self.master)
        return self.proc.wait(timeout=5)

    @property
    def rest(self) -> str:
        """Output not yet expected."""
        return self.seen[self._read :].decode(errors="replace")
