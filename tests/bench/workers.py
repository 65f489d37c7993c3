"""What the worker-process benchmarks share: committed data generated from a template row, and
N worker processes started at once on the test database.

A worker runs `work(*args) -> dict` from the benchmark's source text and prints that dict as
JSON with its wall seconds, its own CPU seconds and the CPU seconds of its database backend
(read from /proc when PostgreSQL runs on this machine, else None). On a machine of two cores
shared with PostgreSQL the two CPU figures say how far a second worker can help: the sum is
what one batch of work costs, whichever process does it.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent

_RUNNER = """
import json, os, sys, time
import django
django.setup()
from django.db import connection


def _backend_cpu():
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:  # the database runs elsewhere
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


%(body)s

db_before = _backend_cpu()
cpu_before = time.process_time()
started = time.perf_counter()
result = work(*sys.argv[1:])
result["seconds"] = time.perf_counter() - started
result["cpu"] = time.process_time() - cpu_before
db_after = _backend_cpu()
result["db_cpu"] = None if db_before is None else db_after - db_before
print(json.dumps(result))
"""


def run_workers(body: str, count: int, *args, timeout: float = 3600) -> tuple[float, list[dict]]:
    """Start `count` processes running `work(*args)` (defined in `body`) at once on the test
    database; returns (wall seconds, each worker's result dict)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.worker_test",
        "TEST_DATABASE_NAME": str(connection.settings_dict["NAME"]),
    }
    script = _RUNNER % {"body": body}
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *map(str, args)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(count)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, err.decode()[-2000:]
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return time.perf_counter() - started, results


def cpu_note(result: dict) -> str:
    """ "CPU 3.1 s + database 7.9 s" for one worker's result."""
    db = f" + database {result['db_cpu']:.1f} s" if result.get("db_cpu") is not None else ""
    return f"CPU {result['cpu']:.1f} s{db}"


def checkpoint() -> None:
    """Start each timed run from a fresh checkpoint: a checkpoint falling inside one run but
    not the other (and the full-page writes after it) would be measured as that run's cost."""
    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")


def copy_columns(model, overrides: dict[str, str]) -> tuple[str, str]:
    """Columns and expressions for INSERT ... SELECT copying row `t` of `model` (all but the
    primary key), with SQL `overrides` per column name."""
    cols, exprs = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(f'"{f.column}"')
        exprs.append(overrides.get(f.column, f't."{f.column}"'))
    return ", ".join(cols), ", ".join(exprs)
