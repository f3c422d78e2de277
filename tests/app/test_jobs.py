"""The periodic-jobs loop (app/jobs.py) and `manage.py jobs`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from app.jobs import JobLoop
from contracts.kernel.jobs import Job


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.django_db(databases="__all__")  # the loop closes stale connections after each pass
def test_a_job_runs_when_due_and_not_before() -> None:
    runs: list[str] = []

    def tick() -> int:
        runs.append("tick")
        return 1

    clock = Clock()
    loop = JobLoop([Job(id="t.tick", every=5, run=tick)], clock=clock)
    assert loop.run_due() == 1
    clock.now += 4
    assert loop.run_due() == 0
    clock.now += 1
    assert loop.run_due() == 1
    assert runs == ["tick", "tick"]


@pytest.mark.django_db(databases="__all__")
def test_a_failing_job_is_logged_and_does_not_stop_the_others(caplog) -> None:
    def broken() -> int:
        raise RuntimeError("boom")

    loop = JobLoop([Job(id="t.broken", every=1, run=broken), Job(id="t.fine", every=1, run=lambda: 3)])
    assert loop.run_all() == {"t.broken": 0, "t.fine": 3}
    assert "job t.broken failed" in caplog.text


def test_a_loop_without_jobs_starts_no_thread() -> None:
    assert JobLoop([]).start_thread() is None


@pytest.mark.django_db(databases="__all__")
def test_the_command_lists_the_hosted_modules_jobs_and_runs_them() -> None:
    listed = StringIO()
    call_command("jobs", stdout=listed)
    assert "orders.saga_deadlines  every" in listed.getvalue()
    assert "platform.idempotency_purge" in listed.getvalue()
    ran = StringIO()
    call_command("jobs", "--once", "orders.saga_deadlines", stdout=ran)
    assert ran.getvalue() == "orders.saga_deadlines: 0 item(s) handled\n"


def test_an_unknown_job_id_is_refused_in_one_line() -> None:
    with pytest.raises(CommandError, match="unknown job id"):
        call_command("jobs", "nope")
