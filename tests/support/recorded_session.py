"""A recorded session made up in process: real pycrdt edits by several participants, their cursor
states, joins, runs, chat and a paste, on a made-up clock. For playback's tests and benchmark."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, Map, Text

from server.recording.events import EventKind, NewEvent
from server.sync.seed import FILES, META, seed_update

#: Characters a generated file grows to before edits start cutting it back.
MAX_FILE = 3_000


@dataclass
class Recorded:
    """The events, in log order, and the documents' updates with their times (to replay)."""

    events: list[NewEvent] = field(default_factory=list)
    updates: list[tuple[int, bytes]] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)


def _event(session_id: str, kind: str, ts: int, author: str | None, data: Any) -> NewEvent:
    payload = data if isinstance(data, bytes) else json.dumps(data).encode()
    return NewEvent(session_id, kind, payload, author, ts)


def record_session(
    session_id: str,
    *,
    participants: int = 3,
    updates: int = 500,
    start_ms: int = 1_700_000_000_000,
    duration_ms: int = 600_000,
    seed: int = 1,
    idle_every: int = 0,
    idle_ms: int = 0,
) -> Recorded:
    """``updates`` edits spread over ``duration_ms``; every ``idle_every`` edits, a pause of
    ``idle_ms`` (beyond the duration)."""
    rng = random.Random(seed)
    out = Recorded()
    seed_bytes = seed_update("python")
    out.events.append(_event(session_id, EventKind.DOC_UPDATE, start_ms, None, seed_bytes))
    out.updates.append((start_ms, seed_bytes))
    ids = [f"{seed:04x}{i:04x}aa" for i in range(participants)]
    out.participants = ids
    docs: list[Doc[Any]] = []
    sent: list[bytes] = []
    subscriptions: list[Any] = []
    for index, pid in enumerate(ids):
        doc: Doc[Any] = Doc(client_id=1000 + index)
        doc.apply_update(seed_bytes)
        docs.append(doc)
        # each transaction's own update, as a Yjs client sends it (a diff against the state
        # vector would carry the whole delete set every time)
        subscriptions.append(doc.observe(lambda event, sink=sent: sink.append(event.update)))
        role = "interviewer" if index == 0 else "candidate"
        out.events.append(
            _event(
                session_id,
                EventKind.JOIN,
                start_ms + 1,
                pid,
                {"participant_id": pid, "name": f"p{index}", "role": role},
            )
        )
    step = max(1, duration_ms // max(1, updates))
    ts = start_ms + 2
    last_cursor = [0] * participants
    cursors: dict[tuple[int, str], int] = {}
    n = -1
    while len(out.updates) <= updates:  # the seed, then ``updates`` edits
        n += 1
        ts += rng.randint(1, 2 * step - 1) if step > 1 else 1
        if idle_every and n and n % idle_every == 0:
            ts += idle_ms
        who = rng.randrange(participants)
        doc = docs[who]
        files = doc.get(FILES, type=Map)
        meta = doc.get(META, type=Map)
        roll = rng.random()
        with doc.transaction():
            if roll < 0.01 and len(files) < 6:
                path = f"f{n}.py"
                files[path] = Text("")
                meta[f"lang:{path}"] = "python"
            elif roll < 0.015 and len(files) > 1:
                path = sorted(files.keys())[-1]
                if path != "main.py":
                    del files[path]
                    meta.pop(f"lang:{path}", None)
            else:
                # typing where one's cursor is (a jump now and then), backspace, or a cut when
                # the file grows long: files stay the size of an interview's
                path = rng.choice(sorted(files.keys()))
                text = files[path]
                length = len(text)
                at = min(cursors.get((who, path), length), length)
                if rng.random() < 0.05:
                    at = rng.randint(0, length)
                if length > MAX_FILE and at > 60:
                    del text[at - 60 : at]
                    at -= 60
                elif roll < 0.25 and at > 0:
                    del text[at - 1 : at]
                    at -= 1
                else:
                    piece = rng.choice(["a", "b", "x = 1\n", " ", "()", "z", "\n", "if x:\n    "])
                    text.insert(at, piece)
                    at += len(piece)
                cursors[(who, path)] = at
        if not sent:  # the edit changed nothing (no file to delete)
            continue
        update = sent[-1]
        for other in docs:
            if other is not doc:
                other.apply_update(update)
        sent.clear()
        out.events.append(_event(session_id, EventKind.DOC_UPDATE, ts, ids[who], update))
        out.updates.append((ts, update))
        if ts - last_cursor[who] >= 250:
            last_cursor[who] = ts
            state = {"user": {"name": f"p{who}", "participant": ids[who]}, "file": path, "cursor": {"n": n}}
            data = {"client": 1000 + who, "clock": n, "state": state}
            out.events.append(_event(session_id, EventKind.AWARENESS, ts, ids[who], data))
        if n % 97 == 50:
            out.events.extend(_run(session_id, ids[0], ts, f"r{n}", passed=n % 2 == 0))
        if n % 131 == 70:
            out.events.append(
                _event(
                    session_id,
                    "chat",
                    ts,
                    ids[who],
                    {"type": "chat", "from": f"p{who}", "role": "candidate", "text": f"hello {n}", "ts": ts},
                )
            )
        if n % 211 == 100:
            signal = {
                "type": "signal",
                "participant": ids[who],
                "from": f"p{who}",
                "role": "candidate",
                "kind": "paste",
                "chars": 500,
                "external": True,
                "ts": ts,
            }
            out.events.append(_event(session_id, "signal", ts, ids[who], signal))
    return out


def _run(session_id: str, by: str, ts: int, run_id: str, *, passed: bool) -> list[NewEvent]:
    status = "passed" if passed else "failed"
    tests = [
        {"name": "t1", "status": "passed", "message": "", "duration_ms": 1.0},
        {"name": "t2", "status": status, "message": "", "duration_ms": 1.0},
    ]
    result = {
        "status": "ok",
        "exit_code": 0,
        "signal": None,
        "wall_ms": 5,
        "cpu_ms": 3,
        "memory_bytes": 1,
        "step": "run",
        "message": "",
        "stopped": False,
        "truncated": False,
        "tests": tests,
    }
    return [
        _event(
            session_id,
            "run.started",
            ts,
            by,
            {
                "type": "run.started",
                "run_id": run_id,
                "by": "p0",
                "mode": "test",
                "file": "main.py",
                "language": "python",
                "ts": ts,
            },
        ),
        _event(
            session_id,
            "run.output",
            ts,
            by,
            {"type": "run.output", "run_id": run_id, "stream": "stdout", "data": f"out {run_id}\n", "ts": ts},
        ),
        _event(
            session_id,
            "run.finished",
            ts,
            by,
            {"type": "run.finished", "run_id": run_id, "result": result, "ts": ts},
        ),
    ]


def replay(updates: list[tuple[int, bytes]], t: int) -> dict[str, str]:
    """The files after every update at or before ``t``."""
    doc: Doc[Any] = Doc()
    for ts, update in updates:
        if ts <= t:
            doc.apply_update(update)
    files = doc.get(FILES, type=Map)
    return {path: str(files[path]) for path in files}
