"""The Celery app (``celery -A app worker -Q <module>``). Each event delivery is one task on the
subscribing module's queue, so a worker started with ``-Q inventory`` consumes only inventory's
events. The settings (CELERY_* in app/settings.py) are what a careful operator sets: see there."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")

app = Celery("app")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["app.events"])


@worker_process_init.connect(weak=False)  # type: ignore[untyped-decorator]
def _observability(**_: Any) -> None:
    """Logs, traces (with the Celery instrumentation) and propagators in each worker process."""
    from app.observability.apps import setup

    setup()
