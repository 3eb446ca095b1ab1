"""Running the installed ``providerhub`` script in a subprocess: the runner, fixture plugin sources, checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

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

WITH_BROKEN = "alpha,beta,broken,gamma,slow"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)


def script() -> str:
    """The console script installed beside this interpreter (as a user's venv has it)."""
    found = shutil.which("providerhub", path=os.path.dirname(sys.executable)) or shutil.which("providerhub")
    if not found:
        pytest.fail("the providerhub console script is not installed in this environment")
    return found


@dataclass
class CLI:
    """The command with a fixed environment; ``run`` returns the finished process."""

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


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``providerhub: error:`` line a failed command must print, and nothing else."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("providerhub: error: "), lines[0]
    return lines[0]
