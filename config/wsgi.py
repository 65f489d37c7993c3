import os

from django.core.wsgi import get_wsgi_application
from django.urls import resolve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
application = get_wsgi_application()
# Import the URLconf, and with it every view and what they import, now rather than on each
# worker's first request (0.5 s: `make load` saw the first callers wait behind it). Under
# gunicorn --preload this happens once, before the workers fork.
resolve("/healthz")
