"""The seek points' text index: edits recorded while updates are applied, replayed as string
operations, equal to what the document says; and the cases where it must refuse to answer."""

from __future__ import annotations

import random
from typing import Any

from pycrdt import Doc, Map, Text

from server.playback.document import FILES, META
from server.playback.text_index import (
    EditRecorder,
    PointText,
    UpdateEdits,
    decode_edits,
    decode_text,
    encode_edits,
    encode_text,
    replay,
    text_of,
)

PIECES = ["a", "é", "😀", "\n", "x = 1\n", "中文", " "]


def test_pycrdt_reports_offsets_in_utf8_bytes() -> None:
    """What replay relies on: a pycrdt whose deltas count otherwise must fail here."""
    doc: Doc[Any] = Doc()
    files = doc.get(FILES, type=Map)
    files["a"] = Text("x😀y")
    recorder = EditRecorder(doc)
    assert len(files["a"]) == 6  # x, four bytes of 😀, y
    files["a"].insert(6, "Z")
    assert recorder.take() == [["t", "a", [{"retain": 6}, {"insert": "Z"}]]]


def _edit(rng: random.Random, doc: Doc[Any], n: int) -> None:
    files = doc.get(FILES, type=Map)
    meta = doc.get(META, type=Map)
    roll = rng.random()
    with doc.transaction():
        if roll < 0.05:
            path = f"f{n}.py"
            files[path] = Text(rng.choice(PIECES))
            meta[f"lang:{path}"] = "python"
        elif roll < 0.08 and len(files) > 1:
            path = sorted(files.keys())[-1]
            del files[path]
            meta.pop(f"lang:{path}", None)
        elif roll < 0.1:
            meta["active"] = rng.choice(sorted(files.keys()))
        elif roll < 0.12:  # a file replaced by another text under the same path
            path = rng.choice(sorted(files.keys()))
            files[path] = Text("replaced " + rng.choice(PIECES))
        else:
            for _ in range(rng.randint(1, 3)):  # several edits in one transaction
                text = files[rng.choice(sorted(files.keys()))]
                length = len(text)  # in UTF-8 bytes, as pycrdt counts: only cut at whole characters
                boundaries = [len(str(text)[:i].encode()) for i in range(len(str(text)) + 1)]
                at = rng.choice(boundaries)
                if rng.random() < 0.3 and at < length:
                    end = rng.choice([b for b in boundaries if b > at])
                    del text[at:end]
                else:
                    text.insert(at, rng.choice(PIECES))


def test_replayed_edits_equal_the_document_at_every_prefix() -> None:
    rng = random.Random(3)
    writers: list[Doc[Any]] = [Doc(client_id=10 + i) for i in range(3)]
    start: Doc[Any] = Doc()
    with start.transaction():
        start.get(FILES, type=Map)["main.py"] = Text("print('hi')\n")
        start.get(META, type=Map)["main"] = "main.py"
    seed = start.get_update()
    for writer in writers:
        writer.apply_update(seed)
    updates: list[bytes] = []
    for n in range(400):
        writer = writers[rng.randrange(3)]
        before = writer.get_state()
        _edit(rng, writer, n)
        update = writer.get_update(before)
        for other in writers:
            other.apply_update(update)
        updates.append(update)

    doc: Doc[Any] = Doc()
    doc.apply_update(seed)
    base = text_of(doc)
    recorder = EditRecorder(doc)
    truth: list[PointText] = []
    edits: list[UpdateEdits] = []
    for event_id, update in enumerate(updates, start=1):
        doc.apply_update(update)
        edits.append(UpdateEdits(event_id, recorder.take()))
        truth.append(text_of(doc))
    assert any("😀" in t for t in truth[-1].files.values()) or any(
        "中" in t for t in truth[-1].files.values()
    )
    stored = decode_edits(encode_edits(edits))
    base = decode_text(encode_text(base))
    for count in [0, 1, 2, *rng.sample(range(3, 400), 40), 400]:
        got = replay(base, stored, list(range(1, count + 1)))
        assert got == (truth[count - 1] if count else base), count


def test_replay_refuses_what_it_cannot_tell() -> None:
    base = PointText({"a": "abc"}, {})
    edits = [
        UpdateEdits(5, [["t", "a", [{"retain": 3}, {"insert": "d"}]]]),
        UpdateEdits(7, None),
        UpdateEdits(9, [["x", "a"]]),
    ]
    assert replay(base, edits, [5]) == PointText({"a": "abcd"}, {})
    assert replay(base, edits, [7]) is None  # not a prefix: update 5 (later in time) left out
    assert replay(base, edits, [5, 7]) is None  # an update the recorder could not describe
    assert replay(base, edits[:1], [5, 7]) is None  # the edits stop short of the tail
    assert replay(base, [], []) == base


def test_a_nested_type_is_not_described() -> None:
    doc: Doc[Any] = Doc()
    recorder = EditRecorder(doc)
    doc.get(FILES, type=Map)["odd"] = Map({"x": 1})
    assert recorder.take() is None
    doc.get(META, type=Map)["main"] = "odd"
    assert recorder.take() == [["m", "main", "odd"]]
