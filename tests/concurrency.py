"""Run jobs at the same moment in real threads, each with its own database connection."""

import threading

from django.db import connection


def run_together(*jobs) -> tuple[list, list]:
    """Start every job behind one barrier; returns (results, errors), in no particular order.

    Each thread closes its connection when done, so PostgreSQL sees separate sessions."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def run(job):
        try:
            barrier.wait()
            results.append(job())
        except Exception as exc:  # collected for the test to assert on
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors
