"""Running the server: one process, or several sharing the port; graceful stop on SIGTERM/SIGINT.

With ``--workers N`` each worker is its own process listening on the same port with
``SO_REUSEPORT`` (the kernel spreads connections among them); this process only starts them,
forwards the stop signal and waits. On a stop signal a worker stops accepting connections and
lets answers in flight finish, for up to the shutdown timeout, before cutting them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from .._default import default_hub
from .._hub import Hub
from ..errors import ProviderHubError
from ._accesslog import notice
from ._settings import Settings

Ready = Callable[[str], None]


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _load(hub: Hub) -> None:
    """Discover plugins and import every provider before listening, so no request waits for either."""
    for provider in hub.list_providers():
        # a provider that cannot be resolved says why when a request asks for it
        with contextlib.suppress(ProviderHubError):
            hub.resolve(provider.name)


async def run_worker(settings: Settings, ready: Ready, *, reuse_port: bool = False) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully; ``ready`` gets the URL once listening."""
    from aiohttp import web

    from ._accesslog import AccessLogger
    from ._app import create_app

    hub = default_hub()
    _load(hub)
    runner = web.AppRunner(
        create_app(settings, hub),
        handle_signals=False,
        access_log_class=AccessLogger,
        access_log_format=settings.log_format,
        shutdown_timeout=settings.shutdown_timeout,
        handler_cancellation=True,  # a client that goes away stops its provider call
        keepalive_timeout=settings.read_timeout,  # an idle connection, or one sending headers slowly, is closed
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port or None, backlog=1024)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except NotImplementedError:  # Windows: a plain handler that wakes the loop
                signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
        host, port = runner.addresses[0][:2]
        ready(_url(host, port))
        await stop.wait()
        notice("stopping", settings.log_format, pid=os.getpid(), shutdown_timeout=f"{settings.shutdown_timeout:g}s")
    finally:
        await runner.cleanup()
        from ._accesslog import flush

        flush()


def _worker_main(settings: Settings, queue: Any) -> None:
    """A worker process: report the URL once listening, or the error that stopped it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent turns Ctrl-C into SIGTERM for each worker
    try:
        asyncio.run(run_worker(settings, lambda url: queue.put(("ready", url)), reuse_port=True))
    except OSError as exc:
        queue.put(("error", f"cannot listen on {_url(settings.host, settings.port)}: {exc.strerror or exc}"))
        sys.exit(1)
    except Exception as exc:
        queue.put(("error", f"{type(exc).__name__}: {exc}"))
        sys.exit(1)


def _reserve_port(settings: Settings) -> socket.socket:
    """A socket holding a free port in the ``SO_REUSEPORT`` group, for ``--port 0`` with several workers."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((settings.host, 0))
    return sock


def _supervise(settings: Settings) -> int:
    if not hasattr(socket, "SO_REUSEPORT"):
        notice("error: --workers needs SO_REUSEPORT, which this system lacks; use --workers 1", settings.log_format)
        return 2
    stopping: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    reserved = _reserve_port(settings) if settings.port == 0 else None
    if reserved is not None:
        settings = dataclasses.replace(settings, port=reserved.getsockname()[1])
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [
        context.Process(target=_worker_main, args=(settings, queue), name=f"providerhub-worker-{i}")
        for i in range(settings.workers)
    ]
    try:
        for worker in workers:
            worker.start()
        url = ""
        for _ in workers:
            while True:
                if stopping:
                    return _stop(workers, settings, 0)
                try:
                    kind, text = queue.get(timeout=0.2)
                    break
                except Exception:  # queue.Empty: check the workers are alive and wait on
                    if any(w.exitcode not in (None, 0) for w in workers):
                        try:  # the reason it reported, if any
                            kind, text = queue.get(timeout=1)
                        except Exception:
                            kind, text = "error", "a worker exited while starting"
                        break
            if kind == "error":
                notice(f"error: {text}", settings.log_format)
                return _stop(workers, settings, 1)
            url = text
        if reserved is not None:
            reserved.close()
            reserved = None
        notice(f"serving on {url}", settings.log_format, workers=settings.workers, pid=os.getpid())
        while not stopping:
            from multiprocessing.connection import wait

            wait([w.sentinel for w in workers], timeout=0.5)
            dead = [w for w in workers if w.exitcode is not None]
            if dead and not stopping:
                notice(
                    f"error: worker {dead[0].pid} exited with code {dead[0].exitcode}; stopping", settings.log_format
                )
                return _stop(workers, settings, 1)
        return _stop(workers, settings, 0)
    finally:
        if reserved is not None:
            reserved.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop(workers: list[Any], settings: Settings, code: int) -> int:
    for worker in workers:
        if worker.exitcode is None and worker.pid is not None:
            os.kill(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + settings.shutdown_timeout + 5
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.exitcode is None:
            worker.kill()
            worker.join()
    return code


def serve(settings: Settings) -> int:
    """Run ``providerhub serve`` until stopped; the exit status."""
    settings = dataclasses.replace(settings, created=int(time.time()))
    if not _is_loopback(settings.host) and settings.api_key is None:
        notice(
            f"warning: listening on {settings.host} without --api-key: anyone who can reach this machine can use "
            "your providers",
            settings.log_format,
        )
    if settings.workers > 1:
        return _supervise(settings)

    def ready(url: str) -> None:
        notice(f"serving on {url}", settings.log_format, workers=1, pid=os.getpid())

    try:
        asyncio.run(run_worker(settings, ready))
    except OSError as exc:
        notice(
            f"error: cannot listen on {_url(settings.host, settings.port)}: {exc.strerror or exc}", settings.log_format
        )
        return 1
    return 0
