"""Small challenge folders written into a temporary directory, and the repository's library."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

#: The library shipped in the repository (validated in CI by tests/hiring/test_library.py).
LIBRARY = Path(__file__).resolve().parents[2] / "assessments"

ADD_YAML = """\
id: add
title: Add two numbers
type: code
difficulty: easy
languages: [python]
scoring:
  type: tests
  weights:
    test_negative: 3
files:
  - path: helpers.py
    access: read-only
  - path: secret_*.txt
    access: hidden
ignore_at_submission: ["test_*.py", "conftest.py"]
"""

ADD_FILES: dict[str, str] = {
    "challenge.yaml": ADD_YAML,
    "instructions.md": "# Add\n\nWrite `add(a, b)`.\n",
    "python/starter/main.py": "from helpers import check\n\n\ndef add(a, b):\n    return 0\n",
    "python/starter/helpers.py": "def check(value):\n    return value\n",
    "python/starter/secret_numbers.txt": "40 2\n",
    "python/solution/main.py": "from helpers import check\n\n\ndef add(a, b):\n    return check(a + b)\n",
    "python/sample/test_main.py": "from main import add\n\n\ndef test_small():\n    assert add(1, 2) == 3\n",
    "python/submission/test_main.py": (
        "from main import add\n\n\n"
        "def test_small():\n    assert add(1, 2) == 3\n\n\n"
        "def test_negative():\n    assert add(-1, -2) == -3\n\n\n"
        "def test_hidden_file():\n"
        "    a, b = map(int, open('secret_numbers.txt').read().split())\n"
        "    assert add(a, b) == 42\n"
    ),
}

ECHO_YAML = """\
id: echo-sum
title: Sum the numbers
type: code
difficulty: easy
languages: [python]
scoring:
  type: io
  compare: {mode: numeric, tolerance: 0.001}
  weights: {big: 2}
"""

ECHO_FILES: dict[str, str] = {
    "challenge.yaml": ECHO_YAML,
    "instructions.md": "# Sum\n\nPrint the sum of the numbers on stdin.\n",
    "python/starter/main.py": "print(0)\n",
    "python/solution/main.py": "import sys\nprint(sum(float(x) for x in sys.stdin.read().split()))\n",
    "cases/sample/one.in": "1 2\n",
    "cases/sample/one.out": "3\n",
    "cases/submission/zero.in": "\n",
    "cases/submission/zero.out": "0\n",
    "cases/submission/big.in": "0.1 0.2 1000000\n",
    "cases/submission/big.out": "1000000.3\n",
}


def write_folder(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def as_bytes(files: Mapping[str, str]) -> dict[str, bytes]:
    return {name: content.encode() for name, content in files.items()}
