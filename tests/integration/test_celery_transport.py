"""The Celery transport's batches against a real redis-server of the test's own."""

import time
from collections.abc import Iterator

import pytest
from celery import Celery

from app.events.envelope import Envelope
from app.events.relay import TransportUnavailableError
from app.events.transport import CeleryTransport
from contracts.inventory.events import StockReservedV1
from contracts.kernel.subscriptions import Subscription
from tests.app.events.conftest import reserved
from tests.integration.processes import RedisServer, free_port

pytestmark = pytest.mark.integration

SUBSCRIPTION = Subscription(id="orders.stock_reserved", event_type=StockReservedV1, handler=lambda event: None)


def broker_app(url: str) -> Celery:
    """An app on ``url`` with the project's settings otherwise (the transport sends the project's
    ``events.deliver`` task through it)."""
    from app.celery import celery_settings

    settings = {**celery_settings(), "broker_url": url, "broker_connection_timeout": 1}
    settings["broker_transport_options"] = {**settings.get("broker_transport_options", {}), "socket_timeout": 1}
    return Celery("transport-test", set_as_current=False, config_source=settings)


@pytest.fixture
def transport(redis_server: RedisServer) -> Iterator[CeleryTransport]:
    app = broker_app(redis_server.url())
    yield CeleryTransport(app)
    app.close()


def send(transport: CeleryTransport, count: int = 1) -> None:
    for _ in range(count):
        transport.send(wire=Envelope(data=reserved()).to_wire(), subscription=SUBSCRIPTION, fresh=True)


def test_a_batch_reaches_the_broker_when_it_ends(transport: CeleryTransport, redis_server: RedisServer) -> None:
    queued = redis_server.client()
    with transport.batch():
        send(transport, 3)
        assert queued.llen("orders") == 0  # held back...
    assert queued.llen("orders") == 3  # ...and handed over in one go
    send(transport)  # outside a batch: at once
    assert queued.llen("orders") == 4


def test_a_batch_inside_a_batch_reaches_the_broker_when_it_ends(
    transport: CeleryTransport, redis_server: RedisServer
) -> None:
    """An in-process handler's commit can drain its own events while the relay's batch is open."""
    queued = redis_server.client()
    with transport.batch():
        send(transport)
        with transport.batch():
            send(transport, 2)
        assert queued.llen("orders") == 2
        send(transport)
    assert queued.llen("orders") == 4


def test_a_batch_the_broker_cannot_take_raises_transport_unavailable_when_it_ends(
    transport: CeleryTransport, redis_server: RedisServer
) -> None:
    sent: list[int] = []

    def send_then_lose_the_broker() -> None:
        with transport.batch():
            send(transport, 2)
            sent.append(2)  # the sends themselves went through: they were only held back
            redis_server.kill()

    with pytest.raises(TransportUnavailableError, match="BatchPublishError"):
        send_then_lose_the_broker()
    assert sent == [2]


def test_a_broker_that_is_not_there_fails_the_send_at_once() -> None:
    app = broker_app(f"redis://127.0.0.1:{free_port()}/0")
    transport = CeleryTransport(app)
    started = time.monotonic()
    with transport.batch(), pytest.raises(TransportUnavailableError):
        send(transport)
    assert time.monotonic() - started < 10
    app.close()
