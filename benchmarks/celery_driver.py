"""The measuring side of ``bench_celery``, run as its own Django process on the benchmark's
PostgreSQL databases: ``python -m benchmarks.celery_driver PARAMS_JSON OUT_JSON``.

``bench_celery`` starts Redis, the workers and the relay, then drivers with the environment their
phases need (the Celery transport, or the in-process one); each writes what it measured to
``OUT_JSON``. Every wait is bounded (``TIMEOUT``).
"""

import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

import django

TIMEOUT = 60.0  # seconds, for any one wait on the workers
PUBLISH_BATCH = 100  # events per publishing transaction in the throughput rounds
SUBSCRIBER = "notifications.order_confirmed"  # the one subscriber of OrderConfirmedV1
REAL_DOMAIN = "@example.com"  # the real handler runs for these events
PROBE_TABLE = "bench_probe"
# How often the end of a throughput round is looked for: about 0.5% of a round's length, and
# rarely enough that the looking (a COUNT on PostgreSQL, two lengths on Redis) costs little.
POLL_BARE, POLL_EVENTS = 0.005, 0.02


def main() -> None:
    """``PARAMS_JSON``: {phase: its keyword arguments}, run in that order; ``OUT_JSON`` gets
    {phase: what it measured}."""
    phases, out = json.loads(sys.argv[1]), Path(sys.argv[2])
    django.setup()
    out.write_text(json.dumps({phase: PHASES[phase](**params) for phase, params in phases.items()}))


# --- throughput: bare Celery tasks vs events through outbox -> relay -> Celery -> inbox -------


def throughput(*, rounds: int, n: int, warmup: int) -> dict[str, Any]:
    """Seconds for ``n`` items end to end, per variant and round; the variants take turns and
    the order flips every round. Warm-up first (it also waits for the workers to be ready).
    Every variant gets the same ``n``: a round starts with the pipeline empty, and filling it
    (for events, the first publishing transaction and the relay's first batch) is part of the
    figure, so a shorter round would weigh it more."""
    from benchmarks.events_worker import NOOP_DOMAIN

    variants: dict[str, Callable[[int], float]] = {
        "bare": _bare_round,
        "noop": partial(_events_round, domain=NOOP_DOMAIN),
        "handler": partial(_events_round, domain=REAL_DOMAIN),
    }
    for sample in variants.values():
        sample(warmup)
    names = list(variants)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            seconds[name].append(variants[name](n))
    return {"seconds": seconds, "n": dict.fromkeys(names, n), **_settled()}


def _bare_round(n: int) -> float:
    """Publish ``n`` no-op tasks, then wait until the worker has taken and acked every one: the
    queue and Redis' set of unacknowledged messages are both empty (with acks late, a message
    leaves that set only once its task has finished)."""
    from benchmarks.bare_celery import QUEUE, noop

    client = _bare_redis()
    start = time.perf_counter()
    for _ in range(n):
        noop.apply_async(queue=QUEUE)
    while True:
        now = time.perf_counter()
        if _bare_idle(client):
            time.sleep(0.002)  # a message between the queue and the unacked set is in neither
            if _bare_idle(client):
                return now - start
        if now - start > TIMEOUT:
            raise RuntimeError(f"bare Celery: {n} tasks not consumed after {TIMEOUT:.0f} s")
        time.sleep(POLL_BARE)


def _bare_idle(client: Any) -> bool:
    from benchmarks.bare_celery import QUEUE

    pipe = client.pipeline()
    pipe.llen(QUEUE).hlen("unacked")
    return bool(pipe.execute() == [0, 0])


def _events_round(n: int, *, domain: str) -> float:
    """Publish ``n`` OrderConfirmedV1 (``PUBLISH_BATCH`` per transaction on the orders database,
    as a module would), then wait until the subscriber's inbox has processed every one."""
    after = _last_inbox_entry()
    start = time.perf_counter()
    _publish_confirmed(n, domain=domain)
    while (done := _processed(after)) < n:
        if time.perf_counter() - start > TIMEOUT:
            raise RuntimeError(f"events: {done} of {n} processed after {TIMEOUT:.0f} s ({_health()})")
        time.sleep(POLL_EVENTS)
    return time.perf_counter() - start


def _publish_confirmed(n: int, *, domain: str) -> None:
    from django.db import transaction

    from contracts.kernel.events import publish
    from contracts.orders.events import OrderConfirmedV1

    for first in range(0, n, PUBLISH_BATCH):
        with transaction.atomic(using="orders"):
            for i in range(first, min(n, first + PUBLISH_BATCH)):
                publish(OrderConfirmedV1(order_id=uuid4(), customer_email=f"customer{i}{domain}"))


def _last_inbox_entry() -> int:
    from app.events.models import InboxEntry

    last = InboxEntry.objects.using("notifications").order_by("-pk").values_list("pk", flat=True).first()
    return int(last or 0)


def _processed(after: int) -> int:
    """Entries processed among those created after entry ``after``: a range of the primary key,
    so a poll reads this round's rows only, however many earlier rounds left (a count over the
    whole inbox grew with every round, and so did what the looking cost the database)."""
    from app.events.models import InboxEntry

    entries = InboxEntry.objects.using("notifications").filter(pk__gt=after, subscriber=SUBSCRIBER)
    return int(entries.filter(processed_at__isnull=False).count())


def _health() -> dict[str, int]:
    """What should be zero once a phase is over: dead letters, and deliveries left undelivered."""
    from app.events.models import DeadLetter, OutboxDelivery

    return {
        "dead_letters": DeadLetter.objects.using("notifications").count(),
        "undelivered": OutboxDelivery.objects.using("orders").filter(delivered_at__isnull=True).count(),
    }


def _settled(timeout: float = 10) -> dict[str, int]:
    """``_health()`` once the relay has recorded its last sends (it records a batch after sending
    all of it, so the last deliveries can be processed before they are recorded as sent)."""
    deadline = time.monotonic() + timeout
    while (health := _health())["undelivered"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return health


def _bare_redis() -> Any:
    import redis

    from benchmarks.bare_celery import BROKER_URL

    return redis.Redis.from_url(BROKER_URL)


# --- latency from commit to handler start ----------------------------------------------------


def celery_latency(*, n: int, gap: float) -> dict[str, Any]:
    """One event per transaction, ``gap`` seconds apart, each followed (``gap`` later) by one bare
    ``bare.stamp`` task. An event's latency: its commit (``time.time()`` in an on-commit callback
    registered before ``publish``, so it runs before the relay's wake-up) to the worker starting
    the attempt (``InboxEntry.created_at``: the inbox claim, at the handler's first statement).
    The bare task's: ``apply_async`` to the start of its body."""
    from django.db import transaction

    from app.events.models import InboxEntry, OutboxEvent
    from benchmarks.bare_celery import LATENCIES_KEY, QUEUE, stamp
    from contracts.kernel.events import publish
    from contracts.orders.events import OrderConfirmedV1

    client = _bare_redis()
    client.delete(LATENCIES_KEY)
    committed: dict[str, float] = {}
    for i in range(n):
        order_id = uuid4()
        with transaction.atomic(using="orders"):
            transaction.on_commit(partial(_stamp, committed, str(order_id)), using="orders")
            publish(OrderConfirmedV1(order_id=order_id, customer_email=f"latency{i}{REAL_DOMAIN}"))
        time.sleep(gap)
        stamp.apply_async(args=(time.time(),), queue=QUEUE)
        time.sleep(gap)
    ids = dict(OutboxEvent.objects.using("orders").filter(subject__in=committed).values_list("id", "subject"))
    entries = InboxEntry.objects.using("notifications").filter(subscriber=SUBSCRIBER, event_id__in=list(ids))
    deadline = time.monotonic() + TIMEOUT
    while entries.filter(processed_at__isnull=False).count() < n or client.llen(LATENCIES_KEY) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"latency probes not all processed after {TIMEOUT:.0f} s ({_health()})")
        time.sleep(0.01)
    started = dict(entries.values_list("event_id", "created_at"))
    events = [started[event_id].timestamp() - committed[subject] for event_id, subject in ids.items()]
    bare = [float(value) for value in client.lrange(LATENCIES_KEY, 0, -1)]
    return {"events_s": events, "bare_s": bare}


def _stamp(committed: dict[str, float], key: str) -> None:
    committed[key] = time.time()


def _perf_stamp(stamps: list[float]) -> None:
    stamps.append(time.perf_counter())


def inprocess_latency(*, n: int, warmup: int) -> dict[str, Any]:
    """The in-process transport (inline drainer): commit (a ``perf_counter`` in an on-commit
    callback registered before ``publish``) to the entry of the subscription's handler, wrapped
    in this process. Each event is followed by one bare 1-INSERT transaction on the same
    database, timed, as the baseline."""
    from django.conf import settings
    from django.db import transaction

    from app.bootstrap import runtime
    from contracts.kernel.events import publish
    from contracts.orders.events import OrderConfirmedV1

    if settings.EVENTS_TRANSPORT != "inprocess" or not settings.EVENTS_RELAY_INLINE:
        raise RuntimeError("inprocess_latency needs EVENTS_TRANSPORT=inprocess and EVENTS_RELAY_INLINE=1")
    _probe_table()
    subscription = runtime().subscriptions.get(SUBSCRIBER)
    handler, entered = subscription.handler, []

    def timed(event: Any) -> None:
        entered.append(time.perf_counter())
        handler(event)

    object.__setattr__(subscription, "handler", timed)  # frozen: this process's one instance
    events: list[float] = []
    bare: list[float] = []
    committed: list[float] = []
    for i in range(warmup + n):
        with transaction.atomic(using="orders"):
            transaction.on_commit(partial(_perf_stamp, committed), using="orders")
            publish(OrderConfirmedV1(order_id=uuid4(), customer_email=f"inline{i}{REAL_DOMAIN}"))
        if len(entered) != i + 1 or len(committed) != i + 1:
            raise RuntimeError(f"the handler ran {len(entered)} times for {i + 1} events: not delivered inline?")
        seconds = _bare_transaction(1)
        if i >= warmup:
            events.append(entered[-1] - committed[-1])
            bare.append(seconds)
    return {"events_s": events, "bare_s": bare, **_health()}


# --- the cost of publish() in a transaction --------------------------------------------------


def publish_cost(*, number: int, repeat: int) -> dict[str, Any]:
    """Statements and time of a 1-INSERT transaction on the orders database, with and without a
    ``publish`` in it. Run with the Celery transport and no relay, so nothing is delivered in
    this process; the outbox rows it leaves are deleted at the end."""
    from django.db import connections

    from app.events.models import OutboxEvent
    from benchmarks.timing import interleaved

    _probe_table()
    statements = {"bare": _statements(publish=False), "publish": _statements(publish=True)}
    samples = interleaved(
        {"publish": partial(_publish_transaction, publish=True), "bare": _bare_transaction},
        number=number,
        repeat=repeat,
        warmup=max(1, number // 10),
    )
    OutboxEvent.objects.using("orders").filter(expanded_at__isnull=True).delete()  # no relay ran: all ours
    with connections["orders"].cursor() as cursor:
        cursor.execute(f"DROP TABLE {PROBE_TABLE}")
    return {"statements": statements, "samples_s": samples}


def _statements(*, publish: bool) -> dict[str, list[str]]:
    """The SQL of one transaction, split at the commit: the first on-commit callback (registered
    before ``publish``) notes how many statements had run by then."""
    from django.db import connections, transaction
    from django.test.utils import CaptureQueriesContext

    connection = connections["orders"]
    at_commit: list[int] = []
    with (
        CaptureQueriesContext(connection) as captured,
        transaction.atomic(using="orders"),
        connection.cursor() as cursor,
    ):
        transaction.on_commit(lambda: at_commit.append(len(captured.captured_queries)), using="orders")
        cursor.execute(f"INSERT INTO {PROBE_TABLE} (probe) VALUES (%s)", [0])
        if publish:
            _publish_one(0)
    sql = [query["sql"] for query in captured.captured_queries]
    return {"in_transaction": sql[: at_commit[0]], "after_commit": sql[at_commit[0] :]}


def _publish_transaction(n: int, *, publish: bool) -> float:
    from django.db import connections, transaction

    connection = connections["orders"]
    start = time.perf_counter()
    for i in range(n):
        with transaction.atomic(using="orders"), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {PROBE_TABLE} (probe) VALUES (%s)", [i])
            if publish:
                _publish_one(i)
    return time.perf_counter() - start


def _bare_transaction(n: int) -> float:
    return _publish_transaction(n, publish=False)


def _publish_one(i: int) -> None:
    from contracts.kernel.events import publish
    from contracts.orders.events import OrderConfirmedV1

    publish(OrderConfirmedV1(order_id=uuid4(), customer_email=f"cost{i}{REAL_DOMAIN}"))


def _probe_table() -> None:
    from django.db import connections

    with connections["orders"].cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (id bigserial PRIMARY KEY, probe integer NOT NULL)")


PHASES: dict[str, Callable[..., dict[str, Any]]] = {
    "throughput": throughput,
    "celery-latency": celery_latency,
    "inprocess-latency": inprocess_latency,
    "publish-cost": publish_cost,
}

if __name__ == "__main__":
    main()
