"""Ending a child process politely, then for sure."""

from __future__ import annotations

import signal
import subprocess


def stop_process(
    process: subprocess.Popen[bytes], *, timeout: float, how: signal.Signals = signal.SIGTERM
) -> None:
    """Send ``how`` and wait up to ``timeout`` seconds; then SIGKILL and wait. Nothing if it has
    already ended."""
    if process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
