"""The Celery app (``celery -A app worker -Q <module>``). Each event delivery is one task on the
subscribing module's queue, so a worker started with ``-Q inventory`` consumes only inventory's
events. The settings (CELERY_* in app/settings.py) are what a careful operator sets: see there."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")

PREFIX = "CELERY_"
# Read under its Django name by Celery's Django fixup (the connection reuse between tasks).
FIXUP_SETTINGS = ("CELERY_DB_REUSE_MAX",)


def celery_settings() -> dict[str, Any]:
    """The ``CELERY_*`` Django settings under Celery's own names, read once. Configured with
    ``config_from_object("django.conf:settings", namespace="CELERY")`` instead, Celery looks
    each key up through Django's lazy settings and the namespace's key variants every time it
    needs one: a dozen lookups for every task sent, 3 us each against 1 us from a dict."""
    from django.conf import settings

    names = [name for name in dir(settings) if name.startswith(PREFIX)]
    own = {name.removeprefix(PREFIX).lower(): getattr(settings, name) for name in names if name not in FIXUP_SETTINGS}
    return {**own, **{name: getattr(settings, name) for name in names if name in FIXUP_SETTINGS}}


app = Celery("app")
app.conf.update(celery_settings())
app.autodiscover_tasks(["app.events"])


@worker_process_init.connect(weak=False)  # type: ignore[untyped-decorator]
def _observability(**_: Any) -> None:
    """Logs, traces and propagators in each worker process."""
    from app.observability.apps import setup

    setup()
