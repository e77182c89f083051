class LRUCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: dict[object, object] = {}

    def get(self, key: object) -> object | None:
        return self.items.get(key)

    def put(self, key: object, value: object) -> None:
        self.items[key] = value
