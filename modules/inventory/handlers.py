"""What inventory does when other modules' events arrive."""

from contracts.kernel.subscriptions import Subscription
from contracts.orders.events import OrderPlacedV1
from modules.inventory import services


def on_order_placed(event: OrderPlacedV1) -> None:
    services.stock_reserve(order_id=event.order_id, lines=tuple((line.sku, line.quantity) for line in event.lines))


SUBSCRIPTIONS = (Subscription(id="inventory.reserve_stock", event_type=OrderPlacedV1, handler=on_order_placed),)
