"""Dynaspark for providerhub: Gemini Flash models through the Dynaspark web service."""

from __future__ import annotations

from providerhub import BaseProvider, hookimpl

from .provider import Dynaspark

__version__ = "0.1.0"

__all__ = ["Dynaspark", "__version__", "register_providers"]


@hookimpl
def register_providers() -> list[type[BaseProvider]]:
    """The providers this plugin adds: ``Dynaspark``."""
    return [Dynaspark]
