import pytest

from inventory.loader import load_csv
from inventory.models import DuplicateSku, Item, OutOfStock, UnknownSku
from inventory.report import low_stock
from inventory.store import Inventory


def fresh():
    inventory = Inventory()
    inventory.add_item(Item("S", "Spoon", 5, 2))
    return inventory


def test_example_catalogue():
    inventory = load_csv("data/example.csv")
    assert inventory.available("A-100") == 12
    assert inventory.items["A-100"].name == "Blue mug"
    assert low_stock(inventory) == ["A-200", "B-300"]


def test_hidden_catalogue():
    inventory = load_csv("data/hidden_stock.csv")
    assert sorted(inventory.items) == ["Z-1", "Z-2", "Z-3", "Z-4"]
    assert low_stock(inventory) == ["Z-1"]
    inventory.reserve("Z-3", 7)
    assert low_stock(inventory) == ["Z-1", "Z-3"]


def test_malformed_row_names_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("sku,name,quantity,reorder_level\nA,Mug,3,1\nB,Cup,many,1\n")
    with pytest.raises(ValueError, match="line 3"):
        load_csv(str(path))


def test_duplicate_and_unknown():
    inventory = fresh()
    with pytest.raises(DuplicateSku):
        inventory.add_item(Item("S", "Spoon", 1, 1))
    with pytest.raises(UnknownSku):
        inventory.reserve("nope", 1)


def test_reservations_never_oversell():
    inventory = fresh()
    inventory.reserve("S", 3)
    with pytest.raises(OutOfStock):
        inventory.reserve("S", 3)
    assert inventory.available("S") == 2
    inventory.restock("S", 1)
    inventory.reserve("S", 3)
    assert inventory.available("S") == 0


def test_release():
    inventory = fresh()
    inventory.reserve("S", 2)
    inventory.release("S", 2)
    assert inventory.available("S") == 5
    with pytest.raises(ValueError):
        inventory.release("S", 1)


def test_bad_quantities():
    inventory = fresh()
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError):
            inventory.restock("S", bad)
