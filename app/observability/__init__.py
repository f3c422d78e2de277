"""Observability: traces (OpenTelemetry), structured logs (structlog), Prometheus metrics and
health endpoints. Each concern has its own file; the events, contract and HTTP boundaries call
the small hooks in ``events.py`` and ``calls.py``, and ``apps.py`` switches it all on."""
