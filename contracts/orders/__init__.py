"""The orders module's contract: orders and the events of their life."""
