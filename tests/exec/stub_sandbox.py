"""TEMPORARY stand-in for the isolation engines (branch exec-engines) so the runtimes can be
tested before the real ``Sandbox`` lands: a bubblewrap invocation over the runtime rootfs with the
same contract (read-only root, writable /work, fresh host-created /results when collecting,
tmpfs /tmp, non-root uid, no network). Replace with the real engine once it is on main.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from server.exec.languages import RESULTS_DIR, WORK_DIR, Language, Mode
from server.exec.rootfs import RUNNER_GID, RUNNER_UID

MAX_COLLECTED_BYTES = 4 * 1024 * 1024


@dataclass
class StepOutcome:
    name: str
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class Outcome:
    steps: list[StepOutcome] = field(default_factory=list)
    collected: dict[str, bytes] = field(default_factory=dict)

    @property
    def status(self) -> str:
        last = self.steps[-1]
        if last.exit_code == 0:
            return "ok"
        return "compile_error" if last.name == "compile" else "runtime_error"

    @property
    def stdout(self) -> str:
        return self.steps[-1].stdout

    @property
    def stderr(self) -> str:
        return self.steps[-1].stderr


def run_language(
    rootfs: Path,
    language: Language,
    files: Mapping[str, str],
    *,
    mode: Mode = "run",
    stdin: str = "",
    timeout: float = 120.0,
) -> Outcome:
    """Write ``files`` into a fresh work dir, run the language's steps, collect /results."""
    outcome = Outcome()
    with (
        tempfile.TemporaryDirectory(prefix="duet-work-") as work,
        tempfile.TemporaryDirectory(prefix="duet-results-") as results,
    ):
        for name, content in files.items():
            target = Path(work) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        for step in language.steps(mode):
            done = _bwrap(
                rootfs,
                language,
                step.argv,
                Path(work),
                Path(results) if mode == "test" else None,
                stdin,
                timeout,
            )
            outcome.steps.append(StepOutcome(step.name, done.returncode, done.stdout, done.stderr))
            if done.returncode != 0 and step.name == "compile":
                break
        if mode == "test":
            outcome.collected = collect(Path(results))
    return outcome


def _bwrap(
    rootfs: Path,
    language: Language,
    argv: Sequence[str],
    work: Path,
    results: Path | None,
    stdin: str,
    timeout: float,
) -> subprocess.CompletedProcess[str]:
    command = [
        "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--uid",
        str(RUNNER_UID),
        "--gid",
        str(RUNNER_GID),
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        str(rootfs),
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--bind",
        str(work),
        WORK_DIR,
    ]
    if results is not None:
        command += ["--bind", str(results), RESULTS_DIR]
    command += ["--chdir", WORK_DIR, "--clearenv"]
    for key, value in language.environment().items():
        command += ["--setenv", key, value]
    command += ["--", *argv]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)


def collect(directory: Path) -> dict[str, bytes]:
    """Regular files directly in ``directory``: never follows a symlink, caps each file."""
    found: dict[str, bytes] = {}
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for name in os.listdir(dir_fd):  # noqa: PTH208 (a directory fd, not a path)
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
            except OSError:
                continue  # a symlink (ELOOP) or gone
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    with os.fdopen(fd, "rb", closefd=False) as handle:
                        data = handle.read(MAX_COLLECTED_BYTES + 1)
                    if len(data) <= MAX_COLLECTED_BYTES:
                        found[name] = data
            finally:
                os.close(fd)
    finally:
        os.close(dir_fd)
    return found
