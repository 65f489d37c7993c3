"""/favicon.ico, which browsers ask for on every page: the desk's icon from the static files."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    # A temporary redirect: the static file's name may carry a hash that changes on deploy.
    return redirect(static("desk/favicon.ico"))
