"""The suite's own rules, checked on its source: test modules share helpers only through
tests/support/."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def python_files() -> Iterator[Path]:
    yield from sorted(TESTS.rglob("*.py"))


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def where(path: Path, node: ast.expr | ast.stmt) -> str:
    return f"{path.relative_to(TESTS.parent)}:{node.lineno}"


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
