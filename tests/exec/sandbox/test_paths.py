"""What a run's files may be, checked before anything is written (server/exec/sandbox/paths.py)."""

from __future__ import annotations

import pytest

from server.errors import InvalidInput
from server.exec.sandbox import Limits, check_files


def test_paths_no_work_directory_can_hold_are_refused_before_anything_is_written() -> None:
    for files, why in (
        ({"a": b"", "a/b": b""}, "both a file and a folder"),
        ({"src/a": b"", "src/a/b/c": b""}, "both a file and a folder"),
        ({"é" * 130: b""}, "255 bytes"),
        ({"\ud800.py": b""}, "not a valid file name"),
    ):
        with pytest.raises(InvalidInput, match=why):
            check_files(files, Limits())
    check_files({"a/b": b"", "a/c": b"", "ab": b""}, Limits())  # siblings and prefixes are fine
