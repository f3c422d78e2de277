"""System checks for settings whose wrong combination only shows up under failure."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def celery_visibility_timeout(**kwargs: Any) -> list[Error]:
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    longest = max(settings.CELERY_TASK_TIME_LIMIT, settings.EVENTS_RETRY_BACKOFF_MAX)
    if visibility > longest:
        return []
    return [
        Error(
            f"CELERY_VISIBILITY_TIMEOUT ({visibility}s) must exceed the task time limit and the "
            f"longest retry backoff ({longest}s): otherwise Redis hands a running or scheduled task "
            "to a second worker.",
            hint="Raise CELERY_VISIBILITY_TIMEOUT, or lower CELERY_TASK_TIME_LIMIT or EVENTS_RETRY_BACKOFF_MAX.",
            id="platform.E001",
        )
    ]
