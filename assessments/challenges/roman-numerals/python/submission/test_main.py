import pytest

from main import from_roman, to_roman


def test_small():
    assert [to_roman(n) for n in (1, 4, 9, 14, 40)] == ["I", "IV", "IX", "XIV", "XL"]


def test_large():
    assert to_roman(3999) == "MMMCMXCIX" and to_roman(1994) == "MCMXCIV"


def test_from_roman():
    assert from_roman("MCMXCIV") == 1994 and from_roman("XLII") == 42


def test_round_trip():
    assert all(from_roman(to_roman(n)) == n for n in range(1, 4000))


def test_rejects_invalid():
    for bad in ("", "IIII", "IC", "ABC", "MMMM", "VX"):
        with pytest.raises(ValueError):
            from_roman(bad)
