from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every screen needs a login (Django 5.1's middleware), except the API and its schema.

    The API authenticates per request (session or token) in DRF and answers 401/403 as JSON;
    a redirect to the login page would be wrong for an API client.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(("/api/v1/", "/api/schema/")):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
