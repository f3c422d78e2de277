"""Orders' writes: placing and cancelling orders (``placing``), and the saga that carries each
order through stock and payment (``saga``), applied one transaction per transition."""

from modules.orders.services.placing import LineRequest, order_cancel, order_place
from modules.orders.services.saga import saga_handle_reply, saga_retry, saga_sweep_deadlines

__all__ = [
    "LineRequest",
    "order_cancel",
    "order_place",
    "saga_handle_reply",
    "saga_retry",
    "saga_sweep_deadlines",
]
