"""``GET /api/health/live`` (the process answers) and ``GET /api/health/ready`` (it can do its
work): every database alias of this service reachable; the broker reachable when events go
through Celery; outbox lag and dead letters under ``HEALTH_MAX_OUTBOX_LAG_SECONDS`` and
``HEALTH_MAX_DEAD_LETTERS``. 200 when every check passes, else 503; the body lists each check,
``ok`` or ``failed``, and why."""

from collections.abc import Callable, Iterator
from typing import Any

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from opentelemetry.instrumentation.utils import suppress_instrumentation


class CheckOut(Schema):
    name: str
    status: str  # "ok" or "failed"
    detail: str


class ReadyOut(Schema):
    status: str  # "ready" or "not_ready"
    service: str
    checks: list[CheckOut]


class LiveOut(Schema):
    status: str
    service: str


def health_router() -> Router:
    """A new router each time (a ninja router belongs to one API)."""
    router = Router(tags=["platform"])

    @router.get("/live", response=LiveOut, auth=None, summary="Liveness: the process answers")
    def live(request: HttpRequest) -> LiveOut:
        return LiveOut(status="alive", service=settings.SERVICE)

    @router.get("/ready", response={200: ReadyOut, 503: ReadyOut}, auth=None, summary="Readiness, check by check")
    def ready(request: HttpRequest) -> Status[ReadyOut]:
        checks = readiness()
        ok = all(check.status == "ok" for check in checks)
        body = ReadyOut(status="ready" if ok else "not_ready", service=settings.SERVICE, checks=checks)
        return Status(200 if ok else 503, body)

    return router


def readiness() -> list[CheckOut]:
    with suppress_instrumentation():  # a probe every few seconds is not worth a trace
        return [_run(name, check) for name, check in _checks()]


def _checks() -> Iterator[tuple[str, Callable[[], str]]]:
    from app.bootstrap import runtime

    for alias in connections:
        yield f"database:{alias}", _database(alias)
    current = runtime()
    if settings.EVENTS_TRANSPORT == "celery" or current.topology.remote_modules():
        yield "broker", _broker
    for alias in current.aliases:
        yield f"outbox:{alias}", _outbox(alias)


def _run(name: str, check: Callable[[], str]) -> CheckOut:
    try:
        return CheckOut(name=name, status="ok", detail=check())
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return CheckOut(name=name, status="failed", detail=f"{type(error).__name__}: {reason}"[:300])


def _database(alias: str) -> Callable[[], str]:
    def check() -> str:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return f"{connections[alias].vendor} reachable"

    return check


def _broker() -> str:
    timeout = settings.HEALTH_CHECK_TIMEOUT
    client: Any = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return "redis reachable"


class ThresholdExceededError(Exception):
    pass


def _outbox(alias: str) -> Callable[[], str]:
    def check() -> str:
        from app.events.operations import status

        current = status(alias)
        lag, dead = current.lag_seconds(timezone.now()), current.dead_letters
        max_lag, max_dead = settings.HEALTH_MAX_OUTBOX_LAG_SECONDS, settings.HEALTH_MAX_DEAD_LETTERS
        detail = f"lag {lag:.1f}s (max {max_lag:g}s), {dead} dead letters (max {max_dead})"
        if lag > max_lag or dead > max_dead:
            raise ThresholdExceededError(detail)
        return detail

    return check
