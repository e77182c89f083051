"""Per-file access of a code challenge's files, and the paths a submission never takes from the
candidate (tests a candidate writes never score)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from server.hiring.challenge_schema import Access, CodeChallengeSpec


def access_of(spec: CodeChallengeSpec, path: str) -> Access:
    """The first rule whose pattern matches ``path`` decides; unmatched files are editable."""
    for rule in spec.files:
        if fnmatchcase(path, rule.path):
            return rule.access
    return "editable"


def ignored_at_submission(spec: CodeChallengeSpec, path: str) -> bool:
    return any(fnmatchcase(path, pattern) for pattern in spec.ignore_at_submission)
