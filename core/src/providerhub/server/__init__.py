"""providerhub's OpenAI-compatible HTTP gateway (the ``providerhub[server]`` extra; needs aiohttp).

``providerhub serve`` runs it; ``create_app(Settings(), hub)`` gives the aiohttp application for
embedding, serving a ``providerhub.Hub`` of one's own if given. ``import providerhub`` never imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._settings import Settings

if TYPE_CHECKING:
    from aiohttp import web

    from .._hub import Hub

__all__ = ["Settings", "create_app", "serve"]


def create_app(settings: Settings | None = None, hub: Hub | None = None) -> web.Application:
    """The gateway as an aiohttp application, serving ``hub`` (default: ``providerhub.default_hub()``)."""
    from ._app import create_app as create

    return create(settings or Settings(), hub)


def serve(settings: Settings | None = None) -> int:
    """Run the server until SIGTERM or SIGINT; the exit status."""
    from ._process import serve as run

    return run(settings or Settings())
