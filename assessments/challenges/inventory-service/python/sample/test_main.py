from inventory.loader import load_csv
from inventory.report import low_stock


def test_example_catalogue():
    inventory = load_csv("data/example.csv")
    assert inventory.available("A-100") == 12
    assert low_stock(inventory) == ["A-200", "B-300"]
