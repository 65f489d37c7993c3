"""A transaction that PostgreSQL aborts to break a deadlock runs again and succeeds."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError, transaction

from core.db import retry_on_deadlock
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
User = get_user_model()


def crossing_lockers(*, retry: bool):
    """Two transactions that lock the same two rows in opposite orders, each waiting until the
    other holds its first row: PostgreSQL must abort one of them."""
    first, second = (User.objects.create(username=name).pk for name in ("first", "second"))
    both_hold_one = threading.Barrier(2)
    attempts = []

    def locker(a, b):
        @transaction.atomic
        def lock_both():
            attempts.append(a)
            User.objects.select_for_update().get(pk=a)
            if len(attempts) <= 2:  # only the first round crosses; a rerun goes straight on
                both_hold_one.wait(timeout=5)
            User.objects.select_for_update().get(pk=b)
            User.objects.filter(pk=a).update(last_name=f"{a}-then-{b}")
            return a

        return retry_on_deadlock(lock_both) if retry else lock_both

    return locker(first, second), locker(second, first), attempts


def test_the_aborted_side_of_a_deadlock_runs_again_and_both_finish():
    one, other, attempts = crossing_lockers(retry=True)
    results, errors = run_together(one, other)
    assert errors == []
    assert len(results) == 2
    assert len(attempts) == 3  # both once, the aborted one again
    assert all(u.last_name for u in User.objects.filter(username__in=["first", "second"]))


def test_without_the_retry_one_side_fails_with_the_deadlock():
    one, other, _ = crossing_lockers(retry=False)
    results, errors = run_together(one, other)
    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], OperationalError)
    assert "deadlock" in str(errors[0])
