"""The commonest plain invocations (``--version``, ``models``, ``resolve MODEL``) parsed without
argparse: what argparse would give for them, without the import and parser building that cost a
listing a tenth of its start. Anything else, even a flag more, goes to ``_parser``."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

_TOP = {"version": False, "debug": False}


def quick(argv: Sequence[str]) -> SimpleNamespace | None:
    """The arguments argparse would parse from ``argv``, or ``None`` when ``argv`` is not one of the
    plain forms (a test holds the two to the same result)."""
    if list(argv) == ["--version"]:
        return SimpleNamespace(version=True, debug=False, command=None)
    if list(argv) == ["models"]:
        return SimpleNamespace(
            **_TOP, command="models", json=False, provider=None, vision=False, options=False, run="_listing:cmd_models"
        )
    if len(argv) == 2 and argv[0] == "resolve" and not argv[1].startswith("-"):
        return SimpleNamespace(
            **_TOP, command="resolve", json=False, model=argv[1], image=None, run="_listing:cmd_resolve"
        )
    return None
