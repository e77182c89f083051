from inventory.models import Item


class Inventory:
    def __init__(self) -> None:
        self.items: dict[str, Item] = {}

    def add_item(self, item: Item) -> None:
        self.items[item.sku] = item

    def restock(self, sku: str, quantity: int) -> None:
        raise NotImplementedError

    def reserve(self, sku: str, quantity: int) -> None:
        raise NotImplementedError

    def release(self, sku: str, quantity: int) -> None:
        raise NotImplementedError

    def available(self, sku: str) -> int:
        return self.items[sku].quantity
