"""The composition root: settings, the API gateway, bootstrap, the event bus.

Nothing in ``modules/`` or ``contracts/`` imports from here; this package wires them together.
"""
