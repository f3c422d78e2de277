"""The Celery settings a careful operator sets, and the check that keeps them consistent."""

from django.conf import settings

from app.celery import app
from app.checks import celery_visibility_timeout


def test_deliveries_are_acked_late_rejected_on_worker_loss_one_at_a_time_without_results() -> None:
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_ignore_result is True
    assert conf.result_backend is None
    assert conf.broker_url == settings.REDIS_URL


def test_celery_reads_every_celery_setting_of_django_under_its_own_name() -> None:
    from celery.fixups.django import DjangoWorkerFixup

    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.broker_transport_options == settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert app.conf.task_default_queue == settings.CELERY_TASK_DEFAULT_QUEUE
    assert DjangoWorkerFixup(app).db_reuse_max == settings.CELERY_DB_REUSE_MAX  # connections kept between tasks


def test_the_visibility_timeout_exceeds_every_time_limit_and_backoff() -> None:
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > app.conf.task_time_limit
    assert visibility > app.conf.task_soft_time_limit
    assert visibility > settings.EVENTS_RETRY_BACKOFF_MAX
    assert celery_visibility_timeout() == []


def test_the_system_check_refuses_a_visibility_timeout_below_the_time_limit(settings) -> None:
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 30}
    settings.CELERY_TASK_TIME_LIMIT = 60
    [error] = celery_visibility_timeout()
    assert error.id == "platform.E001"
    assert "60" in error.msg
