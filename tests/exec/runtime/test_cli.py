"""`duet runtime build` and `duet runtime dockerfile` through the real CLI entry point."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.cli import main
from server.exec.runtime.rootfs import RuntimeRootfs

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DUET_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DUET_VAR_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)


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
