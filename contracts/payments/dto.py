from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True, kw_only=True)
class PaymentSummary:
    order_id: UUID
    amount: Decimal
    currency: str
    # PENDING, QUEUED (provider unreachable, retried later), AUTHORIZED, DECLINED, CAPTURED, VOIDED
    status: str
    provider_reference: str  # the provider's authorization id, "" until authorized
    decline_reason: str
    updated_at: datetime
