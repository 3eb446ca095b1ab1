"""The benchmarks stay runnable: they borrow the tests' stand-ins, so a move in tests/support must not break them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_every_benchmark_module_imports() -> None:
    modules = sorted(p.stem for p in BENCHMARKS.glob("*.py"))
    assert "routing" in modules
    modules.remove("routing")
    modules.append("routing")  # last, as in run.py: after gateway put tests/ (with tests/routing) on sys.path
    # in run.py's order, each checked to be the benchmark itself: tests/ on sys.path must shadow none
    code = (
        "import importlib, sys\n"
        "for name in sys.argv[2:]:\n"
        "    module = importlib.import_module(name)\n"
        "    assert module.__file__.startswith(sys.argv[1]), (name, module.__file__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(BENCHMARKS), *modules],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
