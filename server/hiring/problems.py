"""What is wrong with a piece of content, said with the file and line it is on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.errors import InvalidInput


@dataclass(frozen=True, slots=True, order=True)
class ContentProblem:
    """One finding: ``file`` relative to the folder being checked, ``line`` 1-based or None."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class ContentInvalid(InvalidInput):
    """Content that cannot be loaded; ``problems`` lists every reason found."""

    code = "content_invalid"

    def __init__(self, problems: Sequence[ContentProblem]) -> None:
        self.problems = tuple(problems)
        first = str(self.problems[0]) if self.problems else "invalid content"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more, details={"problems": [str(problem) for problem in self.problems[:50]]})
