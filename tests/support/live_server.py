"""A real `duet serve` process on a free port, started and stopped by tests.

The server is ready when it prints that it listens: the test waits on that line (with a deadline),
never on a sleep. Its log is kept so a failing test can show it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

READY_MARK = "Uvicorn running on"
LIVE_SECRET = "live-test-secret-" + "y" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http") :]

    def log(self) -> str:
        return "".join(self.lines)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing: what a crash looks like."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def server_env(
    var_dir: Path, database_url: str, port: int, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUET_") or k.startswith("DUET_TEST_")}
    env.update(
        {
            "DUET_VAR_DIR": str(var_dir),
            "DUET_DATABASE_URL": database_url,
            "DUET_SECRET_KEY": LIVE_SECRET,
            "DUET_PORT": str(port),
            "DUET_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    env.update(extra or {})
    return env


@contextmanager
def live_server(
    var_dir: Path,
    database_url: str,
    *,
    port: int | None = None,
    extra_env: Mapping[str, str] | None = None,
    startup_timeout: float = 60.0,
) -> Iterator[LiveServer]:
    port = port or free_port()
    env = server_env(var_dir, database_url, port, extra_env)
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    server = LiveServer(url=f"http://127.0.0.1:{port}", port=port, process=process)
    ready = threading.Event()

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            server.lines.append(line)
            if READY_MARK in line:
                ready.set()
        ready.set()  # the process ended: stop waiting

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not ready.wait(startup_timeout) or process.poll() is not None:
            raise RuntimeError(f"duet serve did not start:\n{server.log()}")
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        reader.join(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
