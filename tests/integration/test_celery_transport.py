"""The Celery transport against real brokers: batches on a redis-server of the test's own, and
the declaration of a module's queue on RabbitMQ (the shared server: the test's queue is its own)."""

import os
import time
import uuid
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
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


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


@pytest.fixture
def rabbitmq() -> Iterator[Celery]:
    """An app on RabbitMQ. Not a service the project needs (its broker is Redis): the test is
    skipped, with the reason, where none is running."""
    app = broker_app(RABBITMQ_URL)
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as error:
        app.close()
        pytest.skip(f"no RabbitMQ at {RABBITMQ_URL} (TEST_RABBITMQ_URL): {error}")
    yield app
    app.close()


def send(transport: CeleryTransport, count: int = 1, subscription: Subscription = SUBSCRIPTION) -> None:
    for _ in range(count):
        transport.send(wire=Envelope(data=reserved()).to_wire(), subscription=subscription, fresh=True)


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


def test_sends_after_the_broker_restarted_reach_it(transport: CeleryTransport, redis_server: RedisServer) -> None:
    """The restart costs the producer its channel: the queue it declared there is declared anew."""
    send(transport)
    redis_server.kill()
    redis_server.start()  # empty: this Redis keeps nothing on disk
    deadline = time.monotonic() + 10
    while True:
        try:
            send(transport)
            break
        except TransportUnavailableError:  # the first send after the restart may find the old connection
            assert time.monotonic() < deadline, "the transport never reached the restarted broker"
    with transport.batch():
        send(transport, 2)
    assert redis_server.client().llen("orders") == 3


def test_the_first_send_to_a_module_declares_its_queue_where_undeclared_queues_drop_messages(
    rabbitmq: Celery,
) -> None:
    """RabbitMQ drops a message routed to a queue that nobody declared: the relay may send to a
    module before any of its workers has started (and declared the queue)."""
    module = f"transporttest{uuid.uuid4().hex[:12]}"
    subscription = Subscription(id=f"{module}.handler", event_type=StockReservedV1, handler=lambda event: None)
    transport = CeleryTransport(rabbitmq)
    with rabbitmq.connection_for_write() as connection:
        channel = connection.default_channel
        try:
            send(transport, subscription=subscription)
            with transport.batch():
                send(transport, 2, subscription=subscription)
            assert waiting_in(channel, module) == 3
        finally:
            channel.queue_delete(queue=module)


def waiting_in(channel: object, queue: str, expected: int = 3, timeout: float = 5) -> int:
    """Messages in ``queue`` once ``expected`` are there, or after ``timeout`` (an AMQP publish
    is asynchronous: this connection may ask before the broker has routed the last one)."""
    deadline = time.monotonic() + timeout
    while True:
        _, waiting, _ = channel.queue_declare(queue=queue, passive=True)  # type: ignore[attr-defined]
        if waiting >= expected or time.monotonic() > deadline:
            return int(waiting)
        time.sleep(0.02)
