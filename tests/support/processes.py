"""Fresh interpreters and the installed console script, for tests where a real process is the point."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
"""The tests folder: on ``PYTHONPATH`` it makes ``support`` importable in a child process."""

STRICT = ("-X", "dev", "-W", "error")
"""Development mode with every warning an error: an unclosed session or socket fails the child."""


def script() -> str:
    """The console script installed beside this interpreter (as a user's venv has it)."""
    found = shutil.which("providerhub", path=os.path.dirname(sys.executable))
    if not found:
        raise RuntimeError("the providerhub console script is not installed in this environment")
    return found


def clean_environ(cache_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without providerhub or pytest settings, with a private cache and
    no configuration file (the user's own is never read)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROVIDERHUB_", "PYTEST_", "DYNASPARK_"))}
    for name in ("PYTHONPATH", "PYTHONWARNINGS", "PYTHONDEVMODE", "PYTHONASYNCIODEBUG"):
        env.pop(name, None)
    env["PROVIDERHUB_CACHE_DIR"] = str(cache_dir)
    env["PROVIDERHUB_CONFIG"] = str(cache_dir / "absent-providerhub.toml")
    env.update(extra)
    return env


def run_python(
    code: str,
    *flags: str,
    env: Mapping[str, str] | None = None,
    support: bool = False,
    timeout: float = 60,
    **variables: str,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) in a fresh interpreter with ``flags`` (e.g. ``*STRICT``) before ``-c``.

    The child gets ``env`` (default: this process's environment) plus ``variables``; ``support``
    puts the tests folder on its ``PYTHONPATH``. With ``-W`` given, ``PYTHONWARNINGS`` is dropped
    so the flags alone decide what a warning does."""
    environ = {**(os.environ if env is None else env), **variables}
    if support:
        environ["PYTHONPATH"] = str(TESTS)
    if "-W" in flags:
        environ.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, *flags, "-c", textwrap.dedent(code)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_script(
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``providerhub ARGS`` with ``env`` (default: this process's environment)."""
    return subprocess.run(
        [script(), *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


HEAVY = ("typing", "re", "json", "enum", "functools", "contextlib", "threading", "providerhub.types")
"""Modules a warm start does without: ``typing`` and what it imports, ``json`` (and ``re`` with it), ``threading``."""

_RESOLVE = """
import os, sys
started_with = set(sys.modules)
from providerhub import _default, get_provider
provider = get_provider(os.environ["WARM_RESOLVE_MODEL"])
imported = sorted(set(sys.modules) - started_with)
import json
print(json.dumps({"provider": provider.__name__, "from_index": _default.registry().from_index, "imported": imported}))
"""


def warm_resolve(model: str, env: dict[str, str]) -> dict[str, Any]:
    """Resolve ``model`` in two fresh interpreters (the first writes the model index, the second is
    served by it); the second's provider, whether it read the index, and the modules it imported."""
    import json

    outcome: dict[str, Any] = {}
    for _ in range(2):
        out = run_python(_RESOLVE, env=env, WARM_RESOLVE_MODEL=model)
        assert (out.returncode, out.stderr) == (0, "")
        outcome = json.loads(out.stdout)
    return outcome
