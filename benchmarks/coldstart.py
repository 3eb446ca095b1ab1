"""Start-up: resolving one model in a fresh interpreter, against ``python -c pass`` and the entry-point scan.

Sides, each a fresh interpreter with the same ``sys.path``, environment and configuration file
(``providerhub.toml`` with a default model and a preference), alternating in rotated order:
- ``pass``: ``python -c pass``, the floor of any Python program (baseline of the warm start);
- ``resolve``: ``python -c 'from providerhub import get_provider; get_provider("gemini-1.5-flash")'``
  with the model index warm (baseline of the CLI rows);
- ``scan``: ``import pluggy, importlib_metadata; importlib_metadata.entry_points(group="providerhub")``;
- ``miss``: the same resolve with ``PROVIDERHUB_NO_CACHE=1``: the first start after an install
  (full discovery, every plugin imported), against the budget scan + imports + 0.3 ms a plugin,
  where a plugin's import is counted as its busy-wait alone;
- ``scan + load``: the scan, then ``ep.load()`` of every entry point: the same imports the miss
  does, so the miss is also compared with it plus 0.3 ms a plugin (a plugin's import costs more
  than its busy-wait: finding and reading the module, running its class body);
- ``cli resolve``/``cli models``/``cli --version``: the ``providerhub`` console script, against
  the ``python -c`` resolve (the target) and against the same work through the Python API (like
  for like: ``models``/``--version`` read every record, not one): ``api resolve``, ``api models``
  (``list_models()``), ``api plugins`` (``list_plugins()``). Where the installed script imports
  ``re`` before any providerhub code (the wrapper pip wrote before version 24.1), so do these;
  where it imports nothing more, ``api resolve`` is the ``resolve`` side itself, measured once.
Extra plugins are real dist-info folders in a temporary folder on ``PYTHONPATH``; each one's
module busy-waits ``--import-ms`` on import, as a plugin with its own SDK does.

Run: ``python benchmarks/coldstart.py [--plugins 1 1000] [--rounds 21]``
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
LOAD_ALL = (
    'import pluggy, importlib_metadata\nfor ep in importlib_metadata.entry_points(group="providerhub"): ep.load()'
)
RESOLVE = 'from providerhub import get_provider; get_provider("{model}")'
LIKE_CLI = {
    "api resolve": RESOLVE,
    "api models": "import providerhub; providerhub.list_models()",
    "api plugins": "import providerhub; providerhub.list_plugins()",
}
CLI_BASE = {"cli resolve": "api resolve", "cli models": "api models", "cli --version": "api plugins"}
CONFIG = 'default_model = "{model}"\nprefer = ["Dynaspark"]\n'
CHECK = """
import json, sys
from providerhub import get_provider
from providerhub import _default as hub
provider = get_provider("{model}")
print(json.dumps({{
    "provider": provider.__name__,
    "from_index": hub.registry().from_index,
    "plugins_imported": sorted(m for m in sys.modules if m.startswith("bench_plugin_")),
    **{{name: "yes" if name in sys.modules else "not" for name in ("pluggy", "importlib_metadata", "aiohttp")}},
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


def wrapper_imports(script: str) -> str:
    """What the console script's wrapper imports before providerhub, as code: ``import re; `` where
    pip wrote it (before version 24.1), else nothing."""
    with open(script, encoding="utf-8") as file:
        return "import re; " if "\nimport re\n" in file.read() else ""


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(count: int, rounds: int, import_ms: float, model: str, cli: bool) -> dict[str, object]:
    python = [sys.executable, "-c"]
    script = os.path.join(os.path.dirname(sys.executable), "providerhub")
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        make_site(site, count, import_ms)
        config = Path(tmp) / "providerhub.toml"
        config.write_text(CONFIG.format(model=model))
        env = {
            **os.environ,
            "PYTHONPATH": str(site),
            "PROVIDERHUB_CACHE_DIR": str(Path(tmp) / "cache"),
            "PROVIDERHUB_CONFIG": str(config),
        }
        for name in ("PROVIDERHUB_NO_CACHE", "PYTHONDONTWRITEBYTECODE", "PROVIDERHUB_PLUGINS", "PROVIDERHUB_PREFER"):
            env.pop(name, None)  # installed code runs from bytecode; so do the plugins here
        no_index = {**env, "PROVIDERHUB_NO_CACHE": "1"}
        resolve = RESOLVE.format(model=model)
        sides: dict[str, tuple[list[str], dict[str, str]]] = {
            "pass": ([*python, "pass"], env),
            "resolve": ([*python, resolve], env),
            "scan": ([*python, FLOOR], env),
            "miss": ([*python, resolve], no_index),
            "scan + load": ([*python, LOAD_ALL], env),
        }
        wrapper = ""
        same: dict[str, str] = {}  # a like-for-like side that is already a side (the resolve, without a wrapper)
        if cli:
            sides["cli resolve"] = ([script, "resolve", model], env)
            sides["cli models"] = ([script, "models"], env)
            sides["cli --version"] = ([script, "--version"], env)
            wrapper = wrapper_imports(script)
            for name, code in LIKE_CLI.items():
                side = ([*python, wrapper + code.format(model=model)], env)
                known = [other for other, value in sides.items() if value == side]
                if known:
                    same[name] = known[0]  # measured once, not twice as two sides
                else:
                    sides[name] = side
        for _ in range(2):  # bytecode compiled, the model index written and settled
            for command, environ in sides.values():
                timed(command, environ)
        check = json.loads(
            subprocess.run(
                [*python, CHECK.format(model=model)], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        times: dict[str, list[float]] = {name: [] for name in sides}
        order = list(sides)
        for i in range(rounds):
            for name in order[i % len(order) :] + order[: i % len(order)]:
                times[name].append(timed(*sides[name]))
        times |= {name: times[side] for name, side in same.items()}

    def ratio(name: str, base: str) -> float:
        return statistics.median(a / b for a, b in zip(times[name], times[base], strict=True))

    row: dict[str, object] = {"plugins": count, **check, "wrapper": wrapper}
    for name in times:
        row[f"{name} ms"] = statistics.median(times[name]) * 1000
    row["resolve / pass"] = ratio("resolve", "pass")
    budget = [scan + count * (import_ms + 0.3) / 1000 for scan in times["scan"]]
    row["miss budget ms"] = statistics.median(budget) * 1000
    row["miss / budget"] = statistics.median(m / b for m, b in zip(times["miss"], budget, strict=True))
    loaded = [load + count * 0.3 / 1000 for load in times["scan + load"]]
    row["miss / load budget"] = statistics.median(m / b for m, b in zip(times["miss"], loaded, strict=True))
    for name, like in CLI_BASE.items():
        if name in times:
            row[f"{name} / resolve"] = ratio(name, "resolve")
            row[f"{name} / {like}"] = ratio(name, like)
    return row


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugins", type=int, nargs="+", default=[1, 1000], help="extra plugins beside Dynaspark")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--import-ms", type=float, default=2.0, help="import cost of each extra plugin")
    parser.add_argument("--model", default="gemini-1.5-flash")
    parser.add_argument("--no-cli", action="store_true", help="leave out the console script rows")
    args = parser.parse_args(argv)
    rows = []
    for count in args.plugins:
        row = measure(count, args.rounds, args.import_ms, args.model, cli=not args.no_cli)
        rows.append(row)
        imported = len(row["plugins_imported"])  # type: ignore[arg-type]
        print(
            f"{count} extra plugins: pass {row['pass ms']:.1f} ms, warm resolve {row['resolve ms']:.1f} ms = "
            f"{row['resolve / pass']:.2f}x pass (from index: {row['from_index']}; {imported} extra plugin(s), "
            f"pluggy {row['pluggy']}, importlib_metadata {row['importlib_metadata']}, aiohttp {row['aiohttp']} "
            "imported)"
        )
        print(
            f"  miss (first start after an install) {row['miss ms']:.1f} ms; budget scan {row['scan ms']:.1f} ms "
            f"+ {count} x ({args.import_ms:g} + 0.3) ms = {row['miss budget ms']:.1f} ms: {row['miss / budget']:.2f}x"
        )
        print(
            f"  miss against scan + load of every plugin {row['scan + load ms']:.1f} ms + {count} x 0.3 ms: "
            f"{row['miss / load budget']:.2f}x"
        )
        for name, like in CLI_BASE.items():
            if f"{name} ms" in row:
                print(
                    f"  {name}: {row[f'{name} ms']:.1f} ms = {row[f'{name} / resolve']:.2f}x the python -c resolve; "
                    f"{row[f'{name} / {like}']:.2f}x python -c "
                    f"'{row['wrapper']}{LIKE_CLI[like].format(model=args.model)}' "
                    f"({row[f'{like} ms']:.1f} ms)"
                )
    return rows


if __name__ == "__main__":
    main()
