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


def test_subtractive_pairs():
    assert [to_roman(n) for n in (4, 9, 40, 90, 400, 900)] == ["IV", "IX", "XL", "XC", "CD", "CM"]


def test_repeats():
    assert [to_roman(n) for n in (3, 30, 300, 3000)] == ["III", "XXX", "CCC", "MMM"]


def test_out_of_range_rejected():
    for bad in (0, -1, 4000):
        with pytest.raises(ValueError):
            to_roman(bad)


def test_from_roman_every_symbol():
    assert [from_roman(s) for s in "IVXLCDM"] == [1, 5, 10, 50, 100, 500, 1000]


def test_lowercase_rejected():
    with pytest.raises(ValueError):
        from_roman("xiv")
