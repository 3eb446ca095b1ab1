"""providerhub's OpenAI-compatible HTTP gateway (the ``providerhub[server]`` extra; needs aiohttp).

``providerhub serve`` runs it; ``create_app(Settings())`` gives the aiohttp application for
embedding. ``import providerhub`` never imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["Settings", "create_app", "serve"]


def create_app(settings: Settings | None = None) -> web.Application:
    """The gateway as an aiohttp application."""
    from .app import create_app as create

    return create(settings or Settings())


def serve(settings: Settings | None = None) -> int:
    """Run the server until SIGTERM or SIGINT; the exit status."""
    from .process import serve as run

    return run(settings or Settings())
