"""The API's Out schemas, named ``Payments<Entity>Out`` (OpenAPI keys schemas by class name)."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema


class PaymentsPaymentOut(Schema):
    order_id: UUID
    amount: Decimal
    currency: str
    status: str
    provider_reference: str
    decline_reason: str
    # What an operator needs for a payment that is stuck or queued:
    operation: str = Field(description='the provider call still owed: "authorize", "capture", "void", "recheck" or ""')
    attempts: int = Field(description="rounds tried for that operation (each may retry a few times)")
    last_error: str = Field(description="why the last round failed")
    next_attempt_at: datetime | None = Field(description="when it is tried next; null when nothing is owed")
    created_at: datetime
    updated_at: datetime
