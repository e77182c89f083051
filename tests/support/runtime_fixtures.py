"""Fixtures for tests that run code: the language catalogue and the real runtime rootfs (built
once, cached), registered for every test by tests/conftest.py (``pytest_plugins``)."""

from __future__ import annotations

import os
import shutil

import pytest

from server.exec.runtime.languages import LanguageCatalogue, load_catalogue
from server.exec.runtime.rootfs import RuntimeRootfs, build_rootfs, default_cache_dir
from tests.support.prerequisites import missing


@pytest.fixture(scope="session")
def catalogue() -> LanguageCatalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def runtime(catalogue: LanguageCatalogue) -> RuntimeRootfs:
    """The runtime rootfs in the machine's cache (the first build takes a minute or more)."""
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        missing("building the runtime rootfs needs root and debootstrap")
    if shutil.which("bwrap") is None:
        missing("bubblewrap is not installed")
    return build_rootfs(default_cache_dir(os.environ), catalogue=catalogue)
