"""The benchmarks stay runnable: they borrow the tests' stand-ins, so a move in tests/ must not break them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_run_imports_every_benchmark_from_the_benchmarks_folder() -> None:
    modules = sorted(p.stem for p in BENCHMARKS.glob("*.py") if p.stem != "run")
    assert "routing" in modules  # tests/routing is a package of the same name
    code = (
        "import sys\n"
        "import run\n"
        "for name in sys.argv[2:]:\n"
        "    found = sys.modules[name].__file__\n"
        "    assert found.startswith(sys.argv[1]), (name, found)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(BENCHMARKS), *modules],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_each_benchmark_runs_in_a_fresh_interpreter(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(
        "import os, sys\ndef where(argv):\n    return [os.getpid(), 'providerhub' in sys.modules, *argv]\n"
    )
    code = "import os, sys, providerhub, probe, run\nprint(os.getpid(), *run.fresh(probe.where, ['x']))\n"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BENCHMARKS,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(BENCHMARKS)])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    parent, child, imported, arg = done.stdout.split()
    assert child != parent
    assert (imported, arg) == ("False", "x"), "the benchmark ran without what the parent had imported"
