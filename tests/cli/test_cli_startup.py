"""Start-up: the commonest commands parse without argparse, to the same arguments argparse gives, and
import no more than a warm resolve does."""

from __future__ import annotations

import subprocess
import sys

import pytest

from providerhub._cli._parser import parser
from providerhub._cli._quick import quick
from support.cli import CLI
from support.plugins import PluginSite, provider_source
from support.processes import HEAVY

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


IMPORTED = """if True:
    import sys
    started_with = set(sys.modules)
    from providerhub._cli import main
    code = main(sys.argv[1:])
    sys.stdout.write(f"\\n{code} {' '.join(sorted(set(sys.modules) - started_with))}\\n")
"""


@pytest.mark.parametrize("argv", [["resolve", "one-1"], ["models"], ["--version"]], ids=" ".join)
def test_a_plain_command_starts_without_argparse_asyncio_or_typing(
    argv: list[str], cli: CLI, plugin_site: PluginSite
) -> None:
    plugin_site.add("one", provider_source("One", ["one-1"]))
    env = cli.environ(PYTHONPATH=str(plugin_site.root), PROVIDERHUB_PLUGINS="one")
    for _ in range(2):  # the first start writes the model index, the second is served by it
        # a fresh interpreter is the point: which modules a start imports
        done = subprocess.run([sys.executable, "-c", IMPORTED, *argv], env=env, capture_output=True, text=True)
        assert (done.returncode, done.stderr) == (0, "")
    code, *imported = done.stdout.splitlines()[-1].split()
    assert code == "0"
    assert (plugin_site.modules["one"] in imported) == (argv[0] == "resolve")  # a listing imports no plugin
    assert [name for name in ("argparse", "asyncio", *HEAVY) if name in imported] == []
