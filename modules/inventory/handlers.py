"""What inventory does when asked: the order saga's commands."""

from contracts.inventory.commands import ReleaseStockV1, ReserveStockV1
from contracts.kernel.subscriptions import Subscription
from modules.inventory import services


def on_reserve_stock(command: ReserveStockV1) -> None:
    services.stock_reserve(
        command_id=command.command_id,
        order_id=command.order_id,
        lines=tuple((line.sku, line.quantity) for line in command.lines),
    )


def on_release_stock(command: ReleaseStockV1) -> None:
    services.stock_release(command_id=command.command_id, order_id=command.order_id)


SUBSCRIPTIONS = (
    Subscription(id="inventory.reserve_stock", event_type=ReserveStockV1, handler=on_reserve_stock),
    Subscription(id="inventory.release_stock", event_type=ReleaseStockV1, handler=on_release_stock),
)
