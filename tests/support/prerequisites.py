"""Tiers that need a real service: skipped with a reason locally, a failure when CI=true."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(reason: str) -> None:
    """A prerequisite is absent: fail in CI (a suite that skips what it should test is not green)."""
    if in_ci():
        pytest.fail(f"CI=true but a prerequisite is missing: {reason}")
    pytest.skip(reason)
