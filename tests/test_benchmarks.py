"""The benchmarks stay runnable: they borrow the tests' stand-ins, so a move in tests/support must not break them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_every_benchmark_module_imports() -> None:
    modules = sorted(p.stem for p in BENCHMARKS.glob("*.py"))
    assert "run" in modules
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run(
        [sys.executable, "-c", code, *modules], cwd=BENCHMARKS, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
