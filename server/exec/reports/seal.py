"""The run's key and the checks of what only the harness can write with it.

A test run gets a fresh 32-byte key on the first line of its stdin. The report guard
(``server/exec/runtime/harness/guard/guard.py``), the first process of the run step, reads it
before anything else of the run exists and keeps it in its own (non-dumpable) memory. When the
framework has exited, the guard ends and reaps every process left, then writes
``/results/duet-seal.json``: the framework's exit status, the processes that outlived it and
every result file's SHA-256, MACed with the key. Duet's own in-process reporters (pytest,
minitest, node:test, JUnit, PHPUnit, the SQL harness) get a key derived from it on fd 3 and end their report
with a record MACed over every line they wrote.

The checks here return *evidence*: sentences a reviewer reads. Any evidence makes the run
tampered (scored 0).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The file the guard writes into /results (any file of that name the program planted is removed).
SEAL_FILE = "duet-seal.json"
KEY_BYTES = 32
#: What the in-process reporter's key is derived with (the guard uses the same label).
REPORTER_KEY_LABEL = b"duet in-process reporter"
#: The key of the JSON object that ends a Duet JSONL report.
END_FIELD = "duet_end"


def new_run_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def keyed_stdin(key: bytes, stdin: bytes) -> bytes:
    """The run step's stdin: the key's line for the guard, then the tests' own stdin."""
    return key.hex().encode() + b"\n" + stdin


def reporter_key(key: bytes) -> bytes:
    return hmac.new(key, REPORTER_KEY_LABEL, hashlib.sha256).digest()


def _mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Seal:
    """What the guard sealed, once its MAC is checked."""

    exit_code: int | None
    signal: int | None
    outlived: tuple[str, ...]
    files: Mapping[str, str]

    def ending(self) -> str:
        if self.signal is not None:
            return f"was killed by signal {self.signal}"
        return f"exited with code {self.exit_code}"


def open_seal(key: bytes, collected: Mapping[str, bytes]) -> tuple[Seal | None, list[str]]:
    """The seal, or None and why not (empty when there is none at all)."""
    raw = collected.get(SEAL_FILE)
    if raw is None:
        return None, []
    try:
        outer = json.loads(raw)
        body_text = outer["body"]
        mac = outer["mac"]
        if not isinstance(body_text, str) or not isinstance(mac, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return None, [f"{SEAL_FILE} is not the harness's seal (malformed)"]
    if not hmac.compare_digest(mac, _mac(key, body_text.encode())):
        return None, [f"{SEAL_FILE} was not written by the harness (its MAC does not match the run's key)"]
    body: dict[str, Any] = json.loads(body_text)
    return (
        Seal(
            exit_code=body.get("exit_code"),
            signal=body.get("signal"),
            outlived=tuple(str(line) for line in body.get("outlived", ())),
            files={str(k): str(v) for k, v in dict(body.get("files", {})).items()},
        ),
        [],
    )


def seal_evidence(seal: Seal, collected: Mapping[str, bytes]) -> list[str]:
    """Processes that outlived the tests; files changed, added or removed after the seal."""
    evidence = [f"a process outlived the tests: {line}" for line in seal.outlived]
    for name, content in sorted(collected.items()):
        if name == SEAL_FILE:
            continue
        digest = seal.files.get(name)
        if digest is None:
            evidence.append(f"/results/{name} appeared after the harness sealed the results")
        elif digest != hashlib.sha256(content).hexdigest():
            evidence.append(f"/results/{name} changed after the harness sealed the results")
    evidence.extend(
        f"/results/{name} disappeared after the harness sealed the results"
        for name in sorted(set(seal.files) - set(collected))
    )
    return evidence


@dataclass(frozen=True, slots=True)
class ReporterCheck:
    """A Duet JSONL report split at its end record, with what was wrong with it."""

    lines: bytes  # the report without its end record (and what followed it)
    finished: bool
    evidence: tuple[str, ...]


def check_reporter_report(key: bytes, name: str, content: bytes) -> ReporterCheck:
    """Find the end record; check its count and MAC over every byte before it; nothing after it."""
    offset = 0
    for raw in content.splitlines(keepends=True):
        record = _end_record(raw)
        if record is None:
            offset += len(raw)
            continue
        body, rest = content[:offset], content[offset + len(raw) :]
        evidence: list[str] = []
        count, mac = record.get("count"), record.get("mac")
        written = sum(1 for line in body.splitlines() if line.strip())
        if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(key, body)):
            evidence.append(
                f"/results/{name} holds lines the harness did not write "
                "(its end record's MAC does not match what precedes it)"
            )
        elif count != written:
            evidence.append(f"/results/{name}: the harness wrote {count} lines, the report has {written}")
        if rest.strip():
            evidence.append(f"/results/{name} has lines after the harness's end record")
        return ReporterCheck(body, True, tuple(evidence))
    return ReporterCheck(content, False, ())


def _end_record(raw: bytes) -> dict[str, Any] | None:
    if END_FIELD.encode() not in raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get(END_FIELD), dict):
        record: dict[str, Any] = data[END_FIELD]
        return record
    return None
