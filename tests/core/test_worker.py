import pytest

from core.tasks import echo
from tests.worker import celery_worker

pytestmark = pytest.mark.integration


def test_a_real_worker_on_redis_runs_a_task_and_returns_its_result():
    with celery_worker() as queue:
        result = echo.apply_async(args=[{"hello": "desk"}], queue=queue)
        assert result.get(timeout=20) == {"hello": "desk"}
