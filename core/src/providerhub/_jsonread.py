"""Decoding the core's own JSON files (the model index, the parsed configuration) without the ``json`` package.

Importing ``json`` imports ``re`` (and with it ``enum``, ``functools``, ...): on a start served by
the model index that is a fifth of the time. Its decoding is done by the C scanner ``json``
itself uses, called here directly; where that scanner is missing, ``json.loads`` does the work.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class _Options:
    """What ``json.loads`` passes its scanner by default: plain dicts, lists, ``int``, ``float``."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float  # "NaN", "Infinity", "-Infinity": what json.loads makes of them


def _scanner() -> Callable[[str, int], tuple[object, int]] | None:
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - an interpreter without the C accelerator
        return None
    # The stub types the settings as a scanner; json itself passes its JSONDecoder: any object with them.
    scan: Callable[[str, int], tuple[object, int]] = make_scanner(_Options())  # type: ignore[arg-type]
    return scan


_scan = _scanner()


def loads(text: str) -> object:
    """The one JSON value ``text`` holds (no space around it), as ``json.loads`` decodes it.

    Anything else is a ``ValueError`` (or ``RecursionError`` when nested too deeply), as ``json.loads`` raises.
    """
    if _scan is None:  # pragma: no cover - an interpreter without the C accelerator
        import json

        return json.loads(text)
    try:
        value, end = _scan(text, 0)
    except StopIteration:  # no value starts at 0
        raise ValueError("not a JSON document") from None
    if end != len(text):
        raise ValueError(f"not one JSON document: more after character {end}")
    return value
