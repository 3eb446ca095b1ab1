"""``providerhub serve`` in a subprocess on a free loopback port, for tests that talk HTTP to it.

The server is started with ``--port 0``; its "serving on URL" line tells where it listens.
Everything it writes to stderr (the access log) is kept in ``lines``.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from support.processes import script

_SERVING = re.compile(r"serving on (http://\S+?)[\s\"]")


class Gateway:
    """A running server: its ``url`` (``http://127.0.0.1:PORT``), the process and its stderr lines."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], *, start_timeout: float = 30):
        self.argv = list(argv)
        self.lines: list[str] = []
        self.url = ""
        self._seen = threading.Condition()
        self.proc = subprocess.Popen(
            self.argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self._reader = threading.Thread(target=self._read, name="gateway-stderr", daemon=True)
        self._reader.start()
        line = self.wait_for_line(_SERVING, start_timeout)
        found = _SERVING.search(line + " ")
        assert found is not None
        self.url = found.group(1)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def wait_for_line(self, pattern: re.Pattern[str] | str, timeout: float = 10) -> str:
        """The first stderr line matching ``pattern``, waiting up to ``timeout`` seconds for it."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for line in self.lines:
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no stderr line matched {regex.pattern!r}; got:\n" + "\n".join(self.lines))
                self._seen.wait(min(left, 0.1))

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the server and wait for it to exit; its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        self._reader.join(5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        return code

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.stop()
        elif self.proc.stderr is not None and not self.proc.stderr.closed:
            self._reader.join(5)
            self.proc.stderr.close()


def serve(*flags: str, env: dict[str, str], module: bool = False) -> Gateway:
    """Start ``providerhub serve --port 0 FLAGS`` (or ``python -m providerhub serve``) and wait until it listens."""
    command = [sys.executable, "-m", "providerhub"] if module else [script()]
    return Gateway([*command, "serve", "--port", "0", *flags], env)
