"""Inventory: products, their prices and stock, and stock reservations for orders."""
