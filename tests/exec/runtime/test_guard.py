"""The report guard's own pieces, on the host (its behaviour in a sandbox is tested through every
engine in tests/exec/engines/test_forged_reports.py)."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType

import pytest

from server.exec.reports.seal import REPORTER_KEY_LABEL, SEAL_FILE
from server.exec.runtime.languages import HARNESS_DIR, harness_root
from server.exec.runtime.languages.model import GUARD


def guard_module() -> ModuleType:
    path = harness_root() / "guard" / "guard.py"
    spec = importlib.util.spec_from_file_location("duet_guard", str(path))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "text", ["", "plain", 'quote " and \\ backslash', "tab\tnew\nline\x00nul\x7f", "é ü 中 😀", "\udc80"]
)
def test_its_json_strings_read_back_as_written(text: str) -> None:
    assert json.loads(guard_module().quote(text)) == text


def test_it_agrees_with_the_host() -> None:
    guard = guard_module()
    assert (guard.SEAL, guard.REPORTER_KEY_LABEL) == (SEAL_FILE, REPORTER_KEY_LABEL)
    assert GUARD[-1] == f"{HARNESS_DIR}/guard/guard.py"
