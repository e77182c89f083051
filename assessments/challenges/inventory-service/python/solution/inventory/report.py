from inventory.store import Inventory


def low_stock(inventory: Inventory) -> list[str]:
    return sorted(
        sku for sku, item in inventory.items.items() if inventory.available(sku) <= item.reorder_level
    )
