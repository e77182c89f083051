"""`duet runtime build` and `duet runtime dockerfile` through the real CLI entry point."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from server.cli import main
from server.exec.runtime.rootfs import RuntimeRootfs

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("DUET_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DUET_VAR_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)
    with logging_restored():
        yield


@contextmanager
def logging_restored() -> Iterator[None]:
    """``main`` configures logging for the process (levels, a handler on this test's stderr):
    put back what it changed, so later tests see the records they expect."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in logging.root.manager.loggerDict)]
    saved = [(logger, logger.level, list(logger.handlers), logger.disabled) for logger in loggers]
    try:
        yield
    finally:
        for logger, level, handlers, disabled in saved:
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.disabled = disabled


@pytest.mark.usefixtures("cli_env")
def test_dockerfile_check_passes_and_detects_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["runtime", "dockerfile", "--check"]) == 0
    monkeypatch.chdir(tmp_path)
    assert main(["runtime", "dockerfile", "--check"]) == 1
    assert main(["runtime", "dockerfile"]) == 0
    assert (tmp_path / "docker/runtime.Dockerfile").read_text() == (
        ROOT / "docker/runtime.Dockerfile"
    ).read_text()
    assert main(["runtime", "dockerfile", "--check"]) == 0


@pytest.mark.bwrap
@pytest.mark.usefixtures("cli_env")
def test_runtime_build_reuses_the_cache_and_prints_the_path(
    runtime: RuntimeRootfs, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runtime", "build", "--cache-dir", os.fspath(runtime.path.parent)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{runtime.path}\n"
    assert "built in 0 s" in err
    assert "python      Python 3.11" in err
