"""Shared pieces of the Dynaspark tests: a conversation and a refused endpoint."""

from __future__ import annotations

from providerhub import Messages
from support.net import closed_url

HELLO: Messages = [{"role": "user", "content": "Hello"}]


def closed_endpoint() -> str:
    """An endpoint URL on a loopback port that refuses connections."""
    return closed_url("/generate_response")
