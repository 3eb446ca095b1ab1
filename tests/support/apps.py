"""Serving an aiohttp application on a free loopback port for the length of a block."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web


@contextlib.asynccontextmanager
async def serve_app(app: web.Application, *, shutdown_timeout: float = 0.5) -> AsyncIterator[str]:
    """``async with serve_app(app) as url:``, ``url`` being ``http://127.0.0.1:PORT``; closed on exit."""
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
