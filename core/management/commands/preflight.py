from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.startup import FIXES


class Command(BaseCommand):
    help = "Check that the database and (when REDIS_URL is set) Redis answer, in one line each."

    def handle(self, *args, **options):
        try:
            connection.ensure_connection()
        except Exception as exc:
            raise CommandError(
                f"cannot connect to the database: {exc}. {FIXES['database']}"
            ) from None
        self.stdout.write(f"database: {connection.vendor} ok")
        if not settings.REDIS_URL:
            self.stdout.write("redis: not configured; Celery tasks run in-process")
            return
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        except Exception as exc:
            raise CommandError(
                f"cannot reach Redis at REDIS_URL: {exc}. {FIXES['redis']}"
            ) from None
        self.stdout.write("redis: ok")
