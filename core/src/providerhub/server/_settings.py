"""What ``providerhub serve`` is told: the settings, their command-line flags and their defaults.

Standard library only: the command line builds its parser from this module without importing
aiohttp, so ``providerhub --help`` works without the ``[server]`` extra.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

MiB = 1024 * 1024
API_KEY_ENV = "PROVIDERHUB_API_KEY"
LOG_FORMATS = ("text", "json")
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": MiB}
_UNITS.update({"g": 1000**3, "gb": 1000**3, "gib": 1024 * MiB})


@dataclass(frozen=True)
class Settings:
    """One server's settings; every bound on what a request may hold or take is here."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body: int = 20 * MiB
    shutdown_timeout: float = 30.0
    log_format: str = "text"
    allow_remote_images: bool = False
    read_timeout: float = 30.0
    """Seconds a client may take to send a request's body; idle connections are closed after it too."""
    max_messages: int = 1000
    max_depth: int = 32
    """Deepest nesting of objects and arrays a request body may have."""
    max_images: int = 16
    max_image_bytes: int = 10 * MiB
    image_timeout: float = 10.0
    """Seconds a remote image may take to download (with ``allow_remote_images``)."""
    created: int = field(default=0, compare=False)
    """The ``created`` time stamp of listed models (the server's start time)."""


def parse_size(text: str) -> int:
    """A byte count such as ``1048576``, ``512KiB``, ``20MiB`` or ``1MB``."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = found.group(2).lower() if found else ""
    if not found or unit not in _UNITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (for example 1048576, 512KiB or 20MiB)")
    size = int(float(found.group(1)) * _UNITS[unit])
    if size < 1024:
        raise argparse.ArgumentTypeError(f"{text!r} is too small: give at least 1KiB")
    return size


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
        return value

    return convert


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535; 0 picks a free one)")
    return value


def _state_url(text: str) -> str:
    if not text.strip().startswith(("redis://", "rediss://", "unix://")):
        raise argparse.ArgumentTypeError(f"{text[:80]!r} is not a redis://, rediss:// or unix:// URL")
    return text.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` flags."""
    d = Settings()
    parser.add_argument("--host", default=d.host, help=f"address to listen on (default {d.host}: this machine only)")
    parser.add_argument("--port", type=_port, default=d.port, help=f"port (default {d.port}; 0 picks a free one)")
    parser.add_argument(
        "--workers",
        type=_positive(int),
        default=d.workers,
        metavar="N",
        help="processes sharing the port, one per core to use (default 1)",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"require 'Authorization: Bearer KEY' (not on /health*, /openapi.json; default: ${API_KEY_ENV})",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let web pages from ORIGIN call the API (repeatable; '*' for any; default none)",
    )
    parser.add_argument(
        "--max-body", type=parse_size, default=d.max_body, metavar="SIZE", help="largest request body (default 20MiB)"
    )
    parser.add_argument(
        "--shutdown-timeout",
        type=_positive(float),
        default=d.shutdown_timeout,
        metavar="SECONDS",
        help=f"on SIGTERM/SIGINT, how long answers in flight may take to finish (default {d.shutdown_timeout:g})",
    )
    parser.add_argument(
        "--read-timeout",
        type=_positive(float),
        default=d.read_timeout,
        metavar="SECONDS",
        help=f"how long a client may take to send its request; idle connections close too (default {d.read_timeout:g})",
    )
    parser.add_argument(
        "--state-url",
        type=_state_url,
        metavar="URL",
        help="share the router's failure counts and cooldowns with other processes through Redis at URL, "
        "e.g. redis://127.0.0.1:6379/0 (default: $PROVIDERHUB_STATE_URL; none: each process's own memory)",
    )
    parser.add_argument(
        "--log-format", choices=LOG_FORMATS, default=d.log_format, help="access log lines on stderr (default text)"
    )
    parser.add_argument(
        "--allow-remote-images",
        action="store_true",
        help="fetch http(s) image URLs (public addresses only, size-capped); default: data: URIs only",
    )


def from_args(args: argparse.Namespace) -> Settings:
    """Settings from parsed ``serve`` flags and the environment."""
    key = args.api_key if args.api_key is not None else os.environ.get(API_KEY_ENV)
    return Settings(
        host=args.host,
        port=args.port,
        workers=args.workers,
        api_key=(key or "").strip() or None,
        cors_origins=tuple(dict.fromkeys(o.strip().rstrip("/") for o in args.cors_origin if o.strip())),
        max_body=args.max_body,
        shutdown_timeout=args.shutdown_timeout,
        read_timeout=args.read_timeout,
        log_format=args.log_format,
        allow_remote_images=args.allow_remote_images,
    )
