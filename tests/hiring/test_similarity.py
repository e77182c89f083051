"""The similarity check: renaming identifiers, reformatting and comments do not hide a copy;
different solutions are not flagged."""

from __future__ import annotations

import json

from server.hiring.results import similar_to
from server.hiring.similarity import THRESHOLD, fingerprints, normalized_tokens, similar_pairs, similarity

ORIGINAL = """
def merge(intervals):
    intervals = sorted(intervals)
    merged = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
"""

RENAMED = """
# my own work
def combine(ranges):
    ranges = sorted(ranges)
    out = []
    for a, b in ranges:   # walk
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1],
                             b)
        else:
            out.append([a, b])
    return out
"""

DIFFERENT = """
def merge(intervals):
    events = []
    for s, e in intervals:
        events.append((s, -1))
        events.append((e, 1))
    events.sort()
    depth, result, begin = 0, [], None
    for point, kind in events:
        if kind == -1:
            if depth == 0:
                begin = point
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                result.append([begin, point])
    return result
"""

JS_A = (
    "function add(a, b) {\n  // sum\n  const total = a + b;\n"
    "  if (total > 10) { return total * 2; }\n  return total;\n}\n"
)
JS_B = "function plus(x,y){const s=x+y;if(s>10){return s*2;}return s;}"


def _score(a: str, b: str, language: str = "python") -> float:
    return similarity(
        fingerprints(normalized_tokens({"main": a}, language)),
        fingerprints(normalized_tokens({"main": b}, language)),
    )


def test_renaming_and_reformatting_do_not_hide_a_copy() -> None:
    assert _score(ORIGINAL, RENAMED) == 1.0
    assert _score(JS_A, JS_B, "javascript") == 1.0


def test_a_different_solution_is_not_flagged() -> None:
    assert _score(ORIGINAL, DIFFERENT) < THRESHOLD


def test_pairs_and_results() -> None:
    subs = [
        ("a", "python", {"m.py": ORIGINAL}),
        ("b", "python", {"m.py": RENAMED}),
        ("c", "python", {"m.py": DIFFERENT}),
    ]
    pairs = similar_pairs(subs)
    assert [(p.a, p.b) for p in pairs] == [("a", "b")]

    def result(code: str) -> str:
        return json.dumps(
            {"challenges": {"merge": {"type": "code", "language": "python", "files": {"m.py": code}}}}
        )

    found = similar_to("b", [("a", result(ORIGINAL)), ("b", result(RENAMED)), ("c", result(DIFFERENT))])
    assert [(s.challenge, s.other, s.similarity) for s in found] == [("merge", "a", 1.0)]
    assert similar_to("c", [("a", result(ORIGINAL)), ("c", result(DIFFERENT))]) == []
