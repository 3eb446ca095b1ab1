"""``keys``: providers' keys kept in the user's private key file."""

from __future__ import annotations

import sys

from providerhub import _keys as keys
from providerhub.errors import ProviderNotFoundError, name_list

from ._listing import provider_named
from ._output import PROG, Context, isatty, printable, write_json
from ._status import EXIT_OK, UsageError, describe


def _provider_name_for_key(ctx: Context, name: str) -> str:
    """The registered provider's own spelling of ``name``; an unknown name is kept, with a warning."""
    try:
        keys.check_name(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        return provider_named(name).name
    except ProviderNotFoundError as exc:
        ctx.err.write(f"{PROG}: warning: the key is stored under {name!r}, but there is {describe(exc)}\n")
        return name


MAX_KEY_INPUT = 64 * 1024


def cmd_keys_set(ctx: Context) -> int:
    name = _provider_name_for_key(ctx, ctx.args.name)
    stored = keys.load()  # a damaged file is reported before a key is asked for
    if sys.stdin is not None and isatty(sys.stdin):
        import getpass

        try:
            key = getpass.getpass(f"Key for {name}: ", stream=ctx.err)
        except EOFError:
            key = ""
    else:
        if sys.stdin is None:
            raise UsageError("no key given and stdin is closed")
        try:
            key = sys.stdin.read(MAX_KEY_INPUT + 1)
        except UnicodeDecodeError:
            raise UsageError("stdin is not valid UTF-8 text") from None
    try:
        key = keys.check_key(key, name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    existing = keys.find(stored, name)
    if existing is not None:
        del stored[existing]
    stored[name] = key
    keys.save(stored)
    ctx.err.write(f"{PROG}: the key for {name} is stored in {keys.path()}\n")
    return EXIT_OK


def cmd_keys_list(ctx: Context) -> int:
    names = sorted(keys.load(), key=str.casefold)
    if ctx.args.json:
        write_json(names, ctx.out)
    elif not names:
        ctx.err.write(f"{PROG}: no keys are stored (in {keys.path()})\n")
    for name in names if not ctx.args.json else ():
        ctx.out.write(f"{printable(name)}\n")
    return EXIT_OK


def cmd_keys_path(ctx: Context) -> int:
    ctx.out.write(f"{keys.path()}\n")
    return EXIT_OK


def cmd_keys_remove(ctx: Context) -> int:
    stored = keys.load()
    name = keys.find(stored, ctx.args.name)
    if name is None:
        listed = f"; keys are stored for: {name_list(sorted(stored))}" if stored else ""
        raise ProviderNotFoundError(f"no key is stored for {ctx.args.name!r}{listed}")
    del stored[name]
    keys.save(stored)
    ctx.err.write(f"{PROG}: the key for {name} is removed\n")
    return EXIT_OK
