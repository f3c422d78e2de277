import io
import json
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.observability import tracing
from app.observability.logging import formatter
from modules.inventory import services as inventory_services

ORDER = {"customer_email": "ann@example.com", "lines": [{"sku": "KB", "quantity": 2}, {"sku": "DK", "quantity": 1}]}


@pytest.fixture(scope="session")
def _exporter() -> InMemorySpanExporter:
    if not tracing.ENABLED:
        pytest.skip("tracing is off (OTEL_SDK_DISABLED=true)")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "app.observability configures an SDK provider at Django setup"
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    """Every span finished during the test (the test is skipped when tracing is off)."""
    _exporter.clear()
    yield _exporter
    _exporter.clear()


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The JSON lines (as dicts) every logger wrote during the test, as production renders them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(json=True, service=settings.SERVICE))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def catalogue(transactional_db: None) -> None:
    inventory_services.product_ensure(sku="KB", name="Keyboard", unit_price=Decimal("89.00"), on_hand=5)
    inventory_services.product_ensure(sku="DK", name="Dock", unit_price=Decimal("149.00"), on_hand=1)


@pytest.fixture
def place(auth_client: Client) -> Callable[..., Any]:
    def _place(**meta: Any) -> Any:
        return auth_client.post("/api/orders", ORDER, content_type="application/json", **meta)

    return _place
