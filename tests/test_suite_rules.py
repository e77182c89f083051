"""The suite's own rules, checked on its source: a missing prerequisite is never skipped around
the CI rule, and test modules share helpers only through tests/support/."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PREREQUISITES = TESTS / "support" / "prerequisites.py"
#: A direct skip that is right in CI too says so on its line, after this mark, with the reason.
LEGITIMATE_SKIP = "# skipped in CI too:"
#: What would hide a missing prerequisite from CI: the skips and expected failures of pytest.
SKIPPING = {"skip", "importorskip", "skipif", "xfail"}
PYTEST = {"pytest", "_pytest"}


def python_files() -> Iterator[Path]:
    yield from sorted(TESTS.rglob("*.py"))


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def where(path: Path, node: ast.expr | ast.stmt) -> str:
    return f"{path.relative_to(TESTS.parent)}:{node.lineno}"


def direct_skips(path: Path) -> list[str]:
    """``pytest.skip(...)``, ``pytest.importorskip``, ``pytest.mark.skip``/``skipif``/``xfail``,
    or any of them imported from pytest, without the mark of a skip that CI should see too."""
    lines = path.read_text().splitlines()
    found = []
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Attribute) and node.attr in SKIPPING and of_pytest(node.value):
            hit: ast.expr | ast.stmt = node
        elif isinstance(node, ast.ImportFrom) and (node.module or "").partition(".")[0] in PYTEST:
            if not any(alias.name in SKIPPING for alias in node.names):
                continue
            hit = node
        else:
            continue
        if LEGITIMATE_SKIP not in lines[hit.lineno - 1]:
            found.append(where(path, hit))
    return found


def of_pytest(node: ast.expr) -> bool:
    """``pytest`` or ``pytest.mark``."""
    if isinstance(node, ast.Attribute) and node.attr == "mark":
        node = node.value
    return isinstance(node, ast.Name) and node.id in PYTEST


def test_no_test_skips_a_prerequisite_itself() -> None:
    """Only ``missing(reason)`` skips (locally) or fails (CI=true) for a missing prerequisite."""
    found = [hit for path in python_files() if path != PREREQUISITES for hit in direct_skips(path)]
    assert found == [], (
        f"call tests.support.prerequisites.missing(reason) instead, or, for a skip that is right in "
        f"CI too, say why on the same line after {LEGITIMATE_SKIP!r}: {found}"
    )


def imported_modules(path: Path) -> Iterator[tuple[str, ast.stmt]]:
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            yield node.module, node
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node


def test_test_modules_share_helpers_only_through_support() -> None:
    """No module imports a test module or a conftest (fixtures reach tests by name, helpers
    live in tests/support/)."""
    found = [
        f"{where(path, node)} imports {module}"
        for path in python_files()
        for module, node in imported_modules(path)
        if module.startswith("tests.")
        and (module.rpartition(".")[2].startswith("test_") or module.rpartition(".")[2] == "conftest")
    ]
    assert found == []


def test_helpers_live_in_support() -> None:
    """Under tests/, a module outside tests/support/ is a test module, a conftest or a package."""
    loose = [
        str(path.relative_to(TESTS.parent))
        for path in python_files()
        if TESTS / "support" not in path.parents
        and not path.name.startswith("test_")
        and path.name not in {"conftest.py", "__init__.py"}
    ]
    assert loose == []
