import time

from main import LRUCache


def test_get_after_put():
    cache = LRUCache(2)
    cache.put("a", 1)
    assert cache.get("a") == 1 and cache.get("b") is None


def test_evicts_least_recent():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert cache.get("a") is None and cache.get("b") == 2 and cache.get("c") == 3


def test_get_counts_as_use():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert cache.get("a") == 1 and cache.get("b") is None


def test_replace_keeps_size():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("a", 2)
    cache.put("b", 3)
    assert cache.get("a") == 2 and cache.get("b") == 3


def test_capacity_one():
    cache = LRUCache(1)
    cache.put(1, 1)
    cache.put(2, 2)
    assert cache.get(1) is None and cache.get(2) == 2


def test_constant_time():
    # CPU time, not wall time: a loaded machine does not fail a right answer
    cache = LRUCache(100_000)
    started = time.process_time()
    for i in range(200_000):
        cache.put(i, i)
        cache.get(i // 2)
    assert time.process_time() - started < 3
    assert cache.get(199_999) == 199_999 and cache.get(0) is None
