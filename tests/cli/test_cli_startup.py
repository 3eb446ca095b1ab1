"""Start-up: the commonest commands parse without argparse, to the same arguments argparse gives."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from providerhub._cli._parser import parser
from providerhub._cli._quick import quick
from support.cli import CLI
from support.plugins import PluginSite, provider_source

PLAIN = [["--version"], ["models"], ["resolve", "gemini-1.5-flash"], ["resolve", "models"], ["resolve", ""]]


@pytest.mark.parametrize("argv", PLAIN, ids=" ".join)
def test_a_plain_command_parses_as_argparse_parses_it(argv: list[str]) -> None:
    fast = quick(argv)
    assert fast is not None
    assert vars(fast) == vars(parser(argv).parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [[], ["models", "--json"], ["--debug", "models"], ["resolve"], ["resolve", "-h"], ["resolve", "a", "b"], ["chat"]],
    ids=" ".join,
)
def test_anything_else_goes_to_argparse(argv: list[str]) -> None:
    assert quick(argv) is None


def test_the_plain_commands_start_without_argparse_or_asyncio(cli: CLI, plugin_site: PluginSite) -> None:
    plugin_site.add("one", provider_source("One", ["one-1"]))
    code = """if True:
        import contextlib, io, json, sys
        from providerhub._cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            codes = [main(argv) for argv in (["resolve", "one-1"], ["models"], ["--version"])]
        print(json.dumps({"codes": codes, "loaded": sorted({"argparse", "asyncio"} & set(sys.modules))}))
    """
    env = cli.environ(PYTHONPATH=str(plugin_site.root), PROVIDERHUB_PLUGINS="one")
    # a fresh interpreter is the point: which modules a start imports
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"codes": [0, 0, 0], "loaded": []}
