"""The results of an assessment: sorting and filtering its attempts, the CSV export, and the
similarity of one attempt's code to the others'. Pure, over what the services read."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from server.hiring.invitation_model import Invitation
from server.hiring.similarity import THRESHOLD, similar_pairs

SortKey = Literal["created_at", "score", "time_used", "state", "name"]
CSV_COLUMNS = (
    "id", "name", "email", "state", "decision", "score", "passed", "time_used_seconds", "labels",
    "created_at", "started_at", "submitted_at",
)  # fmt: skip


def sorted_results(items: Sequence[Invitation], key: SortKey, descending: bool) -> list[Invitation]:
    """Attempts without a value for ``key`` (no score yet) come last either way."""

    def value(inv: Invitation) -> tuple[bool, object]:
        raw: object = {
            "created_at": inv.created_at,
            "score": inv.score,
            "time_used": inv.time_used_seconds,
            "state": inv.state.value,
            "name": inv.name.lower(),
        }[key]
        return (raw is None, raw)

    present = [i for i in items if not value(i)[0]]
    missing = [i for i in items if value(i)[0]]
    present.sort(key=lambda i: (value(i)[1], i.id), reverse=descending)
    return present + missing


def results_csv(items: Iterable[Invitation]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for inv in items:
        writer.writerow(
            [
                inv.id,
                _cell(inv.name),
                _cell(inv.email),
                inv.state.value,
                inv.decision.value if inv.decision else "",
                "" if inv.score is None else f"{inv.score:.2f}",
                "" if inv.passed is None else str(inv.passed).lower(),
                "" if inv.time_used_seconds is None else f"{inv.time_used_seconds:.0f}",
                _cell(";".join(inv.labels)),
                inv.created_at.isoformat(),
                inv.started_at.isoformat() if inv.started_at else "",
                inv.submitted_at.isoformat() if inv.submitted_at else "",
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """No formula injection: a spreadsheet must not run what a candidate typed."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True, slots=True)
class Similar:
    challenge: str
    other: str
    similarity: float


def similar_to(one: str, results: Sequence[tuple[str, str]], threshold: float = THRESHOLD) -> list[Similar]:
    """``results``: (invitation id, stored result JSON) of every scored attempt of the
    assessment, ``one``'s included. The other attempts whose code for a challenge is at least
    ``threshold`` alike to ``one``'s."""
    by_challenge: dict[str, list[tuple[str, str, dict[str, str]]]] = {}
    for invitation_id, text in results:
        for challenge, detail in json.loads(text).get("challenges", {}).items():
            if detail.get("type") == "code" and detail.get("files"):
                by_challenge.setdefault(challenge, []).append(
                    (invitation_id, detail["language"], detail["files"])
                )
    found: list[Similar] = []
    for challenge, submissions in by_challenge.items():
        if not any(key == one for key, _, _ in submissions):
            continue
        for pair in similar_pairs(submissions, threshold):
            if one in (pair.a, pair.b):
                found.append(Similar(challenge, pair.b if pair.a == one else pair.a, pair.similarity))
    return sorted(found, key=lambda s: -s.similarity)
