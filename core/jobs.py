"""The job registry and the runs of its jobs.

Each app registers its jobs in its `AppConfig.ready()` (`register_job`); the operations screen,
"Run now", beat's tasks and the management commands run them by name with `run_job`, which
records every run as a `JobRun`.

A run that dies with its process (kill -9, a lost machine) cannot say so. While it works it
records a heartbeat (`heartbeat()`, once per batch, between transactions); a run whose
heartbeat is older than settings.JOB_HEARTBEAT_TIMEOUT is marked interrupted when the
operations screen or the next run of the job looks (`mark_interrupted_runs`), and that next run
records that it resumed after it. Every job is idempotent, so resuming is running it again.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.models import JobRun

# A heartbeat at most this often: a batch loop may call heartbeat() as often as it likes.
HEARTBEAT_EVERY = timedelta(seconds=15)


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    description: str
    # Runs the job; takes the keyword arguments given to run_job and returns its counts
    # ({"orders": 3, ...}). Long jobs call heartbeat() once per batch.
    func: Callable[..., dict]
    # The Celery task that beat runs (its schedule is read from CELERY_BEAT_SCHEDULE).
    task: str
    when_not_scheduled: str = "on demand"

    @property
    def schedule(self) -> str:
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            if entry["task"] != self.task:
                continue
            every = entry["schedule"]
            if not isinstance(every, int | float):  # a crontab: it describes itself
                return str(every)
            return f"every {int(every // 60)} min" if every >= 60 else f"every {every:g} s"
        return self.when_not_scheduled


_jobs: dict[str, Job] = {}


def register_job(job: Job) -> None:
    """Called from an AppConfig.ready(); the screen lists jobs in registration order."""
    if job.name in _jobs and _jobs[job.name] != job:
        raise ImproperlyConfigured(f"Two jobs are registered as {job.name!r}.")
    _jobs[job.name] = job


def registered_jobs() -> list[Job]:
    return list(_jobs.values())


def get_job(name: str) -> Job | None:
    return _jobs.get(name)


# --- runs ------------------------------------------------------------------------------------


@dataclass
class _Beat:
    run_id: int
    last: float  # time.monotonic() of the last heartbeat written


_current: ContextVar[_Beat | None] = ContextVar("current_job_run", default=None)


def heartbeat() -> None:
    """Record that the current run is alive (at most every HEARTBEAT_EVERY). Call it between
    batches, outside a transaction, so that other processes see it; outside a run it does
    nothing, so a job's code may call it whoever runs it."""
    beat = _current.get()
    if beat is None:
        return
    now = time.monotonic()
    if now - beat.last < HEARTBEAT_EVERY.total_seconds():
        return
    beat.last = now
    JobRun.objects.filter(pk=beat.run_id).update(heartbeat_at=timezone.now())


@contextmanager
def loaded_objects_out_of_gc() -> Iterator[None]:
    """For a batch loop: the objects the process holds when it starts (Django, the apps, their
    caches) stay out of the cyclic garbage collector's passes until it ends.

    A batch keeps tens of thousands of rows alive while it runs; they outlive the young
    generations, and the full collections they set off walked every object the process had
    loaded: about a quarter of the release worker's CPU. The batches' own objects are still
    collected as before.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def mark_interrupted_runs() -> int:
    """Runs still `running` without a heartbeat for JOB_HEARTBEAT_TIMEOUT died with their
    process: mark them interrupted. Returns how many."""
    silent_since = timezone.now() - timedelta(minutes=settings.JOB_HEARTBEAT_TIMEOUT)
    return JobRun.objects.filter(
        status=JobRun.Status.RUNNING, heartbeat_at__lt=silent_since
    ).update(status=JobRun.Status.INTERRUPTED, finished_at=timezone.now())


def _unresumed_interrupted_run(job: str) -> JobRun | None:
    """The job's latest finished run, if it was interrupted and no run resumed after it yet."""
    latest = (
        JobRun.objects.filter(job=job)
        .exclude(status=JobRun.Status.RUNNING)
        .annotate(resumed=Exists(JobRun.objects.filter(resumed_after=OuterRef("pk"))))
        .first()
    )
    if latest is None or latest.status != JobRun.Status.INTERRUPTED or latest.resumed:
        return None
    return latest


@contextmanager
def _recorded(job: str, triggered_by: str) -> Iterator[JobRun]:
    mark_interrupted_runs()
    run = JobRun.objects.create(
        job=job,
        triggered_by=triggered_by[:60],
        resumed_after=_unresumed_interrupted_run(job),
    )
    token = _current.set(_Beat(run.pk, time.monotonic()))
    try:
        yield run
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    finally:
        _current.reset(token)


def run_job(name: str, *, triggered_by: str = "", **kwargs) -> dict:
    """Run a registered job and record it as a JobRun (started, heartbeats, finished, counts
    or error). Returns the job's counts with the seconds it took."""
    job = _jobs[name]
    started = time.monotonic()
    with _recorded(name, triggered_by) as run:
        counts = dict(job.func(**kwargs))
        counts["seconds"] = round(time.monotonic() - started, 3)
        now = timezone.now()
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.DONE, finished_at=now, heartbeat_at=now, counts=counts
        )
    return counts
