"""Comparing a program's stdout with a case's expected output, on the host (outside the sandbox:
nothing the program does can change how it is judged).

Modes: ``exact`` (bytes), ``trimmed`` (line endings normalised, trailing spaces of each line and
trailing blank lines ignored), ``tokens`` (whitespace-separated tokens), ``numeric`` (tokens; two
tokens that are both numbers match within the tolerance, absolute or relative)."""

from __future__ import annotations

import math

from server.hiring.challenge_schema import Comparison


def _lines(output: bytes) -> list[str]:
    text = output.decode(errors="replace").replace("\r\n", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _tokens(output: bytes) -> list[str]:
    return output.decode(errors="replace").split()


def _number(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _numeric_tokens_match(actual: str, expected: str, tolerance: float) -> bool:
    if actual == expected:
        return True
    a, e = _number(actual), _number(expected)
    if a is None or e is None:
        return False
    return math.isclose(a, e, rel_tol=tolerance, abs_tol=tolerance)


def outputs_match(actual: bytes, expected: bytes, comparison: Comparison) -> bool:
    if comparison.mode == "exact":
        return actual == expected
    if comparison.mode == "trimmed":
        return _lines(actual) == _lines(expected)
    got, want = _tokens(actual), _tokens(expected)
    if comparison.mode == "tokens":
        return got == want
    return len(got) == len(want) and all(
        _numeric_tokens_match(a, e, comparison.tolerance) for a, e in zip(got, want, strict=True)
    )
