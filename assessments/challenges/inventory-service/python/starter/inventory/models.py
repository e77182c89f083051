from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    quantity: int
    reorder_level: int


class InventoryError(Exception):
    pass


class UnknownSku(InventoryError, KeyError):
    pass


class DuplicateSku(InventoryError):
    pass


class OutOfStock(InventoryError):
    pass
