from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class RefuseDemoPasswordBackend(ModelBackend):
    """Production login: the documented demo password never opens a session."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password == settings.DEMO_PASSWORD:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
