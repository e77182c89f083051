from main import is_balanced


def test_nested():
    assert is_balanced("(a[b]{c})")


def test_crossed():
    assert not is_balanced("([)]")
