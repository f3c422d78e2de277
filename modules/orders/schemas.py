from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema
from pydantic import EmailStr, Field


class OrderLineIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class OrderCreateIn(Schema):
    customer_email: EmailStr
    lines: list[OrderLineIn] = Field(min_length=1, max_length=100)


class OrderLineOut(Schema):
    sku: str
    quantity: int
    unit_price: Decimal


class SagaStepOut(Schema):
    name: str
    status: str  # STARTED, SUCCEEDED, FAILED
    detail: str
    attempts: int  # how often its command was sent
    started_at: datetime
    finished_at: datetime | None


class SagaOut(Schema):
    state: str  # RUNNING, COMPENSATING, COMPLETED, COMPENSATED, NEEDS_ATTENTION
    step: str  # the step waiting for an answer (or the last one)
    deadline_at: datetime | None
    steps: list[SagaStepOut]


class OrderOut(Schema):
    id: UUID
    status: str  # PENDING, PAYMENT_QUEUED, CONFIRMED, REJECTED, CANCELLED
    status_reason: str
    customer_email: str
    total: Decimal
    lines: list[OrderLineOut]
    saga: SagaOut | None  # None only for orders placed before sagas existed
    created_at: datetime
