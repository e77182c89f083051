from main import LRUCache


def test_get_after_put():
    cache = LRUCache(2)
    cache.put("a", 1)
    assert cache.get("a") == 1
