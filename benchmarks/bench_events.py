"""publish + in-process delivery to one no-op subscriber vs the same transactions without it.

Each operation is one ``transaction.atomic(using="orders")`` (the scratch copy of the orders
database) with one INSERT into a table of the benchmark's own. The measured variant also
publishes an event, wired as ``app.bootstrap`` wires the in-process default (spans included:
the publish span and the consumer's): ``publish`` writes an outbox row, and after the commit the
inline relay claims it, hands it to the consumer (the attempt counted, then inbox mark + handler
in a transaction) and records the delivery.
"""

from time import perf_counter

from django.conf import settings
from django.db import connections, transaction

from app.events.bus import EventBus
from app.events.consumer import Consumer
from app.events.envelope import EventTypes
from app.events.models import OutboxDelivery
from app.events.relay import Relay, RelayPolicy
from app.events.runner import InlineDrainer
from app.events.subscriptions import SubscriptionRegistry
from app.events.transport import InProcessTransport
from benchmarks.environment import Config
from benchmarks.events import ProbeRecordedV1
from benchmarks.report import Figure
from benchmarks.timing import interleaved, median, scaled
from contracts.kernel.subscriptions import Subscription

ALIAS = "orders"  # the scratch copy: see benchmarks.settings
TARGET_RATE = 2_000
CREATE = "CREATE TABLE IF NOT EXISTS bench_probe (id INTEGER PRIMARY KEY, probe INTEGER NOT NULL)"
INSERT = "INSERT INTO bench_probe (probe) VALUES (%s)"


class NoOpSubscriber:
    def __init__(self) -> None:
        self.delivered = 0

    def __call__(self, event: ProbeRecordedV1) -> None:
        self.delivered += 1


def run(config: Config) -> tuple[Figure, ...]:
    _create_table()
    subscriber = NoOpSubscriber()
    bus = _bus(subscriber)
    number, repeat = (100, 3) if config.quick else (200, 11)
    samples = interleaved(
        {"publish": lambda n: _with_publish(bus, n), "bare": _without_publish},
        number=number,
        repeat=repeat,
        warmup=number // 10,
    )
    _check_delivered(subscriber, expected=number // 10 + number * repeat)
    return (_figure(samples),)


def _figure(samples: dict[str, list[float]]) -> Figure:
    publish, bare = median(samples["publish"]), median(samples["bare"])
    rate = 1 / publish
    return Figure(
        name="1-INSERT tx + publish + deliver to 1 no-op sub",
        unit="tx/s",
        value=rate,
        baseline=1 / bare,
        lower_is_better=False,
        target=f">= {TARGET_RATE:,} events/s",
        met=rate >= TARGET_RATE,
        details={
            "events_per_s": rate,
            "bare_transactions_per_s": 1 / bare,
            "overhead_us": (publish - bare) * 1e6,
            "samples_us": scaled(samples, 1e6),
        },
        notes=(f"publish + delivery add {(publish - bare) * 1e6:,.0f} us to a one-INSERT transaction",),
    )


def _bus(subscriber: NoOpSubscriber) -> EventBus:
    """The in-process wiring of ``app.bootstrap.build_runtime``, for the benchmark's own event."""
    subscription = Subscription(id="bench.noop", event_type=ProbeRecordedV1, handler=subscriber)
    alias_for_module = {ProbeRecordedV1.source_module(): ALIAS, subscription.module: ALIAS}.__getitem__
    consumer = Consumer(alias_for_module=alias_for_module, max_attempts=settings.EVENTS_MAX_ATTEMPTS)
    event_types = EventTypes([ProbeRecordedV1])
    relay = Relay(
        subscriptions=SubscriptionRegistry([subscription]),
        event_types=event_types,
        transport=InProcessTransport(consumer, event_types),
        policy=RelayPolicy(),
    )
    return EventBus(alias_for_module=alias_for_module, wakers=[InlineDrainer(relay)])


def _check_delivered(subscriber: NoOpSubscriber, *, expected: int) -> None:
    pending = OutboxDelivery.objects.using(ALIAS).filter(delivered_at__isnull=True).count()
    if subscriber.delivered != expected or pending:
        raise RuntimeError(f"{subscriber.delivered} of {expected} delivered, {pending} deliveries pending")


def _create_table() -> None:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(CREATE)


def _with_publish(bus: EventBus, n: int) -> float:
    connection = connections[ALIAS]
    start = perf_counter()
    for i in range(n):
        with transaction.atomic(using=ALIAS), connection.cursor() as cursor:
            cursor.execute(INSERT, [i])
            bus.publish(ProbeRecordedV1(probe=i))
    return perf_counter() - start


def _without_publish(n: int) -> float:
    connection = connections[ALIAS]
    start = perf_counter()
    for i in range(n):
        with transaction.atomic(using=ALIAS), connection.cursor() as cursor:
            cursor.execute(INSERT, [i])
    return perf_counter() - start
