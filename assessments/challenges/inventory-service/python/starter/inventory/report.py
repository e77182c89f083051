from inventory.store import Inventory


def low_stock(inventory: Inventory) -> list[str]:
    return []
