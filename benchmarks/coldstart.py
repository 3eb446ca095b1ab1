"""Cold start: resolving one model in a fresh interpreter, against the floor of merely scanning entry points.

The floor is the same interpreter running
``import pluggy, importlib_metadata; importlib_metadata.entry_points(group="providerhub")``
with the same ``sys.path``. Extra plugins are generated as real dist-info folders in a temporary
folder on ``PYTHONPATH``; each one's module busy-waits ``--import-ms`` on import, as a plugin with
its own SDK does. The two sides alternate so that machine drift hits both alike.

Run: ``python benchmarks/coldstart.py [--plugins 1 50 200] [--rounds 30]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = 'import pluggy, importlib_metadata; importlib_metadata.entry_points(group="providerhub")'
RESOLVE = 'from providerhub import get_provider; get_provider("{model}")'
CHECK = """
import json, sys
from providerhub import get_provider, hub
provider = get_provider("{model}")
print(json.dumps({{
    "provider": provider.__name__,
    "from_index": hub.registry().from_index,
    "plugins_imported": sorted(m for m in sys.modules if m.startswith("bench_plugin_")),
    "aiohttp_imported": "aiohttp" in sys.modules,
}}))
"""

PLUGIN = """
import time as _time

_end = _time.perf_counter() + {seconds}
while _time.perf_counter() < _end:  # what importing a provider SDK costs
    pass

from providerhub import AsyncGeneratorProvider, ProviderModelMixin, hookimpl


class Bench{i}(AsyncGeneratorProvider, ProviderModelMixin):
    url = "http://127.0.0.1/bench{i}"
    default_model = "bench-{i}-large"
    models = ["bench-{i}-large", "bench-{i}-small", "shared-bench-model"]
    model_aliases = {{"b{i}": "bench-{i}-large"}}

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        yield model


@hookimpl
def register_providers():
    return [Bench{i}]
"""


def make_site(root: Path, count: int, import_ms: float) -> None:
    """Write ``count`` plugin distributions into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        module = f"bench_plugin_{i}"
        (root / f"{module}.py").write_text(PLUGIN.format(i=i, seconds=import_ms / 1000))
        info = root / f"bench_plugin_{i}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: bench-plugin-{i}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[providerhub]\nbench{i} = {module}\n")


def timed(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - start


def measure(count: int, rounds: int, import_ms: float, model: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        make_site(site, count, import_ms)
        env = {**os.environ, "PYTHONPATH": str(site), "PROVIDERHUB_CACHE_DIR": str(Path(tmp) / "cache")}
        env.pop("PROVIDERHUB_NO_CACHE", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # installed code runs from bytecode; so do the plugins here
        resolve = RESOLVE.format(model=model)
        # Warm both sides: bytecode compiled, the model index written and settled.
        for _ in range(3):
            timed(FLOOR, env)
            timed(resolve, env)
        check = json.loads(
            subprocess.run(
                [sys.executable, "-c", CHECK.format(model=model)], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        floors, ours, ratios = [], [], []
        for i in range(rounds):
            pair = [(FLOOR, floors), (resolve, ours)]
            if i % 2:
                pair.reverse()
            for code, into in pair:
                into.append(timed(code, env))
            ratios.append(ours[-1] / floors[-1])
        no_cache = {**env, "PROVIDERHUB_NO_CACHE": "1"}
        full = [timed(resolve, no_cache) for _ in range(max(3, rounds // 5))]
    return {
        "plugins": count + 1,
        "floor_ms": statistics.median(floors) * 1000,
        "resolve_ms": statistics.median(ours) * 1000,
        "ratio": statistics.median(ratios),
        "no_index_ms": statistics.median(full) * 1000,
        **check,
    }


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugins", type=int, nargs="+", default=[0, 50, 200], help="extra plugins beside Dynaspark")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--import-ms", type=float, default=2.0, help="import cost of each extra plugin")
    parser.add_argument("--model", default="gemini-1.5-flash")
    args = parser.parse_args(argv)
    rows = []
    print(f"{'plugins':>7}  {'floor ms':>8}  {'resolve ms':>10}  {'ratio':>5}  {'no-index ms':>11}  imported")
    for count in args.plugins:
        row = measure(count, args.rounds, args.import_ms, args.model)
        rows.append(row)
        imported = len(row["plugins_imported"])  # type: ignore[arg-type]
        print(
            f"{row['plugins']:>7}  {row['floor_ms']:>8.1f}  {row['resolve_ms']:>10.1f}  {row['ratio']:>5.2f}  "
            f"{row['no_index_ms']:>11.1f}  {imported} extra plugin(s) imported, "
            f"aiohttp {'imported' if row['aiohttp_imported'] else 'not imported'}"
        )
    return rows


if __name__ == "__main__":
    main()
