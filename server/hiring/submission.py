"""The files a run of a code challenge gets, built from what the candidate wrote and what the
challenge holds. A submission keeps only the candidate's editable work: read-only and hidden files
come back from the challenge, paths ignored at submission (and every test file) are dropped, and
the hidden submission tests are written last, over anything of the same name."""

from __future__ import annotations

from collections.abc import Mapping

from server.hiring.access import access_of, ignored_at_submission
from server.hiring.challenge import LanguageFiles
from server.hiring.challenge_schema import CodeChallengeSpec


def candidate_work(
    spec: CodeChallengeSpec, files: LanguageFiles, written: Mapping[str, bytes]
) -> dict[str, bytes]:
    """What of ``written`` counts as the candidate's: editable paths not ignored at submission,
    not named like a test file of the challenge; everything else comes from the challenge."""
    tests = set(files.sample_tests) | set(files.submission_tests)
    own = {
        path: content
        for path, content in written.items()
        if access_of(spec, path) == "editable" and not ignored_at_submission(spec, path) and path not in tests
    }
    fixed = {file.path: file.content for file in files.starter if file.access != "editable"}
    return own | fixed


def submission_run_files(
    spec: CodeChallengeSpec, files: LanguageFiles, written: Mapping[str, bytes]
) -> dict[str, bytes]:
    """A scored test run: the candidate's work plus the hidden submission tests."""
    return candidate_work(spec, files, written) | dict(files.submission_tests)


def sample_run_files(
    spec: CodeChallengeSpec, files: LanguageFiles, written: Mapping[str, bytes]
) -> dict[str, bytes]:
    """An unscored sample run: the candidate's files as they are (their sample tests included,
    edited or not), read-only files restored; the sample tests when they deleted them. Hidden
    files are left out: the candidate sees this run's output, and their code could print them."""
    read_only = {file.path: file.content for file in files.starter if file.access == "read-only"}
    hidden = {file.path for file in files.starter if file.access == "hidden"}
    own = {path: content for path, content in written.items() if path not in hidden}
    return dict(files.sample_tests) | own | read_only
