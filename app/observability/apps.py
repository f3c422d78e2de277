from django.apps import AppConfig

from app import propagation
from app.observability import logging, tracing

LOG_CONTEXT = logging.LogContextPropagator()


def setup() -> None:
    """Logs, traces and the propagators, once per process (idempotent): from ``ready()`` in
    every process that sets Django up, and again in each forked Celery worker process."""
    from django.conf import settings

    logging.configure(service=settings.SERVICE)
    tracing.configure(service=settings.SERVICE)
    propagation.register(LOG_CONTEXT)


class ObservabilityConfig(AppConfig):
    name = "app.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        setup()
