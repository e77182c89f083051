"""A CSV of candidates to invite: a header row naming ``email`` and ``name``, and optionally
``labels`` (separated by ``;``), ``time_limit_minutes`` and ``message``. Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import replace

from server.errors import InvalidInput
from server.hiring.invitation_model import InvitationRequest

COLUMNS = frozenset({"email", "name", "labels", "time_limit_minutes", "message"})
MAX_ROWS = 500


def parse_invitations(text: str, defaults: InvitationRequest) -> list[InvitationRequest]:
    """One request per row, each starting from ``defaults`` (labels are added to its labels)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "email" not in header or "name" not in header:
        raise InvalidInput("the CSV's header must name the columns email and name", details={"field": "csv"})
    unknown = set(header) - COLUMNS
    if unknown:
        raise InvalidInput(f"unknown columns: {', '.join(sorted(unknown))}", details={"field": "csv"})
    reader.fieldnames = header
    requests: list[InvitationRequest] = []
    try:
        for line, row in enumerate(reader, start=2):
            if len(requests) >= MAX_ROWS:
                raise InvalidInput(f"at most {MAX_ROWS} rows", details={"field": "csv"})
            if None in row:
                raise InvalidInput(
                    f"line {line}: more fields than columns", details={"field": "csv", "line": line}
                )
            values = {key: (value or "").strip() for key, value in row.items()}
            if not any(values.values()):
                continue
            limit = values.get("time_limit_minutes", "")
            try:
                minutes = int(limit) if limit else defaults.time_limit_minutes
            except ValueError:
                raise InvalidInput(
                    f"line {line}: time_limit_minutes is not a whole number",
                    details={"field": "csv", "line": line},
                ) from None
            labels: Sequence[str] = [
                *defaults.labels,
                *(p for p in values.get("labels", "").split(";") if p.strip()),
            ]
            requests.append(
                replace(
                    defaults,
                    email=values["email"],
                    name=values["name"],
                    labels=tuple(labels),
                    time_limit_minutes=minutes,
                    message=values.get("message") or defaults.message,
                )
            )
    except csv.Error as exc:
        raise InvalidInput(f"not a CSV: {exc}", details={"field": "csv"}) from None
    if not requests:
        raise InvalidInput("the CSV has no candidates", details={"field": "csv"})
    return requests
