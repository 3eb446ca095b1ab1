"""What importing a plugin's entry module and calling its hook costs, measured in a fresh interpreter.

A fresh interpreter is the only place where "what does this import pull in" has an honest
answer: the test process has imported half the world already. The probe refuses every network
connection and name lookup (an audit hook), imports ``providerhub`` first so the core's own cost
is not counted, then loads the entry point and calls ``register_providers``.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from typing import NamedTuple

HEAVY_MODULES = (
    "aiohttp",
    "httpx",
    "requests",
    "urllib3",
    "openai",
    "anthropic",
    "google.genai",
    "google.generativeai",
    "cohere",
    "mistralai",
    "groq",
    "boto3",
    "botocore",
    "grpc",
    "tiktoken",
    "numpy",
    "torch",
    "transformers",
)
"""Modules an entry module must not import: HTTP clients and vendor SDKs belong inside the request."""

IMPORT_BUDGET = 0.5
"""CPU seconds the entry module's import and hook call may take (CPU time, so a busy machine does not fail it)."""

PROBE_TIMEOUT = 60.0
"""Seconds the probe interpreter may run at all."""

_PROBE = r"""
import json, socket, sys, time
blocked = []
def audit(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        if getattr(args[0], "family", None) == socket.AF_UNIX:
            return
        target = args[1] if len(args) > 1 else None
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        target = args[0]
    else:
        return
    blocked.append(f"{event} {target!r}"[:200])
    raise ConnectionRefusedError("network I/O while importing a providerhub plugin")
sys.addaudithook(audit)
import providerhub
import importlib_metadata
value, heavy = sys.argv[1], json.loads(sys.argv[2])
ep = importlib_metadata.EntryPoint(name="probe", value=value, group="providerhub")
error = None
start_cpu, start_wall = time.process_time(), time.perf_counter()
try:
    plugin = ep.load()
    hook = getattr(plugin, "register_providers", None)
    if callable(hook):
        list(hook() or ())
except BaseException as exc:
    error = f"{type(exc).__name__}: {exc}"
cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
loaded = [m for m in heavy if m in sys.modules]
print(json.dumps({"error": error, "blocked": blocked, "heavy": loaded, "cpu": cpu, "wall": wall}))
"""


class ImportProbe(NamedTuple):
    """What loading one entry point did in a fresh interpreter."""

    error: str | None
    """The exception the import or the hook raised, if any."""
    blocked: tuple[str, ...]
    """Network operations attempted (and refused)."""
    heavy: tuple[str, ...]
    """Modules of ``HEAVY_MODULES`` imported."""
    cpu: float
    """CPU seconds spent."""
    wall: float
    """Wall-clock seconds spent."""


def probe(value: str) -> ImportProbe:
    """Load the entry point ``value`` (``module`` or ``module:attr``) in a fresh interpreter with this ``sys.path``."""
    return _probe(value, tuple(sys.path))


@functools.lru_cache(maxsize=64)
def _probe(value: str, path: tuple[str, ...]) -> ImportProbe:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in path if p)
    for name in ("PYTHONDEVMODE", "PYTHONWARNINGS", "PYTHONSTARTUP"):
        env.pop(name, None)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, value, json.dumps(HEAVY_MODULES)],
            capture_output=True,
            text=True,
            env=env,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ImportProbe(
            f"the import did not finish within {PROBE_TIMEOUT:g} s", (), (), PROBE_TIMEOUT, PROBE_TIMEOUT
        )
    lines = done.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1])
    except (IndexError, ValueError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return ImportProbe(f"the probe interpreter failed (exit {done.returncode}): {last[:300]}", (), (), 0.0, 0.0)
    return ImportProbe(
        data["error"], tuple(data["blocked"]), tuple(data["heavy"]), float(data["cpu"]), float(data["wall"])
    )
