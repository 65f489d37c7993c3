"""Start a real Celery worker process for integration tests.

The worker uses the test settings but with the broker on REDIS_URL and the test database's name,
and listens on a queue of its own so that nothing else on the machine takes its tasks.
"""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def celery_worker(concurrency: int = 1, timeout: float = 30.0):
    """Yields the queue name; tasks sent there with `.apply_async(queue=...)` run in the worker."""
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.worker_test",
        "REDIS_URL": settings.REDIS_URL,
        "TEST_DATABASE_NAME": str(connection.settings_dict["NAME"]),
    }
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        queue,
        "--pool",
        "prefork" if concurrency > 1 else "solo",
        "-c",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "-l",
        "warning",
        "-n",
        f"{queue}@%h",
    ]
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    previous_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.REDIS_URL
    app.conf.result_backend = settings.REDIS_URL
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"celery worker exited: {process.stdout.read().decode()[-2000:]}"
                )
            replies = app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5)
            if replies:
                break
        else:
            raise RuntimeError("celery worker did not answer a ping in time")
        yield queue
    finally:
        app.conf.task_always_eager = previous_eager
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
