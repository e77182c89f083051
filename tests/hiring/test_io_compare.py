"""Input/output comparison modes: exact, trimmed, tokens, numeric tolerance."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.hiring.challenge_schema import Comparison
from server.hiring.io_compare import outputs_match

EXACT, TRIMMED, TOKENS = Comparison(mode="exact"), Comparison(mode="trimmed"), Comparison(mode="tokens")


def numeric(tolerance: float = 1e-6) -> Comparison:
    return Comparison(mode="numeric", tolerance=tolerance)


def test_exact_is_byte_for_byte() -> None:
    assert outputs_match(b"1 2\n", b"1 2\n", EXACT)
    assert not outputs_match(b"1 2\n", b"1 2", EXACT)
    assert not outputs_match(b"1 2 \n", b"1 2\n", EXACT)


def test_trimmed_ignores_line_ends_trailing_spaces_and_blank_lines() -> None:
    assert outputs_match(b"a  \r\nb\n\n\n", b"a\nb", TRIMMED)
    assert not outputs_match(b" a\nb\n", b"a\nb\n", TRIMMED)  # leading spaces count
    assert not outputs_match(b"a\n\nb\n", b"a\nb\n", TRIMMED)  # an inner blank line counts
    assert not outputs_match(b"ab\n", b"a b\n", TRIMMED)


def test_tokens_ignore_all_whitespace_layout() -> None:
    assert outputs_match(b"1\n2   3\t4", b"1 2 3 4\n", TOKENS)
    assert not outputs_match(b"1 2 3", b"1 2 3 4", TOKENS)
    assert not outputs_match(b"12 3", b"1 23", TOKENS)


def test_numeric_tolerance_is_absolute_or_relative() -> None:
    assert outputs_match(b"0.3333333", b"0.33333333", numeric())
    assert outputs_match(b"1000000.5", b"1000000.0", numeric(1e-6))  # relative
    assert not outputs_match(b"0.34", b"0.33", numeric(1e-3))
    assert outputs_match(b"yes 1.0000001", b"yes 1", numeric())  # words must be equal
    assert not outputs_match(b"no 1", b"yes 1", numeric())
    assert not outputs_match(b"1 2", b"1", numeric())


def test_numeric_refuses_nan_and_infinity() -> None:
    assert not outputs_match(b"nan", b"1", numeric(1))
    assert not outputs_match(b"inf", b"1e308", numeric(1))
    assert outputs_match(b"nan", b"nan", numeric())  # the same word is the same word


def test_undecodable_output_is_compared_not_crashed_on() -> None:
    assert not outputs_match(b"\xff\xfe", b"1", TOKENS)


words = st.lists(st.text(alphabet="abc123.-", min_size=1, max_size=5), max_size=8)


@given(words, st.sampled_from([" ", "\n", "\t", "  \n"]))
def test_tokens_match_whatever_the_separator(tokens: list[str], sep: str) -> None:
    assert outputs_match(sep.join(tokens).encode(), " ".join(tokens).encode(), TOKENS)


@given(st.text(max_size=40))
def test_every_mode_matches_equal_output(text: str) -> None:
    for mode in ("exact", "trimmed", "tokens", "numeric"):
        assert outputs_match(text.encode(), text.encode(), Comparison(mode=mode))


@given(st.floats(min_value=-1e9, max_value=1e9), st.floats(min_value=0, max_value=0.5))
def test_numbers_within_tolerance_match(value: float, fraction: float) -> None:
    tolerance = 1e-3
    near = value + fraction * tolerance
    assert outputs_match(repr(near).encode(), repr(value).encode(), numeric(tolerance))
