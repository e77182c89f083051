"""Fixtures for the runtimes: the registry and the real runtime rootfs (built once, cached)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from server.exec.languages import LanguageRegistry, load_registry
from server.exec.rootfs import RuntimeRootfs, build_rootfs, default_cache_dir
from tests.prerequisites import missing


@pytest.fixture(scope="session")
def registry() -> LanguageRegistry:
    return load_registry()


@pytest.fixture(scope="session")
def runtime(registry: LanguageRegistry) -> RuntimeRootfs:
    """The runtime rootfs in the machine's cache (the first build takes a minute or more)."""
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        missing("building the runtime rootfs needs root and debootstrap")
    if shutil.which("bwrap") is None:
        missing("bubblewrap is not installed")
    return build_rootfs(default_cache_dir(os.environ), registry=registry)


@pytest.fixture(scope="session")
def rootfs_path(runtime: RuntimeRootfs) -> Path:
    return runtime.path
