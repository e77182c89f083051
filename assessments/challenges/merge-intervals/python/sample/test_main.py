from main import merge


def test_example():
    assert merge([[1, 3], [8, 10], [2, 6]]) == [[1, 6], [8, 10]]
