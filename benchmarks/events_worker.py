"""The project's Celery app (``app.celery``) with one benchmark-only change in each worker
process: ``notifications.order_confirmed`` returns at once, doing nothing, for an event whose
``customer_email`` ends with ``NOOP_DOMAIN``. Every other event runs the real handler.

So one worker serves both event figures of ``bench_celery``: the pipeline with a no-op handler
(the issue's figure) and with the real cheapest handler, in interleaved rounds. The outbox,
relay, task, inbox and their transactions are the project's own in both; the only extra work
is one ``str.endswith`` per delivery. Start it as ``celery -A benchmarks.events_worker worker``.
"""

from typing import Any

from celery.signals import worker_process_init

from app.celery import app as app

SUBSCRIBER = "notifications.order_confirmed"
NOOP_DOMAIN = "@noop.bench.invalid"


@worker_process_init.connect(weak=False)  # type: ignore[untyped-decorator]
def _install_noop(**_: Any) -> None:
    from app.bootstrap import runtime

    subscription = runtime().subscriptions.get(SUBSCRIBER)
    handler = subscription.handler

    def maybe_noop(event: Any) -> None:
        if event.customer_email.endswith(NOOP_DOMAIN):
            return
        handler(event)

    # Subscriptions are frozen: the registry's one instance gets the wrapper in this process only.
    object.__setattr__(subscription, "handler", maybe_noop)
