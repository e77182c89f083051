import random

from main import merge


def test_example():
    assert merge([[1, 3], [8, 10], [2, 6]]) == [[1, 6], [8, 10]]


def test_empty():
    assert merge([]) == []


def test_touching():
    assert merge([[1, 2], [2, 3]]) == [[1, 3]]


def test_nested():
    assert merge([[1, 10], [2, 3], [4, 5]]) == [[1, 10]]


def test_input_untouched():
    data = [[5, 6], [1, 2]]
    merge(data)
    assert data == [[5, 6], [1, 2]]


def test_large_input():
    rng = random.Random(7)
    data = [[s, s + rng.randint(0, 3)] for s in (rng.randint(0, 10**6) for _ in range(100_000))]
    out = merge(data)
    assert all(a[1] < b[0] for a, b in zip(out, out[1:]))
    assert sum(e - s + 1 for s, e in out) == len({p for s, e in data for p in range(s, e + 1)})
