"""The user's own files (keys, conversations, the model index's folder): where they live, read within a bound,
written whole and private."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping


def config_dir(environ: Mapping[str, str] = os.environ) -> str:
    """``providerhub`` in the platform's user configuration directory (``$XDG_CONFIG_HOME`` or ``~/.config``)."""
    return _user_dir(
        environ, ("APPDATA", "~\\AppData\\Roaming"), "~/Library/Application Support", ("XDG_CONFIG_HOME", "~/.config")
    )


def data_dir(environ: Mapping[str, str] = os.environ) -> str:
    """``providerhub`` in the platform's user data directory (``$XDG_DATA_HOME`` or ``~/.local/share``)."""
    return _user_dir(
        environ,
        ("LOCALAPPDATA", "~\\AppData\\Local"),
        "~/Library/Application Support",
        ("XDG_DATA_HOME", "~/.local/share"),
    )


def cache_dir(environ: Mapping[str, str] = os.environ) -> str:
    """``providerhub`` in the platform's user cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    return _user_dir(environ, ("LOCALAPPDATA", "~\\AppData\\Local"), "~/Library/Caches", ("XDG_CACHE_HOME", "~/.cache"))


def _user_dir(environ: Mapping[str, str], windows: tuple[str, str], darwin: str, xdg: tuple[str, str]) -> str:
    """``providerhub`` in one of the platform's user folders: (variable, default) on Windows and XDG."""
    if sys.platform == "win32":
        base = environ.get(windows[0]) or os.path.expanduser(windows[1])
    elif sys.platform == "darwin":
        base = os.path.expanduser(darwin)
    else:
        base = _xdg(environ, *xdg)
    return os.path.join(base, "providerhub")


def _xdg(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name, "")
    return value if os.path.isabs(value) else os.path.expanduser(default)  # the XDG rule: relative is ignored


class TooLarge(ValueError):
    """The file holds more than the caller's bound."""


def read_capped(path: str, limit: int) -> bytes | None:
    """A regular file's bytes, ``None`` when it does not exist.

    A FIFO, device or directory is refused (``OSError``) without blocking on it; more than
    ``limit`` bytes is ``TooLarge``. Other failures are the ``OSError`` as raised.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(0, "not a regular file", path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        data = f.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"{path} is larger than {limit:,} bytes")
    return data


def write_private(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, readable by the user alone (mode 0600, folder 0700).

    Readers see the old file or the new one, never a mix; a failure leaves the old file as it was.
    """
    import tempfile  # only when writing: a start that reads needs none of it (nor contextlib below)

    folder = os.path.dirname(path) or "."
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)  # created 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove(path: str) -> bool:
    """Delete ``path``; whether there was one."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
