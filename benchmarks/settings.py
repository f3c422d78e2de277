"""The app's own settings on a scratch directory (``VAR_DIR``), for in-process benchmarks.

Refuses to run without ``VAR_DIR`` or on the default ``var/``: a benchmark never writes to
``var/db``. The databases are SQLite: ``benchmarks.environment`` drops every ``*DATABASE_URL``
from the environment before Django starts.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_DEFAULT_VAR = Path(__file__).resolve().parent.parent / "var"
if "VAR_DIR" not in os.environ or Path(os.environ["VAR_DIR"]).resolve() == _DEFAULT_VAR:
    raise ImproperlyConfigured("benchmarks.settings needs VAR_DIR set to a scratch directory")

from app.settings import *  # noqa: E402, F403

DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
