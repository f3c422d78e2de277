import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")
application = get_wsgi_application()


def _start_background_threads() -> None:
    """The in-process default delivers inline after each commit; the relay thread is the safety
    net (retries, leftovers from a crash), and the jobs thread runs the modules' periodic jobs
    (saga deadlines, queued payments). Production runs `manage.py relay` instead."""
    from django.conf import settings

    from app.bootstrap import runtime

    if settings.EVENTS_RELAY_IN_WEB:
        runtime().loop.start_thread()
        runtime().jobs.start_thread()


_start_background_threads()
