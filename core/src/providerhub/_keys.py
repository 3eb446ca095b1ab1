"""The key store: providers' keys kept in one private file, by provider name.

The file is ``keys.json`` in the user configuration directory, a JSON object mapping provider
names to keys, written whole (mode 0600) on every change. A process reads it once, on the first
key lookup; ``forget()`` makes the next lookup read it again.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Mapping

from ._userfiles import TooLarge, config_dir, read_capped, remove, write_private
from .errors import UserFileError
from .http import getenv

FILENAME = "keys.json"
MAX_BYTES = 256 * 1024
"""A key file larger than this is refused: it holds a few short keys, not data."""
MAX_KEY_CHARS = 16 * 1024
_BAD_KEY = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")  # a key travels in a header: no spaces or line breaks
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f]")

_lock = threading.Lock()
_loaded: tuple[str, dict[str, str]] | None = None
"""The file read by this process, and what it held."""


# What the key file's place depends on: the configuration folder's variables and the home folder's.
_PLACE_VARIABLES = (
    ("APPDATA", "USERPROFILE", "HOMEDRIVE", "HOMEPATH") if sys.platform == "win32" else ("XDG_CONFIG_HOME", "HOME")
)
_place: tuple[tuple[str | None, ...], str] | None = None
"""The variables' values when the key file's place was last worked out, and that place."""


def path() -> str:
    """Where the key file is, or would be: worked out again when a variable it depends on changed
    (a key lookup asks at every call)."""
    global _place
    values = tuple(map(getenv, _PLACE_VARIABLES))
    known = _place
    if known is None or known[0] != values:
        known = _place = (values, os.path.join(config_dir(), FILENAME))
    return known[1]


def check_key(key: str, name: str) -> str:
    """``key`` without surrounding whitespace, or a ``ValueError`` saying why it cannot be a key."""
    key = key.strip()
    if not key:
        raise ValueError(f"the key for {name} is empty")
    if len(key) > MAX_KEY_CHARS:
        raise ValueError(f"the key for {name} is longer than {MAX_KEY_CHARS:,} characters")
    if _BAD_KEY.search(key):
        raise ValueError(f"the key for {name} holds spaces or control characters")
    return key


def check_name(name: str) -> str:
    """A provider name fit to store a key under, or a ``ValueError``."""
    if not name.strip() or name != name.strip() or len(name) > 200 or _BAD_NAME.search(name):
        raise ValueError(f"{name[:80]!r} is not a provider name")
    return name


def load(file: str | None = None) -> dict[str, str]:
    """The keys stored in ``file`` (default: ``path()``); none when it does not exist.

    A file that cannot be read, is too large, or is not a JSON object of names to keys is a
    ``UserFileError`` naming it; the error never shows a key.
    """
    file = path() if file is None else file
    try:
        data = read_capped(file, MAX_BYTES)
    except TooLarge:
        raise UserFileError(f"key file {file} is larger than {MAX_BYTES:,} bytes", path=file) from None
    except OSError as exc:
        raise UserFileError(f"key file {file} cannot be read: {exc.strerror or exc}", path=file) from None
    if data is None:
        return {}
    try:
        stored = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested too deeply
        raise UserFileError(f"key file {file} is not valid JSON", path=file) from None
    if not isinstance(stored, dict):
        raise UserFileError(f"key file {file} must hold a JSON object of provider names to keys", path=file)
    for name, key in stored.items():
        if not isinstance(key, str):
            raise UserFileError(f"key file {file}: the key for {name[:80]!r} is not a string", path=file)
        try:
            check_name(name)
            check_key(key, repr(name[:80]))
        except ValueError as exc:
            raise UserFileError(f"key file {file}: {exc}", path=file) from None
    return stored


def save(keys: Mapping[str, str], file: str | None = None) -> None:
    """Write ``keys`` as the whole key file (mode 0600), in one step; then forget what was read."""
    file = path() if file is None else file
    data = (json.dumps(dict(sorted(keys.items())), indent=2) + "\n").encode("utf-8")
    if len(data) > MAX_BYTES:
        raise UserFileError(f"key file {file} would be larger than {MAX_BYTES:,} bytes", path=file)
    try:
        write_private(file, data)
    except OSError as exc:
        raise UserFileError(f"key file {file} cannot be written: {exc.strerror or exc}", path=file) from None
    forget()


def delete(file: str | None = None) -> bool:
    """Remove the key file; whether there was one."""
    try:
        return remove(path() if file is None else file)
    finally:
        forget()


def find(keys: Mapping[str, str], name: str) -> str | None:
    """The name ``keys`` holds for provider ``name``: the same name, else the same in another case."""
    if name in keys:
        return name
    folded = name.casefold()
    return next((stored for stored in keys if stored.casefold() == folded), None)


def stored_key(name: str) -> str | None:
    """The stored key for provider ``name`` (names match in any case), read from the file once per process."""
    global _loaded
    file = path()
    loaded = _loaded
    if loaded is None or loaded[0] != file:
        with _lock:
            if _loaded is None or _loaded[0] != file:
                _loaded = (file, load(file))
            loaded = _loaded
    keys = loaded[1]
    if not keys:
        return None
    found = find(keys, name)
    return None if found is None else keys[found]


def lookup(name: str, api_key_env: str | None) -> tuple[str, str] | None:
    """A provider's key and where it was found (``"file"`` or the variable's name), key file first."""
    key = stored_key(name)
    if key is not None:
        return key, "file"
    if api_key_env:
        value = os.environ.get(api_key_env, "").strip()
        if value:
            return value, api_key_env
    return None


def forget() -> None:
    """Drop what was read, so the next lookup reads the file again."""
    global _loaded
    with _lock:
        _loaded = None
