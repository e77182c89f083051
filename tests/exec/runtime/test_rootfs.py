"""The runtime rootfs: content keys, apt sources, the real cached tree, concurrent builds."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from server.exec.runtime.languages import HARNESS_DIR, LanguageCatalogue, harness_files
from server.exec.runtime.rootfs import (
    AGENT_BINARY,
    AGENT_SOURCE,
    BASE_MANIFEST,
    MANIFEST,
    RUNNER_GID,
    RUNNER_UID,
    RuntimeRootfs,
    agent_source,
    base_key,
    build_rootfs,
    default_cache_dir,
    find_rootfs,
    prune_rootfs,
    rootfs_key,
)
from tests.support.prerequisites import missing


def test_keys_cover_packages_and_harness_files() -> None:
    harness = {"python/run.py": b"x"}
    assert base_key(["b", "a"]) == base_key(["a", "b"])
    assert base_key(["a"]) != base_key(["a", "b"])
    assert rootfs_key(["a"], harness) == rootfs_key(["a"], dict(harness))
    assert rootfs_key(["a"], harness) != rootfs_key(["a"], {"python/run.py": b"y"})
    assert rootfs_key(["a"], harness) != rootfs_key(["a", "b"], harness)
    assert rootfs_key(["a"], harness) == rootfs_key(["a"], harness, agent_source())
    assert rootfs_key(["a"], harness) != rootfs_key(["a"], harness, b"int main(void) { return 0; }")


def test_default_cache_dir() -> None:
    assert default_cache_dir({"DUET_RUNTIME_CACHE": "/x"}) == Path("/x")
    assert default_cache_dir({"HOME": "/home/u"}) == Path("/home/u/.cache/duet/rootfs")
    assert default_cache_dir({"HOME": "/h", "XDG_CACHE_HOME": "/c"}) == Path("/c/duet/rootfs")


@pytest.mark.bwrap
def test_built_rootfs_is_complete_and_small(runtime: RuntimeRootfs, catalogue: LanguageCatalogue) -> None:
    root = runtime.path
    manifest = json.loads((root / MANIFEST).read_text())
    assert manifest["key"] == runtime.key == root.name
    assert tuple(manifest["packages"]) == catalogue.packages() == runtime.packages
    assert set(runtime.versions) == set(catalogue.ids())
    assert all(v and "error" not in v and "(exit" not in v for v in runtime.versions.values()), (
        runtime.versions
    )
    assert runtime.versions["python"].startswith("Python 3.11")
    assert 500 * 2**20 < runtime.size_bytes < 2500 * 2**20
    assert f"runner:x:{RUNNER_UID}:{RUNNER_GID}:" in (root / "etc/passwd").read_text()
    assert (root / "work").is_dir() and (root / "results").is_dir()
    assert (root / "etc/hostname").read_text() == "sandbox\n"
    agent = root / AGENT_BINARY.lstrip("/")
    assert agent.is_file() and os.access(agent, os.X_OK)
    assert (root / AGENT_SOURCE.lstrip("/")).read_bytes() == agent_source()
    assert not (root / "etc/resolv.conf").exists()
    for name, content in harness_files().items():
        assert (root / HARNESS_DIR.lstrip("/") / name).read_bytes() == content
    assert not any((root / "usr/share/man").iterdir())
    assert not list((root / "var/lib/apt/lists").glob("*Packages*"))
    docs = {p.name for p in (root / "usr/share/doc").rglob("*") if p.is_file()}
    assert docs <= {"copyright"}
    assert find_rootfs(root.parent, catalogue) == replace(runtime, build_seconds=0.0)


@pytest.mark.bwrap
def test_concurrent_builds_share_one_result(
    runtime: RuntimeRootfs, catalogue: LanguageCatalogue, tmp_path: Path
) -> None:
    """Two builds at once into an empty cache (package layer pre-seeded): one builds, one waits."""
    base = f"base-{base_key(catalogue.packages())}"
    if tmp_path.stat().st_dev != runtime.path.stat().st_dev:
        missing("the pytest temp dir is on another file system than the rootfs cache: no hard links")
    subprocess.run(["cp", "-al", str(runtime.path.parent / base), str(tmp_path / base)], check=True)
    start = threading.Barrier(2)
    results: list[RuntimeRootfs] = []
    errors: list[BaseException] = []

    def build() -> None:
        start.wait(timeout=30)
        try:
            results.append(build_rootfs(tmp_path, catalogue=catalogue))
        except BaseException as exc:  # noqa: BLE001 (re-raised by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert errors == []
    assert len(results) == 2
    assert results[0].path == results[1].path == tmp_path / runtime.key
    assert sorted(r.build_seconds > 0 for r in results) == [False, True]
    assert not list(tmp_path.glob(".build-*"))
    again = build_rootfs(tmp_path, catalogue=catalogue)
    assert (again.path, again.build_seconds) == (results[0].path, 0.0)


def test_prune_keeps_the_current_tree_and_its_package_layer(tmp_path: Path) -> None:
    current = RuntimeRootfs(tmp_path / "cur", "cur", ("a",), {}, 1, 0.0)
    for name, manifest in (("cur", MANIFEST), ("old", MANIFEST), (f"base-{base_key(['a'])}", BASE_MANIFEST)):
        (tmp_path / name).mkdir()
        (tmp_path / name / manifest).write_text("{}")
    (tmp_path / "base-old").mkdir()
    (tmp_path / "base-old" / BASE_MANIFEST).write_text("{}")
    (tmp_path / ".build-x-1").mkdir()  # a build in progress
    (tmp_path / "unrelated").mkdir()
    (tmp_path / ".lock-cur").write_text("")
    removed = prune_rootfs(tmp_path, current)
    assert sorted(p.name for p in removed) == ["base-old", "old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".build-x-1", ".lock-cur", f"base-{base_key(['a'])}", "cur", "unrelated"]
    )
