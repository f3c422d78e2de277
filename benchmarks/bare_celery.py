"""The bare Celery baseline: a Celery app with no Django, no outbox and no inbox, configured
like the project's (the CELERY_* settings of ``app/settings.py``: acks late, reject on worker
lost, prefetch 1, no result backend, the same visibility timeout), with a task that does nothing.

Its worker: ``celery -A benchmarks.bare_celery worker -Q bare`` with ``BENCH_BARE_REDIS_URL``.
``bare.stamp`` is the latency probe: it pushes how long ago it was sent (seconds, from the
sender's ``time.time()``) onto a Redis list, as soon as it starts.
"""

import os
import time
from functools import cache

import redis
from celery import Celery

QUEUE = "bare"
LATENCIES_KEY = "bench:bare:latencies"
# The project's Celery settings that shape a task's path through the broker and the worker;
# bench_celery checks them against django.conf.settings before it measures.
CONFIG = {
    "task_acks_late": True,
    "task_reject_on_worker_lost": True,
    "worker_prefetch_multiplier": 1,
    "task_ignore_result": True,
    "result_backend": None,
    "broker_transport_options": {"visibility_timeout": 300},
    "task_time_limit": 60,
    "task_soft_time_limit": 48,
    "worker_hijack_root_logger": False,
    "worker_send_task_events": False,
    "broker_connection_retry_on_startup": True,
}
BROKER_URL = os.environ.get("BENCH_BARE_REDIS_URL", "redis://127.0.0.1:6379/15")

app = Celery("bare", broker=BROKER_URL)
app.conf.update(CONFIG, task_default_queue=QUEUE)


@app.task(name="bare.noop")  # type: ignore[untyped-decorator]
def noop() -> None:
    return None


@app.task(name="bare.stamp")  # type: ignore[untyped-decorator]
def stamp(sent: float) -> None:
    started = time.time()
    _redis().rpush(LATENCIES_KEY, started - sent)


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(BROKER_URL)
