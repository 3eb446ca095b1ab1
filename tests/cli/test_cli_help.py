"""``providerhub --help``: every environment variable the core reads and every exit code, kept in step."""

from __future__ import annotations

import re
from pathlib import Path

import providerhub
from providerhub._cli import _status as cli_module
from providerhub._settings import ROUTING_ENVIRONMENT
from support.cli import CLI

README = Path(__file__).resolve().parents[2] / "README.md"


def variables_read_by_the_core() -> set[str]:
    """Every ``PROVIDERHUB_*`` name written in the installed core's source, its subpackages too."""
    names: set[str] = set()
    for source in Path(providerhub.__file__).parent.rglob("*.py"):
        names.update(re.findall(r"PROVIDERHUB_[A-Z][A-Z_]*[A-Z]", source.read_text()))
    return names


def test_help_lists_every_variable_the_core_reads(cli: CLI) -> None:
    result = cli.run("--help")
    assert result.returncode == 0
    found = variables_read_by_the_core()
    assert {"PROVIDERHUB_PLUGINS", "PROVIDERHUB_STRICT_PLUGINS", "PROVIDERHUB_MAX_IMAGE_BYTES"} <= found
    found.update(ROUTING_ENVIRONMENT.values())  # named by the settings' fields
    found.discard("PROVIDERHUB_TESTING_UNSET_KEY")  # the kit's variable that is never set, by design
    missing = sorted(name for name in found if name not in result.stdout)
    assert missing == []
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        assert name in result.stdout


def test_every_exit_code_is_in_the_help_and_the_readme(cli: CLI) -> None:
    codes = {value for name, value in vars(cli_module).items() if name.startswith("EXIT_") and isinstance(value, int)}
    assert codes == {0, 1, 2, 3, 4, 5, 74, 130, 141, 143}
    help_text = " ".join(cli.run("--help").stdout.split())
    listed = re.search(r"exit codes: (.*?)\.(?: |$)", help_text)
    assert listed is not None
    assert {int(code) for code in re.findall(r"(?:^|, )(\d+) ", listed.group(1))} == codes
    readme = README.read_text()
    table = readme[readme.index("| Exit code |") :].split("\n\n", 1)[0]
    assert {int(code) for code in re.findall(r"^\| (\d+) +\|", table, re.MULTILINE)} == codes


def test_each_verb_has_help(cli: CLI) -> None:
    for verb in ("plugins", "providers", "models", "resolve", "chat", "keys", "history", "config", "serve"):
        result = cli.run(verb, "--help")
        assert result.returncode == 0, verb
        assert result.stdout.startswith(f"usage: providerhub {verb}")
