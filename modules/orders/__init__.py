"""Orders: placing orders and following them until their stock is reserved (or not)."""
