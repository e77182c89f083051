"""Read a content folder into memory (``path -> bytes``), bounded: a challenge is small text."""

from __future__ import annotations

from pathlib import Path

from server.hiring.problems import ContentInvalid, ContentProblem

MAX_FILES = 300
MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 8 * 1024 * 1024
#: Left out wherever they are: editor and tool litter, never content.
SKIPPED = frozenset({"__pycache__", ".DS_Store", ".pytest_cache", "node_modules", ".git"})


def read_folder(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` (symlinks refused: content is plain files)."""
    files: dict[str, bytes] = {}
    total = 0
    problems: list[ContentProblem] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in SKIPPED for part in relative.parts):
            continue
        name = relative.as_posix()
        if path.is_symlink():
            problems.append(ContentProblem(name, None, "a symbolic link: content must be plain files"))
            continue
        if path.is_dir():
            continue
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(ContentProblem(name, None, f"{size} bytes: a file is at most {MAX_FILE_BYTES}"))
            continue
        total += size
        files[name] = path.read_bytes()
    if len(files) > MAX_FILES:
        problems.append(ContentProblem(".", None, f"{len(files)} files: a challenge has at most {MAX_FILES}"))
    if total > MAX_TOTAL_BYTES:
        problems.append(ContentProblem(".", None, f"{total} bytes: a challenge is at most {MAX_TOTAL_BYTES}"))
    if problems:
        raise ContentInvalid(problems)
    return files
