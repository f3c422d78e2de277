"""Settings of the bare baseline: Django's middleware as the monolith has it, the same SQLite
options, nothing else. Its one database is ``$VAR_DIR/db/default.sqlite3``."""

import os
from pathlib import Path

from app import settings as monolith
from app.databases import build_databases

VAR_DIR = Path(os.environ["VAR_DIR"])
DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bare-baseline-not-a-secret")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "ninja",
    "benchmarks.bare",
]
# Django's own middleware, as the monolith has it; the monolith's own (app.*) is part of what is measured.
MIDDLEWARE = [name for name in monolith.MIDDLEWARE if name.startswith("django.")]
ROOT_URLCONF = "benchmarks.bare.urls"
DATABASES = build_databases(aliases=(), env={}, sqlite_dir=VAR_DIR / "db")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
