"""A YAML document checked against its pydantic model (the JSON Schema ``duet challenge schema``
prints), every error reported with its file and line."""

from __future__ import annotations

from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from server.hiring.problems import ContentInvalid, ContentProblem
from server.hiring.yaml_marks import load_marked

T = TypeVar("T")


def check_yaml(adapter: TypeAdapter[T], text: str, file: str) -> T:
    """Parse ``text`` and validate it; ContentInvalid lists every error at its line."""
    document = load_marked(text, file)
    try:
        return adapter.validate_python(document.data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            location = error["loc"]
            where = document.shown(location)
            problems.append(ContentProblem(file, document.line_of(location), f"{where}: {error['msg']}"))
        raise ContentInvalid(problems) from None
