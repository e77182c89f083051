"""Language identifiers shared by the editor, the session model and the execution runtimes."""

from __future__ import annotations

from typing import Final

#: Every language a session may be created with (the editor highlights each of them).
LANGUAGES: Final[tuple[str, ...]] = (
    "python",
    "javascript",
    "typescript",
    "java",
    "c",
    "cpp",
    "go",
    "ruby",
    "rust",
    "php",
    "bash",
    "sql",
    "plaintext",
)

#: The file a new session starts with, per language.
MAIN_FILES: Final[dict[str, str]] = {
    "python": "main.py",
    "javascript": "main.js",
    "typescript": "main.ts",
    "java": "Main.java",
    "c": "main.c",
    "cpp": "main.cpp",
    "go": "main.go",
    "ruby": "main.rb",
    "rust": "main.rs",
    "php": "main.php",
    "bash": "main.sh",
    "sql": "main.sql",
    "plaintext": "notes.txt",
}


def is_known(language: str) -> bool:
    return language in LANGUAGES
