"""The relay sends each claimed batch inside one transport batch: a broker transport may hold
its sends back until the batch ends, so a failed hand-over fails every send of the batch."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest

from app.events.consumer import Outcome
from app.events.envelope import Wire
from app.events.models import OutboxDelivery
from app.events.relay import Relay, TransportUnavailableError
from app.events.subscriptions import SubscriptionRegistry
from app.events.transport import InProcessTransport, TopologyTransport
from contracts.inventory.events import StockReservedV1
from contracts.kernel.subscriptions import Subscription
from modules.orders.models import Order
from tests.app.events.conftest import World
from tests.app.events.test_relay_and_inbox import effect, publish

pytestmark = pytest.mark.django_db(databases=["default", "inventory", "orders"], transaction=True)


class Broker:
    """A broker transport that takes a batch's sends when the batch ends, or fails to."""

    def __init__(self) -> None:
        self.taken: list[str] = []
        self.held: list[str] = []
        self.failing = False

    def send(self, *, wire: Wire, subscription: Subscription, fresh: bool) -> Outcome:
        self.held.append(subscription.id)
        return Outcome.SENT

    @contextmanager
    def batch(self) -> Iterator[None]:
        yield
        held, self.held = self.held, []
        if self.failing:
            raise TransportUnavailableError("ConnectionError: the broker went away")
        self.taken += held


def mixed(world: World, broker: Broker) -> Relay:
    """In-process subscriber t.a (its effect: an order row) and r.b behind ``broker``."""
    world.subscribe("a", effect)
    relay = world.relay()
    remote = Subscription(id="r.b", event_type=StockReservedV1, handler=effect)
    subscriptions = SubscriptionRegistry([*relay.subscriptions.for_type(StockReservedV1.event_type()), remote])
    assert isinstance(relay.transport, InProcessTransport)
    transport = TopologyTransport(local=relay.transport, remote=broker, remote_modules=frozenset({"r"}))
    return replace(relay, subscriptions=subscriptions, transport=transport)


def test_a_batch_the_broker_did_not_take_is_retried_while_in_process_deliveries_stand(world) -> None:
    broker = Broker()
    relay = mixed(world, broker)
    publish(world, 2)

    broker.failing = True
    assert relay.run_once("inventory") == 4
    remote = OutboxDelivery.objects.using("inventory").filter(subscriber="r.b")
    assert Order.objects.count() == 2  # the in-process deliveries of the batch are done
    assert [(d.delivered_at, d.attempts) for d in remote] == [(None, 1), (None, 1)]
    assert {d.last_error for d in remote} == {"ConnectionError: the broker went away"}

    broker.failing = False
    assert relay.run_once("inventory") == 2  # the backoff is 0 here: due again at once
    assert broker.taken == ["r.b", "r.b"]
    assert OutboxDelivery.objects.using("inventory").filter(delivered_at__isnull=True).count() == 0
    assert Order.objects.count() == 2
