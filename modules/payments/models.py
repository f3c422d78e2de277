"""One payment per order, stored in payments' own database; the order is referenced by id."""

import uuid
from enum import StrEnum

from django.db import models

from modules.payments.domain import Operation, PaymentStatus


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, member.value or "none") for member in enum]


class Payment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField(unique=True)  # an id in the orders module, never a foreign key
    # Blank only on a tombstone: a void that arrived before its authorization.
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, blank=True)
    customer_email = models.EmailField(blank=True)
    status = models.CharField(max_length=16, choices=_choices(PaymentStatus), default=PaymentStatus.PENDING)
    provider_reference = models.CharField(max_length=100, blank=True)
    decline_reason = models.CharField(max_length=300, blank=True)

    # The provider call still owed, and the command its reply answers.
    operation = models.CharField(max_length=16, choices=_choices(Operation), default=Operation.NONE, blank=True)
    operation_command_id = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # rounds tried for the current operation
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)  # null: nothing due
    # A processor claims the row before calling the provider; the claim expires with the lease.
    lease_id = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # An authorization request may have reached the provider (so a void must look there).
    provider_contacted = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"payment for order {self.order_id} ({self.status})"

    @property
    def idempotency_prefix(self) -> str:
        """Every provider request for this payment carries a key built from this: the same
        operation asked again, by any process, is the same request to the provider."""
        return f"payment-{self.id}"
