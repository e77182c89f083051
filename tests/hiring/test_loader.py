"""Loading a challenge folder: the layout, per-file access, content hashes, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.exec.runtime.languages import load_catalogue
from server.hiring.content_hash import content_hash
from server.hiring.folder import MAX_FILE_BYTES, read_folder
from server.hiring.loader import load_challenge
from server.hiring.problems import ContentInvalid
from tests.support.challenge_folders import ADD_FILES, ADD_YAML, ECHO_FILES, as_bytes, write_folder

CATALOGUE = load_catalogue()


def problems(files: dict[str, str]) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_challenge(as_bytes(files), CATALOGUE)
    return [str(problem) for problem in caught.value.problems]


def test_a_tests_challenge_loads_with_its_access_rules() -> None:
    challenge = load_challenge(as_bytes(ADD_FILES), CATALOGUE)
    python = challenge.languages["python"]
    assert {f.path: f.access for f in python.starter} == {
        "helpers.py": "read-only",
        "main.py": "editable",
        "secret_numbers.txt": "hidden",
    }
    assert python.reference_files()["main.py"].startswith(
        b"from helpers import check\n\n\ndef add(a, b):\n    return check"
    )
    assert set(python.sample_tests) == set(python.submission_tests) == {"test_main.py"}
    assert challenge.content_hash == content_hash(as_bytes(ADD_FILES))


def test_an_io_challenge_loads_its_cases() -> None:
    challenge = load_challenge(as_bytes(ECHO_FILES), CATALOGUE)
    assert [(c.name, c.sample, c.weight) for c in challenge.cases] == [
        ("one", True, 1.0),
        ("big", False, 2.0),
        ("zero", False, 1.0),
    ]
    assert [c.name for c in challenge.submission_cases()] == ["big", "zero"]


def test_missing_parts_are_each_reported() -> None:
    files = {k: v for k, v in ADD_FILES.items() if not k.startswith(("python/solution", "python/submission"))}
    found = problems(files | {"python/notes.txt": "?"})
    assert any(p.startswith("python/solution/: missing") for p in found)
    assert any(p.startswith("python/submission/test_main.py: missing") for p in found)
    assert any(p.startswith("python/notes.txt: not part of the challenge layout") for p in found)


def test_a_case_without_its_output_and_a_weight_for_no_case() -> None:
    files = {k: v for k, v in ECHO_FILES.items() if k != "cases/submission/big.out"}
    found = problems(files)
    assert "cases/submission/big: a case is a NAME.in and a NAME.out" in found
    assert "challenge.yaml: scoring.weights: no case named 'big'" in found


def test_schema_errors_come_with_the_file_and_line() -> None:
    found = problems(ADD_FILES | {"challenge.yaml": ADD_YAML.replace("type: tests", "type: magic")})
    assert found and all(p.startswith("challenge.yaml:7: ") for p in found)


def test_a_schema_error_and_missing_instructions_are_both_reported() -> None:
    files = {k: v for k, v in ADD_FILES.items() if k != "instructions.md"}
    found = problems(files | {"challenge.yaml": ADD_YAML.replace("type: tests", "type: magic")})
    assert found[-1] == "instructions.md: missing" and found[0].startswith("challenge.yaml:7: ")


def test_content_must_be_utf8_text() -> None:
    with pytest.raises(ContentInvalid, match="not UTF-8"):
        load_challenge(as_bytes(ADD_FILES) | {"python/starter/blob.bin": b"\xff\xfe"}, CATALOGUE)


def test_a_qa_challenge_has_no_other_files() -> None:
    spec = (
        "id: q\ntitle: Q\ntype: qa\nquestions:\n"
        "  - {id: a, kind: text, prompt: P, matchers: [{type: equals, pattern: x}]}\n"
    )
    found = problems({"challenge.yaml": spec, "instructions.md": "#", "python/starter/main.py": ""})
    assert found == ["python/starter/main.py: a Q&A challenge has no other files"]


def test_every_edit_changes_the_hash_and_nothing_else_does() -> None:
    base = as_bytes(ADD_FILES)
    assert content_hash(base) == content_hash(dict(reversed(list(base.items()))))
    edited = base | {"python/submission/test_main.py": base["python/submission/test_main.py"] + b"\n"}
    renamed = {
        ("python/starter/main2.py" if k == "python/starter/main.py" else k): v for k, v in base.items()
    }
    assert len({content_hash(base), content_hash(edited), content_hash(renamed)}) == 3
    # moving bytes between a name and a content is another folder
    assert content_hash({"ab": b"c"}) != content_hash({"a": b"bc"})


def test_reading_a_folder_skips_litter_and_refuses_links_and_huge_files(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "add", ADD_FILES | {"python/starter/__pycache__/main.pyc": b"\x00"})
    assert set(read_folder(root)) == set(ADD_FILES)
    (root / "python/starter/link.py").symlink_to("/etc/passwd")
    (root / "python/starter/huge.txt").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ContentInvalid) as caught:
        read_folder(root)
    assert {p.file for p in caught.value.problems} == {"python/starter/link.py", "python/starter/huge.txt"}
