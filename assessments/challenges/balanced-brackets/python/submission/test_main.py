from main import is_balanced


def test_empty():
    assert is_balanced("")


def test_nested():
    assert is_balanced("(a[b]{c})")


def test_crossed():
    assert not is_balanced("([)]")


def test_unclosed():
    assert not is_balanced("((")


def test_close_first():
    assert not is_balanced(")(")


def test_long():
    assert is_balanced("{[()]}" * 10_000)
