import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")
application = get_wsgi_application()


def _start_relay_thread() -> None:
    """The in-process default delivers inline after each commit; this thread is the safety net
    (retries, leftovers from a crash). Production runs `manage.py relay` instead."""
    from django.conf import settings

    from app.bootstrap import runtime

    if settings.EVENTS_RELAY_IN_WEB:
        runtime().loop.start_thread()


_start_relay_thread()
