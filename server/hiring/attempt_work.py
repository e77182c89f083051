"""What a candidate saves while working: per challenge, the language, the files and the
answers. Bounded before anything is stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from server.errors import InvalidInput, PayloadTooLarge
from server.hiring.answers import MAX_ANSWER_CHARS, Answer

MAX_FILES = 50
MAX_PATH_CHARS = 200
MAX_WORK_BYTES = 1024 * 1024  # files and answers of one challenge
MAX_ANSWERS = 200
MAX_CHOICES = 50


@dataclass(frozen=True, slots=True)
class Work:
    language: str | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    answers: Mapping[str, Answer] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "files": dict(self.files),
                "answers": {
                    qid: {"choices": list(a.choices), "text": a.text} for qid, a in self.answers.items()
                },
            }
        )

    @staticmethod
    def from_json(language: str | None, text: str) -> Work:
        data = json.loads(text)
        answers = {
            qid: Answer(qid, tuple(a.get("choices", ())), a.get("text", ""))
            for qid, a in data.get("answers", {}).items()
        }
        return Work(language, data.get("files", {}), answers)


def checked_work(
    language: str | None, files: Mapping[str, str], answers: Mapping[str, Mapping[str, object]]
) -> Work:
    """Refuse what is too big or malformed (422/413); nothing is stored then."""
    if len(files) > MAX_FILES:
        raise InvalidInput(f"at most {MAX_FILES} files", details={"field": "files"})
    if len(answers) > MAX_ANSWERS:
        raise InvalidInput(f"at most {MAX_ANSWERS} answers", details={"field": "answers"})
    size = 0
    for path, content in files.items():
        parts = path.split("/")
        if (
            not path
            or len(path) > MAX_PATH_CHARS
            or path.startswith("/")
            or any(p in ("", ".", "..") for p in parts)
        ):
            raise InvalidInput(f"not a file path: {path[:MAX_PATH_CHARS]!r}", details={"field": "files"})
        size += len(path) + len(content.encode())
    parsed: dict[str, Answer] = {}
    for qid, raw in answers.items():
        choices = raw.get("choices", [])
        text = raw.get("text", "")
        if not isinstance(choices, list) or not all(isinstance(c, str) and len(c) <= 64 for c in choices):
            raise InvalidInput("choices are a list of choice ids", details={"field": "answers"})
        if len(choices) > MAX_CHOICES or not isinstance(text, str) or len(qid) > 64:
            raise InvalidInput("an answer is malformed", details={"field": "answers"})
        size += len(text.encode()) + sum(len(c) for c in choices)
        parsed[qid] = Answer(qid, tuple(choices), text[: MAX_ANSWER_CHARS * 2])
    if size > MAX_WORK_BYTES:
        raise PayloadTooLarge(f"a challenge's work is at most {MAX_WORK_BYTES} bytes")
    return Work(language, dict(files), parsed)
