"""What the idempotency tests count: orders created and records kept, per module database."""

from app.idempotency.models import IdempotencyRecord
from modules.orders.models import Order

ORDER = {"customer_email": "ann@example.com", "lines": [{"sku": "KB", "quantity": 2}]}


def orders() -> int:
    return Order.objects.using("orders").count()


def records(alias: str = "orders") -> list[IdempotencyRecord]:
    return list(IdempotencyRecord.objects.using(alias).order_by("id"))
