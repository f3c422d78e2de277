import uuid
from enum import StrEnum

from django.db import models
from django.utils import timezone

from modules.orders.domain.order import OrderStatus
from modules.orders.domain.saga import SagaState, Step, Wait


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer_email = models.EmailField()
    # The subject of the principal who placed it (an id in the identity provider, not a key).
    customer_id = models.CharField(max_length=200, db_index=True, blank=True)
    status = models.CharField(max_length=16, choices=_choices(OrderStatus), default=OrderStatus.PENDING)
    status_reason = models.CharField(max_length=300, blank=True)  # why it was rejected or cancelled
    total = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)  # a product in inventory, referenced by its sku only
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class OrderSaga(models.Model):
    """The persisted state of ``domain.saga.Saga`` for one order; changed one transaction per
    transition, with the order it drives and the commands it sends."""

    order = models.OneToOneField(Order, primary_key=True, on_delete=models.CASCADE, related_name="saga")
    state = models.CharField(max_length=16, choices=_choices(SagaState), db_index=True)
    step = models.CharField(max_length=24, choices=_choices(Step))
    done = models.JSONField(default=list)
    undone = models.JSONField(default=list)
    outcome = models.CharField(max_length=16, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    resends = models.PositiveSmallIntegerField(default=0)
    wait = models.CharField(max_length=8, choices=_choices(Wait), default=Wait.REPLY)
    deadline_at = models.DateTimeField(null=True, db_index=True)  # null once it no longer waits
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"saga of order {self.order_id} ({self.state} at {self.step})"


class SagaStep(models.Model):
    """One step as a reader of the order sees it: when it started, how it ended, how often asked."""

    saga = models.ForeignKey(OrderSaga, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=24, choices=_choices(Step))
    status = models.CharField(max_length=16, default="STARTED")  # STARTED, or an Outcome
    detail = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"
