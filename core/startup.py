"""Turn the usual setup mistakes into one line that says what is wrong and how to fix it."""

import sys

FIXES = {
    "database": "Check DATABASE_URL (host, port, name, user) and that the database server runs.",
    "redis": "Check REDIS_URL and that Redis runs, or unset REDIS_URL to run tasks in-process.",
}


def explain(exc: BaseException) -> str | None:
    """One line for a known setup problem, or None for anything else (shown as a traceback)."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db.utils import OperationalError as DatabaseError

    if isinstance(exc, ImproperlyConfigured):
        return f"configuration error: {exc}"
    if isinstance(exc, DatabaseError):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        return f"cannot use the database: {first}. {FIXES['database']}"
    try:
        from kombu.exceptions import OperationalError as BrokerError
        from redis.exceptions import ConnectionError as RedisConnectionError
    except ImportError:  # pragma: no cover - both are dependencies
        return None
    if isinstance(exc, RedisConnectionError | BrokerError):
        return f"cannot reach Redis: {exc}. {FIXES['redis']}"
    return None


def run_with_clear_errors(argv: list[str]) -> None:
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except Exception as exc:
        line = explain(exc)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        sys.exit(2)
