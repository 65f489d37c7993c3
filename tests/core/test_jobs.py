"""The job registry and the runs it records: heartbeats, interrupted runs, resuming."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import jobs
from core.models import JobRun


@pytest.fixture
def job(db, monkeypatch):
    """A registered job whose work the test chooses (`job.work`)."""
    calls = []

    def work(**kwargs):
        calls.append(kwargs)
        return {"count": len(calls)}

    registered = jobs.Job("test_job", "Test job", "For the tests", work, "tests.test_job")
    monkeypatch.setitem(jobs._jobs, "test_job", registered)
    return calls


def _dead_run(minutes_silent: int, job: str = "test_job") -> JobRun:
    """A run whose process was killed: still `running`, its last heartbeat long ago."""
    run = JobRun.objects.create(job=job, triggered_by="beat")
    long_ago = timezone.now() - timedelta(minutes=minutes_silent)
    JobRun.objects.filter(pk=run.pk).update(started_at=long_ago, heartbeat_at=long_ago)
    return run


def test_a_run_is_recorded_with_its_counts(job):
    counts = jobs.run_job("test_job", triggered_by="ops1", size=3)
    assert job == [{"size": 3}] and counts["count"] == 1 and "seconds" in counts
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.DONE and run.finished_at and run.counts["count"] == 1
    assert run.triggered_by == "ops1" and run.resumed_after is None


def test_a_failing_run_records_its_error(db, monkeypatch):
    def boom():
        raise RuntimeError("disk full")

    monkeypatch.setitem(jobs._jobs, "boom", jobs.Job("boom", "Boom", "", boom, "tests.boom"))
    with pytest.raises(RuntimeError):
        jobs.run_job("boom")
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.FAILED and run.error == "RuntimeError: disk full"


def test_a_run_records_a_heartbeat_while_it_works(db, monkeypatch):
    monkeypatch.setattr(jobs, "HEARTBEAT_EVERY", timedelta(0))
    seen = []

    def batches():
        run = JobRun.objects.get()
        JobRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
        jobs.heartbeat()  # one batch done
        seen.append(JobRun.objects.get(pk=run.pk).heartbeat_at)
        return {}

    monkeypatch.setitem(jobs._jobs, "batches", jobs.Job("batches", "B", "", batches, "t.b"))
    jobs.run_job("batches")
    assert timezone.now() - seen[0] < timedelta(minutes=1)
    jobs.heartbeat()  # outside a run: nothing to record, no error


def test_a_run_whose_process_died_is_interrupted_and_the_next_run_resumes_after_it(job):
    dead = _dead_run(minutes_silent=11)
    alive = _dead_run(minutes_silent=2, job="other_job")  # silent less than the timeout
    assert jobs.mark_interrupted_runs() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == JobRun.Status.INTERRUPTED and dead.finished_at
    assert alive.status == JobRun.Status.RUNNING

    jobs.run_job("test_job", triggered_by="beat")
    resumed = JobRun.objects.exclude(pk=dead.pk).get(job="test_job")
    assert resumed.status == JobRun.Status.DONE and resumed.resumed_after == dead
    jobs.run_job("test_job", triggered_by="beat")  # the one after resumes nothing
    assert JobRun.objects.filter(resumed_after=dead).count() == 1


def test_the_next_run_itself_notices_a_dead_run(job, settings):
    settings.JOB_HEARTBEAT_TIMEOUT = 5
    dead = _dead_run(minutes_silent=6)
    jobs.run_job("test_job")
    dead.refresh_from_db()
    assert dead.status == JobRun.Status.INTERRUPTED
    assert JobRun.objects.get(resumed_after=dead).job == "test_job"


def test_jobs_register_in_their_apps_ready():
    names = [job.name for job in jobs.registered_jobs()]
    for name in (
        "release_orders",
        "sweep_stale_allocations",
        "allocate_backorders",
        "resume_interrupted_submits",
    ):
        assert name in names
    assert jobs.get_job("release_orders").schedule == "every 10 min"
    assert jobs.get_job("allocate_backorders").schedule == "on demand (after receiving stock)"
