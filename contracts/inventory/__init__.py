"""The inventory module's contract: products, prices and stock reservations."""
