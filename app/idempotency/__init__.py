"""Idempotency-Key: a retried unsafe request to a module's API returns the original response
instead of running again (see middleware.py)."""
