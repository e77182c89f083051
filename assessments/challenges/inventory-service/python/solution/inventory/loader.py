import csv

from inventory.models import Item
from inventory.store import Inventory


def load_csv(path: str) -> Inventory:
    inventory = Inventory()
    with open(path, newline="") as handle:
        rows = csv.reader(handle)
        header = [cell.strip() for cell in next(rows)]
        if header != ["sku", "name", "quantity", "reorder_level"]:
            raise ValueError(f"line 1: unexpected header {header}")
        for line, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            try:
                sku, name, quantity, reorder = (cell.strip() for cell in row)
                inventory.add_item(Item(sku, name, int(quantity), int(reorder)))
            except ValueError as exc:
                raise ValueError(f"line {line}: {exc}") from None
    return inventory
