"""A redis-server of one's own on a free port, for what kills or restarts Redis (the shared one at
DUET_TEST_REDIS_URL is everyone's): the tests of a Redis restart, and bench/chaos.py.

No persistence: a restart comes back empty, as a Redis that lost its memory does.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.support.prerequisites import missing
from tests.support.subprocesses import stop_process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnRedis:
    def __init__(self, log_path: Path | None = None) -> None:
        self.port = _free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it answers PING."""
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
                + ["--appendonly", "no", "--protected-mode", "no"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            if not isinstance(log, int):
                log.close()
        deadline = time.monotonic() + 20
        while not self.answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.02)

    def answers(self) -> bool:
        with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
        return False

    def kill(self) -> None:
        """SIGKILL: what it held is gone, and its clients' connections break."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def restart(self, down_seconds: float = 0.0) -> None:
        """Kill it, leave it down for ``down_seconds`` (long enough for its clients' own retries
        to give up), start it again, empty."""
        self.kill()
        time.sleep(down_seconds)
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=10)


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    """For tests: a private Redis, stopped at the end (skipped, or failed in CI, without it)."""
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed (Debian: redis-server)")
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
