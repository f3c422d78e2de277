"""The Celery app (``celery -A app worker -Q <module>``). Each event delivery is one task on the
subscribing module's queue, so a worker started with ``-Q inventory`` consumes only inventory's
events. The settings (CELERY_* in app/settings.py) are what a careful operator sets: see there."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")

app = Celery("app")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["app.events"])
