"""``serve``: the OpenAI-compatible HTTP server (aiohttp, from the ``server`` extra, imported to run it)."""

from __future__ import annotations

import os

from ._output import Context
from ._status import UsageError


def cmd_serve(ctx: Context) -> int:
    try:
        from aiohttp import web  # noqa: F401
    except ImportError:
        raise UsageError("the server needs aiohttp: pip install 'providerhub[server]'") from None
    from providerhub.server import serve
    from providerhub.server._settings import from_args

    if ctx.args.state_url:  # read by each worker's default hub, as if set by the user
        os.environ["PROVIDERHUB_STATE_URL"] = ctx.args.state_url
    return serve(from_args(ctx.args))
