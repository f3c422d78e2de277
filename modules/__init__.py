"""Domain modules. Each is a Django app that owns its database and reaches others only through
``contracts``. A module never imports another module (enforced by import-linter)."""
