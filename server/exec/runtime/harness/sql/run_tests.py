"""Run the candidate's SQL against each test case and compare result sets.

Usage: run_tests.py RESULTS_FILE TESTS_JSON QUERY_FILE. TESTS_JSON is
``{"tests": [{"name": str, "setup": str, "expected": [[...], ...], "ordered": bool}]}``.
Each case gets a fresh in-memory database: ``setup`` runs, then the candidate's statements; the
rows of the last statement that returned rows are compared with ``expected`` (as a multiset unless
``ordered``). An SQLite error is an ``error``, a different result set a ``failed``.
The report ends with a MACed end record, as pytest's does (see ``../python/run_tests.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from typing import Any

Rows = list[list[Any]]

MAX_MESSAGE = 4000
#: The candidate's SQL may not open other database files (ATTACH, VACUUM INTO) or change pragmas:
#: a database page written into the results file could carry a forged result line.
DENIED = {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH, sqlite3.SQLITE_PRAGMA}


def take_key() -> bytes:
    """The reporter's key from the guard on fd 3, read once; empty when there is none."""
    try:
        with os.fdopen(3, "rb") as handle:
            return bytes.fromhex(handle.read().decode("ascii").strip())
    except (OSError, ValueError):
        return b""


def authorize(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action in DENIED else sqlite3.SQLITE_OK


def statements(script: str) -> Iterator[str]:
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending
            pending = ""
    if pending.strip():
        yield pending


def run_query(setup: str, script: str) -> Rows | None:
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(setup)
        db.set_authorizer(authorize)
        rows: Rows | None = None
        for statement in statements(script):
            cursor = db.execute(statement)
            if cursor.description is not None:
                rows = [list(row) for row in cursor.fetchall()]
        return rows
    finally:
        db.close()


def normalise(rows: Rows | None, ordered: bool) -> Rows:
    copied = [list(row) for row in rows or []]
    return copied if ordered else sorted(copied, key=lambda row: json.dumps(row, default=str))


def main() -> None:
    results, tests_file, query_file = sys.argv[1:4]
    mac = hmac.new(take_key(), digestmod=hashlib.sha256)
    count = 0
    fd = os.open(results, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_APPEND, 0o600)
    with open(tests_file, encoding="utf-8") as handle:
        cases = json.load(handle)["tests"]
    with open(query_file, encoding="utf-8") as handle:
        script = handle.read()
    failures = 0
    for case in cases:
        started = time.monotonic()
        ordered = bool(case.get("ordered", False))
        try:
            got = run_query(case.get("setup", ""), script)
        except sqlite3.Error as exc:
            status, message = "error", f"{type(exc).__name__}: {exc}"
        else:
            expected = normalise(case["expected"], ordered)
            actual = normalise(got, ordered)
            if actual == expected:
                status, message = "passed", ""
            else:
                status = "failed"
                message = f"expected rows {json.dumps(expected)}, got {json.dumps(actual, default=str)}"
        failures += status != "passed"
        line = {
            "name": case["name"],
            "status": status,
            "message": message[:MAX_MESSAGE],
            "duration_ms": round((time.monotonic() - started) * 1000, 3),
        }
        data = (json.dumps(line) + "\n").encode()
        mac.update(data)
        count += 1
        os.write(fd, data)
    end = {"duet_end": {"count": count, "mac": mac.hexdigest()}}
    os.write(fd, (json.dumps(end) + "\n").encode())
    os.close(fd)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
