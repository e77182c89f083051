"""A small shop's stock: items, reservations, low-stock report."""
