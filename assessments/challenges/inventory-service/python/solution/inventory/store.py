from inventory.models import DuplicateSku, Item, OutOfStock, UnknownSku


def _positive(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValueError(f"a quantity is a positive integer, not {quantity!r}")


class Inventory:
    def __init__(self) -> None:
        self.items: dict[str, Item] = {}
        self.on_hand: dict[str, int] = {}
        self.reserved: dict[str, int] = {}

    def _known(self, sku: str) -> None:
        if sku not in self.items:
            raise UnknownSku(sku)

    def add_item(self, item: Item) -> None:
        if item.sku in self.items:
            raise DuplicateSku(item.sku)
        self.items[item.sku] = item
        self.on_hand[item.sku] = item.quantity
        self.reserved[item.sku] = 0

    def restock(self, sku: str, quantity: int) -> None:
        self._known(sku)
        _positive(quantity)
        self.on_hand[sku] += quantity

    def reserve(self, sku: str, quantity: int) -> None:
        self._known(sku)
        _positive(quantity)
        if self.available(sku) < quantity:
            raise OutOfStock(f"{sku}: {self.available(sku)} available, {quantity} asked")
        self.reserved[sku] += quantity

    def release(self, sku: str, quantity: int) -> None:
        self._known(sku)
        _positive(quantity)
        if quantity > self.reserved[sku]:
            raise ValueError(f"{sku}: only {self.reserved[sku]} reserved")
        self.reserved[sku] -= quantity

    def available(self, sku: str) -> int:
        self._known(sku)
        return self.on_hand[sku] - self.reserved[sku]
